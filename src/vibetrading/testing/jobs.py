"""Job handlers for tests: succeed, fail, crash the worker process, or wait to be cancelled."""

from __future__ import annotations

import os
import time
from typing import Any

from vibetrading.services.jobs import JobContext
from vibetrading.services.records import JobState, ListQuery

__all__ = [
    "TEST_JOB_HANDLERS",
    "crash_backtest_job",
    "crash_job",
    "echo_job",
    "fail_job",
    "wait_job",
]


def echo_job(context: JobContext) -> dict[str, Any]:
    """Report progress once and return the payload."""
    context.progress(0.5, "halfway")
    return {"echo": context.payload}


def fail_job(context: JobContext) -> dict[str, Any]:
    """Raise an unexpected error."""
    raise ValueError(f"boom {context.payload.get('n', 0)}")


def crash_job(context: JobContext) -> dict[str, Any]:
    """Kill the worker process at once, as an out-of-memory kill would."""
    os._exit(13)


def crash_backtest_job(context: JobContext) -> dict[str, Any]:
    """Mark the job's backtest run running, then kill the worker process mid-run."""
    store = context.resources.store
    user_id = context.job.user_id
    runs = store.backtests.list_runs(
        user_id, ListQuery(limit=1, filters={"job_id": context.job.id})
    )
    store.backtests.set_status(user_id, runs.items[0].id, JobState.RUNNING)
    os._exit(13)


def wait_job(context: JobContext) -> dict[str, Any]:
    """Report progress every 50 ms until cancelled (at most `payload["seconds"]`, default 20)."""
    deadline = time.monotonic() + float(context.payload.get("seconds", 20))
    context.min_interval_s = 0.0
    step = 0
    while time.monotonic() < deadline:
        step += 1
        context.progress(min(0.99, step / 1000), f"step {step}")
        time.sleep(0.05)
    return {"steps": step}


TEST_JOB_HANDLERS = {"echo": echo_job, "fail": fail_job, "crash": crash_job, "wait": wait_job}
"""The test handlers by job kind."""
