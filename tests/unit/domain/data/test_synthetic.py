import zlib

import numpy as np
import pandas as pd
import pytest

from vibetrading.domain.data.bars import Timeframe, check_bars
from vibetrading.domain.data.sessions import session_labels, session_segments
from vibetrading.domain.data.synthetic import generate_bars, seed_for
from vibetrading.errors import ConfigError

TEN_YEARS = {"start": pd.Timestamp("2015-01-01"), "end": pd.Timestamp("2024-12-31")}
ONE_MONTH = {"start": pd.Timestamp("2024-03-01"), "end": pd.Timestamp("2024-03-31 23:59")}


def test_generate_bars_same_seed_identical_frames(nyse):
    first = generate_bars(seed=7, timeframe=Timeframe.H1, calendar=nyse, **ONE_MONTH)

    second = generate_bars(seed=7, timeframe=Timeframe.H1, calendar=nyse, **ONE_MONTH)
    other = generate_bars(seed=8, timeframe=Timeframe.H1, calendar=nyse, **ONE_MONTH)

    pd.testing.assert_frame_equal(first, second)
    assert not np.allclose(first["close"].to_numpy(), other["close"].to_numpy())


def test_generate_bars_daily_timestamps_are_calendar_sessions(hkex):
    bars = generate_bars(seed=1, timeframe=Timeframe.D1, calendar=hkex, **TEN_YEARS)

    expected = session_labels(hkex, TEN_YEARS["start"], TEN_YEARS["end"])
    pd.testing.assert_index_equal(bars.index, expected, check_names=False, check_freq=False)


@pytest.mark.parametrize("calendar_name", ["nyse", "hkex"])
@pytest.mark.parametrize("timeframe", [Timeframe.M1, Timeframe.M15, Timeframe.H1, Timeframe.H4])
def test_generate_bars_intraday_bars_are_aligned_inside_segments(request, calendar_name, timeframe):
    calendar = request.getfixturevalue(calendar_name)

    bars = generate_bars(seed=2, timeframe=timeframe, calendar=calendar, **ONE_MONTH)

    stamps = pd.DatetimeIndex(bars.index).asi8
    starts, ends, _ = session_segments(calendar, bars.index[0], bars.index[-1])
    segment = np.searchsorted(starts, stamps, side="right") - 1
    assert (segment >= 0).all()
    assert (stamps < ends[segment]).all()
    assert ((stamps - starts[segment]) % timeframe.offset.value == 0).all()
    covered = np.unique(segment)
    assert len(covered) == len(starts[(starts >= stamps[0]) & (starts <= stamps[-1])])


@pytest.mark.parametrize("calendar_name", ["nyse", "hkex", "always_open", None])
@pytest.mark.parametrize("timeframe", list(Timeframe), ids=[t.value for t in Timeframe])
def test_generate_bars_ohlc_consistent_and_contract_held(request, calendar_name, timeframe):
    calendar = request.getfixturevalue(calendar_name) if calendar_name else None

    bars = generate_bars(seed=3, timeframe=timeframe, calendar=calendar, **ONE_MONTH)

    check_bars(bars)
    body_top = bars[["open", "close"]].max(axis=1)
    body_bottom = bars[["open", "close"]].min(axis=1)
    assert (bars["low"] <= body_bottom).all()
    assert (bars["high"] >= body_top).all()
    assert (bars["low"] > 0).all()
    assert (bars["volume"] > 0).all()
    assert bars.attrs["synthetic"] is True


def test_generate_bars_daily_returns_fat_tailed_and_clustered(nyse):
    bars = generate_bars(seed=seed_for("SPY"), timeframe=Timeframe.D1, calendar=nyse, **TEN_YEARS)

    returns = np.diff(np.log(bars["close"].to_numpy()))
    squared = (returns - returns.mean()) ** 2
    excess_kurtosis = pd.Series(returns).kurt()
    lag_one = np.corrcoef(squared[:-1], squared[1:])[0, 1]
    annual_volatility = returns.std() * np.sqrt(252)
    assert len(bars) > 2500
    assert excess_kurtosis > 1
    assert lag_one > 0.05
    assert 0.1 < annual_volatility < 0.5


def test_generate_bars_volume_rises_with_absolute_returns(nyse):
    bars = generate_bars(seed=4, timeframe=Timeframe.D1, calendar=nyse, **TEN_YEARS)

    moves = np.abs(np.log(bars["close"] / bars["open"]))
    correlation = np.corrcoef(moves, np.log(bars["volume"]))[0, 1]

    assert correlation > 0.2


def test_generate_bars_sessions_open_with_overnight_gap(nyse):
    bars = generate_bars(seed=5, timeframe=Timeframe.H1, calendar=nyse, **ONE_MONTH)

    opens = bars["open"].to_numpy()[1:]
    previous_closes = bars["close"].to_numpy()[:-1]
    first_of_day = pd.DatetimeIndex(bars.index).tz_convert("America/New_York").strftime("%H:%M")[1:]
    gapped = opens != previous_closes

    assert gapped[first_of_day == "09:30"].all()
    assert not gapped[first_of_day != "09:30"].any()


def test_generate_bars_without_calendar_trades_every_day_from_midnight_utc():
    bars = generate_bars(seed=6, timeframe=Timeframe.H4, calendar=None, **ONE_MONTH)

    hours = pd.DatetimeIndex(bars.index).hour
    assert len(bars) == 31 * 6
    assert set(hours) == {0, 4, 8, 12, 16, 20}
    np.testing.assert_array_equal(bars["open"].to_numpy()[1:], bars["close"].to_numpy()[:-1])


def test_generate_bars_weekly_labels_are_sessions(nyse):
    bars = generate_bars(seed=7, timeframe=Timeframe.W1, calendar=nyse, **TEN_YEARS)

    sessions = session_labels(nyse, TEN_YEARS["start"], TEN_YEARS["end"])
    assert set(bars.index) <= set(sessions)
    assert bars.index[0] == pd.Timestamp("2015-01-05", tz="UTC")  # week of Dec 29 left out
    assert 515 < len(bars) < 525
    assert bars.attrs["synthetic"] is True


def test_generate_bars_range_without_sessions_returns_empty_frame(nyse):
    bars = generate_bars(
        seed=1, timeframe=Timeframe.D1, calendar=nyse,
        start=pd.Timestamp("2024-03-09"), end=pd.Timestamp("2024-03-10"),
    )  # fmt: skip

    assert len(bars) == 0
    check_bars(bars, allow_empty=True)


@pytest.mark.parametrize(
    "arguments",
    [
        {"start": pd.Timestamp("2024-02-01"), "end": pd.Timestamp("2024-01-01")},
        {**ONE_MONTH, "start_price": 0.0},
        {**ONE_MONTH, "annual_volatility": -0.1},
    ],
    ids=["start-after-end", "zero-price", "negative-volatility"],
)
def test_generate_bars_invalid_arguments_raise_config_error(arguments):
    with pytest.raises(ConfigError):
        generate_bars(seed=1, timeframe=Timeframe.D1, calendar=None, **arguments)


def test_seed_for_is_crc32_of_code():
    seed = seed_for("AAPL")

    assert seed == zlib.crc32(b"AAPL") == 3060094812
    assert seed_for("0700.HK") != seed
