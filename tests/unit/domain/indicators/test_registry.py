"""The indicator registry: every indicator against an independent reference on real SPX bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib

from vibetrading.domain.indicators import REGISTRY, all_aliases, find_indicator, get_indicator
from vibetrading.domain.indicators.info import normalize_name
from vibetrading.errors import SpecError
from vibetrading.testing.factories import make_bars


def _compute(name: str, data: dict[str, np.ndarray], **params: float) -> dict[str, np.ndarray]:
    return get_indicator(name).compute(data, params)


def _assert_close(ours: np.ndarray, reference: np.ndarray | pd.Series, *, rtol: float = 1e-9):
    np.testing.assert_allclose(ours, np.asarray(reference, dtype=float), rtol=rtol, atol=1e-9)


def _wilder(values: np.ndarray, period: int, first: int) -> np.ndarray:
    out = np.full(len(values), np.nan)
    out[first + period - 1] = values[first : first + period].mean()
    for t in range(first + period, len(values)):
        out[t] = (out[t - 1] * (period - 1) + values[t]) / period
    return out


def _kdj_loop(high, low, close, n=9, m1=3, m2=3):
    k_prev = d_prev = 50.0
    ks, ds, js = [], [], []
    for t in range(len(close)):
        if t < n - 1:
            ks.append(np.nan), ds.append(np.nan), js.append(np.nan)
            continue
        highest, lowest = max(high[t - n + 1 : t + 1]), min(low[t - n + 1 : t + 1])
        rsv = 50.0 if highest == lowest else (close[t] - lowest) / (highest - lowest) * 100
        k_prev = (m1 - 1) / m1 * k_prev + rsv / m1
        d_prev = (m2 - 1) / m2 * d_prev + k_prev / m2
        ks.append(k_prev), ds.append(d_prev), js.append(3 * k_prev - 2 * d_prev)
    return np.array(ks), np.array(ds), np.array(js)


def test_sma_on_spx_equals_pandas_rolling_mean(spx, spx_data):
    ours = _compute("sma", spx_data, period=50)["value"]

    _assert_close(ours, spx["close"].rolling(50).mean())


def test_ema_on_spx_equals_recursion_seeded_with_sma(spx_data):
    close, period = spx_data["close"], 20
    alpha = 2 / (period + 1)
    reference = np.full(len(close), np.nan)
    reference[period - 1] = close[:period].mean()
    for t in range(period, len(close)):
        reference[t] = alpha * close[t] + (1 - alpha) * reference[t - 1]

    ours = _compute("ema", spx_data, period=period)["value"]

    _assert_close(ours, reference)


def test_wma_on_spx_equals_linearly_weighted_mean(spx, spx_data):
    weights = np.arange(1, 11, dtype=float)
    reference = spx["close"].rolling(10).apply(lambda w: (w * weights).sum() / weights.sum())

    ours = _compute("wma", spx_data, period=10)["value"]

    _assert_close(ours, reference)


def test_rsi_on_spx_equals_wilder_recursion(spx_data):
    change = np.diff(spx_data["close"], prepend=np.nan)
    gains, losses = np.clip(change, 0, None), np.clip(-change, 0, None)
    average_gain, average_loss = _wilder(gains, 14, 1), _wilder(losses, 14, 1)
    reference = 100 * average_gain / (average_gain + average_loss)

    ours = _compute("rsi", spx_data)["value"]

    _assert_close(ours, reference, rtol=1e-7)


def test_macd_on_spx_matches_pandas_emas_after_warmup(spx):
    close = spx["close"]
    dif = close.ewm(span=12, adjust=False).mean() - close.ewm(span=26, adjust=False).mean()
    dea = dif.ewm(span=9, adjust=False).mean()
    data = {"close": close.to_numpy()}

    ours = _compute("macd", data)

    tail = slice(500, None)
    _assert_close(ours["macd"][tail], dif.to_numpy()[tail], rtol=1e-6)
    _assert_close(ours["signal"][tail], dea.to_numpy()[tail], rtol=1e-6)
    _assert_close(ours["histogram"][tail], (dif - dea).to_numpy()[tail], rtol=1e-6)


def test_bbands_on_spx_use_population_std(spx, spx_data):
    close = spx["close"]
    middle, std = close.rolling(20).mean(), close.rolling(20).std(ddof=0)
    upper, lower = middle + 2 * std, middle - 2 * std

    ours = _compute("bbands", spx_data)

    _assert_close(ours["upper"], upper, rtol=1e-7)
    _assert_close(ours["middle"], middle)
    _assert_close(ours["lower"], lower, rtol=1e-7)
    _assert_close(ours["percent_b"], (close - lower) / (upper - lower), rtol=1e-6)
    _assert_close(ours["bandwidth"], (upper - lower) / middle, rtol=1e-6)
    sample_upper = middle + 2 * close.rolling(20).std(ddof=1)
    assert not np.allclose(ours["upper"][19:], sample_upper[19:], rtol=1e-6)


def test_atr_on_spx_equals_wilder_true_range(spx):
    high, low, close = spx["high"], spx["low"], spx["close"]
    previous = close.shift(1)
    true_range = pd.concat(
        [high - low, (high - previous).abs(), (low - previous).abs()], axis=1
    ).max(axis=1, skipna=False)
    reference = _wilder(true_range.to_numpy(), 14, 1)

    ours = _compute("atr", {c: spx[c].to_numpy() for c in ("high", "low", "close")})["value"]

    _assert_close(ours, reference, rtol=1e-7)


def test_adx_on_spx_equals_talib_and_stays_between_0_and_100(spx_data):
    high, low, close = spx_data["high"], spx_data["low"], spx_data["close"]

    ours = _compute("adx", spx_data)

    _assert_close(ours["adx"], talib.ADX(high, low, close, 14))
    _assert_close(ours["plus_di"], talib.PLUS_DI(high, low, close, 14))
    _assert_close(ours["minus_di"], talib.MINUS_DI(high, low, close, 14))
    values = ours["adx"][~np.isnan(ours["adx"])]
    assert values.min() >= 0
    assert values.max() <= 100


def test_cci_on_spx_equals_mean_deviation_formula(spx, spx_data):
    typical = (spx["high"] + spx["low"] + spx["close"]) / 3
    mean = typical.rolling(20).mean()
    deviation = typical.rolling(20).apply(lambda w: np.abs(w - w.mean()).mean())
    reference = (typical - mean) / (0.015 * deviation)

    ours = _compute("cci", spx_data, period=20)["value"]

    _assert_close(ours, reference, rtol=1e-6)


def test_obv_on_spx_equals_signed_volume_running_total(spx, spx_data):
    sign = np.sign(spx["close"].diff()).fillna(0).to_numpy()
    signed = sign * spx["volume"].to_numpy()
    signed[0] = spx["volume"].iloc[0]

    ours = _compute("obv", spx_data)["value"]

    _assert_close(ours, np.cumsum(signed))


def test_mfi_on_spx_equals_money_flow_ratio(spx, spx_data):
    typical = (spx["high"] + spx["low"] + spx["close"]) / 3
    flow = typical * spx["volume"]
    positive = flow.where(typical > typical.shift(1), 0.0).rolling(14).sum()
    negative = flow.where(typical < typical.shift(1), 0.0).rolling(14).sum()
    reference = (100 * positive / (positive + negative)).to_numpy(copy=True)
    reference[:14] = np.nan

    ours = _compute("mfi", spx_data)["value"]

    _assert_close(ours, reference, rtol=1e-6)


def test_roc_on_spx_is_a_fraction_not_a_percentage(spx, spx_data):
    ours = _compute("roc", spx_data, period=20)["value"]

    _assert_close(ours, spx["close"] / spx["close"].shift(20) - 1)


def test_momentum_on_spx_is_the_price_difference(spx, spx_data):
    ours = _compute("momentum", spx_data, period=10)["value"]

    _assert_close(ours, spx["close"].diff(10))


def test_williams_r_on_spx_is_between_minus_100_and_0(spx, spx_data):
    highest, lowest = spx["high"].rolling(14).max(), spx["low"].rolling(14).min()
    reference = -100 * (highest - spx["close"]) / (highest - lowest)

    ours = _compute("willr", spx_data)["value"]

    _assert_close(ours, reference, rtol=1e-7)


def test_kdj_on_spx_equals_the_chinese_formula_loop(spx_data):
    high, low, close = (list(spx_data[c]) for c in ("high", "low", "close"))
    k, d, j = _kdj_loop(high, low, close)

    ours = _compute("kdj", spx_data)

    _assert_close(ours["k"], k)
    _assert_close(ours["d"], d)
    _assert_close(ours["j"], j)


def test_kdj_first_value_starts_from_50(spx_data):
    high, low, close = (spx_data[c][:9] for c in ("high", "low", "close"))
    rsv = (close[-1] - low.min()) / (high.max() - low.min()) * 100

    ours = _compute("kdj", spx_data)

    assert ours["k"][8] == pytest.approx(2 / 3 * 50 + rsv / 3)
    assert ours["d"][8] == pytest.approx(2 / 3 * 50 + ours["k"][8] / 3)


def test_donchian_on_spx_excludes_the_current_bar(spx, spx_data):
    ours = _compute("donchian", spx_data, period=20)

    _assert_close(ours["upper"], spx["high"].rolling(20).max().shift(1))
    _assert_close(ours["lower"], spx["low"].rolling(20).min().shift(1))
    # a new high above the channel is only possible because the current bar is excluded
    assert np.sum(spx_data["high"][20:] > ours["upper"][20:]) > 0


def test_volume_sma_on_spx_includes_the_current_bar(spx, spx_data):
    ours = _compute("volume_sma", spx_data)["value"]

    _assert_close(ours, spx["volume"].rolling(20).mean())


def test_vwap_on_hourly_bars_restarts_every_day():
    bars = make_bars(24 * 5, freq="h", seed=3)
    data = {c: bars[c].to_numpy() for c in bars.columns} | {"timestamp": bars.index.asi8}
    typical = (bars["high"] + bars["low"] + bars["close"]) / 3
    day = bars.index.floor("D")
    reference = (typical * bars["volume"]).groupby(day).cumsum() / bars["volume"].groupby(
        day
    ).cumsum()

    ours = _compute("vwap", data)["value"]

    _assert_close(ours, reference)
    first_of_day = np.flatnonzero(np.diff(day.asi8, prepend=-1) != 0)
    _assert_close(ours[first_of_day], typical.to_numpy()[first_of_day])


def test_zscore_on_spx_uses_the_population_std(spx, spx_data):
    close = spx["close"]
    reference = (close - close.rolling(30).mean()) / close.rolling(30).std(ddof=0)

    ours = _compute("zscore", spx_data, period=30)["value"]

    _assert_close(ours, reference, rtol=1e-7)


def test_zscore_of_a_flat_window_is_nan():
    data = {"close": np.full(30, 5.0)}

    ours = _compute("zscore", data, period=10)["value"]

    assert np.isnan(ours).all()


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_warmup_equals_the_first_defined_bar(name, spx_data):
    info = REGISTRY[name]

    outputs = info.compute(spx_data, {})

    first = max(int(np.argmax(~np.isnan(values))) for values in outputs.values())
    assert info.warmup({}) == first


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("MA", "sma"),
        ("moving average", "sma"),
        ("均线", "sma"),
        ("移动平均线", "sma"),
        ("EMA", "ema"),
        ("指数移动平均", "ema"),
        ("相对强弱", "rsi"),
        ("\uff32\uff33\uff29", "rsi"),  # full-width RSI
        ("平滑异同移动平均线", "macd"),
        ("Bollinger Bands", "bbands"),
        ("布林带", "bbands"),
        ("布林线", "bbands"),
        ("随机指标", "kdj"),
        ("stochastic", "kdj"),
        ("真实波幅", "atr"),
        ("成交量均线", "volume_sma"),
        ("均量", "volume_sma"),
        ("威廉指标", "willr"),
        ("Williams %R", "willr"),
        ("顺势指标", "cci"),
        ("能量潮", "obv"),
        ("资金流量指标", "mfi"),
        ("变动率", "roc"),
        ("动量", "momentum"),
        ("唐奇安通道", "donchian"),
        ("趋向指标", "adx"),
        ("成交量加权平均价", "vwap"),
        ("z-score", "zscore"),
    ],
    ids=lambda value: str(value),
)
def test_get_indicator_alias_resolves_to_canonical_name(alias, name):
    info = get_indicator(alias)

    assert info.name == name


def test_aliases_each_belong_to_one_indicator():
    owners: dict[str, set[str]] = {}

    for alias, name in all_aliases().items():
        owners.setdefault(normalize_name(alias), set()).add(name)

    assert all(len(names) == 1 for names in owners.values())


def test_get_indicator_typo_suggests_close_match():
    with pytest.raises(SpecError, match=r"Unknown indicator 'rsj'. Did you mean: rsi\?"):
        get_indicator("rsj")


def test_find_indicator_unknown_returns_none():
    assert find_indicator("astrology") is None


def test_resolve_params_alias_and_defaults_fill_in():
    params = get_indicator("macd").resolve_params({"fast_period": 5, "slow": "35"})

    assert params == {"fast": 5, "slow": 35, "signal": 9}


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("rsi", {"period": 0}, "RSI period must be between 1 and 1000; got 0"),
        ("sma", {"period": 2.5}, "whole number"),
        ("sma", {"perod": 5}, "Did you mean: period"),
        ("bbands", {"std": "wide"}, "must be a number"),
        ("obv", {"period": 5}, "takes no parameters"),
        ("rsi", {"period": 14, "length": 10}, "given twice"),
    ],
    ids=["out-of-range", "fractional", "typo", "not-a-number", "no-params", "twice"],
)
def test_resolve_params_bad_value_raises_clear_spec_error(name, params, message):
    with pytest.raises(SpecError, match=message):
        get_indicator(name).resolve_params(params)


@pytest.mark.parametrize(
    ("name", "alias", "output"),
    [
        ("macd", "DIF", "macd"),
        ("macd", "dea", "signal"),
        ("macd", "红柱", "histogram"),
        ("bbands", "上轨", "upper"),
        ("bbands", "%b", "percent_b"),
        ("kdj", "%D", "d"),
        ("kdj", None, "k"),
    ],
    ids=lambda value: str(value),
)
def test_resolve_output_alias_returns_canonical_output(name, alias, output):
    assert get_indicator(name).resolve_output(alias) == output


def test_resolve_output_unknown_lists_outputs():
    with pytest.raises(SpecError, match="it has macd, signal, histogram"):
        get_indicator("macd").resolve_output("signl line")


def test_label_of_multi_output_indicator_names_the_output():
    assert get_indicator("macd").label({}, "dea") == "MACD(12,26,9).signal"
    assert get_indicator("sma").label({"period": 50}) == "SMA(50)"


def test_range_of_bounded_indicators_reflects_their_scale():
    assert get_indicator("rsi").range_of() == (0.0, 100.0)
    assert get_indicator("kdj").range_of("j") == (None, None)
    assert get_indicator("willr").range_of() == (-100.0, 0.0)
    assert not get_indicator("bbands").is_output_price_scale("percent_b")
    assert get_indicator("bbands").is_output_price_scale("upper")


def test_compute_missing_input_field_raises_spec_error():
    with pytest.raises(SpecError, match="needs the bar fields: volume"):
        get_indicator("obv").compute({"close": np.ones(5)}, {})


def test_vwap_without_timestamps_treats_the_series_as_one_day():
    data = {
        "high": np.array([2.0, 4.0]),
        "low": np.array([2.0, 4.0]),
        "close": np.array([2.0, 4.0]),
    }
    data["volume"] = np.array([1.0, 3.0])

    ours = _compute("vwap", data)["value"]

    _assert_close(ours, [2.0, 3.5])


@pytest.mark.parametrize("value", [True, float("inf")], ids=["boolean", "infinite"])
def test_resolve_params_non_numbers_raise_spec_error(value):
    with pytest.raises(SpecError, match="must be a"):
        get_indicator("sma").resolve_params({"period": value})


def test_get_indicator_nothing_close_lists_known_indicators():
    with pytest.raises(SpecError, match="Known indicators: sma, ema"):
        get_indicator("qqqqqqqq")
