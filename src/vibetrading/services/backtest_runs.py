"""Backtests as jobs: submit a run, execute it in a worker, read it back as JSON.

`BacktestRunService.submit` records a queued run and its job in one transaction and
returns at once; `run_backtest_job` (a job handler, executed in a worker) rebuilds the
`BacktestRequest` from the JSON payload, runs it with progress and cancellation, and
stores the result. `document` renders a run, its job and its stored result as one
JSON-ready dict.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import pandas as pd

from vibetrading.domain.strategy import StrategySpec
from vibetrading.errors import ConfigError, NotFound, SpecError
from vibetrading.services.backtests import BacktestOutcome, BacktestRequest, BacktestService
from vibetrading.services.jobs import JobCancelled, JobContext, JobLost, JobService, error_document
from vibetrading.services.ports import Store
from vibetrading.services.records import (
    BacktestResultData,
    BacktestRun,
    Job,
    JobState,
    ListQuery,
    Page,
)

__all__ = [
    "BACKTEST_JOB",
    "BacktestRunService",
    "backtest_request",
    "result_data",
    "result_document",
    "run_backtest_job",
    "run_id_of_job",
]

BACKTEST_JOB = "backtest"
_SOURCES = ("strategy", "spec", "code")


class BacktestRunService:
    """Queue, list, read and cancel the backtest runs of a user."""

    def __init__(self, store: Store, jobs: JobService) -> None:
        self.store = store
        self.jobs = jobs

    def submit(self, user_id: str, request: dict[str, Any]) -> BacktestRun:
        """Queue a backtest of `request` (the JSON of ``POST /backtest/run``); return the run.

        A ``strategy_id`` is replaced by the content of its current version (the user's
        own strategies only). Exactly one source must remain: strategy text, spec or code.
        """
        request = {k: v for k, v in request.items() if v is not None}
        strategy_id = request.pop("strategy_id", None)
        version_id = None
        if strategy_id is not None:
            if any(k in request for k in _SOURCES):
                raise ConfigError("Give either strategy_id or a strategy, spec or code; not both.")
            version = self.store.strategies.get_version(user_id, strategy_id)
            version_id = version.id
            if version.spec is not None:
                request["spec"] = version.spec
            else:
                request["code"] = version.code
        backtest_request(request)  # fail fast on a bad request, before queueing
        with self.store.transaction():
            job = self.store.jobs.create(user_id, kind=BACKTEST_JOB, payload={"request": request})
            run = self.store.backtests.create_run(
                user_id,
                request=request,
                job_id=job.id,
                strategy_id=strategy_id,
                strategy_version_id=version_id,
            )
        self.jobs.dispatch(job)
        return run

    def get(self, user_id: str, run_id: str) -> tuple[BacktestRun, Job | None]:
        """Return the run and its job (whose state is the run's live state)."""
        run = self.store.backtests.get_run(user_id, run_id)
        return run, self._job(user_id, run)

    def _job(self, user_id: str, run: BacktestRun) -> Job | None:
        if run.job_id is None:
            return None
        try:
            return self.store.jobs.get(user_id, run.job_id)
        except NotFound:
            return None

    def list_runs(self, user_id: str, query: ListQuery) -> Page[BacktestRun]:
        """Return a page of the user's runs."""
        return self.store.backtests.list_runs(user_id, query)

    def result(self, user_id: str, run_id: str) -> dict[str, Any] | None:
        """Return the stored result as JSON-ready data, or None while there is none."""
        run = self.store.backtests.get_run(user_id, run_id)
        if run.status is not JobState.SUCCEEDED:
            return None
        return result_document(self.store.backtests.get_result(user_id, run_id))

    def cancel(self, user_id: str, run_id: str) -> Job | None:
        """Cancel the run's job (queued: at once; running: at its next progress report)."""
        run = self.store.backtests.get_run(user_id, run_id)
        job = self._job(user_id, run)
        if job is None:
            return None
        job = self.jobs.cancel(user_id, job.id)
        if job.state is JobState.CANCELLED and not run.status.is_final:
            self.store.backtests.set_status(user_id, run_id, JobState.CANCELLED)
        return job


def backtest_request(data: dict[str, Any]) -> BacktestRequest:
    """Build a BacktestRequest from the JSON of ``POST /backtest/run``."""
    given = [k for k in _SOURCES if data.get(k) is not None]
    if len(given) != 1:
        raise ConfigError("Give exactly one strategy: strategy (text), spec, code or strategy_id.")
    spec = None
    if data.get("spec") is not None:
        try:
            spec = StrategySpec.model_validate(data["spec"])
        except ValueError as e:
            raise SpecError(f"The spec is invalid: {e}") from None
    symbols = data.get("symbols") or ([data["symbol"]] if data.get("symbol") else [])
    options: dict[str, Any] = {
        "strategy": data.get("strategy"),
        "spec": spec,
        "symbols": tuple(symbols),
        "start": data.get("start"),
        "end": data.get("end"),
    }
    for name in ("cash", "fill", "fee_rate", "slippage_bps", "stop_loss", "take_profit"):
        if data.get(name) is not None:
            options[name] = data[name]
    if data.get("trailing_stop") is not None:
        options["trailing_stop"] = data["trailing_stop"]
    if data.get("code") is not None:
        if "code" not in {f.name for f in dataclasses.fields(BacktestRequest)}:
            raise ConfigError("Code strategies need the sandbox, which this build lacks.")
        options["code"] = data["code"]
    return BacktestRequest(**options)


def run_backtest_job(context: JobContext) -> dict[str, Any]:
    """Run the backtest of a job in a worker; `context.resources` gives store and backtests."""
    store: Store = context.resources.store
    backtests: BacktestService = context.resources.backtests
    user_id = context.job.user_id
    run_id = run_id_of_job(store, context.job)
    store.backtests.set_status(user_id, run_id, JobState.RUNNING)
    try:
        request = backtest_request(context.payload["request"])
        outcome = backtests.run(request, progress=context.progress)
        context.check_cancelled()
    except JobCancelled:
        store.backtests.set_status(user_id, run_id, JobState.CANCELLED)
        raise
    except JobLost:  # recovered elsewhere: the run follows its job
        raise
    except Exception as e:
        store.backtests.set_status(user_id, run_id, JobState.FAILED, error=error_document(e))
        raise
    store.backtests.save_result(user_id, result_data(run_id, outcome))
    return {"run_id": run_id, "summary": _clean(outcome.stats)}


def run_id_of_job(store: Store, job: Job) -> str:
    """Return the id of the backtest run a job computes; raise NotFound if it has none."""
    runs = store.backtests.list_runs(job.user_id, ListQuery(limit=1, filters={"job_id": job.id}))
    if not runs.items:
        raise NotFound(f"No backtest run belongs to job {job.id}.")
    return runs.items[0].id


def result_data(
    run_id: str, outcome: BacktestOutcome, *, meta: dict[str, Any] | None = None
) -> BacktestResultData:
    """Return what the store keeps of an outcome: series, trades, stats and `meta`."""
    result = outcome.result
    meta = {
        **(meta or {}),
        "spec": outcome.spec.model_dump(mode="json") if outcome.spec else None,
        "assumptions": outcome.assumptions,
        "warnings": outcome.warnings,
        "benchmark_label": outcome.benchmark_label,
        "symbols": list(result.symbols),
        "safety": _clean(getattr(outcome, "safety", None)),
    }
    return BacktestResultData(
        run_id=run_id,
        stats=_clean(outcome.stats),
        equity=result.equity,
        drawdown=result.drawdown,
        trades=result.trades,
        returns=result.returns,
        cash=result.cash,
        benchmark=result.benchmark,
        orders=result.orders,
        meta=_clean(meta),
    )


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _clean(dataclasses.asdict(value))
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _clean(value.item())
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _series(series: pd.Series | None, name: str) -> list[dict[str, Any]]:
    if series is None:
        return []
    return [
        {"timestamp": t.isoformat(), name: _clean(float(v))}
        for t, v in zip(series.index, series.to_numpy().tolist(), strict=True)
    ]


def result_document(data: BacktestResultData) -> dict[str, Any]:
    """Return a stored result as JSON-ready data: stats, trades, equity and drawdown."""
    trades = json.loads(data.trades.to_json(orient="records", date_format="iso"))
    return {
        "stats": _clean(data.stats),
        "trades": trades,
        "equity": _series(data.equity, "equity"),
        "drawdown": _series(data.drawdown, "drawdown"),
        "meta": _clean(data.meta),
    }
