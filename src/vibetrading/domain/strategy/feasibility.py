"""Find conditions that can never hold (or always hold) by interval reasoning, without data.

Every comparison with a constant bounds one series to an interval (``RSI(14) > 80`` is
(80, inf)); a comparison of two series bounds their difference. Intersecting the intervals
a conjunction imposes on the same bar, together with an indicator's own value range (RSI
is in [0, 100]), shows contradictions such as ``RSI(14) > 80 and RSI(14) < 20``, impossible
values such as ``RSI(14) > 120`` and one pair crossing both above and below on one bar.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vibetrading.domain.indicators import find_indicator
from vibetrading.domain.strategy.formula import formula
from vibetrading.errors import SpecError

__all__ = ["Interval", "always_holds", "never_holds"]

_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}
_CONSTANT_OPS = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


@dataclass(frozen=True)
class Interval:
    """A set of real numbers between `low` and `high`; each end open or closed."""

    low: float = -math.inf
    high: float = math.inf
    low_closed: bool = False
    high_closed: bool = False

    @classmethod
    def of(cls, op: str, value: float) -> Interval | None:
        """Return the values x with ``x op value`` (None for ``!=``, which is no interval)."""
        table = {
            ">": cls(low=value),
            ">=": cls(low=value, low_closed=True),
            "<": cls(high=value),
            "<=": cls(high=value, high_closed=True),
            "==": cls(value, value, True, True),
        }
        return table.get(op)

    @property
    def is_empty(self) -> bool:
        """Return True when no number lies in the interval."""
        if self.low != self.high:
            return self.low > self.high
        return not (self.low_closed and self.high_closed)

    def intersect(self, other: Interval) -> Interval:
        """Return the numbers in both intervals."""
        low, low_closed = max((self.low, not self.low_closed), (other.low, not other.low_closed))
        high, high_closed = min((self.high, self.high_closed), (other.high, other.high_closed))
        return Interval(low, high, not low_closed, high_closed)

    def contains(self, other: Interval) -> bool:
        """Return True when every number of `other` is in this interval."""
        return self.intersect(other) == other


@dataclass(frozen=True)
class _Atom:
    key: Any
    interval: Interval
    text: str
    bounds: tuple[Interval, str] | None = None


def _bounds(node: Any) -> tuple[Interval, str] | None:
    if node.kind != "indicator" or node.input is not None:
        return None
    info = find_indicator(node.name)
    if info is None:
        return None
    try:
        low, high = info.range_of(node.output)
    except SpecError:
        return None
    if low is None and high is None:
        return None
    interval = Interval(
        -math.inf if low is None else low, math.inf if high is None else high,
        low is not None, high is not None,
    )  # fmt: skip
    return interval, f"{formula(node)} is {_describe(low, high)}"


def _describe(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


def _key(node: Any) -> Any:
    if node.kind == "indicator" and node.input is None:
        info = find_indicator(node.name)
        if info is not None:
            try:
                params = tuple(info.resolve_params(node.params).items())
                return (
                    "indicator",
                    info.name,
                    params,
                    info.resolve_output(node.output),
                    node.symbol,
                )
            except SpecError:
                pass
    return node.model_dump_json()


def _atom(node: Any) -> _Atom | None:
    if node.kind == "compare":
        op, left, right, text = node.op, node.left, node.right, formula(node)
    elif node.kind == "cross":
        op, left, right = (">" if node.direction == "above" else "<"), node.left, node.right
        text = formula(node)
    else:
        return None
    if left.kind == "const" and right.kind != "const":
        op, left, right = _FLIP[op], right, left
    if right.kind == "const":
        interval = Interval.of(op, right.value)
        return None if interval is None else _Atom(_key(left), interval, text, _bounds(left))
    keys = (_key(left), _key(right))
    if str(keys[0]) > str(keys[1]):
        op, keys = _FLIP[op], (keys[1], keys[0])
    interval = Interval.of(op, 0.0)
    return None if interval is None else _Atom(("difference", *keys), interval, text)


def _atoms_at_bar(node: Any) -> list[_Atom]:
    atoms: list[_Atom] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if item.kind == "all":
            stack.extend(reversed(item.items))
        elif item.kind == "for_bars":
            stack.append(item.item)
        elif (atom := _atom(item)) is not None:
            atoms.append(atom)
    return atoms


def _conflict(atoms: list[_Atom]) -> str | None:
    by_key: dict[Any, list[_Atom]] = {}
    for atom in atoms:
        by_key.setdefault(atom.key, []).append(atom)
    for group in by_key.values():
        bounds = next((atom.bounds for atom in group if atom.bounds is not None), None)
        for index, atom in enumerate(group):
            if bounds is not None and bounds[0].intersect(atom.interval).is_empty:
                return f"{bounds[1]}; '{atom.text}' can never hold."
            for other in group[:index]:
                if other.interval.intersect(atom.interval).is_empty:
                    return f"'{other.text}' and '{atom.text}' can never hold together."
    # on a line, intervals that meet pairwise share a point, so pairs are enough
    return None


def _cross_never(node: Any) -> str | None:
    if node.right.kind != "const":
        return None
    bounds = _bounds(node.left)
    if bounds is None:
        return None
    interval, text = bounds
    level = node.right.value
    # a cross needs the series at or beyond the level on one bar and past it on the next
    if node.direction == "above":
        before, after = Interval(high=level, high_closed=True), Interval(low=level)
    else:
        before, after = Interval(low=level, low_closed=True), Interval(high=level)
    if interval.intersect(before).is_empty or interval.intersect(after).is_empty:
        return f"{text}, so '{formula(node)}' can never happen."
    return None


def never_holds(node: Any) -> str | None:
    """Return why the condition `node` can never hold on any bar, or None if it may.

    Sees impossible values against an indicator's range, contradictions inside an
    ``all`` (on the same bar), constant comparisons that are false, ``any`` groups whose
    every branch is impossible, and windows or lags of an impossible condition.
    """
    check = _NEVER.get(node.kind)
    return None if check is None else check(node)


def _compare_never(node: Any) -> str | None:
    if node.left.kind == "const" and node.right.kind == "const":
        holds = _CONSTANT_OPS[node.op](node.left.value, node.right.value)
        return None if holds else f"'{formula(node)}' is always false."
    return _itself_never(node) or _conflict(_atoms_at_bar(node))


def _itself_never(node: Any) -> str | None:
    """A line crossing, or strictly above or below, itself: "MACD crosses above MACD"."""
    strict = node.kind == "cross" or node.op in ("<", ">", "!=")
    if strict and node.left.kind != "const" and _key(node.left) == _key(node.right):
        return f"'{formula(node)}' compares a line with itself."
    return None


def _any_never(node: Any) -> str | None:
    reasons = [never_holds(item) for item in node.items]
    return None if None in reasons else " ".join(r for r in reasons if r)


def _all_never(node: Any) -> str | None:
    for item in node.items:
        if item.kind != "all" and (reason := never_holds(item)):
            return reason
    return _conflict(_atoms_at_bar(node))


_NEVER: dict[str, Callable[[Any], str | None]] = {
    "compare": _compare_never,
    "cross": lambda node: (
        _itself_never(node) or _cross_never(node) or _conflict(_atoms_at_bar(node))
    ),
    "all": _all_never,
    "any": _any_never,
    "for_bars": lambda node: never_holds(node.item),
    "within_bars": lambda node: never_holds(node.item),
    "lag": lambda node: never_holds(node.item),
}


def always_holds(node: Any) -> str | None:
    """Return why the comparison `node` holds on every defined bar, or None.

    Catches ``RSI(14) < 120`` (RSI never exceeds 100) and true constant comparisons.
    """
    if node.kind != "compare":
        return None
    if node.left.kind == "const" and node.right.kind == "const":
        if _CONSTANT_OPS[node.op](node.left.value, node.right.value):
            return f"'{formula(node)}' is always true."
        return None
    atom = _atom(node)
    if atom is None or atom.bounds is None:
        return None
    if atom.interval.contains(atom.bounds[0]):
        return f"{atom.bounds[1]}; '{atom.text}' always holds."
    return None
