import numpy as np
import pandas as pd
import pytest

from vibetrading.domain.data import Timeframe, adjust_bars, check_bars, empty_bars, resolve_range
from vibetrading.errors import ConfigError, DataError, EmptyData
from vibetrading.testing import make_bars


def test_check_bars_naive_index_becomes_utc_float64():
    frame = make_bars(5)
    frame.index = frame.index.tz_localize(None)
    frame["volume"] = frame["volume"].astype(int)

    bars = check_bars(frame)

    assert str(bars.index.tz) == "UTC"
    assert bars.index.name == "timestamp"
    assert all(bars[c].dtype == np.float64 for c in bars.columns)
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f.drop(columns="close"), "missing: close"),
        (lambda f: f.reset_index(drop=True), "DatetimeIndex"),
        (lambda f: f.iloc[::-1], "sorted"),
        (lambda f: pd.concat([f, f.iloc[:1]]).sort_index(), "unique"),
    ],
    ids=["missing-column", "no-datetime-index", "unsorted", "duplicates"],
)
def test_check_bars_contract_broken_raises_data_error(mutate, message):
    with pytest.raises(DataError, match=message):
        check_bars(mutate(make_bars(5)))


def test_check_bars_empty_raises_empty_data_unless_allowed():
    with pytest.raises(EmptyData):
        check_bars(empty_bars())

    assert len(check_bars(empty_bars(), allow_empty=True)) == 0


def test_adjust_bars_factor_scales_prices_and_inverts_volume():
    bars = make_bars(3)
    factor = pd.Series([0.5, 0.5, 1.0], index=bars.index)

    adjusted = adjust_bars(bars, factor)

    assert adjusted["close"].iloc[0] == pytest.approx(bars["close"].iloc[0] * 0.5)
    assert adjusted["volume"].iloc[0] == pytest.approx(bars["volume"].iloc[0] * 2)
    assert adjusted["close"].iloc[2] == bars["close"].iloc[2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1d", Timeframe.D1),
        ("daily", Timeframe.D1),
        ("1m", Timeframe.M1),
        ("1M", Timeframe.MN1),
        ("60m", Timeframe.H1),
        ("1mo", Timeframe.MN1),
        ("1W", Timeframe.W1),
    ],
    ids=str,
)
def test_timeframe_parse_aliases(text, expected):
    assert Timeframe.parse(text) is expected


def test_timeframe_parse_unknown_lists_choices():
    with pytest.raises(ConfigError, match="1m, 5m"):
        Timeframe.parse("2d")


def test_resolve_range_end_date_covers_whole_day():
    first, last = resolve_range("2008-01-01", "2008-12-31")

    assert first == pd.Timestamp("2008-01-01", tz="UTC")
    assert last == pd.Timestamp("2008-12-31 23:59:59.999999999", tz="UTC")


def test_resolve_range_intraday_dates_are_exchange_days():
    first, _ = resolve_range(
        "2020-03-02", None, timezone="America/New_York", timeframe=Timeframe.H1
    )

    assert first == pd.Timestamp("2020-03-02 05:00", tz="UTC")


@pytest.mark.parametrize(("start", "end"), [("2020-02-01", "2020-01-01"), ("yesterday-ish", None)])
def test_resolve_range_bad_dates_raise_config_error(start, end):
    with pytest.raises(ConfigError):
        resolve_range(start, end)
