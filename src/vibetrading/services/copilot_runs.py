"""The copilot's backtests and bookkeeping: run a proposal on sensible default data,
stream its progress, store the run, and add up token usage.

Default data: the strategy's own symbols over their whole available history (or the
service's start and end). A symbol with no real data offline (Tencent, Moutai, ...) is
run on the seeded synthetic ``demo`` series instead, and every output says so.

With a job service (`run_backtests_as_jobs`, as the HTTP server does), each backtest is
a job of kind `COPILOT_BACKTEST_JOB` with its backtest run, both recorded in one
transaction: persisted, cancellable (a chat that goes away cancels it), listed with the
other jobs, and its run keeps the job's id. `run_copilot_backtest_job` is its handler;
the job service runs it on a thread pool of the server process, so an idea reaches its
first result as fast as without a job. Without one (the CLI, a store in memory) the
backtest runs on a thread of its own and the finished run is stored afterwards.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
from collections.abc import Generator, Iterator
from typing import Any

from vibetrading.domain.backtest.stats import STAT_KEYS
from vibetrading.errors import DataError, VibeTradingError
from vibetrading.services.backtest_runs import backtest_request, result_data, run_id_of_job
from vibetrading.services.backtests import BacktestOutcome, BacktestRequest, BacktestService
from vibetrading.services.copilot_prompts import Proposal
from vibetrading.services.jobs import JobContext, JobService
from vibetrading.services.ports import BacktestRepository, Store
from vibetrading.services.problems import problem_document
from vibetrading.services.records import BacktestResultData, Job, JobState

__all__ = [
    "COPILOT_BACKTEST_JOB",
    "BacktestRunner",
    "chat_result",
    "run_backtests_as_jobs",
    "run_copilot_backtest_job",
    "run_summary",
]

COPILOT_BACKTEST_JOB = "copilot_backtest"

RunEvent = tuple[str, dict[str, Any]]
_SUMMARY_KEYS = (
    "total_return",
    "cagr",
    "sharpe",
    "max_drawdown",
    "win_rate",
    "num_trades",
    "benchmark_return",
)
# JobService.wait returns as soon as a job run by this process ends, so this only spaces
# out the progress reads (each one a database query) of a job still running or queued.
_POLL_S = 0.5
_logger = logging.getLogger(__name__)


class BacktestRunner:
    """Run the copilot's proposals through the backtest service, streaming progress."""

    def __init__(
        self,
        backtests: BacktestService,
        *,
        runs: BacktestRepository | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> None:
        self.backtests = backtests
        self.runs = runs
        self.start = start
        self.end = end
        self.jobs: JobService | None = None
        self.store: Store | None = None
        self._listings: list[dict[str, Any]] | None = None

    def use_jobs(self, jobs: JobService, store: Store) -> None:
        """Run every later backtest as a `COPILOT_BACKTEST_JOB` job of `jobs` in `store`."""
        self.jobs, self.store = jobs, store

    def listings(self) -> list[dict[str, Any]]:
        """Return the symbols available offline with their timeframe and date range."""
        if self._listings is None:
            self._listings = [
                {
                    "symbol": listing.symbol,
                    "timeframe": listing.timeframe,
                    "start": _day(listing.start),
                    "end": _day(listing.end),
                    "synthetic": listing.is_synthetic,
                }
                for listing in self.backtests.market_data.list_symbols()
            ]
        return self._listings

    def stream(
        self,
        user_id: str,
        proposal: Proposal,
        version: dict[str, Any],
        cancel: threading.Event | None = None,
    ) -> Iterator[RunEvent]:
        """Yield ``backtest_started``, progress events, then the result or an ``error``.

        As a job, every event after ``backtest_started`` names its ``job_id``; setting
        `cancel` cancels the job and ends the stream.
        """
        request = self._request(proposal)
        yield (
            "backtest_started",
            {
                "symbols": list(request.symbols),
                "start": self.start,
                "end": self.end,
                "kind": proposal.kind,
            },
        )
        if self.jobs is not None and self.store is not None:
            yield from self._stream_job(self.jobs, self.store, user_id, proposal, version, cancel)
            return
        synthetic = False
        outcome: BacktestOutcome | None = None
        for event in self._run(request, cancel):
            if event[0] == "outcome":
                outcome = event[1]["outcome"]
            elif event[0] == "data_error":
                try:
                    request, synthetic = self._on_demo(request, proposal), True
                except VibeTradingError as e:
                    yield "error", {"stage": "backtest", "message": str(e)}
                    return
                yield "backtest_progress", {"fraction": 0.0, "message": "using synthetic data"}
                outcome = yield from self._outcome(request, cancel)
                break
            else:
                yield event
        if outcome is None:
            return
        yield "backtest_result", self._result(user_id, outcome, version, synthetic=synthetic)

    def _stream_job(
        self,
        jobs: JobService,
        store: Store,
        user_id: str,
        proposal: Proposal,
        version: dict[str, Any],
        cancel: threading.Event | None,
    ) -> Iterator[RunEvent]:
        try:
            job = self._queue(store, user_id, proposal, version)
        except VibeTradingError as e:
            problem = problem_document(e)
            yield "error", {"stage": "backtest", "message": problem["detail"], "problem": problem}
            return
        jobs.dispatch(job)
        seen = (job.progress, job.message)
        while True:
            if cancel is not None and cancel.is_set():
                jobs.cancel(user_id, job.id)
                return
            jobs.wait(job.id, _POLL_S)
            job = jobs.get(user_id, job.id)
            if job.state.is_final:
                break
            if (job.progress, job.message) != seen:
                seen = (job.progress, job.message)
                progress = {"fraction": job.progress, "message": job.message, "job_id": job.id}
                yield "backtest_progress", progress
        if job.state is JobState.SUCCEEDED:
            yield "backtest_result", {**(job.result or {}), "job_id": job.id}
        elif job.state is JobState.FAILED:
            problem = job.error or {}
            message = str(problem.get("detail") or "The backtest failed.")
            yield "error", {"stage": "backtest", "message": message, "problem": problem}

    def _queue(
        self, store: Store, user_id: str, proposal: Proposal, version: dict[str, Any]
    ) -> Job:
        request: dict[str, Any] = {
            "symbols": list(proposal.universe),
            "start": self.start,
            "end": self.end,
        }
        if proposal.kind == "code":
            request["code"] = proposal.code
        else:
            request["spec"] = proposal.spec.model_dump(mode="json") if proposal.spec else None
        payload = {"request": request, "timeframe": _timeframe(proposal)}
        with store.transaction():
            job = store.jobs.create(user_id, kind=COPILOT_BACKTEST_JOB, payload=payload)
            store.backtests.create_run(
                user_id,
                request=request,
                job_id=job.id,
                strategy_id=version.get("strategy_id"),
                strategy_version_id=version.get("version_id"),
            )
        return job

    def _outcome(
        self, request: BacktestRequest, cancel: threading.Event | None
    ) -> Generator[RunEvent, None, BacktestOutcome | None]:
        for event in self._run(request, cancel):
            if event[0] == "outcome":
                outcome: BacktestOutcome = event[1]["outcome"]
                return outcome
            if event[0] == "data_error":
                yield "error", {"stage": "backtest", "message": event[1]["message"]}
                return None
            yield event
        return None

    def _request(self, proposal: Proposal) -> BacktestRequest:
        symbols = tuple(proposal.universe)
        if proposal.kind == "code":
            return BacktestRequest(
                code=proposal.code, symbols=symbols, start=self.start, end=self.end
            )
        return BacktestRequest(spec=proposal.spec, symbols=symbols, start=self.start, end=self.end)

    def _on_demo(self, request: BacktestRequest, proposal: Proposal) -> BacktestRequest:
        return _on_demo(self.backtests, request, _timeframe(proposal))

    def _run(self, request: BacktestRequest, cancel: threading.Event | None) -> Iterator[RunEvent]:
        events: queue.Queue[RunEvent] = queue.Queue()

        def work() -> None:
            try:
                outcome = self.backtests.run(
                    request,
                    progress=lambda f, m: events.put(
                        ("backtest_progress", {"fraction": f, "message": m})
                    ),
                )
                events.put(("outcome", {"outcome": outcome}))
            except DataError as e:
                events.put(("data_error", {"message": str(e)}))
            except VibeTradingError as e:
                events.put(("error", {"stage": "backtest", "message": str(e)}))
                events.put(("finished", {}))
            except Exception as e:  # a thread boundary: report, never hang the chat
                _logger.exception("copilot backtest failed")
                events.put(("error", {"stage": "backtest", "message": f"internal error: {e}"}))
                events.put(("finished", {}))

        threading.Thread(target=work, name="copilot-backtest", daemon=True).start()
        while not (cancel is not None and cancel.is_set()):
            try:
                event = events.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if event[0] == "finished":
                return
            yield event
            if event[0] in ("outcome", "data_error"):
                return

    def _result(
        self,
        user_id: str,
        outcome: BacktestOutcome,
        version: dict[str, Any],
        *,
        synthetic: bool,
    ) -> dict[str, Any]:
        data = chat_result(outcome, synthetic=synthetic)
        data["run_id"] = self._store(user_id, outcome, version, data)
        return data

    def _store(
        self,
        user_id: str,
        outcome: BacktestOutcome,
        version: dict[str, Any],
        data: dict[str, Any],
    ) -> str | None:
        if self.runs is None:
            return None
        try:
            run = self.runs.create_run(
                user_id,
                request={"symbols": data["symbols"], "start": data["start"], "end": data["end"]},
                strategy_id=version.get("strategy_id"),
                strategy_version_id=version.get("version_id"),
            )
            self.runs.set_status(user_id, run.id, JobState.RUNNING)
            result = outcome.result
            self.runs.save_result(
                user_id,
                BacktestResultData(
                    run_id=run.id,
                    stats=data["summary"],
                    equity=result.equity,
                    drawdown=result.drawdown,
                    trades=result.trades,
                    benchmark=result.benchmark,
                    meta={"symbols": data["symbols"], "synthetic": data["synthetic"]},
                ),
            )
        except VibeTradingError as e:
            data["warnings"].append(f"The run was not saved: {e}")
            return None
        return run.id


def run_backtests_as_jobs(copilot: Any, jobs: JobService, store: Store) -> bool:
    """Make the backtests of `copilot` jobs of `jobs` in `store`; False if it has none.

    `jobs` should run `COPILOT_BACKTEST_JOB` in process (see `JobService`) so that the
    chat stays as fast as before.
    """
    attach = getattr(copilot, "run_backtests_as_jobs", None)
    if attach is None:
        return False
    attach(jobs, store)
    return True


def run_copilot_backtest_job(context: JobContext) -> dict[str, Any]:
    """Run a copilot backtest as a job; `context.resources` gives store and backtests.

    The payload's ``request`` runs on its symbols' data, or, when they have none, on
    the seeded synthetic demo series. The run is stored; the result is the chat's
    ``backtest_result`` event.
    """
    store: Store = context.resources.store
    backtests: BacktestService = context.resources.backtests
    user_id = context.job.user_id
    run_id = run_id_of_job(store, context.job)
    store.backtests.set_status(user_id, run_id, JobState.RUNNING)
    request = backtest_request(context.payload["request"])
    synthetic = False
    try:
        outcome = backtests.run(request, progress=context.progress)
    except DataError:
        demo = _on_demo(backtests, request, str(context.payload.get("timeframe", "1d")))
        context.progress(0.0, "using synthetic data")
        outcome, synthetic = backtests.run(demo, progress=context.progress), True
    context.check_cancelled()
    data = chat_result(outcome, synthetic=synthetic)
    data["run_id"] = run_id
    meta = {"synthetic": data["synthetic"], "source": data["source"]}
    store.backtests.save_result(user_id, result_data(run_id, outcome, meta=meta))
    return data


def chat_result(outcome: BacktestOutcome, *, synthetic: bool) -> dict[str, Any]:
    """Return the data of a ``backtest_result`` chat event (``run_id`` still None)."""
    equity = outcome.result.equity
    first = next(iter(outcome.bars.values()))
    label = outcome.benchmark_label
    if synthetic and label:
        label = label.replace("DATA", str(first.attrs.get("symbol", "DATA")))
    return {
        "summary": {k: _clean(v) for k, v in outcome.stats.items()},
        "num_trades": len(outcome.result.trades),
        "symbols": list(outcome.bars) if not synthetic else [first.attrs.get("symbol", "")],
        "start": _day(equity.index[0]),
        "end": _day(equity.index[-1]),
        "bars": len(equity),
        "synthetic": synthetic or bool(first.attrs.get("synthetic")),
        "source": first.attrs.get("source"),
        "benchmark_label": label,
        "warnings": list(outcome.warnings),
        "run_id": None,
    }


def _on_demo(
    backtests: BacktestService, request: BacktestRequest, timeframe: str
) -> BacktestRequest:
    if not request.symbols:
        raise DataError("The strategy names no symbol to find demo data for.")
    bars = backtests.market_data.load_bars(
        request.symbols[0],
        start=request.start,
        end=request.end,
        timeframe=timeframe,
        provider="demo",
    )
    return BacktestRequest(spec=request.spec, code=request.code, bars=bars)


def _timeframe(proposal: Proposal) -> str:
    return proposal.spec.timeframe.value if proposal.spec is not None else "1d"


def run_summary(result: dict[str, Any]) -> dict[str, Any]:
    """Return the headline numbers of a ``backtest_result`` event, for prompts and history."""
    summary = result.get("summary", {})
    return {
        "symbols": result.get("symbols"),
        "start": result.get("start"),
        "end": result.get("end"),
        "bars": result.get("bars"),
        "synthetic": result.get("synthetic"),
        "run_id": result.get("run_id"),
        **{key: summary.get(key) for key in _SUMMARY_KEYS if key in STAT_KEYS or key in summary},
    }


def _day(value: Any) -> str | None:
    return None if value is None else str(value)[:10]


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
