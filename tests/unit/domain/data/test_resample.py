import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vibetrading.domain.data.bars import Timeframe
from vibetrading.domain.data.resample import infer_timeframe, resample_bars
from vibetrading.domain.data.sessions import session_labels, session_segments, to_session_labels
from vibetrading.errors import ConfigError, DataError


def _local_times(frame: pd.DataFrame, timezone: str) -> list[str]:
    return list(pd.DatetimeIndex(frame.index).tz_convert(timezone).strftime("%H:%M"))


def _bars(stamps: list[str], rows: list[tuple[float, float, float, float, float]]) -> pd.DataFrame:
    index = pd.DatetimeIndex(stamps, tz="UTC", name="timestamp").as_unit("ns")
    return pd.DataFrame(rows, index=index, columns=["open", "high", "low", "close", "volume"])


def test_resample_bars_nyse_minutes_to_hourly_bins_start_at_half_past(nyse, make_minute_bars):
    minutes = make_minute_bars(nyse, "2024-03-04", "2024-03-04", unit_volume=True)

    hourly = resample_bars(minutes, Timeframe.H1, calendar=nyse)

    assert _local_times(hourly, "America/New_York") == [
        "09:30", "10:30", "11:30", "12:30", "13:30", "14:30", "15:30",
    ]  # fmt: skip
    assert hourly["volume"].tolist() == [60.0] * 6 + [30.0]
    assert hourly["close"].iloc[-1] == minutes["close"].iloc[-1]
    assert hourly["open"].iloc[-1] == minutes.loc["2024-03-04 20:30", "open"]


def test_resample_bars_nyse_half_day_last_bin_ends_at_early_close(nyse, make_minute_bars):
    minutes = make_minute_bars(nyse, "2024-11-29", "2024-11-29", unit_volume=True)

    hourly = resample_bars(minutes, Timeframe.H1, calendar=nyse)

    assert _local_times(hourly, "America/New_York") == ["09:30", "10:30", "11:30", "12:30"]
    assert hourly["volume"].tolist() == [60.0, 60.0, 60.0, 30.0]


def test_resample_bars_hong_kong_hourly_never_spans_lunch(hkex, make_minute_bars):
    minutes = make_minute_bars(hkex, "2024-03-04", "2024-03-08", unit_volume=True)

    hourly = resample_bars(minutes, Timeframe.H1, calendar=hkex)

    local = _local_times(hourly, "Asia/Hong_Kong")
    assert set(local) == {"09:30", "10:30", "11:30", "13:00", "14:00", "15:00"}
    before_lunch = hourly[[t == "11:30" for t in local]]
    assert before_lunch["volume"].tolist() == [30.0] * 5  # 11:30 to 12:00 only
    assert len(hourly) == 5 * 6


def test_resample_bars_hong_kong_four_hours_split_at_lunch(hkex, make_minute_bars):
    minutes = make_minute_bars(hkex, "2024-03-04", "2024-03-05", unit_volume=True)

    bars = resample_bars(minutes, Timeframe.H4, calendar=hkex)

    assert _local_times(bars, "Asia/Hong_Kong") == ["09:30", "13:00"] * 2
    assert bars["volume"].tolist() == [150.0, 180.0] * 2


def test_resample_bars_intraday_to_daily_equals_groupby_session(hkex, make_minute_bars):
    minutes = make_minute_bars(hkex, "2024-01-29", "2024-02-16", seed=3)
    labels = to_session_labels(pd.DatetimeIndex(minutes.index), hkex)
    grouped = minutes.groupby(pd.DatetimeIndex(labels, tz="UTC", name="timestamp")).agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )

    daily = resample_bars(minutes, Timeframe.D1, calendar=hkex)

    pd.testing.assert_frame_equal(daily, grouped, check_freq=False)
    assert set(daily.index) <= set(session_labels(hkex, daily.index[0], daily.index[-1]))


def test_resample_bars_weekly_labels_are_first_session_of_week(nyse):
    sessions = session_labels(nyse, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"))
    daily = _bars(list(sessions.astype(str)), [(1.0, 2.0, 0.5, 1.5, 10.0)] * len(sessions))

    weekly = resample_bars(daily, Timeframe.W1, calendar=nyse)

    iso = sessions.isocalendar()
    expected = pd.Series(sessions, index=sessions).groupby([iso.year, iso.week]).min()
    assert list(weekly.index) == list(expected)
    assert pd.Timestamp("2024-01-16", tz="UTC") in weekly.index  # Martin Luther King day
    assert weekly["volume"].sum() == daily["volume"].sum()


def test_resample_bars_monthly_labels_are_first_session_of_month(nyse, make_minute_bars):
    minutes = make_minute_bars(nyse, "2024-08-26", "2024-10-04", keep_fraction=0.2)  # from Aug 26

    monthly = resample_bars(minutes, Timeframe.MN1, calendar=nyse)

    # labelled by the calendar's first session of each month, September 2 is Labor Day
    assert list(monthly.index.strftime("%Y-%m-%d")) == ["2024-08-01", "2024-09-03", "2024-10-01"]


def test_resample_bars_weekly_label_is_week_first_session_even_without_its_bars(nyse):
    daily = _bars(["2024-03-06", "2024-03-07", "2024-03-11"], [(1.0, 2.0, 0.5, 1.5, 1.0)] * 3)

    weekly = resample_bars(daily, Timeframe.W1, calendar=nyse)

    assert list(weekly.index.strftime("%Y-%m-%d")) == ["2024-03-04", "2024-03-11"]


def test_resample_bars_hand_example_aggregates_ohlcv():
    minutes = _bars(
        ["2024-01-01 00:00", "2024-01-01 00:01", "2024-01-01 00:04", "2024-01-01 00:05"],
        [
            (10.0, 11.0, 9.0, 10.5, 100.0),
            (10.5, 12.0, 10.0, 11.0, 50.0),
            (11.0, 11.5, 8.0, 9.0, 25.0),
            (9.0, 9.5, 8.5, 9.2, 7.0),
        ],
    )

    bars = resample_bars(minutes, Timeframe.M5, calendar=None)

    expected = _bars(
        ["2024-01-01 00:00", "2024-01-01 00:05"],
        [(10.0, 12.0, 8.0, 9.0, 175.0), (9.0, 9.5, 8.5, 9.2, 7.0)],
    )
    pd.testing.assert_frame_equal(bars, expected)


def test_resample_bars_without_calendar_uses_utc_bins_and_first_bar_labels():
    stamps = ["2024-01-02 23:30", "2024-01-03 00:30", "2024-01-10 12:00", "2024-02-02 07:00"]
    minutes = _bars(stamps, [(1.0, 1.0, 1.0, 1.0, 1.0)] * 4)

    daily = resample_bars(minutes, Timeframe.D1, calendar=None)
    weekly = resample_bars(minutes, Timeframe.W1, calendar=None)
    monthly = resample_bars(minutes, Timeframe.MN1, calendar=None)

    assert list(daily.index.strftime("%m-%d")) == ["01-02", "01-03", "01-10", "02-02"]
    assert list(weekly.index.strftime("%m-%d")) == ["01-02", "01-10", "02-02"]
    assert list(monthly.index.strftime("%m-%d")) == ["01-02", "02-02"]


def test_resample_bars_always_open_calendar_aligns_to_midnight_utc(always_open):
    minutes = _bars(
        ["2024-01-06 03:59", "2024-01-06 04:00", "2024-01-06 07:59"],
        [(1.0, 1.0, 1.0, 1.0, 1.0)] * 3,
    )

    bars = resample_bars(minutes, Timeframe.H4, calendar=always_open)

    assert list(bars.index.strftime("%H:%M")) == ["00:00", "04:00"]
    assert bars["volume"].tolist() == [1.0, 2.0]


def test_resample_bars_outside_sessions_dropped(nyse):
    minutes = _bars(
        ["2024-03-04 14:00", "2024-03-04 14:30", "2024-03-04 21:05"],
        [(1.0, 1.0, 1.0, 1.0, 1.0)] * 3,
    )

    hourly = resample_bars(minutes, Timeframe.H1, calendar=nyse)

    assert list(hourly.index.strftime("%H:%M")) == ["14:30"]
    assert hourly["volume"].tolist() == [1.0]


@pytest.mark.parametrize(
    ("source", "target"),
    [("1d", "1h"), ("1h", "5m"), ("1w", "1d")],
    ids=["daily-to-hourly", "hourly-to-5m", "weekly-to-daily"],
)
def test_resample_bars_finer_timeframe_raises_config_error(nyse, make_minute_bars, source, target):
    minutes = make_minute_bars(nyse, "2024-01-02", "2024-03-29")
    bars = resample_bars(minutes, Timeframe(source), calendar=nyse)

    with pytest.raises(ConfigError, match="finer"):
        resample_bars(bars, Timeframe(target), calendar=nyse)


def test_resample_bars_same_timeframe_returns_input(nyse, make_minute_bars):
    hourly = resample_bars(
        make_minute_bars(nyse, "2024-03-04", "2024-03-08"), Timeframe.H1, calendar=nyse
    )

    again = resample_bars(hourly, Timeframe.H1, calendar=nyse)

    assert again is hourly


def test_resample_bars_keeps_attrs_and_updates_timeframe(nyse, make_minute_bars):
    minutes = make_minute_bars(nyse, "2024-03-04", "2024-03-04")
    minutes.attrs.update({"symbol": "AAPL", "timeframe": "1m"})

    hourly = resample_bars(minutes, Timeframe.H1, calendar=nyse)

    assert hourly.attrs == {"symbol": "AAPL", "timeframe": "1h"}
    assert minutes.attrs["timeframe"] == "1m"


def test_resample_bars_empty_input_returns_empty_bars(nyse):
    empty = _bars([], [])

    out = resample_bars(empty, Timeframe.D1, calendar=nyse)

    assert len(out) == 0
    assert list(out.columns) == ["open", "high", "low", "close", "volume"]


def test_resample_bars_unsorted_input_raises_data_error():
    bars = _bars(["2024-01-01 00:05", "2024-01-01 00:00"], [(1.0, 1.0, 1.0, 1.0, 1.0)] * 2)

    with pytest.raises(DataError, match="sorted"):
        resample_bars(bars, Timeframe.H1, calendar=None)


@pytest.mark.parametrize(
    ("stamps", "expected"),
    [
        (pd.date_range("2024-01-01", periods=50, freq="1min", tz="UTC"), Timeframe.M1),
        (pd.date_range("2024-01-01", periods=50, freq="5min", tz="UTC"), Timeframe.M5),
        (pd.bdate_range("2024-01-01", periods=60, tz="UTC"), Timeframe.D1),
        (pd.date_range("2024-01-01", periods=30, freq="W-MON", tz="UTC"), Timeframe.W1),
        (pd.date_range("2020-01-01", periods=30, freq="MS", tz="UTC"), Timeframe.MN1),
    ],
    ids=["1m", "5m", "business-days", "weekly", "monthly"],
)
def test_infer_timeframe_regular_spacing_matches(stamps, expected):
    assert infer_timeframe(stamps) is expected


@pytest.mark.parametrize(
    ("target", "calendar_name"),
    [(Timeframe.H1, "nyse"), (Timeframe.H4, "nyse"), (Timeframe.H4, "hkex")],
    ids=["nyse-1h", "nyse-4h", "hkex-4h"],
)
def test_infer_timeframe_session_bars_ignore_nights(
    request, make_minute_bars, target, calendar_name
):
    calendar = request.getfixturevalue(calendar_name)
    bars = resample_bars(
        make_minute_bars(calendar, "2024-03-04", "2024-03-29"), target, calendar=calendar
    )

    assert infer_timeframe(pd.DatetimeIndex(bars.index)) is target


def test_infer_timeframe_single_bar_raises_data_error():
    with pytest.raises(DataError):
        infer_timeframe(pd.DatetimeIndex(["2024-01-01"], tz="UTC"))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # the fixtures are read-only
)
@given(
    calendar_name=st.sampled_from(["nyse", "hkex"]),
    first_day=st.integers(min_value=0, max_value=200),
    days=st.integers(min_value=1, max_value=6),
    keep_fraction=st.floats(min_value=0.05, max_value=1.0),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_resample_bars_random_session_minutes_keep_invariants(
    request, make_minute_bars, calendar_name, first_day, days, keep_fraction, seed
):
    calendar = request.getfixturevalue(calendar_name)
    start = pd.Timestamp("2023-01-02") + pd.Timedelta(days=first_day)
    full = make_minute_bars(
        calendar, str(start.date()), str((start + pd.Timedelta(days=days)).date()), seed=seed
    )
    assume(len(full) >= 2)
    rng = np.random.default_rng(seed)
    keep = rng.random(len(full)) < keep_fraction
    keep[rng.integers(0, len(full) - 1) + np.arange(2)] = True  # at least two adjacent minutes
    minutes = full[keep]

    hourly = resample_bars(minutes, Timeframe.H1, calendar=calendar)
    via_five = resample_bars(
        resample_bars(minutes, Timeframe.M5, calendar=calendar), Timeframe.H1, calendar=calendar
    )

    assert hourly["volume"].sum() == minutes["volume"].sum()
    assert (hourly["high"] >= hourly[["open", "close"]].max(axis=1)).all()
    assert (hourly["low"] <= hourly[["open", "close"]].min(axis=1)).all()
    stamps = pd.DatetimeIndex(hourly.index).asi8
    starts, ends, _ = session_segments(calendar, hourly.index[0], hourly.index[-1])
    segment = np.searchsorted(starts, stamps, side="right") - 1
    assert ((stamps - starts[segment]) % Timeframe.H1.offset.value == 0).all()
    assert (stamps < ends[segment]).all()
    pd.testing.assert_frame_equal(via_five, hourly)
