"""Trading sessions from exchange calendars, as fast numpy arrays.

A session may hold a lunch break (Hong Kong, Shanghai, Shenzhen); each continuous trading
stretch is a *segment*. No bar may span two segments.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["in_session_mask", "session_labels", "session_segments", "to_session_labels"]

NS_PER_DAY = 86_400_000_000_000


def _schedule(calendar: Any, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    first = max(start.tz_localize(None).normalize(), calendar.first_session)
    last = min(end.tz_localize(None).normalize(), calendar.last_session)
    if first > last:
        return calendar.schedule.iloc[0:0]
    return calendar.schedule.loc[first:last]


def session_labels(calendar: Any, start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Return the session dates between `start` and `end` as 00:00 UTC timestamps."""
    labels = pd.DatetimeIndex(_schedule(calendar, _utc(start), _utc(end)).index)
    return labels.tz_localize("UTC").as_unit("ns")


def session_segments(
    calendar: Any, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return (segment starts, segment ends, session label) in UTC nanoseconds, sorted.

    Sessions are taken from the day before `start` to the day after `end`, so that bars
    near the edges always find their segment.
    """
    pad = pd.Timedelta(days=1)
    schedule = _schedule(calendar, _utc(start) - pad, _utc(end) + pad)
    opens = _ns(schedule["open"])
    closes = _ns(schedule["close"])
    labels = pd.DatetimeIndex(schedule.index).tz_localize("UTC").as_unit("ns").asi8
    has_break = "break_start" in schedule and schedule["break_start"].notna().to_numpy()
    if not np.any(has_break):
        return opens, closes, labels
    break_starts = _ns(schedule["break_start"])
    break_ends = _ns(schedule["break_end"])
    starts = np.concatenate([opens, break_ends[has_break]])
    ends = np.concatenate([np.where(has_break, break_starts, closes), closes[has_break]])
    session = np.concatenate([labels, labels[has_break]])
    order = np.argsort(starts, kind="stable")
    return starts[order], ends[order], session[order]


def in_session_mask(
    index: pd.DatetimeIndex, calendar: Any, *, bar_ns: int = 0
) -> npt.NDArray[np.bool_]:
    """Return True for each intraday bar that opens inside a trading segment."""
    if len(index) == 0:
        return np.zeros(0, dtype=np.bool_)
    starts, ends, _ = session_segments(calendar, index[0], index[-1])
    stamps = _utc_index(index).asi8
    position = np.searchsorted(starts, stamps, side="right") - 1
    valid = position >= 0
    safe = np.clip(position, 0, None)
    if len(starts) == 0:
        return np.zeros(len(index), dtype=np.bool_)
    inside = (stamps >= starts[safe]) & (stamps < ends[safe]) & (stamps + bar_ns <= ends[safe])
    result: npt.NDArray[np.bool_] = valid & inside
    return result


def to_session_labels(index: pd.DatetimeIndex, calendar: Any) -> npt.NDArray[np.int64]:
    """Map intraday bar timestamps to their session label (00:00 UTC, nanoseconds); -1 outside."""
    if len(index) == 0:
        return np.zeros(0, dtype=np.int64)
    starts, ends, labels = session_segments(calendar, index[0], index[-1])
    stamps = _utc_index(index).asi8
    position = np.searchsorted(starts, stamps, side="right") - 1
    safe = np.clip(position, 0, None)
    inside = (position >= 0) & (stamps < ends[safe]) if len(starts) else np.zeros(len(stamps), bool)
    result: npt.NDArray[np.int64] = np.where(inside, labels[safe] if len(starts) else -1, -1)
    return result.astype(np.int64)


def _utc(value: pd.Timestamp) -> pd.Timestamp:
    return value.tz_localize("UTC") if value.tzinfo is None else value.tz_convert("UTC")


def _utc_index(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    utc = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return utc.as_unit("ns")


def _ns(column: pd.Series) -> npt.NDArray[np.int64]:
    stamps: npt.NDArray[np.int64] = pd.DatetimeIndex(column).tz_convert("UTC").as_unit("ns").asi8
    return stamps.copy()
