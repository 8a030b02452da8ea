"""Sweep use case: try a grid of parameters on real data and say how much to trust the best.

One request names either a moving-average crossover (``crossover="sma"`` or ``"ema"`` with
``fast`` and ``slow`` windows) or a StrategySpec (with ``fast``/``slow``, which then move
the spec's two moving averages, or a ``grid`` of spec paths). Symbols bring their market's
lots and costs; a bars frame is a generic instrument in whole units. Next to the best
parameters the outcome carries the deflated Sharpe ratio and the probability of backtest
overfitting of the search, and, on request, a walk-forward optimisation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from vibetrading.domain.backtest.overfitting import OverfittingReport, assess_overfitting
from vibetrading.domain.backtest.stats import periods_per_year_for
from vibetrading.domain.backtest.sweep import SweepResult, sweep_crossover
from vibetrading.domain.backtest.sweep_spec import sweep_spec
from vibetrading.domain.backtest.walkforward import WalkForwardResult, walk_forward
from vibetrading.domain.indicators import get_indicator
from vibetrading.domain.strategy import StrategySpec
from vibetrading.domain.trading import Symbol
from vibetrading.errors import ConfigError, DataError, EmptyData, SpecError
from vibetrading.services.market_data import MarketDataService
from vibetrading.services.ports import ProgressCallback

__all__ = ["SweepOutcome", "SweepRequest", "SweepService"]

Fill = Literal["next_open", "close"]
_MOVING_AVERAGES = frozenset({"sma", "ema", "wma"})


@dataclass(frozen=True)
class SweepRequest:
    """What to sweep, on what, and how; exactly one of crossover or spec."""

    crossover: Literal["sma", "ema"] | None = None
    spec: StrategySpec | None = None
    fast: tuple[int, ...] = ()
    slow: tuple[int, ...] = ()
    grid: Mapping[str, Sequence[Any]] | None = None
    symbols: tuple[str, ...] = ()
    bars: pd.DataFrame | None = None
    start: str | None = None
    end: str | None = None
    cash: float = 100_000.0
    fill: Fill = "next_open"
    fee_rate: float | None = None
    slippage_bps: float | None = None
    stop_loss: float | None = None
    take_profit: float | None = None
    trailing_stop: float | None = None
    metric: str = "sharpe"
    walk_forward: tuple[int, int] | None = None
    blocks: int = 16


@dataclass
class SweepOutcome:
    """A finished sweep: every row, the best one, and how far to trust it."""

    result: SweepResult
    best: pd.Series
    metric: str
    overfitting: OverfittingReport | None = None
    walk_forward: WalkForwardResult | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def parameters(self) -> tuple[str, ...]:
        """Return the parameter column names of the table."""
        return self.result.parameters


class SweepService:
    """Run parameter sweeps over the market-data service."""

    def __init__(self, market_data: MarketDataService) -> None:
        self.market_data = market_data

    def run(
        self, request: SweepRequest, *, progress: ProgressCallback | None = None
    ) -> SweepOutcome:
        """Run `request`; `progress` hears the fraction done and a status per symbol.

        Raises ConfigError for an incomplete request, SpecError when the spec's moving
        averages cannot be found for fast/slow, DataError when nothing traded.
        """
        _check(request)
        step = progress or (lambda _f, _t: None)
        symbols, bars = self._bars(request, step)
        periods = _periods_per_year(bars, symbols)
        warnings: list[str] = []
        result = _sweep(request, bars, symbols, periods, step)
        best = result.best(request.metric)
        step(0.9, "checking for overfitting")
        overfitting = _overfitting(request, result, best, bars, symbols, periods, warnings)
        walk = None
        if request.walk_forward is not None:
            step(0.95, "walking forward")
            walk = _walk_forward(request, bars, symbols, best, periods)
        step(1.0, "done")
        warnings += list(result.notes)
        return SweepOutcome(
            result=result,
            best=best,
            metric=request.metric,
            overfitting=overfitting,
            walk_forward=walk,
            warnings=warnings,
        )

    def _bars(
        self, request: SweepRequest, step: ProgressCallback
    ) -> tuple[dict[str, Symbol | None], dict[str, pd.DataFrame]]:
        if request.bars is not None and not request.symbols:
            frame = request.bars.loc[request.start : request.end]
            if len(frame) == 0:
                raise EmptyData("The bars hold nothing between the start and the end.")
            return {"DATA": None}, {"DATA": frame}
        names = list(request.symbols or (request.spec.universe if request.spec else ()))
        if not names:
            raise ConfigError("Name the symbols to sweep (--symbol), or give bars (--data).")
        timeframe = request.spec.timeframe.value if request.spec else "1d"
        symbols: dict[str, Symbol | None] = {}
        bars: dict[str, pd.DataFrame] = {}
        for position, name in enumerate(names):
            step(0.1 * position / len(names), f"loading {name}")
            symbol = self.market_data.resolve_symbol(name)
            symbols[symbol.code] = symbol
            bars[symbol.code] = self.market_data.load_bars(
                symbol, start=request.start, end=request.end, timeframe=timeframe
            )
        return symbols, bars


def _check(request: SweepRequest) -> None:
    if (request.crossover is None) == (request.spec is None):
        raise ConfigError("Sweep either a crossover (--crossover sma|ema) or a spec (--spec).")
    if request.crossover is not None and not (request.fast and request.slow):
        raise ConfigError("A crossover sweep needs --fast and --slow windows.")
    if request.spec is not None and not (request.grid or (request.fast and request.slow)):
        raise ConfigError("A spec sweep needs --fast and --slow, or --param PATH=VALUES.")
    if request.grid and (request.crossover is not None or request.fast or request.slow):
        raise ConfigError(
            "--param sweeps a spec's paths: use it with --spec, without --fast/--slow."
        )
    if request.spec is not None and request.walk_forward is not None:
        raise ConfigError("Walk-forward runs on crossover sweeps (--crossover) for now.")


def _periods_per_year(bars: Mapping[str, pd.DataFrame], symbols: Mapping[str, Any]) -> float:
    code, frame = next(iter(bars.items()))
    symbol = symbols.get(code)
    annualisation = symbol.rules.annualisation if symbol is not None else 252
    return periods_per_year_for(frame.index, annualisation)


def _common(request: SweepRequest, periods: float) -> dict[str, Any]:
    return {
        "cash": request.cash,
        "slippage_bps": request.slippage_bps,
        "stop_loss": request.stop_loss,
        "take_profit": request.take_profit,
        "trailing_stop": request.trailing_stop,
        "fill": request.fill,
        "periods_per_year": periods,
    }


def _sweep(
    request: SweepRequest,
    bars: Mapping[str, pd.DataFrame],
    symbols: Mapping[str, Symbol | None],
    periods: float,
    step: ProgressCallback,
) -> SweepResult:
    def report(done: int, total: int) -> None:
        step(0.1 + 0.8 * done / total, f"swept {done}/{total} symbols")

    if request.crossover is not None:
        options = _common(request, periods)
        options["slippage_bps"] = options["slippage_bps"] or 0.0
        return sweep_crossover(
            dict(bars), fast=request.fast, slow=request.slow, indicator=request.crossover,
            fee_rate=request.fee_rate or 0.0, symbol=_symbol_map(symbols), progress=report,
            **options,
        )  # fmt: skip
    results = []
    for done, code in enumerate(bars, start=1):
        results.append(_spec_sweep(request, bars, code, symbols.get(code), periods))
        report(done, len(bars))
    return _merge(results)


def _symbol_map(symbols: Mapping[str, Symbol | None]) -> dict[str, Symbol] | None:
    known = {code: s for code, s in symbols.items() if s is not None}
    return known or None


def _spec_sweep(
    request: SweepRequest,
    bars: Mapping[str, pd.DataFrame],
    code: str,
    symbol: Symbol | None,
    periods: float,
    *,
    keep_returns: bool = False,
) -> SweepResult:
    spec = request.spec
    if spec is None:
        raise ConfigError("No spec to sweep.")
    grid, names = _spec_grid(request, spec)
    result = sweep_spec(
        spec, bars[code] if len(bars) == 1 else dict(bars), grid, symbol=symbol or code,
        fee_rate=request.fee_rate, keep_returns=keep_returns, **_common(request, periods),
    )  # fmt: skip
    table = result.table.rename(columns=names)
    table["symbol"] = code
    keep = (table["fast"] < table["slow"]) if {"fast", "slow"} <= set(names.values()) else None
    returns = result.returns
    if keep is not None:
        table = table[keep].reset_index(drop=True)
        if returns is not None:
            returns = {
                k: v.loc[:, keep.to_numpy()].set_axis(table.index, axis=1)
                for k, v in returns.items()
            }
    parameters = tuple(names.get(p, p) for p in result.parameters)
    return replace(result, table=table, parameters=parameters, returns=returns)


def _spec_grid(
    request: SweepRequest, spec: StrategySpec
) -> tuple[dict[str, Sequence[Any]], dict[str, str]]:
    if request.grid:
        return dict(request.grid), {}
    fast_path, slow_path = _moving_average_paths(spec)
    return (
        {fast_path: list(request.fast), slow_path: list(request.slow)},
        {fast_path: "fast", slow_path: "slow"},
    )


def _moving_average_paths(spec: StrategySpec) -> tuple[str, str]:
    found: dict[tuple[str, int], str] = {}
    document = spec.model_dump(mode="json")
    for rule in ("entry", "exit"):
        for path, node in _nodes(document.get(rule), rule):
            info = get_indicator(node["name"])
            if info.name in _MOVING_AVERAGES and node.get("input") is None:
                period = int(info.resolve_params(node.get("params", {}))["period"])
                found.setdefault((info.name, period), f"{path}.params.period")
    if len(found) != 2:
        shown = ", ".join(f"{n.upper()}({p})" for n, p in found) or "none"
        raise SpecError(
            f"--fast/--slow need a spec with exactly two moving averages (found: {shown}); "
            "use --param PATH=VALUES instead."
        )
    (_, fast_path), (_, slow_path) = sorted(found.items(), key=lambda item: item[0][1])
    return fast_path, slow_path


def _nodes(node: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(node, list):
        return [hit for i, item in enumerate(node) for hit in _nodes(item, f"{path}.{i}")]
    if not isinstance(node, dict):
        return []
    hits = [(path, node)] if node.get("kind") == "indicator" else []
    for key, child in node.items():
        if isinstance(child, dict | list):
            hits += _nodes(child, f"{path}.{key}")
    return hits


def _merge(results: list[SweepResult]) -> SweepResult:
    if len(results) == 1:
        return results[0]
    table = pd.concat([r.table for r in results], ignore_index=True)
    notes = tuple(dict.fromkeys(n for r in results for n in r.notes))
    return replace(results[0], table=table, returns=None, notes=notes)


def _overfitting(
    request: SweepRequest,
    result: SweepResult,
    best: pd.Series,
    bars: Mapping[str, pd.DataFrame],
    symbols: Mapping[str, Symbol | None],
    periods: float,
    warnings: list[str],
) -> OverfittingReport | None:
    code = str(best["symbol"])
    rerun = _rerun_with_returns(request, bars, code, symbols.get(code), periods)
    if rerun.returns is None or code not in rerun.returns:
        return None
    returns = rerun.returns[code]
    matches = rerun.table.index[
        (rerun.table[list(result.parameters)] == best[list(result.parameters)]).all(axis=1)
    ]
    sharpes = result.table["sharpe"].to_numpy(dtype=np.float64) / math.sqrt(periods)
    try:
        return assess_overfitting(
            returns, matches[0], trial_sharpes=sharpes, trials=len(result.table),
            blocks=request.blocks,
        )  # fmt: skip
    except DataError as e:
        warnings.append(f"no overfitting figures: {e}")
        return None


def _rerun_with_returns(
    request: SweepRequest,
    bars: Mapping[str, pd.DataFrame],
    code: str,
    symbol: Symbol | None,
    periods: float,
) -> SweepResult:
    if request.crossover is None:
        return _spec_sweep(request, bars, code, symbol, periods, keep_returns=True)
    options = _common(request, periods)
    options["slippage_bps"] = options["slippage_bps"] or 0.0
    return sweep_crossover(
        {code: bars[code]}, fast=request.fast, slow=request.slow, indicator=request.crossover,
        fee_rate=request.fee_rate or 0.0, symbol=None if symbol is None else {code: symbol},
        keep_returns=True, **options,
    )  # fmt: skip


def _walk_forward(
    request: SweepRequest,
    bars: Mapping[str, pd.DataFrame],
    symbols: Mapping[str, Symbol | None],
    best: pd.Series,
    periods: float,
) -> WalkForwardResult:
    if request.walk_forward is None or request.crossover is None:
        raise ConfigError("Walk-forward runs on crossover sweeps.")
    train, test = request.walk_forward
    code = str(best["symbol"])
    options = _common(request, periods)
    options["slippage_bps"] = options["slippage_bps"] or 0.0
    return walk_forward(
        bars[code], fast=request.fast, slow=request.slow, train_bars=train, test_bars=test,
        metric=request.metric, indicator=request.crossover, fee_rate=request.fee_rate or 0.0,
        symbol=symbols.get(code), **options,
    )  # fmt: skip
