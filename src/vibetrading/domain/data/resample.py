"""Turn finer bars into coarser ones, respecting trading sessions.

Intraday bins start at each trading segment's open (NYSE hours at 09:30, 10:30, ...,
15:30; Hong Kong hours at 09:30, 10:30, 11:30, 13:00, ...), so no bar spans a lunch
break, a night, a weekend or a holiday. Daily bars are grouped by session; weekly bars
by ISO week and monthly bars by calendar month of the session, each labelled by the
first session date in the period. Everything is computed on integer nanoseconds with
numpy: bins are contiguous in sorted data, so ``ufunc.reduceat`` aggregates them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from vibetrading.domain.data.bars import BAR_COLUMNS, Timeframe, empty_bars
from vibetrading.domain.data.sessions import NS_PER_DAY, session_labels, session_segments
from vibetrading.errors import ConfigError, DataError

__all__ = ["infer_timeframe", "resample_bars"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_RANK = {timeframe: rank for rank, timeframe in enumerate(Timeframe)}
_NOMINAL_NS = {
    Timeframe.M1: 60e9,
    Timeframe.M5: 300e9,
    Timeframe.M15: 900e9,
    Timeframe.H1: 3_600e9,
    Timeframe.H4: 14_400e9,
    Timeframe.D1: float(NS_PER_DAY),
    Timeframe.W1: 7.0 * NS_PER_DAY,
    Timeframe.MN1: 30.436875 * NS_PER_DAY,
}
# Spacings shorter than this are taken as within one session (a night is longer).
_INTRADAY_GAP_NS = 18 * 3_600_000_000_000
# 1970-01-01 was a Thursday; ISO weeks start on Monday 1970-01-05, day 4 of the epoch.
_EPOCH_MONDAY_DAYS = 4
_CONTINUOUS_CALENDARS = {"24/7", "ALWAYS_OPEN"}


def infer_timeframe(index: pd.DatetimeIndex) -> Timeframe:
    """Return the timeframe whose bar length is closest to the typical spacing of `index`.

    The spacing is the median gap between consecutive timestamps. When at least a quarter
    of the gaps are shorter than 18 hours, only those are used, so that nights, weekends
    and lunch breaks do not hide the bar length of intraday data (Hong Kong 4h bars,
    3.5 hours apart within a session, are ``4h``). Daily data with weekends is ``1d``,
    spacings near 7 days are ``1w`` and 28 to 31 days ``1M``. The closest timeframe is
    taken on a logarithmic scale. Raises DataError for fewer than two distinct, sorted
    timestamps.
    """
    return _infer_from_gaps(_gaps(_utc_ns(index)))


def resample_bars(
    bars: pd.DataFrame, timeframe: Timeframe, *, calendar: Any | None
) -> pd.DataFrame:
    """Aggregate `bars` into coarser `timeframe` bars, respecting the calendar's sessions.

    Each output bar takes the first open, the highest high, the lowest low, the last
    close and the summed volume of the input bars in its bin; empty bins are not emitted,
    NaN values propagate and columns other than OHLCV are dropped. With an
    exchange-calendars `calendar`:

    * intraday bins are aligned to each trading segment's start and end at the segment's
      end, so the last bar of a segment may be shorter (NYSE ``1h``: 09:30, ..., 15:30 to
      16:00; Hong Kong ``1h``: 09:30, 10:30, 11:30 to 12:00, 13:00, 14:00, 15:00);
    * ``1d`` bars group by session and are labelled at the session date 00:00 UTC;
    * ``1w`` bars group sessions by ISO week and ``1M`` by calendar month, labelled by the
      first session date of that week or month in the calendar;
    * intraday input bars that open outside every trading segment are dropped, and so are
      daily input bars not labelled on a session date.

    With `calendar` None or a 24/7 calendar, bins are plain UTC: intraday bins aligned to
    midnight UTC, ``1d`` by UTC date, ``1w`` and ``1M`` labelled by the date of their
    first bar in the ISO week or month.

    The input timeframe is inferred with :func:`infer_timeframe`. Asking for the same
    timeframe returns `bars` itself when every bar already sits alone at the start of its
    bin (otherwise the bars are re-binned). Asking for a finer one raises ConfigError,
    unless some bars are closer together than the target length (sparse data, such as
    an illiquid minute series whose median spacing looks like 5m, is binned as usual).
    Input timestamps must be sorted and unique (DataError otherwise). ``bars.attrs`` are
    kept; an existing ``timeframe`` entry is updated.

    Example::

        hourly = resample_bars(minute_bars, Timeframe.H1, calendar=get_calendar("XNYS"))
    """
    timeframe = Timeframe.parse(timeframe)
    if len(bars) == 0:
        return _with_attrs(empty_bars(), bars.attrs, timeframe)
    stamps = _utc_ns(pd.DatetimeIndex(bars.index))
    gaps = _gaps(stamps, allow_single=True)
    source = _infer_from_gaps(gaps) if gaps.size else None
    if source is not None and _is_finer(timeframe, source, gaps):
        raise ConfigError(
            f"Cannot resample {source.value} bars into finer {timeframe.value} bars; "
            f"ask for {source.value} or a coarser timeframe."
        )
    keep, group_starts, labels = _bins(stamps, timeframe, calendar, source)
    if source is timeframe and keep is None and _is_identity(stamps, labels):
        return bars
    out = _aggregate(bars, keep, group_starts, labels)
    return _with_attrs(out, bars.attrs, timeframe)


def _bins(
    stamps: IntArray, timeframe: Timeframe, calendar: Any | None, source: Timeframe | None
) -> tuple[npt.NDArray[np.bool_] | None, IntArray, IntArray]:
    if calendar is None or getattr(calendar, "name", None) in _CONTINUOUS_CALENDARS:
        if timeframe.is_intraday:
            bar_ns = timeframe.offset.value
            return None, *_change_groups((stamps // bar_ns) * bar_ns)
        return None, *_period_groups((stamps // NS_PER_DAY) * NS_PER_DAY, timeframe, None)
    is_intraday_input = source.is_intraday if source else bool(stamps[0] % NS_PER_DAY)
    if not is_intraday_input:
        # daily input is filtered to session dates; weekly input is taken as it comes
        days = (stamps // NS_PER_DAY) * NS_PER_DAY
        keep = _on_sessions(days, calendar) if source in (Timeframe.D1, None) else None
        return keep, *_period_groups(days if keep is None else days[keep], timeframe, calendar)
    keep, segment_starts, session = _locate(stamps, calendar)
    inside = stamps if keep is None else stamps[keep]
    if timeframe.is_intraday:
        bar_ns = timeframe.offset.value
        bins = segment_starts + ((inside - segment_starts) // bar_ns) * bar_ns
        return keep, *_change_groups(bins)
    return keep, *_period_groups(session, timeframe, calendar)


def _locate(
    stamps: IntArray, calendar: Any
) -> tuple[npt.NDArray[np.bool_] | None, IntArray, IntArray]:
    first, last = pd.Timestamp(stamps[0], tz="UTC"), pd.Timestamp(stamps[-1], tz="UTC")
    starts, ends, labels = session_segments(calendar, first, last)
    if len(starts) == 0:
        return np.zeros(len(stamps), dtype=np.bool_), starts, labels
    position = np.searchsorted(starts, stamps, side="right") - 1
    safe = np.maximum(position, 0)
    inside = (position >= 0) & (stamps < ends[safe])
    if inside.all():
        return None, starts[position], labels[position]
    safe = safe[inside]
    return inside, starts[safe], labels[safe]


def _on_sessions(days: IntArray, calendar: Any) -> npt.NDArray[np.bool_] | None:
    first, last = pd.Timestamp(days[0], tz="UTC"), pd.Timestamp(days[-1], tz="UTC")
    inside = np.isin(days, session_labels(calendar, first, last).asi8)
    return None if inside.all() else inside


def _change_groups(keys: IntArray) -> tuple[IntArray, IntArray]:
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.concatenate(([0], np.flatnonzero(keys[1:] != keys[:-1]) + 1)).astype(np.int64)
    return starts, keys[starts]


def _period_groups(
    days: IntArray, timeframe: Timeframe, calendar: Any | None
) -> tuple[IntArray, IntArray]:
    day_starts, day_labels = _change_groups(days)
    if timeframe is Timeframe.D1 or len(day_labels) == 0:
        return day_starts, day_labels
    keys = _period_keys(day_labels, timeframe)
    period_starts, period_keys = _change_groups(keys)
    labels = day_labels[period_starts]
    if calendar is not None:
        labels = _first_sessions(period_keys, labels, timeframe, calendar)
    return day_starts[period_starts], labels


def _period_keys(days: IntArray, timeframe: Timeframe) -> IntArray:
    if timeframe is Timeframe.W1:
        return (days // NS_PER_DAY - _EPOCH_MONDAY_DAYS) // 7
    return days.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)


def _first_sessions(
    keys: IntArray, fallback: IntArray, timeframe: Timeframe, calendar: Any
) -> IntArray:
    first = pd.Timestamp(fallback[0], tz="UTC") - pd.Timedelta(days=31)
    sessions = session_labels(calendar, first, pd.Timestamp(fallback[-1], tz="UTC")).asi8
    if len(sessions) == 0:
        return fallback
    session_starts, session_keys = _change_groups(_period_keys(sessions, timeframe))
    position = np.clip(np.searchsorted(session_keys, keys), 0, len(session_keys) - 1)
    found = session_keys[position] == keys
    return np.where(found, sessions[session_starts][position], fallback)


def _aggregate(
    bars: pd.DataFrame,
    keep: npt.NDArray[np.bool_] | None,
    group_starts: IntArray,
    labels: IntArray,
) -> pd.DataFrame:
    columns = {c: bars[c].to_numpy(dtype=np.float64) for c in BAR_COLUMNS}
    if keep is not None:
        columns = {c: values[keep] for c, values in columns.items()}
    if len(group_starts) == 0:
        return empty_bars()
    group_ends = np.append(group_starts[1:], len(columns["close"])) - 1
    data: dict[str, FloatArray] = {
        "open": columns["open"][group_starts],
        "high": np.maximum.reduceat(columns["high"], group_starts),
        "low": np.minimum.reduceat(columns["low"], group_starts),
        "close": columns["close"][group_ends],
        "volume": np.add.reduceat(columns["volume"], group_starts),
    }
    index = pd.DatetimeIndex(labels.astype("datetime64[ns]"), name="timestamp")
    return pd.DataFrame(data, index=index.tz_localize("UTC"))


def _is_finer(timeframe: Timeframe, source: Timeframe, gaps: IntArray) -> bool:
    # Sparse data (an illiquid minute series) can look coarser than it is: it is only
    # refused when no two of its bars are closer than a target bar length.
    return _RANK[timeframe] < _RANK[source] and gaps.min() >= _NOMINAL_NS[timeframe]


def _is_identity(stamps: IntArray, labels: IntArray) -> bool:
    return len(labels) == len(stamps) and bool(np.array_equal(labels, stamps))


def _with_attrs(frame: pd.DataFrame, attrs: dict[Any, Any], timeframe: Timeframe) -> pd.DataFrame:
    frame.attrs.update(attrs)
    if "timeframe" in frame.attrs:
        frame.attrs["timeframe"] = timeframe.value
    return frame


def _gaps(stamps: IntArray, *, allow_single: bool = False) -> IntArray:
    if len(stamps) < 2 and not allow_single:
        raise DataError("Need at least two bar timestamps to infer a timeframe.")
    gaps = np.diff(stamps)
    if gaps.size and gaps.min() <= 0:
        raise DataError("Bar timestamps must be sorted in increasing order and unique.")
    return gaps


def _infer_from_gaps(gaps: IntArray) -> Timeframe:
    short = gaps[gaps < _INTRADAY_GAP_NS]
    spacing = float(np.median(short if short.size * 4 >= gaps.size else gaps))
    return min(Timeframe, key=lambda tf: abs(math.log(spacing / _NOMINAL_NS[tf])))


def _utc_ns(index: pd.DatetimeIndex) -> IntArray:
    utc = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return np.asarray(utc.as_unit("ns").asi8, dtype=np.int64)
