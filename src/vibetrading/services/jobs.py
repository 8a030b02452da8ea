"""Jobs: long tasks with persisted state, progress, cancellation and crash recovery.

A job is a row of the JobRepository (queued, running, succeeded, failed, cancelled).
`JobService` queues it and submits ``runner(handler, job_id)`` to a
`concurrent.futures.Executor` (a spawn process pool, or a Dask cluster's executor).
In the worker, `execute_job` claims the row, gives the handler a `JobContext` whose
progress reports are written to the repository (the channel that crosses processes
and machines) and which raises `JobCancelled` once a cancel was requested, then stores
the result or a readable error (a problem document, see `services.problems`). While
the handler runs, a keep-alive thread refreshes the job's heartbeat. When a worker
process dies the executor's future fails: the job is failed with the reason and a broken
pool is rebuilt (a job refused by a broken pool is submitted once more to the new one).
`recover` dispatches the jobs left queued and starts a reaper that, every half
heartbeat timeout, re-queues (or fails) running jobs whose heartbeat is older than the
timeout: their worker died, whichever server process it belonged to.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from concurrent.futures import BrokenExecutor, Executor, Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from vibetrading.errors import ConfigError, Conflict, VibeTradingError
from vibetrading.services.ports import JobRepository
from vibetrading.services.problems import JOB_CRASHED, problem, problem_document
from vibetrading.services.records import Job, JobState, ListQuery, Page, utc_now

__all__ = [
    "HEARTBEAT_TIMEOUT_S",
    "KEEP_ALIVE_S",
    "JobCancelled",
    "JobContext",
    "JobHandler",
    "JobLost",
    "JobRunner",
    "JobService",
    "error_document",
    "execute_job",
    "job_event",
]

logger = logging.getLogger("vibetrading.jobs")
HEARTBEAT_TIMEOUT_S = 60.0
"""A running job whose heartbeat is older than this is taken for dead and recovered."""
KEEP_ALIVE_S = 15.0
"""How often a worker refreshes the heartbeat of the job it runs, progress or not."""


class JobCancelled(Exception):
    """Raised inside a job handler when its cancellation was requested."""


class JobLost(Exception):
    """Raised inside a job handler whose job is no longer running (it was recovered)."""


@dataclass
class JobContext:
    """What a handler gets in the worker: its job, its resources, progress and cancel checks.

    `progress` writes to the repository at most every `min_interval_s` (always at 0 and
    1) and raises JobCancelled when a cancel was requested.
    """

    job: Job
    repository: JobRepository
    resources: Any = None
    min_interval_s: float = 0.2
    _last: float = field(default=0.0, repr=False)

    @property
    def payload(self) -> dict[str, Any]:
        """Return the job's input."""
        return self.job.payload

    def progress(self, fraction: float, message: str = "") -> None:
        """Report `fraction` done (0 to 1); raise JobCancelled if a cancel was requested."""
        now = time.monotonic()
        if fraction in (0.0, 1.0) or now - self._last >= self.min_interval_s:
            self._last = now
            self.check_cancelled()
            try:
                self.repository.heartbeat(
                    self.job.id, progress=max(0.0, min(1.0, fraction)), message=message[:200]
                )
            except Conflict:
                raise JobLost(self.job.id) from None

    def check_cancelled(self) -> None:
        """Raise JobCancelled when the job's cancellation was requested."""
        if self.repository.is_cancel_requested(self.job.id):
            raise JobCancelled(self.job.id)


JobHandler = Callable[[JobContext], dict[str, Any]]
"""A top-level (picklable) function running one kind of job; returns a JSON-able result."""

JobRunner = Callable[[JobHandler, str], str]
"""Runs ``handler`` on job id in a worker (see `workers.run_job`); returns the final state."""


def error_document(error: BaseException) -> dict[str, Any]:
    """Return the problem document stored as a failed job's error (see services.problems)."""
    return problem_document(error)


def execute_job(
    repository: JobRepository,
    handler: JobHandler,
    job_id: str,
    *,
    resources: Any = None,
    keep_alive_s: float | None = KEEP_ALIVE_S,
) -> str:
    """Claim job `job_id`, run `handler` on it and persist the outcome; return the state.

    A job already claimed, cancelled or finished is left alone (its state is returned).
    While the handler runs, its heartbeat is refreshed every `keep_alive_s` (None: only
    by progress reports). A job recovered meanwhile by another process is left to it.
    """
    job = repository.claim(job_id)
    if job is None:
        return str(repository.get_for_worker(job_id).state)
    context = JobContext(job=job, repository=repository, resources=resources)
    with _keep_alive(repository, job_id, keep_alive_s):
        try:
            context.progress(0.0, "started")
            result = handler(context)
        except JobLost:
            logger.warning("job %s was recovered elsewhere while it ran", job_id)
            return str(repository.get_for_worker(job_id).state)
        except JobCancelled:
            return _finish(repository, job_id, JobState.CANCELLED, message="cancelled on request")
        except Exception as e:  # the job's outer boundary: record, never propagate
            if not isinstance(e, VibeTradingError):
                logger.exception("job %s (%s) failed", job_id, job.kind)
            return _finish(
                repository, job_id, JobState.FAILED, message="failed", error=error_document(e)
            )
    return _finish(
        repository, job_id, JobState.SUCCEEDED, progress=1.0, message="done", result=result
    )


def _finish(repository: JobRepository, job_id: str, state: JobState, **fields: Any) -> str:
    try:
        return str(repository.update_state(job_id, state, **fields).state)
    except Conflict:  # cancelled, failed or recovered meanwhile: that outcome stands
        logger.warning("job %s could not become %s", job_id, state, exc_info=True)
        return str(repository.get_for_worker(job_id).state)


@contextlib.contextmanager
def _keep_alive(repository: JobRepository, job_id: str, interval_s: float | None) -> Iterator[None]:
    if not interval_s:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval_s):
            try:
                repository.heartbeat(job_id)
            except VibeTradingError:  # no longer running: nothing to keep alive
                return
            except Exception:  # a thread boundary: log, never kill the worker
                logger.exception("heartbeat of job %s failed", job_id)

    thread = threading.Thread(target=beat, name=f"job-heartbeat-{job_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()


def job_event(job: Job) -> dict[str, Any]:
    """Return the progress event sent to subscribers for the job's current state."""
    return {
        "type": "job",
        "id": job.id,
        "kind": job.kind,
        "state": str(job.state),
        "progress": job.progress,
        "message": job.message,
        "error": job.error,
        "final": job.state.is_final,
    }


@dataclass
class _Watch:
    queues: set[asyncio.Queue[dict[str, Any] | None]]
    task: asyncio.Task[None] = field(init=False)


class JobService:
    """Queue jobs, run them on an executor, cancel them and watch their progress.

    `executor_factory` builds the executor (again after a worker process died);
    `handlers` maps each job kind to its top-level handler function. The kinds of
    `in_process` run instead on a thread pool of this process through
    `in_process_runner`: still persisted, cancellable jobs, without the hop to a worker
    process (the copilot's backtests, whose answer is awaited in a chat). A running job
    whose heartbeat is older than `heartbeat_timeout_s` is taken for dead: the reaper
    started by `recover` re-queues it (at most `max_attempts` runs) or fails it.
    """

    def __init__(
        self,
        repository: JobRepository,
        *,
        runner: JobRunner,
        handlers: Mapping[str, JobHandler],
        executor_factory: Callable[[], Executor],
        poll_interval_s: float = 0.25,
        heartbeat_timeout_s: float = HEARTBEAT_TIMEOUT_S,
        max_attempts: int = 3,
        clock: Callable[[], datetime] = utc_now,
        in_process: Mapping[str, JobHandler] | None = None,
        in_process_runner: JobRunner | None = None,
        in_process_workers: int = 4,
    ) -> None:
        if in_process and in_process_runner is None:
            raise ConfigError("Jobs run in process need an in_process_runner.")
        self.repository = repository
        self.runner = runner
        self.handlers = {**handlers, **(in_process or {})}
        self._in_process = frozenset(in_process or ())
        self._in_process_runner: JobRunner = in_process_runner or runner
        self._in_process_workers = in_process_workers
        self._local: Executor | None = None
        self._executor_factory = executor_factory
        self._executor: Executor | None = None
        self._lock = threading.Lock()
        self._futures: dict[str, Future[Any]] = {}
        self.poll_interval_s = poll_interval_s
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self.max_attempts = max_attempts
        self._clock = clock
        self._watches: dict[tuple[int, str], _Watch] = {}
        self._closed = False
        self._reaper: threading.Thread | None = None
        self._stop_reaper = threading.Event()

    @property
    def executor(self) -> Executor:
        """Return the executor, building it on first use."""
        with self._lock:
            if self._executor is None:
                self._executor = self._executor_factory()
            return self._executor

    def submit(self, user_id: str, kind: str, payload: dict[str, Any]) -> Job:
        """Queue a job of `kind` for `user_id` and hand it to the executor."""
        if kind not in self.handlers:
            raise ConfigError(f"Unknown job kind {kind!r}; use one of {', '.join(self.handlers)}.")
        job = self.repository.create(user_id, kind=kind, payload=payload)
        self.dispatch(job)
        return job

    def dispatch(self, job: Job) -> None:
        """Hand a queued job to the executor (submit does this for the jobs it creates).

        A pool found broken is rebuilt and the job submitted once more; a job that
        still cannot start fails. After `shutdown` the job stays queued for `recover`.
        """
        handler = self.handlers.get(job.kind)
        if handler is None:
            self._fail(job.id, f"No handler for job kind {job.kind!r} in this server.")
            return
        if job.kind in self._in_process:
            self._dispatch_here(job, handler)
            return
        error: Exception | None = None
        for _ in range(2):
            if self._closed:
                return
            try:
                future = self.executor.submit(self.runner, handler, job.id)
            except (BrokenExecutor, RuntimeError) as e:
                error = e
                self._rebuild()
                continue
            self._futures[job.id] = future
            future.add_done_callback(functools.partial(self._finished, job.id))
            return
        self._fail(job.id, f"The job could not be started: {error}")

    def _dispatch_here(self, job: Job, handler: JobHandler) -> None:
        with self._lock:
            if self._closed:
                return
            if self._local is None:
                self._local = concurrent.futures.ThreadPoolExecutor(
                    self._in_process_workers, thread_name_prefix="job"
                )
            future = self._local.submit(self._in_process_runner, handler, job.id)
        self._futures[job.id] = future
        future.add_done_callback(functools.partial(self._finished, job.id))

    def wait(self, job_id: str, timeout_s: float) -> None:
        """Return when this process's run of the job ended, or after `timeout_s`."""
        future = self._futures.get(job_id)
        if future is None:
            time.sleep(timeout_s)
            return
        concurrent.futures.wait([future], timeout=timeout_s)

    def _finished(self, job_id: str, future: Future[Any]) -> None:
        self._futures.pop(job_id, None)
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            return
        if isinstance(error, BrokenExecutor):
            self._rebuild()
            reason = "The worker process running this job died (out of memory or a crash)."
        else:
            reason = f"The job's worker failed: {type(error).__name__}: {error}"[:500]
        logger.error("job %s failed in its executor: %s", job_id, reason)
        self._fail(job_id, reason)

    def _fail(self, job_id: str, reason: str) -> None:
        try:
            job = self.repository.get_for_worker(job_id)
            if job.state.is_final:
                return
            if job.state is JobState.QUEUED and job.cancel_requested:
                return
            error = problem(*JOB_CRASHED, reason)
            self.repository.update_state(job_id, JobState.FAILED, message="failed", error=error)
        except VibeTradingError:  # e.g. a concurrent final transition: nothing to do
            logger.warning("could not mark job %s failed", job_id, exc_info=True)

    def _rebuild(self) -> None:
        with self._lock:
            old, self._executor = self._executor, None
        if old is not None:
            old.shutdown(wait=False, cancel_futures=False)

    def get(self, user_id: str, job_id: str) -> Job:
        """Return the user's job or raise NotFound."""
        return self.repository.get(user_id, job_id)

    def list_jobs(self, user_id: str, query: ListQuery) -> Page[Job]:
        """Return a page of the user's jobs."""
        return self.repository.list(user_id, query)

    def cancel(self, user_id: str, job_id: str) -> Job:
        """Cancel a queued job now, or ask its worker to stop; final jobs stay as they are."""
        job = self.repository.request_cancel(user_id, job_id)
        future = self._futures.get(job_id)
        if future is not None and job.state is JobState.CANCELLED:
            future.cancel()
        return job

    def recover(self, *, reason: str = "The server restarted while this job ran.") -> list[Job]:
        """Dispatch the jobs left queued, reap dead running ones, and keep reaping.

        Queued jobs are handed to the executor as they are (no attempt is counted);
        running jobs whose heartbeat is stale go through `reap`. From then on a reaper
        thread calls `reap` every half heartbeat timeout until `shutdown`. Several
        server processes may recover at once: a job is claimed by one worker only.
        """
        queued = self.repository.list_queued(kinds=[*self.handlers])
        recovered = self.reap(reason=reason)
        for job in queued:
            self.dispatch(job)
        self._start_reaper()
        return [*recovered, *queued]

    def reap(self, *, reason: str = "The worker running this job stopped answering.") -> list[Job]:
        """Re-queue (or fail) running jobs whose heartbeat is older than the timeout.

        Each job goes back to the queue, and to this process's executor, while it has
        attempts left; otherwise it fails with `reason`. Returns the jobs recovered.
        """
        stale_before = self._clock() - timedelta(seconds=self.heartbeat_timeout_s)
        recovered = self.repository.requeue_or_fail_stale(
            reason=reason, stale_before=stale_before, max_attempts=self.max_attempts
        )
        for job in recovered:
            if job.state is JobState.QUEUED:
                self.dispatch(job)
        if recovered:
            logger.info("recovered %d job(s) whose worker stopped", len(recovered))
        return list(recovered)

    def _start_reaper(self) -> None:
        with self._lock:
            if self._reaper is not None or self._closed:
                return
            self._reaper = threading.Thread(
                target=self._reap_forever, name="job-reaper", daemon=True
            )
            self._reaper.start()

    def _reap_forever(self) -> None:
        while not self._stop_reaper.wait(max(self.heartbeat_timeout_s / 2, 0.05)):
            try:
                self.reap()
            except Exception:  # a thread boundary: log and try again next time
                logger.exception("the job reaper failed")

    async def events(self, user_id: str, job_id: str) -> AsyncIterator[dict[str, Any]]:
        """Yield a progress event whenever the job changes, ending with its final state.

        Subscribers of one job share one poller of the repository (the channel the
        workers write to, whatever process or machine they run on); each subscriber has
        its own asyncio queue.
        """
        job = await asyncio.to_thread(self.repository.get, user_id, job_id)
        yield job_event(job)
        if job.state.is_final:
            return
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        watch = self._watch(job)
        watch.queues.add(queue)
        try:
            while (event := await queue.get()) is not None:
                yield event
        finally:
            watch.queues.discard(queue)
            if not watch.queues:
                watch.task.cancel()

    def _watch(self, job: Job) -> _Watch:
        key = (id(asyncio.get_running_loop()), job.id)
        watch = self._watches.get(key)
        if watch is None or watch.task.done():
            watch = _Watch(queues=set())
            watch.task = asyncio.create_task(self._poll(key, job, watch))
            self._watches[key] = watch
        return watch

    async def _poll(self, key: tuple[int, str], job: Job, watch: _Watch) -> None:
        last = (job.state, job.progress, job.message)
        try:
            while True:
                await asyncio.sleep(self.poll_interval_s)
                job = await asyncio.to_thread(self.repository.get_for_worker, job.id)
                if (job.state, job.progress, job.message) != last:
                    last = (job.state, job.progress, job.message)
                    for queue in list(watch.queues):
                        queue.put_nowait(job_event(job))
                if job.state.is_final:
                    for queue in list(watch.queues):
                        queue.put_nowait(None)
                    return
        finally:
            if self._watches.get(key) is watch:
                del self._watches[key]

    def shutdown(self, *, wait: bool = False) -> None:
        """Stop the reaper and the executor; queued futures are cancelled (their jobs
        stay queued and are recovered at the next start)."""
        self._stop_reaper.set()
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
            local, self._local = self._local, None
        if local is not None:
            local.shutdown(wait=wait, cancel_futures=True)
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)
