"""Keep finished backtests in the run store and read them back as full outcomes.

The web UI saves each run it makes with `save_outcome` (request, spec, settings and
series) so a dashboard link keeps working after a restart and shows only the owner's
runs. `load_outcome` rebuilds a `BacktestOutcome` from a stored run, the UI's or the
copilot's: series from the store, bars reloaded from the market data (the synthetic
``demo`` series when the run was synthetic) and the spec's indicators recomputed.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from vibetrading.domain.backtest import BacktestResult
from vibetrading.domain.backtest.result import ORDER_COLUMNS
from vibetrading.domain.strategy import StrategySpec
from vibetrading.errors import NotFound, VibeTradingError
from vibetrading.services.backtests import BacktestOutcome, BacktestRequest
from vibetrading.services.market_data import MarketDataService
from vibetrading.services.ports import BacktestRepository, StrategyRepository
from vibetrading.services.records import (
    BacktestResultData,
    BacktestRun,
    JobState,
    ListQuery,
)

__all__ = ["StoredRun", "latest_run_id", "load_outcome", "request_document", "save_outcome"]

_OPTIONS = ("cash", "fill", "fee_rate", "slippage_bps", "stop_loss", "take_profit")


@dataclass
class StoredRun:
    """A stored run read back: its request, and its outcome or the error that ended it."""

    run: BacktestRun
    request: BacktestRequest
    outcome: BacktestOutcome | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)


def request_document(request: BacktestRequest) -> dict[str, Any]:
    """Return the JSON of `request`: strategy source, symbols, dates and options.

    Bars and signals frames are never stored; a request made of them keeps only its
    options.
    """
    data: dict[str, Any] = {
        "strategy": request.strategy,
        "spec": request.spec.model_dump(mode="json") if request.spec is not None else None,
        "code": request.code,
        "symbols": list(request.symbols),
        "start": request.start,
        "end": request.end,
        "trailing_stop": request.trailing_stop,
        **{name: getattr(request, name) for name in _OPTIONS},
    }
    return {key: value for key, value in data.items() if value is not None}


def save_outcome(
    runs: BacktestRepository,
    user_id: str,
    request: BacktestRequest,
    outcome: BacktestOutcome,
    *,
    is_synthetic: bool = False,
) -> BacktestRun:
    """Store `outcome` of `request` as a succeeded run of `user_id` and return the run."""
    run = runs.create_run(user_id, request=request_document(request))
    runs.set_status(user_id, run.id, JobState.RUNNING)
    result = outcome.result
    meta = {
        "spec": outcome.spec.model_dump(mode="json") if outcome.spec is not None else None,
        "assumptions": list(outcome.assumptions),
        "warnings": list(outcome.warnings),
        "benchmark_label": outcome.benchmark_label,
        "symbols": list(result.symbols),
        "synthetic": is_synthetic
        or any(bool(b.attrs.get("synthetic")) for b in outcome.bars.values()),
        "settings": _json_ready(result.settings),
    }
    return runs.save_result(
        user_id,
        BacktestResultData(
            run_id=run.id,
            stats=_json_ready(outcome.stats),
            equity=result.equity,
            drawdown=result.drawdown,
            trades=result.trades,
            cash=result.cash,
            benchmark=result.benchmark,
            orders=result.orders,
            meta=meta,
        ),
    )


def latest_run_id(runs: BacktestRepository, user_id: str) -> str | None:
    """Return the id of the newest succeeded run of `user_id`, or None."""
    page = runs.list_runs(
        user_id,
        ListQuery(limit=1, sort="created_at", descending=True, filters={"status": "succeeded"}),
    )
    return page.items[0].id if page.items else None


def load_outcome(
    runs: BacktestRepository,
    market_data: MarketDataService,
    user_id: str,
    run_id: str,
    *,
    strategies: StrategyRepository | None = None,
) -> StoredRun:
    """Read run `run_id` of `user_id` back; raise NotFound for an unknown or foreign run.

    A failed or unfinished run comes back with its error and no outcome. Bars that can
    no longer be loaded leave the outcome without a price chart (a note says why).
    """
    run = runs.get_run(user_id, run_id)
    spec = _spec(run, strategies, user_id)
    request = _request(run.request, spec)
    if run.status is not JobState.SUCCEEDED:
        detail = (run.error or {}).get("detail") or (run.error or {}).get("title")
        return StoredRun(run, request, error=str(detail or f"The run is {run.status.value}."))
    data = runs.get_result(user_id, run_id)
    meta = dict(data.meta or {})
    spec = spec or _spec_of(meta.get("spec"))
    request = dataclasses.replace(request, spec=request.spec or spec)
    symbols = tuple(str(s) for s in meta.get("symbols") or request.symbols or ("DATA",))
    stored = StoredRun(run, request)
    bars = _bars(market_data, data.equity, symbols, spec, bool(meta.get("synthetic")), stored)
    stored.outcome = BacktestOutcome(
        result=_result(data, meta, request, symbols),
        stats=dict(data.stats),
        bars=bars,
        spec=spec,
        benchmark_label=meta.get("benchmark_label"),
        assumptions=list(meta.get("assumptions") or []),
        warnings=list(meta.get("warnings") or []) + stored.notes,
        indicators=_indicators(spec, bars),
    )
    return stored


def _spec_of(data: Any) -> StrategySpec | None:
    if not data:
        return None
    try:
        return StrategySpec.model_validate(data)
    except ValueError:
        return None


def _spec(
    run: BacktestRun, strategies: StrategyRepository | None, user_id: str
) -> StrategySpec | None:
    if (spec := _spec_of(run.request.get("spec"))) is not None:
        return spec
    if strategies is None or run.strategy_id is None:
        return None
    try:
        versions = strategies.list_versions(user_id, run.strategy_id, ListQuery(limit=200))
    except NotFound:
        return None
    for version in versions.items:
        if version.id == run.strategy_version_id:
            return _spec_of(version.spec)
    return None


def _request(data: dict[str, Any], spec: StrategySpec | None) -> BacktestRequest:
    options = {
        name: data[name] for name in (*_OPTIONS, "trailing_stop") if data.get(name) is not None
    }
    return BacktestRequest(
        spec=spec,
        code=data.get("code") if spec is None else None,
        strategy=data.get("strategy") if spec is None and not data.get("code") else None,
        symbols=tuple(data.get("symbols") or ()),
        start=data.get("start"),
        end=data.get("end"),
        **options,
    )


def _result(
    data: BacktestResultData,
    meta: dict[str, Any],
    request: BacktestRequest,
    symbols: tuple[str, ...],
) -> BacktestResult:
    settings = dict(meta.get("settings") or {})
    settings.setdefault("cash", request.cash)
    equity = data.equity
    orders = data.orders if data.orders is not None else pd.DataFrame(columns=list(ORDER_COLUMNS))
    return BacktestResult(
        equity=equity,
        cash=data.cash if data.cash is not None else equity * float("nan"),
        positions=(
            data.positions if data.positions is not None else pd.DataFrame(index=equity.index)
        ),
        trades=data.trades,
        orders=orders,
        settings=settings,
        symbols=symbols,
        benchmark=data.benchmark,
    )


def _bars(
    market_data: MarketDataService,
    equity: pd.Series,
    symbols: tuple[str, ...],
    spec: StrategySpec | None,
    is_synthetic: bool,
    stored: StoredRun,
) -> dict[str, pd.DataFrame]:
    if len(equity) == 0:
        return {}
    timeframe = spec.timeframe.value if spec is not None else "1d"
    bars: dict[str, pd.DataFrame] = {}
    for symbol in symbols:
        try:
            frame = market_data.load_bars(
                symbol,
                start=equity.index[0],
                end=equity.index[-1],
                timeframe=timeframe,
                provider="demo" if is_synthetic else None,
            )
        except VibeTradingError as e:
            stored.notes.append(f"The {symbol} bars could not be reloaded: {e}")
            continue
        bars[symbol] = frame
    return bars


def _indicators(spec: StrategySpec | None, bars: dict[str, pd.DataFrame]) -> dict[str, pd.Series]:
    if spec is None or not bars:
        return {}
    from vibetrading.domain.strategy.compile import compile_signals

    found: dict[str, pd.Series] = {}
    for name, frame in bars.items():
        try:
            compiled = compile_signals(spec, frame if len(bars) == 1 else dict(bars), symbol=name)
        except VibeTradingError:
            continue
        for label, series in compiled.indicators.items():
            found[label if len(bars) == 1 else f"{name} {label}"] = series
    return found


def _json_ready(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _json_ready(value.item())
    if isinstance(value, str | int | bool) or value is None:
        return value
    return str(value)
