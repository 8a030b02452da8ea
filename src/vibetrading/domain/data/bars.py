"""The Bars contract: a pandas DataFrame with a UTC DatetimeIndex named ``timestamp`` and
float64 columns open, high, low, close, volume; one frame per symbol and timeframe.

Daily and longer bars are labelled by their session date at 00:00 UTC (the convention of
exchange-calendars); intraday bars by their opening time in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from vibetrading.errors import ConfigError, DataError, EmptyData

__all__ = [
    "BAR_COLUMNS",
    "FetchedBars",
    "Timeframe",
    "adjust_bars",
    "check_bars",
    "describe_bars",
    "empty_bars",
    "resolve_range",
]

BAR_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")


class Timeframe(StrEnum):
    """Bar length. ``1m`` is one minute, ``1M`` one month."""

    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    H1 = "1h"
    H4 = "4h"
    D1 = "1d"
    W1 = "1w"
    MN1 = "1M"

    @classmethod
    def parse(cls, text: str | Timeframe) -> Timeframe:
        """Read a timeframe from its code or a common alias (``daily``, ``60m``, ``1mo``)."""
        if isinstance(text, Timeframe):
            return text
        key = text.strip()
        if key in _ALIASES:
            return _ALIASES[key]
        if key.lower() in _ALIASES:
            return _ALIASES[key.lower()]
        codes = ", ".join(tf.value for tf in cls)
        raise ConfigError(f"Unknown timeframe {text!r}: use one of {codes}.")

    @property
    def is_intraday(self) -> bool:
        """Return True for bars shorter than a day."""
        return self in _INTRADAY

    @property
    def offset(self) -> pd.Timedelta:
        """Return the bar length of an intraday timeframe."""
        return pd.Timedelta(_MINUTES[self], "min")


_INTRADAY = {Timeframe.M1, Timeframe.M5, Timeframe.M15, Timeframe.H1, Timeframe.H4}
_MINUTES = {
    Timeframe.M1: 1,
    Timeframe.M5: 5,
    Timeframe.M15: 15,
    Timeframe.H1: 60,
    Timeframe.H4: 240,
}
_ALIASES: dict[str, Timeframe] = {tf.value: tf for tf in Timeframe}
_ALIASES.update(
    {
        "1min": Timeframe.M1,
        "5min": Timeframe.M5,
        "15min": Timeframe.M15,
        "60m": Timeframe.H1,
        "60min": Timeframe.H1,
        "240m": Timeframe.H4,
        "1d": Timeframe.D1,
        "d": Timeframe.D1,
        "day": Timeframe.D1,
        "daily": Timeframe.D1,
        "1w": Timeframe.W1,
        "w": Timeframe.W1,
        "week": Timeframe.W1,
        "weekly": Timeframe.W1,
        "1mo": Timeframe.MN1,
        "month": Timeframe.MN1,
        "monthly": Timeframe.MN1,
        "1h": Timeframe.H1,
        "h": Timeframe.H1,
        "hourly": Timeframe.H1,
        "4h": Timeframe.H4,
    }
)


@dataclass(frozen=True)
class FetchedBars:
    """What a provider returns: raw bars plus, when known, the adjustment factor.

    ``adj_factor`` multiplies raw prices into split- and dividend-adjusted prices.
    """

    bars: pd.DataFrame
    source: str
    adj_factor: pd.Series | None = None
    is_synthetic: bool = False
    notes: list[str] = field(default_factory=list)


def empty_bars() -> pd.DataFrame:
    """Return an empty frame that satisfies the Bars contract."""
    index = pd.DatetimeIndex([], tz="UTC", name="timestamp").as_unit("ns")
    return pd.DataFrame({c: np.array([], dtype=np.float64) for c in BAR_COLUMNS}, index=index)


def check_bars(frame: pd.DataFrame, *, allow_empty: bool = False) -> pd.DataFrame:
    """Check `frame` against the Bars contract and return it in canonical form.

    Columns are lower-cased and cast to float64, the index converted to UTC nanoseconds
    (naive timestamps are taken as UTC). Raises DataError for missing columns, an index
    that is not datetime, unsorted or duplicate timestamps; EmptyData for no rows.
    """
    missing = [c for c in BAR_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"Bars need the columns {', '.join(BAR_COLUMNS)}; missing: {', '.join(missing)}."
        )
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataError("Bars need a DatetimeIndex of bar timestamps.")
    if len(frame) == 0 and not allow_empty:
        raise EmptyData("The bars are empty.")
    index = frame.index
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    if not index.is_monotonic_increasing:
        raise DataError("Bar timestamps must be sorted in increasing order.")
    if index.has_duplicates:
        raise DataError("Bar timestamps must be unique.")
    out = pd.DataFrame(
        {c: frame[c].to_numpy(dtype=np.float64, copy=False) for c in BAR_COLUMNS},
        index=index.as_unit("ns").rename("timestamp"),
    )
    out.attrs.update(frame.attrs)
    return out


def adjust_bars(bars: pd.DataFrame, adj_factor: pd.Series | None) -> pd.DataFrame:
    """Return split- and dividend-adjusted bars: prices times the factor, volume divided by it."""
    if adj_factor is None:
        return bars
    factor = adj_factor.reindex(bars.index).fillna(1.0).to_numpy(dtype=np.float64)
    out = bars.copy()
    for column in PRICE_COLUMNS:
        out[column] = bars[column].to_numpy() * factor
    out["volume"] = bars["volume"].to_numpy() / factor
    return out


def describe_bars(bars: pd.DataFrame) -> str:
    """Return a one-line description: count, first and last timestamp."""
    if len(bars) == 0:
        return "0 bars"
    return f"{len(bars)} bars from {bars.index[0]} to {bars.index[-1]}"


def _bound(
    value: str | pd.Timestamp | None, *, timezone: str, is_end: bool, intraday: bool
) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as e:
        raise ConfigError(f"Unreadable date {value!r}: use YYYY-MM-DD or an ISO date-time.") from e
    is_date_only = isinstance(value, str) and len(value.strip()) <= 10
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(timezone if intraday else "UTC")
    if is_date_only and is_end:
        stamp = stamp + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    return stamp.tz_convert("UTC")


def resolve_range(
    start: str | pd.Timestamp | None,
    end: str | pd.Timestamp | None,
    *,
    timezone: str = "UTC",
    timeframe: Timeframe = Timeframe.D1,
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """Turn user dates into an inclusive UTC range.

    A date without a time covers the whole day; for intraday bars the day is the
    exchange's (`timezone`), for daily and longer bars it is the session date. Raises
    ConfigError for unreadable dates or a start after the end.
    """
    intraday = timeframe.is_intraday
    first = _bound(start, timezone=timezone, is_end=False, intraday=intraday)
    last = _bound(end, timezone=timezone, is_end=True, intraday=intraday)
    if first is not None and last is not None and first > last:
        raise ConfigError(f"The start {start} is after the end {end}.")
    return first, last
