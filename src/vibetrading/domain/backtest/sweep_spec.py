"""Sweep the parameters of a StrategySpec: every combination of a grid in one kernel call.

A grid maps paths into the spec (``entry.left.params.period``, ``risk.stop_loss``) to the
values to try. Each combination's signals come from one shared compiler, which computes
every distinct indicator once; then ``sweep_signals_nb`` simulates all columns together
with the rules of ``sweep.py``.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from vibetrading.domain.backtest import kernels as nb
from vibetrading.domain.backtest import sweep_kernels as sk
from vibetrading.domain.backtest._sweep_inputs import (
    OHLC,
    frames_of,
    metrics_table,
    resolve_symbol,
    sweep_notes,
    symbol_params,
)
from vibetrading.domain.backtest.sweep import Fill, SweepResult, SweepSettings
from vibetrading.domain.strategy.compile import SignalCompiler
from vibetrading.domain.strategy.spec import StrategySpec
from vibetrading.domain.trading.symbols import Symbol
from vibetrading.errors import ConfigError, SpecError

__all__ = ["sweep_spec"]


def sweep_spec(
    spec: StrategySpec,
    bars: pd.DataFrame | Mapping[str, pd.DataFrame],
    grid: Mapping[str, Sequence[Any]],
    *,
    symbol: Symbol | str | None = None,
    cash: float = 100_000,
    fee_rate: float | None = None,
    slippage_bps: float | None = None,
    stop_loss: float | None = None,
    take_profit: float | None = None,
    trailing_stop: float | None = None,
    fill: Fill = "next_open",
    periods_per_year: float = 252,
    tie_equal_nodes: bool = True,
    keep_returns: bool = False,
) -> SweepResult:
    """Backtest every combination of `grid` values in `spec` on one symbol; return metrics.

    `grid` maps a path into the spec to the values to try, e.g.
    ``{"entry.left.params.period": [5, 10], "risk.stop_loss": [0.05, 0.1]}``; list items
    are addressed by position (``entry.items.0.left.params.period``). With
    `tie_equal_nodes` a path into an indicator changes every identical indicator of the
    spec too, so ``SMA(50)`` in the entry and in the exit move together. Each
    combination's signals come from the compiler, which computes every distinct indicator
    once across all combinations; then one kernel call simulates them all.

    `bars` is the traded symbol's Bars frame, or {code: bars} when rules read other symbols
    (the traded one is the spec's first symbol, or `symbol`). `symbol` brings the market's
    lots and costs. The spec's risk, sizing and cost overrides apply unless the keyword
    arguments override them. Long and short specs only; ``max_holding_bars`` and
    volatility-target sizing are not modelled in sweeps (ConfigError).

    Raises SpecError for a path that does not exist or a value the spec refuses.
    """
    traded, frames = _spec_frames(spec, bars, symbol)
    _check_spec_support(spec)
    paths = _check_grid(grid)
    document = spec.model_dump(mode="json")
    locations = {path: _locations(document, path, tie=tie_equal_nodes) for path in paths}
    compiler = SignalCompiler(frames, symbol=traded)
    frame = compiler.frame(None)
    combinations = list(itertools.product(*(list(grid[p]) for p in paths)))
    n, k = len(frame), len(combinations)
    entries, exits = np.zeros((k, n), dtype=np.bool_), np.zeros((k, n), dtype=np.bool_)
    configs = np.empty((k, nb.N_CONFIG))
    overrides = {"stop_loss": stop_loss, "take_profit": take_profit, "trailing_stop": trailing_stop}
    settings = SweepSettings(cash=cash, fill=fill, periods_per_year=periods_per_year)
    for c, values in enumerate(combinations):
        variant = _variant(document, locations, values)
        entries[c] = compiler.condition(variant.entry)
        if variant.exit is not None:
            exits[c] = compiler.condition(variant.exit)
        settings = _spec_settings(variant, settings, overrides, fee_rate, slippage_bps)
        configs[c] = settings.config()
    resolved = [resolve_symbol(symbol, traded)]
    params = symbol_params(
        resolved, fee_rate=settings.fee_rate, slippage_bps=settings.slippage_bps
    )[0]
    open_, high, low, close = (
        np.ascontiguousarray(frame[name].to_numpy(dtype=np.float64)) for name in OHLC
    )
    returns = np.zeros((k, n) if keep_returns else (1, 0))
    with sk.limited_threads(k):
        metrics = sk.sweep_signals_nb(
            open_, high, low, close, 0, n, entries, exits, params,
            configs, float(settings.size), settings.direction_sign, float(periods_per_year),
            returns,
        )  # fmt: skip
    table = metrics_table(
        [traded] * k, {p: [v[i] for v in combinations] for i, p in enumerate(paths)}, metrics
    )
    kept = None
    if keep_returns:
        kept = {traded: pd.DataFrame(returns.T, index=frame.index, columns=table.index)}
    return SweepResult(
        table=table,
        parameters=tuple(paths),
        settings={**dataclasses.asdict(settings), "grid": {p: list(grid[p]) for p in paths}},
        returns=kept,
        notes=sweep_notes(resolved),
    )


_SWEEPABLE = ("entry", "exit", "short_entry", "short_exit", "risk")


def _spec_frames(
    spec: StrategySpec, bars: pd.DataFrame | Mapping[str, pd.DataFrame], symbol: Symbol | str | None
) -> tuple[str, dict[str, pd.DataFrame]]:
    frames = frames_of(bars)
    if isinstance(bars, pd.DataFrame):
        code = symbol.code if isinstance(symbol, Symbol) else (symbol or next(iter(frames)))
        return str(code), {str(code): next(iter(frames.values()))}
    wanted = symbol.code if isinstance(symbol, Symbol) else symbol
    if wanted is None:
        wanted = spec.universe[0] if spec.universe[0] in frames else next(iter(frames))
    if wanted not in frames:
        raise SpecError(f"No bars for the traded symbol {wanted!r}; have {', '.join(frames)}.")
    return wanted, frames


def _check_spec_support(spec: StrategySpec) -> None:
    if spec.direction == "both":
        raise ConfigError("Sweeps trade one side: split a 'both' spec into long and short.")
    if spec.risk.max_holding_bars is not None:
        raise ConfigError("max_holding_bars is not modelled in sweeps; drop it to sweep.")
    if spec.sizing.method == "volatility_target":
        raise ConfigError("Volatility-target sizing is not modelled in sweeps.")


def _check_grid(grid: Mapping[str, Sequence[Any]]) -> list[str]:
    if not grid:
        raise ConfigError("The grid is empty: map at least one spec path to values.")
    for path, values in grid.items():
        if path.split(".")[0] not in _SWEEPABLE:
            raise ConfigError(
                f"Cannot sweep {path!r}: grid paths start with {', '.join(_SWEEPABLE)}."
            )
        if isinstance(values, str | bytes) or not len(list(values)):
            raise ConfigError(f"Give {path!r} a non-empty list of values.")
    return list(grid)


def _spec_settings(
    spec: StrategySpec,
    base: SweepSettings,
    overrides: Mapping[str, float | None],
    fee_rate: float | None,
    slippage_bps: float | None,
) -> SweepSettings:
    costs = spec.costs
    size_types = {"fixed_cash": "cash", "fixed_quantity": "quantity"}
    settings = dataclasses.replace(
        base,
        fee_rate=_first(fee_rate, costs and costs.fee_rate, 0.0),
        slippage_bps=_first(slippage_bps, costs and costs.slippage_bps, 0.0),
        size=spec.sizing.value,
        size_type=size_types.get(spec.sizing.method, "percent"),  # type: ignore[arg-type]
        direction=spec.direction,  # type: ignore[arg-type]
        **{name: _first(value, getattr(spec.risk, name)) for name, value in overrides.items()},
    )
    settings.check()
    return settings


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _split(path: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part for part in path.split(".")]


def _get(document: Any, parts: Sequence[str | int], path: str) -> Any:
    node = document
    for part in parts:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            keys = ", ".join(map(str, node)) if isinstance(node, dict) else "list positions"
            raise SpecError(
                f"The spec has no {path!r}: at {part!r} expected one of {keys}."
            ) from None
    return node


def _locations(document: dict[str, Any], path: str, *, tie: bool) -> list[list[str | int]]:
    parts = _split(path)
    parent = _get(document, parts[:-1], path)
    if not (isinstance(parent, dict) and (parts[-1] in parent or parts[-2:-1] == ["params"])):
        _get(document, parts, path)  # raises with the keys that exist
    anchor = max(
        (i for i in range(len(parts)) if _is_indicator(_get(document, parts[:i], path))),
        default=None,
    )
    if not tie or anchor is None:
        return [parts]
    node, suffix = _get(document, parts[:anchor], path), parts[anchor:]
    return [location + suffix for location in _find_equal(document, node, [])]


def _is_indicator(node: Any) -> bool:
    return isinstance(node, dict) and node.get("kind") == "indicator"


def _find_equal(node: Any, target: Any, here: list[str | int]) -> list[list[str | int]]:
    if node == target:
        return [here]
    children: Sequence[tuple[str | int, Any]] = (
        list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        if isinstance(node, list) else []
    )  # fmt: skip
    found = []
    for key, child in children:
        found += _find_equal(child, target, [*here, key])
    return found


def _variant(
    document: dict[str, Any],
    locations: Mapping[str, list[list[str | int]]],
    values: Sequence[Any],
) -> StrategySpec:
    variant = copy.deepcopy(document)
    for (path, places), value in zip(locations.items(), values, strict=True):
        for parts in places:
            _get(variant, parts[:-1], path)[parts[-1]] = value
    try:
        return StrategySpec.model_validate(variant)
    except ValueError as e:
        shown = dict(zip(locations, values, strict=True))
        raise SpecError(f"The grid values {shown} make an invalid spec: {e}") from e
