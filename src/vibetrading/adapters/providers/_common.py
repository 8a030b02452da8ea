"""Small pieces the online providers share: bar labels and network error causes."""

from __future__ import annotations

from typing import overload

import pandas as pd

from vibetrading.domain.data import Timeframe
from vibetrading.domain.trading import Symbol

__all__ = ["network_cause", "period_start", "session_labels", "short_error", "utc"]


def utc(value: pd.Timestamp | None) -> pd.Timestamp | None:
    """Return `value` as a UTC timestamp (naive values are taken as UTC)."""
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


@overload
def period_start(value: None, timeframe: Timeframe) -> None: ...
@overload
def period_start(value: pd.Timestamp, timeframe: Timeframe) -> pd.Timestamp: ...
def period_start(value: pd.Timestamp | None, timeframe: Timeframe) -> pd.Timestamp | None:
    """Return the start of the day, ISO week or month holding `value` (intraday: unchanged)."""
    if value is None or timeframe.is_intraday:
        return value
    day = value.normalize()
    if timeframe is Timeframe.W1:
        return day - pd.Timedelta(days=day.day_of_week)
    return day.replace(day=1) if timeframe is Timeframe.MN1 else day


def session_labels(
    days: pd.DatetimeIndex,
    timeframe: Timeframe,
    symbol: Symbol,
    *,
    is_week_from_sunday: bool = False,
) -> pd.DatetimeIndex:
    """Label daily, weekly and monthly bars the way ``resample_bars`` does, in UTC.

    Daily bars keep their date; weekly and monthly bars get the first session of their
    ISO week or calendar month (the period start outside the calendar's range). With
    `is_week_from_sunday`, a Sunday counts with the week that follows (Polygon's weeks).
    """
    if timeframe is Timeframe.D1 or len(days) == 0:
        return days.tz_localize("UTC")
    if timeframe is Timeframe.W1 and is_week_from_sunday:
        days = days + pd.to_timedelta((days.day_of_week == 6).astype(int), unit="D")
    freq = "W-SUN" if timeframe is Timeframe.W1 else "M"
    periods = days.to_period(freq)
    labels = periods.start_time.normalize().as_unit("ns")
    sessions = _sessions(symbol, labels.min(), periods.end_time.max().normalize())
    if len(sessions) > 0:
        first = pd.Series(sessions, index=sessions.to_period(freq)).groupby(level=0).min()
        found = pd.DatetimeIndex(first.reindex(periods).to_numpy()).as_unit("ns")
        labels = found.where(found.notna(), labels)
    return labels.tz_localize("UTC")


def _sessions(symbol: Symbol, first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    calendar = symbol.calendar
    first = max(first, calendar.first_session)
    last = min(last, calendar.last_session)
    if first > last:
        return pd.DatetimeIndex([])
    return pd.DatetimeIndex(calendar.sessions_in_range(first, last))


def network_cause(error: BaseException) -> str:
    """Return a short human cause for a network failure, read from the exception chain."""
    parts: list[str] = []
    current: BaseException | None = error
    while current is not None and len(parts) < 8:
        parts.append(str(current).lower())
        current = current.__cause__ or current.__context__
    text = " ".join(parts)
    if "refused" in text:
        return "connection refused"
    if "resolve" in text or "name or service" in text or "getaddrinfo" in text:
        return "network unreachable: the host name does not resolve"
    if "timed out" in text or "timeout" in text:
        return "no answer before the timeout"
    return "network unreachable"


def short_error(error: BaseException, limit: int = 200) -> str:
    """Return the error's text on one line, cut to `limit` characters."""
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
