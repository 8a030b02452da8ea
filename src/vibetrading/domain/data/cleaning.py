"""Repair or drop bad bars, and say exactly what was done."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from vibetrading.domain.data.bars import BAR_COLUMNS, PRICE_COLUMNS, Timeframe, check_bars
from vibetrading.domain.data.sessions import in_session_mask, session_labels

__all__ = ["CleaningReport", "clean_bars"]


@dataclass
class CleaningReport:
    """What :func:`clean_bars` changed; every count is a number of bars."""

    rows_in: int = 0
    rows_out: int = 0
    was_unsorted: bool = False
    duplicates_dropped: int = 0
    missing_prices_dropped: int = 0
    missing_prices_filled: int = 0
    missing_volume_filled: int = 0
    non_positive_dropped: int = 0
    high_low_repaired: int = 0
    outside_sessions_dropped: int = 0

    @property
    def is_clean(self) -> bool:
        """Return True when nothing had to be changed."""
        return self.rows_in == self.rows_out and not self.lines()

    def lines(self) -> list[str]:
        """Return one human sentence per kind of change made."""
        out: list[str] = []
        if self.was_unsorted:
            out.append("sorted the bars by time")
        templates = {
            "duplicates_dropped": "dropped {} duplicate timestamp(s), keeping the last",
            "missing_prices_dropped": "dropped {} bar(s) without a close price",
            "missing_prices_filled": "filled {} missing open/high/low value(s) from the close",
            "missing_volume_filled": "set {} missing volume(s) to 0",
            "non_positive_dropped": "dropped {} bar(s) with a zero or negative price or volume",
            "high_low_repaired": "repaired {} bar(s) whose high/low did not contain open and close",
            "outside_sessions_dropped": "dropped {} bar(s) outside the market's sessions",
        }
        for name, template in templates.items():
            count = getattr(self, name)
            if count:
                out.append(template.format(count))
        return out

    def as_dict(self) -> dict[str, Any]:
        """Return the counts as a JSON-ready dict, with the sentences under ``changes``."""
        return {**asdict(self), "changes": self.lines()}


def clean_bars(
    frame: pd.DataFrame,
    *,
    timeframe: Timeframe = Timeframe.D1,
    calendar: Any | None = None,
) -> tuple[pd.DataFrame, CleaningReport]:
    """Return `frame` repaired into the Bars contract, and a report of every change.

    Sorts by time; keeps the last of duplicate timestamps; drops bars without a close;
    fills a missing open, high or low from the close and a missing volume with 0; drops
    non-positive prices and negative volumes; widens high and low to contain open and
    close; with a `calendar`, drops bars outside its sessions (daily bars are first
    labelled by their UTC date).
    """
    report = CleaningReport(rows_in=len(frame))
    data = frame.loc[:, list(BAR_COLUMNS)].astype(np.float64)
    index = pd.DatetimeIndex(data.index)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    if not timeframe.is_intraday:
        index = index.normalize()
    data.index = index.as_unit("ns").rename("timestamp")
    if not data.index.is_monotonic_increasing:
        report.was_unsorted = True
        data = data.sort_index(kind="stable")
    duplicated = data.index.duplicated(keep="last")
    report.duplicates_dropped = int(duplicated.sum())
    data = data[~duplicated]
    data = _fix_missing(data, report)
    data = _fix_values(data, report)
    if calendar is not None and len(data):
        data = _drop_outside_sessions(data, timeframe, calendar, report)
    report.rows_out = len(data)
    out = check_bars(data, allow_empty=True)
    out.attrs.update(frame.attrs)
    return out, report


def _fix_missing(data: pd.DataFrame, report: CleaningReport) -> pd.DataFrame:
    no_close = data["close"].isna().to_numpy()
    report.missing_prices_dropped = int(no_close.sum())
    data = data[~no_close].copy()
    for column in ("open", "high", "low"):
        missing = data[column].isna()
        report.missing_prices_filled += int(missing.sum())
        data.loc[missing, column] = data.loc[missing, "close"]
    missing_volume = data["volume"].isna()
    report.missing_volume_filled = int(missing_volume.sum())
    data.loc[missing_volume, "volume"] = 0.0
    return data


def _fix_values(data: pd.DataFrame, report: CleaningReport) -> pd.DataFrame:
    prices = data.loc[:, list(PRICE_COLUMNS)].to_numpy()
    bad = (
        (prices <= 0).any(axis=1)
        | (data["volume"].to_numpy() < 0)
        | ~np.isfinite(prices).all(axis=1)
    )
    report.non_positive_dropped = int(bad.sum())
    data = data[~bad].copy()
    prices = data.loc[:, list(PRICE_COLUMNS)].to_numpy()
    top, bottom = prices.max(axis=1), prices.min(axis=1)
    wrong = (data["high"].to_numpy() != top) | (data["low"].to_numpy() != bottom)
    report.high_low_repaired = int(wrong.sum())
    if report.high_low_repaired:
        data["high"], data["low"] = top, bottom
    return data


def _drop_outside_sessions(
    data: pd.DataFrame, timeframe: Timeframe, calendar: Any, report: CleaningReport
) -> pd.DataFrame:
    index = pd.DatetimeIndex(data.index)
    if timeframe.is_intraday:
        inside = in_session_mask(index, calendar)
    elif timeframe is Timeframe.D1:
        inside = index.isin(session_labels(calendar, index[0], index[-1]))
    else:
        return data  # weekly and monthly labels need not fall on a session
    report.outside_sessions_dropped = int((~inside).sum())
    return data[inside]
