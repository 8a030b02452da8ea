"""What a rule did on real data: how close a condition came, how often a signal fired.

Used by the validator ("RSI(14) < 10 never held; its lowest value was 13.2 on
2008-10-10") and by the explanations (entries per year, share of bars in the entry state).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from vibetrading.domain.strategy.compile import SignalCompiler
from vibetrading.domain.strategy.formula import formula

__all__ = [
    "SignalStats",
    "closest_approach",
    "data_span",
    "format_number",
    "format_time",
    "signal_stats",
]

_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}
_NS_PER_YEAR = 365.25 * 86_400e9


def format_number(value: float) -> str:
    """Return `value` with sensible precision: 2,486.43, 13.2, 0.0512, 9,694."""
    if abs(value) >= 1000:
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return f"{value:.4g}"


def format_time(index: pd.DatetimeIndex, position: int) -> str:
    """Return the time of bar `position`: a date for daily bars, else date and UTC time."""
    stamp = index[position]
    is_daily = bool((index.asi8 % 86_400_000_000_000 == 0).all())
    return str(stamp.strftime("%Y-%m-%d" if is_daily else "%Y-%m-%d %H:%M UTC"))


def data_span(index: pd.DatetimeIndex, *, separator: str = " to ") -> str:
    """Return "2009-01-02 to 2018-12-31" for the first and last bar of `index`."""
    if len(index) == 0:
        return "no bars"
    return f"{format_time(index, 0)}{separator}{format_time(index, len(index) - 1)}"


def _extreme(values: npt.NDArray[np.float64], *, highest: bool) -> int | None:
    if np.isnan(values).all():
        return None
    return int(np.nanargmax(values) if highest else np.nanargmin(values))


def _sides(node: Any) -> tuple[Any, str, Any]:
    op = node.op if node.kind == "compare" else (">" if node.direction == "above" else "<")
    if node.left.kind == "const" and node.right.kind != "const":
        return node.right, _FLIP[op], node.left
    return node.left, op, node.right


def closest_approach(compiler: SignalCompiler, node: Any) -> str | None:
    """Return how close the comparison or cross `node` came on the data, if it never held.

    None when `node` is not a comparison or cross, or held on at least one bar.
    """
    if node.kind not in ("compare", "cross") or compiler.condition(node).any():
        return None
    series, op, other = _sides(node)
    text = formula(node)
    values = compiler.number(series)
    if other.kind != "const":
        values = values - compiler.number(other)
    highest = op in (">", ">=")
    if op in ("==", "!="):
        level = other.value if other.kind == "const" else 0.0
        position = _extreme(np.abs(values - level), highest=False)
    else:
        position = _extreme(values, highest=highest)
    if position is None:
        return f"'{text}' never held; {formula(series)} had no value yet (too few bars)."
    when = format_time(compiler.index, position)
    if node.kind == "cross" and other.kind == "const" and _is_past(values, op, other.value):
        side = "above" if op == ">" else "below"
        return f"'{text}' never happened; {formula(series)} stayed {side} it on every bar."
    if other.kind != "const":
        gap = format_number(abs(float(values[position])))
        return f"'{text}' never held; the closest gap was {gap} on {when}."
    word = "highest" if highest else "lowest"
    if op in ("==", "!="):
        word = "closest"
    value = format_number(float(compiler.number(series)[position]))
    return f"'{text}' never held; its {word} value was {value} on {when}."


def _is_past(values: npt.NDArray[np.float64], op: str, level: float) -> bool:
    defined = values[~np.isnan(values)]
    if len(defined) == 0:
        return False
    return bool((defined > level).all() if op == ">" else (defined < level).all())


@dataclass(frozen=True)
class SignalStats:
    """How often one rule fired on the data."""

    bars: int
    years: float
    events: int
    bars_held: int

    @property
    def per_year(self) -> float:
        """Return the number of events (a bar where the rule starts to hold) per year."""
        return self.events / self.years if self.years > 0 else float("nan")

    @property
    def share_held(self) -> float:
        """Return the fraction of bars on which the rule holds (0 to 1)."""
        return self.bars_held / self.bars if self.bars else 0.0


def signal_stats(held: pd.Series | npt.NDArray[np.bool_], index: pd.DatetimeIndex) -> SignalStats:
    """Return how often `held` fires over `index`: events (starts of a run), bars, years."""
    values = np.asarray(held, dtype=np.bool_)
    starts = values & ~np.concatenate([[False], values[:-1]]) if len(values) else values
    years = (index.asi8[-1] - index.asi8[0]) / _NS_PER_YEAR if len(index) > 1 else 0.0
    return SignalStats(len(values), float(years), int(starts.sum()), int(values.sum()))
