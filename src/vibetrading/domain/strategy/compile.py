"""Compile a StrategySpec into vectorised entry and exit signals.

Every node of the expression tree becomes one numpy array over the traded symbol's bars:
numbers as float64 (NaN while undefined), conditions as bool. The semantics are those of
SEMANTICS.md and ``expr.py``: NaN compares false; a cross is an event on one bar
(``a[t-1] <= b[t-1] and a[t] > b[t]``); ``for_bars`` holds on each of the last N bars;
``highest``/``lowest`` exclude the current bar; ``lag`` shifts by N bars. Nothing reads
a later bar than the one it is computed for, so there is no look-ahead by construction.

Each indicator is computed once per (name, parameters, input, symbol) within a compile.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from vibetrading.domain.indicators import get_indicator
from vibetrading.domain.indicators import kernels as kn
from vibetrading.domain.indicators.talib import safe_divide
from vibetrading.domain.strategy.expr import is_boolean
from vibetrading.domain.strategy.spec import StrategySpec
from vibetrading.errors import SpecError

__all__ = ["Bars", "SignalCompiler", "Signals", "compile_expression", "compile_signals"]

Bars: TypeAlias = "pd.DataFrame | Mapping[str, pd.DataFrame]"
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Array = FloatArray | BoolArray

_COMPARE: dict[str, Callable[[FloatArray, FloatArray], BoolArray]] = {
    ">": np.greater,
    ">=": np.greater_equal,
    "<": np.less,
    "<=": np.less_equal,
    "==": np.equal,
    "!=": np.not_equal,
}
_ARITH: dict[str, Callable[[FloatArray, FloatArray], FloatArray]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": safe_divide,
}


@dataclass(frozen=True)
class Signals:
    """The rule signals of a spec on one symbol's bars, as bool Series on the bars' index.

    ``exits`` is all False when the spec has no rule exit (only risk exits).
    ``short_entries``/``short_exits`` are None unless the direction is "both".
    ``indicators`` holds every indicator output computed, keyed by a label such as
    ``SMA(50)`` or ``MACD(12,26,9).signal``, for charts.
    """

    entries: pd.Series
    exits: pd.Series
    short_entries: pd.Series | None = None
    short_exits: pd.Series | None = None
    indicators: dict[str, pd.Series] = field(default_factory=dict)


def _select(bars: Bars, symbol: str | None) -> tuple[str, dict[str, pd.DataFrame]]:
    if isinstance(bars, pd.DataFrame):
        name = symbol or str(bars.attrs.get("symbol") or "")
        return name, {name: bars}
    frames: dict[str, pd.DataFrame] = dict(bars)
    if symbol is None:
        if len(frames) != 1:
            raise SpecError(f"Say which symbol is traded: bars are given for {', '.join(frames)}.")
        symbol = next(iter(frames))
    if symbol not in frames:
        raise SpecError(f"No bars for the traded symbol {symbol!r}; have {', '.join(frames)}.")
    return symbol, frames


class SignalCompiler:
    """Evaluate expression nodes on one traded symbol's bars, memoising indicators.

    `bars` is one Bars frame or a mapping symbol -> frame (pairs); `symbol` names the
    traded symbol (default: the only frame, or the spec's first symbol in
    ``compile_signals``). Another symbol's series is its latest bar at or before each
    bar of the traded symbol (forward-filled onto its index).
    """

    def __init__(self, bars: Bars, *, symbol: str | None = None) -> None:
        self.symbol, self._frames = _select(bars, symbol)
        self.index: pd.DatetimeIndex = self._frames[self.symbol].index
        self.indicators: dict[str, pd.Series] = {}
        self._aligned: dict[str, pd.DataFrame] = {self.symbol: self._frames[self.symbol]}
        self._cache: dict[tuple[Any, ...], dict[str, FloatArray]] = {}
        self._dispatch: dict[str, Callable[[Any], Array]] = {
            "indicator": self._indicator,
            "price": self._price,
            "const": lambda node: np.full(len(self.index), float(node.value)),
            "arith": lambda node: _ARITH[node.op](self.number(node.left), self.number(node.right)),
            "highest": lambda node: kn.rolling_max_before_nb(self.number(node.item), node.bars),
            "lowest": lambda node: kn.rolling_min_before_nb(self.number(node.item), node.bars),
            "lag": self._lag,
            "bars_since": lambda node: kn.bars_since_nb(self.condition(node.item)),
            "compare": self._compare,
            "cross": self._cross,
            "all": lambda node: np.logical_and.reduce([self.condition(i) for i in node.items]),
            "any": lambda node: np.logical_or.reduce([self.condition(i) for i in node.items]),
            "not": lambda node: ~self.condition(node.item),
            "for_bars": lambda node: self._count(node) == node.bars,
            "within_bars": lambda node: self._count(node) > 0,
        }

    def evaluate(self, node: Any) -> Array:
        """Return `node` as an array over the bars: float64 for values, bool for conditions."""
        return self._dispatch[node.kind](node)

    def number(self, node: Any) -> FloatArray:
        """Return `node` as float64 values (a condition reads 1.0 when true, 0.0 when false)."""
        return np.asarray(self.evaluate(node), dtype=np.float64)

    def condition(self, node: Any) -> BoolArray:
        """Return `node` as a bool array; raise SpecError if it is a value, not a condition."""
        if not is_boolean(node):
            raise SpecError(
                f"A {node.kind} is a value, not a condition: compare it with something."
            )
        return np.asarray(self.evaluate(node), dtype=np.bool_)

    def label(self, node: Any) -> str:
        """Return a short readable label of `node` such as ``RSI(14)`` or ``close@GLD``."""
        if node.kind == "indicator":
            return self._indicator_label(node, node.output)
        if node.kind == "price":
            return f"{node.field}@{node.symbol}" if self._is_other(node.symbol) else str(node.field)
        if node.kind == "const":
            return f"{node.value:g}"
        if node.kind == "arith":
            return f"({self.label(node.left)} {node.op} {self.label(node.right)})"
        return str(node.kind)

    def frame(self, symbol: str | None) -> pd.DataFrame:
        """Return the bars of `symbol` (None: the traded one) aligned on the traded index."""
        name = self.symbol if symbol is None else symbol
        if name not in self._aligned:
            if name not in self._frames:
                raise SpecError(
                    f"The rule reads {name!r}, but no bars were given for it; "
                    f"have {', '.join(self._frames)}."
                )
            self._aligned[name] = self._frames[name].reindex(self.index, method="ffill")
        return self._aligned[name]

    def _price(self, node: Any) -> FloatArray:
        frame = self.frame(node.symbol)
        if node.field not in frame.columns:
            raise SpecError(f"The bars have no {node.field!r} column.")
        return np.asarray(frame[node.field].to_numpy(), dtype=np.float64)

    def _is_other(self, symbol: str | None) -> bool:
        return symbol is not None and symbol != self.symbol

    def _key(self, node: Any) -> tuple[tuple[Any, ...], Any, str]:
        info = get_indicator(node.name)
        params = info.resolve_params(node.params)
        output = info.resolve_output(node.output)
        source = None if node.input is None else node.input.model_dump_json()
        symbol = node.symbol if self._is_other(node.symbol) else None
        return (info.name, tuple(params.items()), source, symbol), info, output

    def _indicator_label(self, node: Any, output: str | None) -> str:
        text = get_indicator(node.name).label(node.params, output)
        if node.input is not None:
            text += f" of {self.label(node.input)}"
        if self._is_other(node.symbol):
            text += f"@{node.symbol}"
        return text

    def _indicator(self, node: Any) -> FloatArray:
        key, info, output = self._key(node)
        if key not in self._cache:
            outputs = info.compute(self._indicator_data(node, info), dict(key[1]))
            self._cache[key] = outputs
            for name, values in outputs.items():
                label = self._indicator_label(node, name)
                self.indicators[label] = pd.Series(values, index=self.index, name=label)
        return self._cache[key][output]

    def _indicator_data(self, node: Any, info: Any) -> dict[str, np.ndarray]:
        frame = self.frame(node.symbol)
        data: dict[str, np.ndarray] = {"timestamp": self.index.asi8}
        if node.input is not None:
            if len(info.inputs) != 1:
                raise SpecError(
                    f"{info.name.upper()} reads {', '.join(info.inputs)} and cannot take "
                    "another series as input."
                )
            data[info.inputs[0]] = self.number(node.input)
        for name in info.inputs:
            if name not in data:
                if name not in frame.columns:
                    raise SpecError(f"{info.name.upper()} needs the bar field {name!r}.")
                data[name] = frame[name].to_numpy(dtype=np.float64)
        return data

    def _lag(self, node: Any) -> Array:
        values = self.evaluate(node.item)
        out = np.empty_like(values)
        fill = False if values.dtype == np.bool_ else np.nan
        out[: node.bars] = fill
        out[node.bars :] = values[: len(values) - node.bars]
        return out

    def _compare(self, node: Any) -> BoolArray:
        left, right = self.number(node.left), self.number(node.right)
        valid = ~(np.isnan(left) | np.isnan(right))
        return valid & _COMPARE[node.op](left, right)

    def _cross(self, node: Any) -> BoolArray:
        left, right = self.number(node.left), self.number(node.right)
        before_left, before_right = _shift(left), _shift(right)
        if node.direction == "above":
            was, now = before_left <= before_right, left > right
        else:
            was, now = before_left >= before_right, left < right
        return was & now

    def _count(self, node: Any) -> npt.NDArray[np.int64]:
        return kn.window_count_nb(self.condition(node.item), node.bars)


def _shift(values: FloatArray) -> FloatArray:
    out = np.empty_like(values)
    out[0] = np.nan
    out[1:] = values[:-1]
    return out


def compile_expression(node: Any, bars: Bars, *, symbol: str | None = None) -> Array:
    """Return one expression node evaluated on `bars`: float64 values or a bool condition.

    `bars` is one Bars frame or a mapping symbol -> frame; `symbol` names the traded one.
    Raises SpecError for unknown indicators, bad parameters or missing symbols.
    """
    return SignalCompiler(bars, symbol=symbol).evaluate(node)


def compile_signals(spec: StrategySpec, bars: Bars, *, symbol: str | None = None) -> Signals:
    """Return the rule signals of `spec` on `bars` as bool Series aligned to the bars' index.

    `bars` is the traded symbol's Bars frame, or a mapping symbol -> frame when rules read
    other symbols (pairs); `symbol` picks the traded one (default: the spec's first symbol
    when it is in the mapping, else the only frame). Entries and exits are independent
    (no position is tracked); an absent exit rule gives all False.

    Example::

        signals = compile_signals(spec, bars)
        signals.entries.sum()  # number of entry bars
    """
    if symbol is None and (isinstance(bars, pd.DataFrame) or spec.universe[0] in bars):
        symbol = spec.universe[0]
    compiler = SignalCompiler(bars, symbol=symbol)
    is_both = spec.direction == "both"
    return Signals(
        entries=_rule_series(compiler, spec.entry),
        exits=_rule_series(compiler, spec.exit),
        short_entries=_rule_series(compiler, spec.short_entry) if is_both else None,
        short_exits=_rule_series(compiler, spec.short_exit) if is_both else None,
        indicators=dict(compiler.indicators),
    )


def _rule_series(compiler: SignalCompiler, rule: Any) -> pd.Series:
    values = (
        np.zeros(len(compiler.index), dtype=np.bool_) if rule is None else compiler.condition(rule)
    )
    return pd.Series(values, index=compiler.index)
