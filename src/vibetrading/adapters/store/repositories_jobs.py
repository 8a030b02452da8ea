"""SQL repositories of jobs and backtest runs with their compactly stored results.

A backtest run follows its job: when the job is re-queued, fails or is cancelled (a
worker died, the job was recovered, a queued job was cancelled), every unfinished run
of that job takes the same state and error in the same transaction, so lists and
status filters never show a dead run as queued or running.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from vibetrading.adapters.store._blob import FORMAT, pack_frames, unpack_frames
from vibetrading.adapters.store._query import paginate, require
from vibetrading.adapters.store.repositories import owned_strategy
from vibetrading.adapters.store.tables import (
    BacktestResultRow,
    BacktestRunRow,
    JobRow,
    StrategyVersionRow,
)
from vibetrading.errors import Conflict, NotFound
from vibetrading.services.problems import JOB_INTERRUPTED, problem
from vibetrading.services.records import (
    BacktestResultData,
    BacktestRun,
    Job,
    JobState,
    ListQuery,
    Page,
    new_id,
)

if TYPE_CHECKING:
    from vibetrading.adapters.store.db import Database

__all__ = [
    "ALLOWED_TRANSITIONS",
    "SqlBacktestRepository",
    "SqlJobRepository",
    "json_safe",
    "owned_run",
]

ALLOWED_TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.QUEUED: frozenset({JobState.RUNNING, JobState.CANCELLED, JobState.FAILED}),
    JobState.RUNNING: frozenset(
        {
            JobState.RUNNING,
            JobState.SUCCEEDED,
            JobState.FAILED,
            JobState.CANCELLED,
            JobState.QUEUED,
        }
    ),
}
"""The states each state may move to; final states are absent: they never change."""


def json_safe(value: Any) -> Any:
    """Return `value` with numpy scalars, NaN/inf (None) and timestamps (ISO) made JSON-able."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timedelta):
        return value.isoformat()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _job(row: JobRow) -> Job:
    return Job(
        id=row.id,
        user_id=row.user_id,
        kind=row.kind,
        state=JobState(row.state),
        progress=row.progress,
        message=row.message,
        payload=dict(row.payload),
        result=row.result,
        error=row.error,
        attempts=row.attempts,
        cancel_requested=row.cancel_requested,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        heartbeat_at=row.heartbeat_at,
    )


def _locked_job(session: Session, job_id: str, user_id: str | None = None) -> JobRow:
    statement = select(JobRow).where(JobRow.id == job_id).with_for_update()
    if user_id is not None:
        statement = statement.where(JobRow.user_id == user_id)
    return require(session.scalar(statement), "Job", job_id)


class SqlJobRepository:
    """Job state in ``jobs``; transitions follow `ALLOWED_TRANSITIONS`."""

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self._db = database
        self._clock = clock

    def create(self, user_id: str, *, kind: str, payload: dict[str, Any]) -> Job:
        """Queue a job."""
        row = JobRow(
            id=new_id(),
            user_id=user_id,
            kind=kind,
            state=JobState.QUEUED.value,
            progress=0.0,
            message="",
            payload=json_safe(payload),
            attempts=0,
            cancel_requested=False,
            created_at=self._clock(),
        )
        with self._db.session() as session:
            session.add(row)
            session.flush()
            return _job(row)

    def get(self, user_id: str, job_id: str) -> Job:
        """Return the user's job or raise NotFound."""
        statement = select(JobRow).where(JobRow.id == job_id, JobRow.user_id == user_id)
        with self._db.session(read_only=True) as session:
            return _job(require(session.scalar(statement), "Job", job_id))

    def get_for_worker(self, job_id: str) -> Job:
        """Return a job whatever its user (workers and executors only)."""
        with self._db.session(read_only=True) as session:
            return _job(require(session.get(JobRow, job_id), "Job", job_id))

    def list(self, user_id: str, query: ListQuery) -> Page[Job]:
        """Return a page of the user's jobs."""
        with self._db.session(read_only=True) as session:
            rows, total = paginate(
                session,
                select(JobRow).where(JobRow.user_id == user_id),
                query,
                sorts={"created_at": JobRow.created_at, "state": JobRow.state, "kind": JobRow.kind},
                default="created_at",
                filters={"state": JobRow.state, "kind": JobRow.kind},
                tiebreak=JobRow.id,
            )
            return Page([_job(r) for r in rows], total, query.limit, query.offset)

    def list_queued(self, *, kinds: Sequence[str] | None = None) -> builtins.list[Job]:
        """Return every queued job (of `kinds`), oldest first, whatever its user."""
        statement = select(JobRow).where(JobRow.state == JobState.QUEUED.value)
        if kinds is not None:
            statement = statement.where(JobRow.kind.in_(list(kinds)))
        with self._db.session(read_only=True) as session:
            rows = session.scalars(statement.order_by(JobRow.created_at, JobRow.id))
            return [_job(r) for r in rows]

    def claim(self, job_id: str | None = None, *, kinds: Sequence[str] | None = None) -> Job | None:
        """Atomically move a queued job (this one, or the oldest of `kinds`) to running."""
        with self._db.session() as session:
            if job_id is not None:
                return self._claim_one(session, job_id)
            for _ in range(10):  # another worker may win the race for the oldest job
                candidate = select(JobRow.id).where(JobRow.state == JobState.QUEUED.value)
                if kinds is not None:
                    candidate = candidate.where(JobRow.kind.in_(list(kinds)))
                candidate = candidate.order_by(JobRow.created_at, JobRow.id).limit(1)
                if self._db.dialect == "postgresql":
                    candidate = candidate.with_for_update(skip_locked=True)
                found = session.scalar(candidate)
                if found is None:
                    return None
                claimed = self._claim_one(session, found)
                if claimed is not None:
                    return claimed
            return None

    def _claim_one(self, session: Session, job_id: str) -> Job | None:
        now = self._clock()
        result = session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.state == JobState.QUEUED.value)
            .values(
                state=JobState.RUNNING.value,
                attempts=JobRow.attempts + 1,
                started_at=now,
                heartbeat_at=now,
                finished_at=None,
            )
        )
        if int(getattr(result, "rowcount", 0)) != 1:
            return None
        row = session.get(JobRow, job_id, populate_existing=True)
        return _job(require(row, "Job", job_id))

    def update_state(
        self,
        job_id: str,
        state: JobState,
        *,
        progress: float | None = None,
        message: str | None = None,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> Job:
        """Move the job to `state` (running -> running reports progress and heartbeats)."""
        state = JobState(state)
        with self._db.session() as session:
            row = _locked_job(session, job_id)
            current = JobState(row.state)
            if state not in ALLOWED_TRANSITIONS.get(current, frozenset()):
                raise Conflict(f"Job {job_id!r} cannot go from {current} to {state}.")
            now = self._clock()
            self._enter(row, current, state, now)
            if progress is not None:
                row.progress = min(max(float(progress), 0.0), 1.0)
            if message is not None:
                row.message = message
            if result is not None:
                row.result = json_safe(result)
            if error is not None:
                row.error = json_safe(error)
            _follow_job(session, row, now)
            session.flush()
            return _job(row)

    @staticmethod
    def _enter(row: JobRow, current: JobState, state: JobState, now: datetime) -> None:
        row.state = state.value
        if state is JobState.RUNNING:
            row.heartbeat_at = now
            if current is JobState.QUEUED:
                row.started_at, row.attempts = now, row.attempts + 1
        elif state is JobState.QUEUED:
            row.started_at = row.heartbeat_at = None
            row.progress = 0.0
        else:
            row.finished_at = now
            if state is JobState.SUCCEEDED:
                row.progress = 1.0

    def heartbeat(
        self, job_id: str, *, progress: float | None = None, message: str | None = None
    ) -> Job:
        """Refresh heartbeat_at of a running job, optionally with progress.

        Raise Conflict when the job is not running (recovered, cancelled or finished).
        """
        with self._db.session() as session:
            row = _locked_job(session, job_id)
            if row.state != JobState.RUNNING.value:
                raise Conflict(f"Job {job_id!r} is {row.state}, not running.")
            row.heartbeat_at = self._clock()
            if progress is not None:
                row.progress = min(max(float(progress), 0.0), 1.0)
            if message is not None:
                row.message = message
            session.flush()
            return _job(row)

    def request_cancel(self, user_id: str, job_id: str) -> Job:
        """Cancel a queued job now; flag a running one for its worker; final ones unchanged."""
        with self._db.session() as session:
            row = _locked_job(session, job_id, user_id)
            if row.state == JobState.QUEUED.value:
                row.state, row.finished_at = JobState.CANCELLED.value, self._clock()
                row.cancel_requested = True
                _follow_job(session, row, row.finished_at)
            elif row.state == JobState.RUNNING.value:
                row.cancel_requested = True
            session.flush()
            return _job(row)

    def is_cancel_requested(self, job_id: str) -> bool:
        """Return True if cancellation was requested for this job."""
        with self._db.session(read_only=True) as session:
            flag = session.scalar(select(JobRow.cancel_requested).where(JobRow.id == job_id))
            if flag is None:
                raise NotFound(f"Job {job_id!r} not found.")
            return bool(flag)

    def requeue_or_fail_stale(
        self, *, reason: str, stale_before: datetime | None = None, max_attempts: int = 3
    ) -> builtins.list[Job]:
        """Recover running jobs whose heartbeat is older than `stale_before` (None: all)."""
        statement = select(JobRow).where(JobRow.state == JobState.RUNNING.value)
        if stale_before is not None:
            statement = statement.where(
                or_(JobRow.heartbeat_at.is_(None), JobRow.heartbeat_at < stale_before)
            )
        with self._db.session() as session:
            rows = list(session.scalars(statement.order_by(JobRow.created_at).with_for_update()))
            now = self._clock()
            for row in rows:
                self._recover(row, reason, max_attempts, now)
                _follow_job(session, row, now)
            session.flush()
            return [_job(r) for r in rows]

    def _recover(self, row: JobRow, reason: str, max_attempts: int, now: datetime) -> None:
        if row.cancel_requested:
            self._enter(row, JobState.RUNNING, JobState.CANCELLED, now)
            row.message = f"cancelled while interrupted: {reason}"
        elif row.attempts < max_attempts:
            self._enter(row, JobState.RUNNING, JobState.QUEUED, now)
            row.message = f"requeued: {reason}"
        else:
            self._enter(row, JobState.RUNNING, JobState.FAILED, now)
            row.message = reason
            row.error = problem(*JOB_INTERRUPTED, f"{reason} (after {row.attempts} attempts)")


_UNFINISHED = (JobState.QUEUED.value, JobState.RUNNING.value)


def _follow_job(session: Session, row: JobRow, now: datetime) -> None:
    # A succeeded run is written by its handler (result and summary); only requeues,
    # failures and cancellations are mirrored here.
    state = JobState(row.state)
    if state not in (JobState.QUEUED, JobState.FAILED, JobState.CANCELLED):
        return
    values: dict[str, Any] = {"status": state.value}
    if state.is_final:
        values["finished_at"] = now
        if row.error is not None:
            values["error"] = row.error
    session.execute(
        update(BacktestRunRow)
        .where(BacktestRunRow.job_id == row.id, BacktestRunRow.status.in_(_UNFINISHED))
        .values(**values)
    )


def _run(row: BacktestRunRow) -> BacktestRun:
    return BacktestRun(
        id=row.id,
        user_id=row.user_id,
        job_id=row.job_id,
        strategy_id=row.strategy_id,
        strategy_version_id=row.strategy_version_id,
        request=dict(row.request),
        status=JobState(row.status),
        summary=dict(row.summary),
        error=row.error,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


def owned_run(
    session: Session, user_id: str, run_id: str, *, for_update: bool = False
) -> BacktestRunRow:
    """Return the user's run row or raise NotFound."""
    statement = select(BacktestRunRow).where(
        BacktestRunRow.id == run_id, BacktestRunRow.user_id == user_id
    )
    if for_update:
        statement = statement.with_for_update()
    return require(session.scalar(statement), "Backtest run", run_id)


_SERIES = ("equity", "drawdown", "returns", "cash", "benchmark")
_FRAMES = ("trades", "positions", "orders")


class SqlBacktestRepository:
    """Backtest runs in ``backtest_runs``, results in ``backtest_results``."""

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self._db = database
        self._clock = clock

    def create_run(
        self,
        user_id: str,
        *,
        request: dict[str, Any],
        job_id: str | None = None,
        strategy_id: str | None = None,
        strategy_version_id: str | None = None,
    ) -> BacktestRun:
        """Record a queued run; the job and strategy ids, if given, must be the user's."""
        row = BacktestRunRow(
            id=new_id(),
            user_id=user_id,
            job_id=job_id,
            strategy_id=strategy_id,
            strategy_version_id=strategy_version_id,
            request=json_safe(request),
            status=JobState.QUEUED.value,
            summary={},
            created_at=self._clock(),
        )
        with self._db.session() as session:
            self._check_links(session, user_id, job_id, strategy_id, strategy_version_id)
            session.add(row)
            session.flush()
            return _run(row)

    @staticmethod
    def _check_links(
        session: Session,
        user_id: str,
        job_id: str | None,
        strategy_id: str | None,
        version_id: str | None,
    ) -> None:
        if job_id is not None:
            job = session.get(JobRow, job_id)
            if job is None or job.user_id != user_id:
                raise NotFound(f"Job {job_id!r} not found.")
        if version_id is not None and strategy_id is None:
            raise NotFound(f"Strategy version {version_id!r} needs its strategy id.")
        if strategy_id is not None:
            owned_strategy(session, user_id, strategy_id)
        if version_id is not None:
            version = session.get(StrategyVersionRow, version_id)
            if version is None or version.strategy_id != strategy_id:
                raise NotFound(f"Strategy version {version_id!r} not found.")

    def get_run(self, user_id: str, run_id: str) -> BacktestRun:
        """Return the run or raise NotFound."""
        with self._db.session(read_only=True) as session:
            return _run(owned_run(session, user_id, run_id))

    def list_runs(self, user_id: str, query: ListQuery) -> Page[BacktestRun]:
        """Return a page of the user's runs."""
        with self._db.session(read_only=True) as session:
            rows, total = paginate(
                session,
                select(BacktestRunRow).where(BacktestRunRow.user_id == user_id),
                query,
                sorts={"created_at": BacktestRunRow.created_at, "status": BacktestRunRow.status},
                default="created_at",
                filters={
                    "status": BacktestRunRow.status,
                    "strategy_id": BacktestRunRow.strategy_id,
                    "job_id": BacktestRunRow.job_id,
                },
                tiebreak=BacktestRunRow.id,
            )
            return Page([_run(r) for r in rows], total, query.limit, query.offset)

    def set_status(
        self, user_id: str, run_id: str, status: JobState, *, error: dict[str, Any] | None = None
    ) -> BacktestRun:
        """Change the run's status (running, failed, cancelled) with an optional error."""
        status = JobState(status)
        with self._db.session() as session:
            row = owned_run(session, user_id, run_id, for_update=True)
            row.status = status.value
            if error is not None:
                row.error = json_safe(error)
            if status.is_final:
                row.finished_at = self._clock()
            session.flush()
            return _run(row)

    def save_result(self, user_id: str, result: BacktestResultData) -> BacktestRun:
        """Store (or replace) the result of `result.run_id` and mark the run succeeded."""
        pieces = {name: getattr(result, name) for name in (*_SERIES, *_FRAMES)}
        data = pack_frames(pieces)
        stats = json_safe(result.stats)
        now = self._clock()
        with self._db.session() as session:
            run = owned_run(session, user_id, result.run_id, for_update=True)
            row = session.get(BacktestResultRow, run.id)
            if row is None:
                row = BacktestResultRow(run_id=run.id)
                session.add(row)
            row.stats, row.meta, row.format = stats, json_safe(result.meta), FORMAT
            row.data, row.size_bytes, row.created_at = data, len(data), now
            run.status, run.summary, run.finished_at = JobState.SUCCEEDED.value, stats, now
            session.flush()
            return _run(run)

    def get_result(self, user_id: str, run_id: str) -> BacktestResultData:
        """Return the stored result or raise NotFound."""
        with self._db.session(read_only=True) as session:
            run = owned_run(session, user_id, run_id)
            row = require(session.get(BacktestResultRow, run.id), "Backtest result", run_id)
            pieces = unpack_frames(row.data)
            return BacktestResultData(
                run_id=run.id,
                stats=dict(row.stats),
                meta=dict(row.meta),
                **pieces,
            )
