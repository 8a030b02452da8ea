"""Backtest use cases: turn a strategy (text, spec or signals) and data into a result.

One request names exactly one strategy source and either symbols (their market rules
apply: lots, costs, T+1, price limits) or a bars frame (a generic instrument in whole
units). Stop flags given with the request override the spec's ``risk``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from vibetrading.domain.backtest import BacktestResult, run_signals
from vibetrading.domain.backtest.stats import compute_stats
from vibetrading.domain.strategy import StrategySpec
from vibetrading.domain.trading import Market, Symbol
from vibetrading.errors import ConfigError, EmptyData, SpecError
from vibetrading.services.market_data import MarketDataService
from vibetrading.services.ports import CodeRunner, ProgressCallback

__all__ = ["BacktestOutcome", "BacktestRequest", "BacktestService", "spec_options"]

Fill = Literal["next_open", "close"]
_SIZE_TYPES = {
    "percent_equity": "percent",
    "fixed_cash": "cash",
    "fixed_quantity": "quantity",
    "equal_weight": "equal_weight",
    "volatility_target": "volatility_target",
}


@dataclass(frozen=True)
class BacktestRequest:
    """What to backtest, on what, and how; exactly one of strategy, spec, signals or code.

    `code` is the source of a code strategy (``signals(data, params)``); it runs only in
    the sandbox, with `code_params` as its ``params``.
    """

    strategy: str | None = None
    spec: StrategySpec | None = None
    signals: pd.DataFrame | None = None
    code: str | None = None
    code_params: Mapping[str, Any] | None = None
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


@dataclass
class BacktestOutcome:
    """A finished backtest: the result, its statistics and how the strategy was read."""

    result: BacktestResult
    stats: dict[str, Any]
    bars: dict[str, pd.DataFrame]
    spec: StrategySpec | None = None
    benchmark_label: str | None = None
    assumptions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    indicators: dict[str, pd.Series] = field(default_factory=dict)
    safety: dict[str, Any] | None = None


def _why_no_entries(
    spec: StrategySpec | None,
    bars: Mapping[str, pd.DataFrame],
    entries: Mapping[str, pd.Series],
) -> list[str]:
    """Say, for a spec that never entered on its one symbol, how close each rule came."""
    if spec is None or len(bars) != 1 or any(bool(e.any()) for e in entries.values()):
        return []
    from vibetrading.domain.strategy.validate import data_warnings

    name, frame = next(iter(bars.items()))
    return data_warnings(spec, frame, symbol=name)


class BacktestService:
    """Run backtests over the market-data service; code strategies go to `code_runner`."""

    def __init__(
        self, market_data: MarketDataService, *, code_runner: CodeRunner | None = None
    ) -> None:
        self.market_data = market_data
        self.code_runner = code_runner

    def run(
        self, request: BacktestRequest, *, progress: ProgressCallback | None = None
    ) -> BacktestOutcome:
        """Run `request` and return the outcome; raise a VibeTradingError on bad input."""
        _check_sources(request)
        report = _Report()
        spec = self._spec(request, report)
        step = progress or (lambda _f, _t: None)
        step(0.05, "loading bars")
        symbols, bars = self._bars(request, spec)
        step(0.3, "computing signals")
        safety: dict[str, Any] | None = None
        if request.code is not None:
            entries, exits, safety = self._code_signals(request, bars)
            indicators: dict[str, pd.Series] = {}
        else:
            entries, exits, indicators = _signals(request, spec, bars)
            report.warnings += _why_no_entries(spec, bars, entries)
        step(0.5, "simulating")
        benchmark, label = self._benchmark(symbols, bars)
        result = run_signals(
            _one(bars),
            _one(entries),
            _one(exits),
            **self._options(request, spec, symbols),
            benchmark=benchmark,
        )
        step(0.9, "computing statistics")
        stats = compute_stats(result)
        step(1.0, "done")
        return BacktestOutcome(
            result=result,
            stats=stats,
            bars=bars,
            spec=spec,
            benchmark_label=label,
            assumptions=report.assumptions,
            warnings=report.warnings,
            indicators=indicators,
            safety=safety,
        )

    def check_code(self, source: str) -> dict[str, Any]:
        """Return the safety report of a code strategy as a dict, without running it."""
        if self.code_runner is None:
            raise ConfigError("Code strategies need the sandbox, which this service lacks.")
        return self.code_runner.check(source)

    def _code_signals(
        self, request: BacktestRequest, bars: Mapping[str, pd.DataFrame]
    ) -> tuple[dict[str, pd.Series], dict[str, pd.Series], dict[str, Any]]:
        if self.code_runner is None:
            raise ConfigError("Code strategies need the sandbox, which this service lacks.")
        entries: dict[str, pd.Series] = {}
        exits: dict[str, pd.Series] = {}
        safety: dict[str, Any] = {}
        for name, frame in bars.items():
            entries[name], exits[name], safety = self.code_runner.run(
                request.code or "", frame, request.code_params
            )
        return entries, exits, safety

    def _spec(self, request: BacktestRequest, report: _Report) -> StrategySpec | None:
        if request.spec is not None:
            from vibetrading.services.strategies import check_spec

            report.warnings += check_spec(request.spec)
            return request.spec
        if request.strategy is None:
            return None
        from vibetrading.domain.strategy.dsl import parse_strategy

        parsed = parse_strategy(request.strategy, default_symbol=(request.symbols or ("SPX",))[0])
        report.assumptions += parsed.assumptions
        report.warnings += parsed.warnings + [f"not understood: {w!r}" for w in parsed.unparsed]
        if parsed.errors or parsed.spec is None:
            raise SpecError("; ".join(parsed.errors) or "The text yields no strategy.")
        return parsed.spec

    def _bars(
        self, request: BacktestRequest, spec: StrategySpec | None
    ) -> tuple[list[Symbol | None], dict[str, pd.DataFrame]]:
        if request.bars is not None and not request.symbols:
            frame = (
                request.bars.loc[request.start : request.end]
                if (request.start or request.end)
                else request.bars
            )
            if len(frame) == 0:
                raise EmptyData("The bars hold nothing between the start and the end.")
            return [None], {"DATA": frame}
        names = list(request.symbols or (spec.universe if spec else ()))
        if not names:
            raise ConfigError("Name the symbols to backtest (--symbol), or give bars (--data).")
        symbols = [self.market_data.resolve_symbol(name) for name in names]
        timeframe = spec.timeframe.value if spec else "1d"
        bars = {
            s.code: self.market_data.load_bars(
                s, start=request.start, end=request.end, timeframe=timeframe
            )
            for s in symbols
        }
        return list(symbols), bars

    def _benchmark(
        self, symbols: list[Symbol | None], bars: Mapping[str, pd.DataFrame]
    ) -> tuple[pd.Series | None, str | None]:
        first = next(iter(bars.values()))
        if all(s is not None and s.market is Market.US for s in symbols) and "SPX" not in bars:
            try:
                spx = self.market_data.load_bars("SPX", start=first.index[0], end=first.index[-1])
                return spx["close"], "S&P 500 (SPX)"
            except (EmptyData, ConfigError):
                pass
        if len(bars) == 1:
            name = next(iter(bars))
            return first["close"], f"{name} buy & hold"
        return None, None

    @staticmethod
    def _options(
        request: BacktestRequest, spec: StrategySpec | None, symbols: list[Symbol | None]
    ) -> dict[str, Any]:
        options = spec_options(spec) if spec else {}
        overrides = {
            "stop_loss": request.stop_loss,
            "take_profit": request.take_profit,
            "trailing_stop": request.trailing_stop,
            "fee_rate": request.fee_rate,
            "slippage_bps": request.slippage_bps,
        }
        options.update({k: v for k, v in overrides.items() if v is not None})
        options.update(
            fill=request.fill,
            cash=request.cash,
            symbol=symbols[0] if len(symbols) == 1 else {s.code: s for s in symbols if s},
        )
        return options


def spec_options(spec: StrategySpec) -> dict[str, Any]:
    """Return the ``run_signals`` options a spec sets: risk exits, direction, sizing, costs."""
    risk, costs = spec.risk, spec.costs
    options: dict[str, Any] = {
        "stop_loss": risk.stop_loss,
        "take_profit": risk.take_profit,
        "trailing_stop": risk.trailing_stop,
        "max_holding_bars": risk.max_holding_bars,
        "direction": spec.direction,
        "size": spec.sizing.value,
        "size_type": _SIZE_TYPES[spec.sizing.method],
    }
    if costs is not None and costs.fee_rate is not None:
        options["fee_rate"] = costs.fee_rate
    if costs is not None and costs.slippage_bps is not None:
        options["slippage_bps"] = costs.slippage_bps
    return options


@dataclass
class _Report:
    assumptions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _one(frames: Mapping[str, Any]) -> Any:
    return next(iter(frames.values())) if len(frames) == 1 else dict(frames)


def _check_sources(request: BacktestRequest) -> None:
    given = [n for n in ("strategy", "spec", "signals", "code") if getattr(request, n) is not None]
    if len(given) != 1:
        raise ConfigError(
            "Give exactly one strategy: a text, a spec, a signals file or a code file."
        )
    if (
        request.bars is None
        and not request.symbols
        and request.spec is None
        and request.strategy is None
    ):
        raise ConfigError("Name the symbols to backtest (--symbol), or give bars (--data).")


def _signals(
    request: BacktestRequest, spec: StrategySpec | None, bars: Mapping[str, pd.DataFrame]
) -> tuple[dict[str, pd.Series], dict[str, pd.Series], dict[str, pd.Series]]:
    if spec is None:
        return _aligned_signals(request.signals, bars)
    from vibetrading.domain.strategy.compile import compile_signals

    entries, exits, indicators = {}, {}, {}
    for name, frame in bars.items():
        compiled = compile_signals(spec, frame if len(bars) == 1 else dict(bars), symbol=name)
        entries[name], exits[name] = compiled.entries, compiled.exits
        indicators.update(
            {
                f"{label}" if len(bars) == 1 else f"{name} {label}": s
                for label, s in compiled.indicators.items()
            }
        )
    return entries, exits, indicators


def _aligned_signals(
    signals: pd.DataFrame | None, bars: Mapping[str, pd.DataFrame]
) -> tuple[dict[str, pd.Series], dict[str, pd.Series], dict[str, pd.Series]]:
    if signals is None:
        raise ConfigError("No signals were given.")
    entries, exits = {}, {}
    for name, frame in bars.items():
        aligned = signals.reindex(frame.index)
        if aligned["entry"].isna().all():
            raise EmptyData(f"The signals file has no timestamp in common with the {name} bars.")
        entries[name] = aligned["entry"].fillna(False).astype(bool)
        exits[name] = aligned["exit"].fillna(False).astype(bool)
    return entries, exits, {}
