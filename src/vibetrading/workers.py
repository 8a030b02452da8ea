"""Job workers: what runs in a pool process or on a Dask worker.

`run_job(settings, handler, job_id)` is the top-level function an executor runs. It
builds (once per process) the store and services of `settings` through the composition
root, then lets `services.jobs.execute_job` claim the job, run `handler` and persist
the outcome. Handlers are top-level functions too, so they pickle by reference.
`in_process_runner(resources)` runs jobs in the server process itself, over the
server's own store and services (the job service's in-process kinds).
Like `bootstrap`, this module sits outside the layers.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vibetrading.services.backtest_runs import BACKTEST_JOB, run_backtest_job
from vibetrading.services.copilot_runs import COPILOT_BACKTEST_JOB, run_copilot_backtest_job
from vibetrading.services.jobs import JobContext, JobHandler, JobRunner, execute_job

if TYPE_CHECKING:
    from vibetrading.services.backtests import BacktestService
    from vibetrading.services.market_data import MarketDataService
    from vibetrading.services.ports import Store
    from vibetrading.settings import Settings

__all__ = [
    "DOWNLOAD_JOB",
    "JOB_HANDLERS",
    "SWEEP_JOB",
    "WorkerResources",
    "download_job",
    "in_process_runner",
    "run_job",
    "sweep_job",
]

DOWNLOAD_JOB = "download"
SWEEP_JOB = "sweep"
_LOCK = threading.Lock()
_RESOURCES: dict[str, WorkerResources] = {}


@dataclass
class WorkerResources:
    """The services a handler may use in a worker, built lazily from the settings."""

    settings: Settings
    store: Store
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def market_data(self) -> MarketDataService:
        """Return the market-data service of the settings."""
        if "market_data" not in self._cache:
            from vibetrading.bootstrap import build_market_data

            self._cache["market_data"] = build_market_data(self.settings)
        return self._cache["market_data"]  # type: ignore[no-any-return]

    @property
    def backtests(self) -> BacktestService:
        """Return the backtest service of the settings."""
        if "backtests" not in self._cache:
            from vibetrading.bootstrap import build_backtests

            self._cache["backtests"] = build_backtests(self.settings)
        return self._cache["backtests"]  # type: ignore[no-any-return]


def _resources(settings: Settings) -> WorkerResources:
    key = settings.model_dump_json()
    with _LOCK:
        if key not in _RESOURCES:
            from vibetrading.api.container import build_store

            _RESOURCES[key] = WorkerResources(settings=settings, store=build_store(settings))
        return _RESOURCES[key]


def run_job(settings: Settings, handler: JobHandler, job_id: str) -> str:
    """Run job `job_id` with `handler` in this process; return its final state."""
    resources = _resources(settings)
    return execute_job(resources.store.jobs, handler, job_id, resources=resources)


def in_process_runner(resources: WorkerResources) -> JobRunner:
    """Return a runner that runs jobs in this process over `resources`."""
    return functools.partial(_run_here, resources)


def _run_here(resources: WorkerResources, handler: JobHandler, job_id: str) -> str:
    return execute_job(resources.store.jobs, handler, job_id, resources=resources)


def download_job(context: JobContext) -> dict[str, Any]:
    """Fetch bars into the local store: payload ``symbol``, ``provider``, ``start``, ``end``."""
    payload = context.payload
    report = context.resources.market_data.fetch(
        payload["symbol"],
        provider=payload.get("provider", "demo"),
        start=payload.get("start"),
        end=payload.get("end"),
        timeframe=payload.get("timeframe", "1d"),
        progress=context.progress,
    )
    return {
        "symbol": report.symbol,
        "provider": report.provider,
        "bars_added": report.bars_added,
        "bars_total": report.bars_total,
        "start": report.start,
        "end": report.end,
        "is_synthetic": report.is_synthetic,
    }


def sweep_job(context: JobContext) -> dict[str, Any]:
    """Sweep a crossover (``crossover``, ``fast``, ``slow``) or a ``spec`` over ``grid``.

    The result holds the metric, the best row, the 20 best rows and the overfitting check.
    """
    import json

    from vibetrading.domain.strategy import StrategySpec
    from vibetrading.services.sweeps import SweepRequest, SweepService

    payload = dict(context.payload)
    spec = payload.pop("spec", None)
    options = {k: v for k, v in payload.items() if v is not None}
    for name in ("fast", "slow", "symbols"):
        if name in options:
            options[name] = tuple(options[name])
    request = SweepRequest(
        spec=StrategySpec.model_validate(spec) if spec is not None else None, **options
    )
    outcome = SweepService(context.resources.market_data).run(request, progress=context.progress)
    top = outcome.result.ranked(outcome.metric).head(20)
    return {
        "metric": outcome.metric,
        "best": json.loads(outcome.best.to_json(date_format="iso")),
        "top": json.loads(top.to_json(orient="records", date_format="iso")),
        "rows": len(outcome.result),
        "overfitting": outcome.overfitting.to_dict() if outcome.overfitting else None,
        "warnings": outcome.warnings,
    }


JOB_HANDLERS: dict[str, JobHandler] = {
    BACKTEST_JOB: run_backtest_job,
    COPILOT_BACKTEST_JOB: run_copilot_backtest_job,
    DOWNLOAD_JOB: download_job,
    SWEEP_JOB: sweep_job,
}
"""The job kinds a server runs, by name."""
