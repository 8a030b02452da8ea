import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from vibetrading.domain.data import Timeframe, clean_bars
from vibetrading.domain.trading import get_calendar
from vibetrading.testing import make_bars


def test_clean_bars_clean_input_unchanged_and_report_clean():
    bars = make_bars(20)

    cleaned, report = clean_bars(bars)

    pd.testing.assert_frame_equal(cleaned, bars, check_freq=False)
    assert report.is_clean
    assert report.lines() == []


def test_clean_bars_each_defect_repaired_or_dropped_and_reported():
    bars = make_bars(10)
    # unsorted, and a duplicate timestamp whose later row (in file order) wins
    dirty = pd.concat([bars.iloc[5:], bars.iloc[:5], bars.iloc[[3]] * 1.01])
    dirty.loc[bars.index[1], "close"] = np.nan
    dirty.loc[bars.index[2], "open"] = np.nan
    dirty.loc[bars.index[4], "low"] = -1.0
    dirty.loc[bars.index[5], "high"] = dirty.loc[bars.index[5], "low"] - 1
    dirty.loc[bars.index[6], "volume"] = np.nan

    cleaned, report = clean_bars(dirty)

    assert report.was_unsorted
    assert report.duplicates_dropped == 1
    assert report.missing_prices_dropped == 1
    assert report.missing_prices_filled == 1
    assert report.non_positive_dropped == 1
    assert report.high_low_repaired >= 1
    assert report.missing_volume_filled == 1
    assert report.rows_out == 8
    assert cleaned.loc[bars.index[3], "close"] == pytest.approx(bars["close"].iloc[3] * 1.01)
    assert len(report.lines()) == 7


def test_clean_bars_daily_outside_sessions_dropped():
    index = pd.DatetimeIndex(["2024-12-24", "2024-12-25", "2024-12-26", "2024-12-28"], tz="UTC")
    bars = make_bars(4)
    bars.index = index

    cleaned, report = clean_bars(bars, calendar=get_calendar("XNYS"))

    assert list(cleaned.index.strftime("%Y-%m-%d")) == ["2024-12-24", "2024-12-26"]
    assert report.outside_sessions_dropped == 2


def test_clean_bars_intraday_lunch_break_bars_dropped():
    index = pd.DatetimeIndex(
        ["2024-03-04 03:59", "2024-03-04 04:30", "2024-03-04 05:00"], tz="UTC"
    )  # Hong Kong 11:59, 12:30 (lunch), 13:00
    bars = make_bars(3)
    bars.index = index

    cleaned, report = clean_bars(bars, timeframe=Timeframe.M1, calendar=get_calendar("XHKG"))

    assert len(cleaned) == 2
    assert report.outside_sessions_dropped == 1
    assert "outside the market's sessions" in report.lines()[0]


prices = hnp.arrays(
    np.float64,
    st.integers(1, 40),
    elements=st.one_of(st.floats(-10, 1e6), st.just(np.nan)),
)


@settings(max_examples=60, deadline=None)
@given(close=prices, seed=st.integers(0, 1000))
def test_clean_bars_output_always_satisfies_contract(close, seed):
    rng = np.random.default_rng(seed)
    n = len(close)
    frame = pd.DataFrame(
        {
            "open": close * rng.uniform(0.9, 1.1, n),
            "high": close * rng.uniform(0.9, 1.2, n),
            "low": close * rng.uniform(0.8, 1.1, n),
            "close": close,
            "volume": rng.uniform(-10, 100, n),
        },
        index=pd.DatetimeIndex(rng.choice(pd.date_range("2020-01-01", periods=60, freq="D"), n)),
    )

    cleaned, report = clean_bars(frame)

    assert cleaned.index.is_monotonic_increasing
    assert cleaned.index.is_unique
    assert (cleaned[["open", "high", "low", "close"]] > 0).all().all()
    assert (cleaned["high"] >= cleaned[["open", "close"]].max(axis=1)).all()
    assert (cleaned["low"] <= cleaned[["open", "close"]].min(axis=1)).all()
    assert (cleaned["volume"] >= 0).all()
    assert report.rows_out == len(cleaned) <= report.rows_in
