"""Seeded synthetic bars for demos and tests: plausible, calendar-aware, never real prices.

Returns follow a GARCH(1,1) volatility process on sessions with Student-t innovations
(fat tails), sessions open with an overnight gap, and volume is lognormal and rises
with the size of the move. Every frame carries ``attrs["synthetic"] = True``.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from vibetrading.domain.data.bars import Timeframe
from vibetrading.domain.data.resample import resample_bars
from vibetrading.domain.data.sessions import (
    NS_PER_DAY,
    session_labels,
    session_segments,
)
from vibetrading.errors import ConfigError

__all__ = ["generate_bars", "seed_for"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_CONTINUOUS_CALENDARS = {"24/7", "ALWAYS_OPEN"}
_SESSIONS_PER_YEAR = 252
_DAYS_PER_YEAR = 365
_GAP_SHARE = 0.2  # share of a session's variance that arrives overnight, as the opening gap
_TAIL_DF = 4.0  # degrees of freedom of the Student-t innovations
_TAIL_CLIP = 6.0  # innovations beyond 6 standard deviations are cut, to keep moments finite
_GARCH_ALPHA = 0.12
_GARCH_BETA = 0.86
_DAILY_VOLUME = 1_000_000.0
_VOLUME_NOISE = 0.35
_VOLUME_MOVE_SENSITIVITY = 0.5
_RANGE_SCALE = 0.4  # how far high and low reach beyond open and close, in bar volatilities


def seed_for(symbol_code: str) -> int:
    """Return a stable seed for `symbol_code`: its CRC-32, the same in every process.

    Python's ``hash()`` is salted per process, so it cannot give repeatable data.
    """
    return zlib.crc32(symbol_code.encode("utf-8"))


def generate_bars(
    *,
    seed: int,
    start: pd.Timestamp,
    end: pd.Timestamp,
    timeframe: Timeframe,
    calendar: Any | None,
    start_price: float = 100.0,
    annual_drift: float = 0.06,
    annual_volatility: float = 0.25,
) -> pd.DataFrame:
    """Return synthetic bars between `start` and `end` (inclusive, UTC) that obey the Bars contract.

    Bars exist only in the calendar's sessions: ``1d`` bars on session dates (00:00 UTC),
    intraday bars at each trading segment's start plus whole bar lengths, the last one of
    a segment possibly shorter; ``1w`` and ``1M`` bars are daily bars resampled with
    :func:`~vibetrading.domain.data.resample.resample_bars`, without a first week or month
    that began before `start`. With `calendar` None or a 24/7 calendar the market never
    closes: bars every day, aligned to midnight UTC, and no opening gaps.

    `annual_drift` and `annual_volatility` are fractions per year (252 sessions, or 365
    days for a market that never closes); the first open is near `start_price`.
    Volatility clusters (GARCH(1,1) on sessions, persistence 0.98), innovations are
    Student-t with 4 degrees of freedom cut at 6 standard deviations, about a fifth of
    each session's variance arrives as the opening gap, and low <= min(open, close) <=
    max(open, close) <= high always holds. Volume is lognormal and grows with the
    absolute return. The same arguments always give the same frame. ``attrs`` holds
    ``synthetic=True`` and the ``seed``. An empty range gives an empty frame; raises
    ConfigError when `start` is after `end`, `start_price` is not positive or the
    volatility is negative.

    Example::

        bars = generate_bars(seed=seed_for("AAPL"), start=pd.Timestamp("2020-01-01"),
                             end=pd.Timestamp("2024-12-31"), timeframe=Timeframe.D1,
                             calendar=get_calendar("XNYS"))
    """
    timeframe = Timeframe.parse(timeframe)
    start, end = _utc(start), _utc(end)
    _check_arguments(start, end, start_price, annual_volatility)
    if timeframe in (Timeframe.W1, Timeframe.MN1):
        daily = generate_bars(
            seed=seed, start=start, end=end, timeframe=Timeframe.D1, calendar=calendar,
            start_price=start_price, annual_drift=annual_drift,
            annual_volatility=annual_volatility,
        )  # fmt: skip
        periods = resample_bars(daily, timeframe, calendar=_market_calendar(calendar))
        return periods[periods.index >= start]  # drop a first period that began before start
    grid = _make_grid(start, end, timeframe, _market_calendar(calendar))
    model = _Model(start_price, annual_drift, annual_volatility, grid.periods_per_year)
    frame = _simulate(grid, model, np.random.default_rng(seed))
    frame = frame[(frame.index >= start) & (frame.index <= end)]
    frame.attrs.update({"synthetic": True, "seed": seed})
    return frame


@dataclass(frozen=True)
class _Grid:
    stamps: IntArray
    session_starts: IntArray  # position of each session's first bar
    gap_share: FloatArray  # share of the session variance in the bar's opening gap
    body_share: FloatArray  # share of the session variance inside the bar
    periods_per_year: int


@dataclass(frozen=True)
class _Model:
    start_price: float
    annual_drift: float
    annual_volatility: float
    periods_per_year: int

    @property
    def session_variance(self) -> float:
        return self.annual_volatility**2 / self.periods_per_year

    @property
    def session_drift(self) -> float:
        return (self.annual_drift - 0.5 * self.annual_volatility**2) / self.periods_per_year


def _check_arguments(
    start: pd.Timestamp, end: pd.Timestamp, start_price: float, annual_volatility: float
) -> None:
    if start > end:
        raise ConfigError(f"The start {start} is after the end {end}; swap them.")
    if not start_price > 0:
        raise ConfigError(f"start_price must be positive, not {start_price}.")
    if not annual_volatility >= 0:
        raise ConfigError(f"annual_volatility must be zero or positive, not {annual_volatility}.")


def _market_calendar(calendar: Any | None) -> Any | None:
    if calendar is None or getattr(calendar, "name", None) in _CONTINUOUS_CALENDARS:
        return None
    return calendar


def _make_grid(
    start: pd.Timestamp, end: pd.Timestamp, timeframe: Timeframe, calendar: Any | None
) -> _Grid:
    if calendar is None:
        return _continuous_grid(start, end, timeframe)
    if not timeframe.is_intraday:
        stamps = session_labels(calendar, start, end).asi8.astype(np.int64)
        ones = np.ones(len(stamps))
        return _Grid(
            stamps, np.arange(len(stamps), dtype=np.int64), ones * _GAP_SHARE,
            ones * (1 - _GAP_SHARE), _SESSIONS_PER_YEAR,
        )  # fmt: skip
    return _session_grid(start, end, timeframe.offset.value, calendar)


def _continuous_grid(start: pd.Timestamp, end: pd.Timestamp, timeframe: Timeframe) -> _Grid:
    bar_ns = timeframe.offset.value if timeframe.is_intraday else NS_PER_DAY
    first = -(-start.value // bar_ns) * bar_ns
    stamps = np.arange(first, end.value + 1, bar_ns, dtype=np.int64)
    days = stamps // NS_PER_DAY
    session_starts = np.flatnonzero(np.diff(days, prepend=days[:1] - 1)).astype(np.int64)
    body = np.full(len(stamps), bar_ns / NS_PER_DAY)
    return _Grid(stamps, session_starts, np.zeros(len(stamps)), body, _DAYS_PER_YEAR)


def _session_grid(start: pd.Timestamp, end: pd.Timestamp, bar_ns: int, calendar: Any) -> _Grid:
    starts, ends, labels = session_segments(calendar, start, end)
    counts = -(-(ends - starts) // bar_ns)
    offsets = np.arange(counts.sum(), dtype=np.int64) - np.repeat(
        np.cumsum(counts) - counts, counts
    )
    stamps = np.repeat(starts, counts) + offsets * bar_ns
    durations = np.minimum(bar_ns, np.repeat(ends, counts) - stamps).astype(np.float64)
    session = np.repeat(labels, counts)
    session_starts = np.flatnonzero(np.diff(session, prepend=session[:1] - 1)).astype(np.int64)
    totals = np.add.reduceat(durations, session_starts) if len(stamps) else durations
    per_bar_total = np.repeat(totals, np.diff(np.append(session_starts, len(stamps))))
    gap = np.zeros(len(stamps))
    gap[session_starts] = _GAP_SHARE
    body = (1 - _GAP_SHARE) * durations / per_bar_total
    return _Grid(stamps, session_starts, gap, body, _SESSIONS_PER_YEAR)


def _simulate(grid: _Grid, model: _Model, rng: np.random.Generator) -> pd.DataFrame:
    size = len(grid.stamps)
    gap_shocks = _innovations(rng, size)
    body_shocks = _innovations(rng, size)
    combined = np.sqrt(grid.gap_share) * gap_shocks + np.sqrt(grid.body_share) * body_shocks
    variance = model.session_variance * _session_garch(combined, grid.session_starts, size)
    gap_sd = np.sqrt(variance * grid.gap_share)
    body_sd = np.sqrt(variance * grid.body_share)
    gap = gap_sd * gap_shocks + model.session_drift * grid.gap_share
    body = body_sd * body_shocks + model.session_drift * grid.body_share
    log_close = math.log(model.start_price) + np.cumsum(gap + body)
    # each open is the previous close moved by the gap, so bars without a gap open exactly
    # at the previous close
    open_ = np.exp(np.concatenate(([math.log(model.start_price)], log_close[:-1])) + gap)
    close = np.exp(log_close)
    reach_up = _RANGE_SCALE * body_sd * rng.standard_exponential(size)
    reach_down = _RANGE_SCALE * body_sd * rng.standard_exponential(size)
    high = np.maximum(open_, close) * np.exp(reach_up)
    low = np.minimum(open_, close) * np.exp(-reach_down)
    share = np.sqrt(grid.gap_share + grid.body_share)
    move = np.abs(combined) / np.where(share > 0, share, 1.0)
    noise = _VOLUME_NOISE * rng.standard_normal(size)
    volume = (
        _DAILY_VOLUME
        * (grid.gap_share + grid.body_share)
        * np.exp(noise + _VOLUME_MOVE_SENSITIVITY * (move - 0.8))
    )
    index = pd.DatetimeIndex(grid.stamps.astype("datetime64[ns]"), name="timestamp")
    data = {"open": open_, "high": high, "low": low, "close": close, "volume": np.round(volume)}
    return pd.DataFrame(data, index=index.tz_localize("UTC"))


def _innovations(rng: np.random.Generator, size: int) -> FloatArray:
    draws = rng.standard_t(_TAIL_DF, size) / math.sqrt(_TAIL_DF / (_TAIL_DF - 2))
    return np.clip(draws, -_TAIL_CLIP, _TAIL_CLIP)


def _session_garch(combined: FloatArray, session_starts: IntArray, size: int) -> FloatArray:
    # A session's standardised shock does not depend on its variance, so the GARCH
    # recursion runs once per session, not per bar.
    if size == 0:
        return np.zeros(0)
    shocks = np.add.reduceat(combined, session_starts)
    scale = np.ones(len(shocks))
    omega = 1.0 - _GARCH_ALPHA - _GARCH_BETA
    for day in range(1, len(shocks)):
        previous = scale[day - 1]
        scale[day] = omega + previous * (_GARCH_ALPHA * shocks[day - 1] ** 2 + _GARCH_BETA)
    return np.repeat(scale, np.diff(np.append(session_starts, size)))


def _utc(value: pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    utc = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return utc.as_unit("ns")
