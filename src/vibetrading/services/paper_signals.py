"""Where a paper runner's signals come from: a spec, or sandboxed code.

Signals are computed once per run, not at each bar: ``prepare`` compiles a spec (or runs
code in the sandbox) over the bars the run covers, as the backtest does, and each step
reads its bar's values with ``at``. Compiled signals are causal (each value reads only
the bars up to its own), so they are the backtest's. A bar that was not prepared is
computed over a bounded trailing window (``spec_window`` bars for a spec).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from vibetrading.domain.strategy import StrategySpec
from vibetrading.errors import ConfigError
from vibetrading.services.ports import CodeRunner

__all__ = ["CodeSignals", "SignalSource", "SpecSignals", "spec_window"]

_RECURSIVE = (
    "ema", "dema", "tema", "rsi", "macd", "atr", "natr", "adx", "kdj", "stoch", "kama", "cci",
    "mfi", "obv", "sar", "trix", "bars_since",
)  # fmt: skip
_WARMUP_FACTOR = 10  # recursive indicators (EMA, RSI) forget their seed within ~10 periods
_MIN_WINDOW = 50


class SignalSource(Protocol):
    """Signals bar by bar: entry and exit at each bar's close."""

    window: int
    """Bars of history one evaluation needs (the trailing window's length)."""

    def prepare(self, bars: pd.DataFrame) -> None:
        """Compute the signals of every bar a run will process, once, before the first step."""
        ...

    def at(self, bars: pd.DataFrame, i: int) -> tuple[bool, bool]:
        """Return (entry, exit) at bar `i` of `bars`: prepared, or from its trailing window."""
        ...


def spec_window(spec: StrategySpec) -> int:
    """Return the trailing window of a spec's signals at a bar that was not prepared
    (and twice the history a live poll loads).

    The longest lookback found in the entry and exit trees (indicator periods, bar
    counts) plus one, doubled; times ten when a recursive indicator (EMA, RSI, ATR,
    MACD...) or ``bars_since`` is used, so that it has forgotten its seed; at least 50.
    """
    trees = spec.model_dump(include={"entry", "exit"})
    longest = max(_numbers(trees), default=1)
    text = json.dumps(trees).lower()
    is_recursive = any(f'"{name}"' in text for name in _RECURSIVE)
    factor = _WARMUP_FACTOR if is_recursive else 2
    return max(factor * (longest + 1), _MIN_WINDOW)


def _numbers(node: Any) -> list[int]:
    if isinstance(node, dict):
        return [n for value in node.values() for n in _numbers(value)]
    if isinstance(node, list | tuple):
        return [n for value in node for n in _numbers(value)]
    if isinstance(node, int) and not isinstance(node, bool) and 0 < node < 10_000:
        return [node]
    return []


@dataclass
class SpecSignals:
    """Signals of a spec on one symbol: compiled once over a run's bars (``prepare``), or
    over the trailing window of a bar that was not prepared."""

    spec: StrategySpec
    symbol: str
    window: int = 0
    _prepared: dict[pd.Timestamp, tuple[bool, bool]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if len(self.spec.universe) > 1:
            raise ConfigError("The runner trades one symbol; this spec names several.")
        self.window = self.window or spec_window(self.spec)

    def prepare(self, bars: pd.DataFrame) -> None:
        """Compile the spec once over `bars` and keep its signals per bar.

        Each value reads only the bars up to its own, as in the backtest, which compiles
        the same way: the signals are the backtest's.
        """
        entries, exits = self._compile(bars)
        self._prepared = dict(zip(bars.index, zip(entries, exits, strict=True), strict=True))

    def at(self, bars: pd.DataFrame, i: int) -> tuple[bool, bool]:
        """Return (entry, exit) at bar `i` of `bars`."""
        prepared = self._prepared.get(bars.index[i])
        if prepared is not None:
            return prepared
        return self.latest(bars.iloc[max(0, i + 1 - self.window) : i + 1])

    def latest(self, bars: pd.DataFrame) -> tuple[bool, bool]:
        """Return (entry, exit) at the last bar of `bars` (compiled over all of them)."""
        entries, exits = self._compile(bars)
        return (entries[-1], exits[-1]) if entries else (False, False)

    def _compile(self, bars: pd.DataFrame) -> tuple[list[bool], list[bool]]:
        from vibetrading.domain.strategy.compile import compile_signals

        try:
            compiled = compile_signals(self.spec, bars, symbol=self.symbol)
        except ValueError:
            # compile's lag of N bars fails on fewer than N bars; no signal can hold there
            if len(bars) >= self.window:
                raise
            return [False] * len(bars), [False] * len(bars)
        entries: list[bool] = compiled.entries.to_numpy(dtype=bool).tolist()
        exits: list[bool] = compiled.exits.to_numpy(dtype=bool).tolist()
        return entries, exits


@dataclass
class CodeSignals:
    """Signals of a sandboxed code strategy.

    A sandbox run is a separate process (seconds), so the code runs once per run or poll
    on every bar it covers (``prepare``), exactly as the backtest runs it, and each step
    reads its bar's values; a bar not prepared runs the code on its trailing `window`.
    """

    code_runner: CodeRunner
    source: str
    window: int = 250
    params: dict[str, Any] | None = None
    _cache: dict[pd.Timestamp, tuple[bool, bool]] = field(default_factory=dict, repr=False)

    def prepare(self, bars: pd.DataFrame) -> None:
        """Run the code once on `bars` and keep its signals per bar."""
        entries, exits, _ = self.code_runner.run(self.source, bars, self.params)
        self._cache = {
            t: (bool(e), bool(x))
            for t, e, x in zip(bars.index, entries.to_numpy(), exits.to_numpy(), strict=True)
        }

    def at(self, bars: pd.DataFrame, i: int) -> tuple[bool, bool]:
        """Return (entry, exit) at bar `i` of `bars`."""
        cached = self._cache.get(bars.index[i])
        if cached is not None:
            return cached
        return self.latest(bars.iloc[max(0, i + 1 - self.window) : i + 1])

    def latest(self, bars: pd.DataFrame) -> tuple[bool, bool]:
        """Return (entry, exit) at the last bar of `bars`."""
        entries, exits, _ = self.code_runner.run(self.source, bars, self.params)
        return bool(entries.iloc[-1]), bool(exits.iloc[-1])
