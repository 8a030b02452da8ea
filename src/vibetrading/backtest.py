"""Backtests for notebooks and scripts.

Two ways in. With your own signals::

    >>> from vibetrading import data
    >>> from vibetrading.backtest import run_signals
    >>> bars = data.load("SPX", start="2009-01-01", end="2018-12-31")
    >>> fast, slow = bars.close.rolling(10).mean(), bars.close.rolling(50).mean()
    >>> result = run_signals(bars, (fast > slow) & (fast.shift() <= slow.shift()),
    ...                      (fast < slow) & (fast.shift() >= slow.shift()), symbol="SPX")
    >>> result.stats["num_trades"]
    35

With a strategy (a spec, or the idea in words)::

    >>> from vibetrading import Backtest
    >>> bt = Backtest(bars, "buy when RSI(14) is below 30, sell above 70, stop loss 5%",
    ...               symbol="SPX")
    >>> round(bt.run().stats["total_return"], 4)  # doctest: +SKIP
    >>> bt.optimize(**{"entry.right.value": [25, 30, 35]}).best()  # doctest: +SKIP
    >>> bt.plot("report.html")  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from vibetrading.domain.backtest import BacktestResult, run_signals
from vibetrading.domain.backtest.sweep import SweepResult, sweep_crossover
from vibetrading.domain.backtest.sweep_spec import sweep_spec
from vibetrading.domain.strategy import StrategySpec
from vibetrading.errors import ConfigError, SpecError
from vibetrading.services.backtests import spec_options
from vibetrading.services.strategies import check_spec

__all__ = ["Backtest", "BacktestResult", "SweepResult", "run_signals", "sweep", "sweep_crossover"]


def sweep(
    bars: pd.DataFrame | Mapping[str, pd.DataFrame],
    strategy: StrategySpec | str,
    grid: Mapping[str, Sequence[Any]],
    **options: Any,
) -> SweepResult:
    """Backtest `strategy` for every combination of `grid` in one compiled pass.

    `grid` maps dotted paths inside the spec (``"entry.left.params.period"``) to the values
    to try; `options` are those of :func:`vibetrading.domain.backtest.sweep_spec.sweep_spec`.
    """
    return sweep_spec(_spec(strategy), bars, grid, **options)


def _spec(strategy: StrategySpec | str, symbol: str = "SPX") -> StrategySpec:
    if isinstance(strategy, StrategySpec):
        for warning in check_spec(strategy):
            warnings.warn(warning, stacklevel=3)
        return strategy
    from vibetrading.domain.strategy.dsl import parse_strategy

    parsed = parse_strategy(strategy, default_symbol=symbol)
    if parsed.spec is None or parsed.errors:
        raise SpecError("; ".join(parsed.errors) or f"No strategy could be read from {strategy!r}.")
    return parsed.spec


class Backtest:
    """A strategy on bars, ready to run, optimise and plot.

    `strategy` is a StrategySpec, the idea in words (read by the offline parser), or an
    ``(entries, exits)`` pair of boolean Series. `symbol` applies that market's rules (lots,
    costs, T+1, price limits); without it the bars are a generic instrument in whole units.
    Keyword `options` go to :func:`run_signals` (``cash``, ``fill``, ``fee_rate``, ...).
    """

    def __init__(
        self,
        bars: pd.DataFrame,
        strategy: StrategySpec | str | tuple[pd.Series, pd.Series],
        *,
        symbol: str | None = None,
        **options: Any,
    ) -> None:
        self.bars = bars
        self.symbol = symbol
        self.options = options
        if isinstance(strategy, tuple):
            self.spec: StrategySpec | None = None
            self.entries, self.exits = strategy
        else:
            self.spec = _spec(strategy, symbol or str(bars.attrs.get("symbol", "SPX")))
            from vibetrading.domain.strategy.compile import compile_signals

            signals = compile_signals(self.spec, bars)
            self.entries, self.exits = signals.entries, signals.exits
        self.result: BacktestResult | None = None

    def run(self, **options: Any) -> BacktestResult:
        """Run the backtest; `options` override those given at construction and the spec's."""
        merged = {**(spec_options(self.spec) if self.spec else {}), **self.options, **options}
        self.result = run_signals(self.bars, self.entries, self.exits, symbol=self.symbol, **merged)
        return self.result

    def optimize(self, **grid: Sequence[Any]) -> SweepResult:
        """Sweep spec parameters given as ``path=[values]`` (dots in paths: pass a dict via **)."""
        if self.spec is None:
            raise ConfigError("optimize needs a strategy spec or text, not fixed signals.")
        return sweep_spec(self.spec, self.bars, grid, symbol=self.symbol, **self.options)

    def plot(self, path: str | Path | None = None, *, title: str | None = None) -> str:
        """Return the self-contained HTML report (running first if needed); write it to `path`."""
        from vibetrading.domain.backtest.report import render_report

        result = self.result or self.run()
        name = title or (self.spec.name if self.spec else f"Backtest of {self.symbol or 'data'}")
        html = render_report(result, bars=self.bars, title=name)
        if path is not None:
            Path(path).write_text(html, encoding="utf-8")
        return html
