"""JobService and execute_job over a SQLite store with a thread pool."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import BrokenExecutor, Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from vibetrading.errors import (
    ConfigError,
    NotFound,
    SandboxViolation,
    SpecError,
    TemporaryProviderError,
)
from vibetrading.services.jobs import (
    JobContext,
    JobService,
    error_document,
    execute_job,
    job_event,
)
from vibetrading.services.records import Job, JobState
from vibetrading.testing.jobs import TEST_JOB_HANDLERS


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    """Return a migrated SQLite store with one user."""
    from vibetrading.adapters.store.db import SqlStore, upgrade

    url = f"sqlite:///{(tmp_path / 'jobs.db').as_posix()}"
    upgrade(url)
    sql_store = SqlStore(url)
    yield sql_store
    sql_store.close()


@pytest.fixture
def user_id(store: Any) -> str:
    """Return the id of a stored user."""
    return str(store.users.create(email="a@b.co", password_hash="x").id)


def _runner(store: Any) -> Any:
    return lambda handler, job_id: execute_job(store.jobs, handler, job_id)


def _service(store: Any, factory: Any = None) -> JobService:
    return JobService(
        store.jobs,
        runner=_runner(store),
        handlers=TEST_JOB_HANDLERS,
        executor_factory=factory or (lambda: ThreadPoolExecutor(max_workers=1)),
    )


def _final(store: Any, user_id: str, job_id: str) -> Job:
    for _ in range(400):
        job: Job = store.jobs.get(user_id, job_id)
        if job.state.is_final:
            return job
        time.sleep(0.02)
    raise AssertionError("job did not finish")


def test_execute_job_success_stores_result(store: Any, user_id: str) -> None:
    job = store.jobs.create(user_id, kind="echo", payload={"n": 1})

    state = execute_job(store.jobs, TEST_JOB_HANDLERS["echo"], job.id)

    assert state == "succeeded"
    assert store.jobs.get(user_id, job.id).result == {"echo": {"n": 1}}


def test_execute_job_twice_leaves_the_first_outcome(store: Any, user_id: str) -> None:
    job = store.jobs.create(user_id, kind="echo", payload={})
    execute_job(store.jobs, TEST_JOB_HANDLERS["echo"], job.id)

    assert execute_job(store.jobs, TEST_JOB_HANDLERS["echo"], job.id) == "succeeded"


def test_execute_job_vibetrading_error_is_readable(store: Any, user_id: str) -> None:
    def bad_spec(context: JobContext) -> dict[str, Any]:
        raise SpecError("no entry rule")

    job = store.jobs.create(user_id, kind="x", payload={})

    execute_job(store.jobs, bad_spec, job.id)

    error = store.jobs.get(user_id, job.id).error
    assert error == {
        "type": "https://vibetrading.dev/problems/strategy-error",
        "title": "Invalid strategy",
        "status": 422,
        "detail": "no entry rule",
    }


def test_error_document_unexpected_error_names_it() -> None:
    document = error_document(KeyError("k"))

    assert document["detail"] == "KeyError: 'k'"
    assert document["type"] == "https://vibetrading.dev/problems/internal-error"


@pytest.mark.parametrize(
    "error",
    [SpecError("bad"), ConfigError("bad"), NotFound("gone"), TemporaryProviderError("p", "x")],
    ids=lambda e: type(e).__name__,
)
def test_error_document_matches_the_http_problem_type(error: Exception) -> None:
    from fastapi import FastAPI
    from starlette.testclient import TestClient

    from vibetrading.api.problems import install_problem_handlers

    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise error

    http = TestClient(app).get("/boom").json()
    document = error_document(error)

    assert (document["type"], document["title"], document["status"]) == (
        http["type"],
        http["title"],
        http["status"],
    )


class _Report:
    def as_dict(self) -> dict[str, Any]:
        return {"is_safe": False, "checks": [{"name": "memory", "passed": False}]}


def test_error_document_strategy_error_keeps_the_safety_report() -> None:
    document = error_document(SandboxViolation("memory limit", report=_Report()))

    assert document["report"]["checks"][0]["name"] == "memory"
    assert document["type"].endswith("/strategy-error")


def test_execute_job_recovered_meanwhile_leaves_the_new_state(store: Any, user_id: str) -> None:
    def requeued_under_it(context: JobContext) -> dict[str, Any]:
        store.jobs.requeue_or_fail_stale(reason="test", stale_before=None)
        context.progress(0.5, "still here?")
        return {}

    job = store.jobs.create(user_id, kind="x", payload={})

    state = execute_job(store.jobs, requeued_under_it, job.id)

    assert state == "queued"
    assert store.jobs.get(user_id, job.id).attempts == 1


def test_execute_job_keeps_the_heartbeat_fresh_without_progress(store: Any, user_id: str) -> None:
    beats: list[Any] = []

    def silent(context: JobContext) -> dict[str, Any]:
        first = store.jobs.get(user_id, context.job.id).heartbeat_at
        time.sleep(0.25)
        beats.extend([first, store.jobs.get(user_id, context.job.id).heartbeat_at])
        return {}

    job = store.jobs.create(user_id, kind="x", payload={})

    execute_job(store.jobs, silent, job.id, keep_alive_s=0.05)

    assert beats[1] > beats[0]


def test_service_submit_unknown_kind_is_config_error(store: Any, user_id: str) -> None:
    with pytest.raises(ConfigError, match="echo"):
        _service(store).submit(user_id, "nope", {})


def test_service_cancel_queued_job_is_immediate(store: Any, user_id: str) -> None:
    service = _service(store)
    blocker = service.submit(user_id, "wait", {"seconds": 5})
    queued = service.submit(user_id, "echo", {})

    cancelled = service.cancel(user_id, queued.id)
    service.cancel(user_id, blocker.id)

    assert cancelled.state is JobState.CANCELLED
    assert _final(store, user_id, blocker.id).state is JobState.CANCELLED
    service.shutdown(wait=True)


def test_service_events_end_with_final_state(store: Any, user_id: str) -> None:
    import asyncio

    service = _service(store)
    service.poll_interval_s = 0.01
    job = service.submit(user_id, "echo", {})

    async def collect() -> list[dict[str, Any]]:
        return [event async for event in service.events(user_id, job.id)]

    events = asyncio.run(collect())
    service.shutdown()

    assert events[-1]["final"] is True
    assert events[-1] == job_event(store.jobs.get(user_id, job.id))


class _BrokenOnce(Executor):
    """Fails every future with BrokenExecutor, as a pool whose worker died."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_exception(BrokenExecutor("worker died"))
        return future


class _Refusing(Executor):
    """Refuses new work, as a pool that is shutting down."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        raise RuntimeError("cannot schedule new futures after shutdown")


def test_service_broken_pool_fails_job_and_rebuilds(store: Any, user_id: str) -> None:
    built: list[Executor] = []

    def factory() -> Executor:
        built.append(_BrokenOnce() if not built else ThreadPoolExecutor(1))
        return built[-1]

    service = _service(store, factory)

    crashed = service.submit(user_id, "echo", {})
    fine = service.submit(user_id, "echo", {})

    assert "died" in _final(store, user_id, crashed.id).error["detail"]
    assert _final(store, user_id, fine.id).state is JobState.SUCCEEDED
    assert len(built) == 2
    service.shutdown(wait=True)


class _BrokenOnSubmit(Executor):
    """Refuses work with BrokenExecutor, as a pool whose worker died between jobs."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        raise BrokenExecutor("A child process terminated abruptly")


def test_service_dead_pool_at_submit_rebuilds_and_runs_the_job(store: Any, user_id: str) -> None:
    built: list[Executor] = []

    def factory() -> Executor:
        built.append(_BrokenOnSubmit() if not built else ThreadPoolExecutor(1))
        return built[-1]

    service = _service(store, factory)

    job = service.submit(user_id, "echo", {})

    assert _final(store, user_id, job.id).state is JobState.SUCCEEDED
    assert len(built) == 2
    service.shutdown(wait=True)


def test_service_after_shutdown_leaves_jobs_queued(store: Any, user_id: str) -> None:
    service = _service(store)
    service.shutdown()

    job = service.submit(user_id, "echo", {})

    assert store.jobs.get(user_id, job.id).state is JobState.QUEUED


def test_service_refusing_executor_fails_job(store: Any, user_id: str) -> None:
    service = _service(store, _Refusing)

    job = service.submit(user_id, "echo", {})

    assert "could not be started" in store.jobs.get(user_id, job.id).error["detail"]


def test_service_recover_requeues_stale_running_and_queued_jobs(store: Any, user_id: str) -> None:
    running = store.jobs.create(user_id, kind="echo", payload={})
    store.jobs.claim(running.id)
    queued = store.jobs.create(user_id, kind="echo", payload={})
    service = _service(store)
    service.heartbeat_timeout_s = 0.0

    recovered = service.recover()

    assert {j.id for j in recovered} == {running.id, queued.id}
    assert _final(store, user_id, running.id).attempts == 2
    assert _final(store, user_id, queued.id).attempts == 1
    assert store.jobs.get(user_id, queued.id).state is JobState.SUCCEEDED
    service.shutdown(wait=True)


def test_service_recover_spares_running_jobs_with_fresh_heartbeats(
    store: Any, user_id: str
) -> None:
    running = store.jobs.create(user_id, kind="echo", payload={})
    store.jobs.claim(running.id)  # another server's worker runs it and heartbeats
    service = _service(store)

    recovered = service.recover()

    assert recovered == []
    assert store.jobs.get(user_id, running.id).state is JobState.RUNNING
    service.shutdown(wait=True)


def test_service_reaper_recovers_a_job_once_its_heartbeat_goes_stale(
    store: Any, user_id: str
) -> None:
    service = _service(store)
    service.heartbeat_timeout_s = 0.3
    service.recover()
    orphan = store.jobs.create(user_id, kind="echo", payload={})
    store.jobs.claim(orphan.id)  # its worker dies without a word

    final = _final(store, user_id, orphan.id)
    service.shutdown(wait=True)

    assert final.state is JobState.SUCCEEDED
    assert final.attempts == 2


def test_service_events_fan_out_to_every_subscriber(store: Any, user_id: str) -> None:
    import asyncio

    service = _service(store)
    service.poll_interval_s = 0.01
    job = service.submit(user_id, "wait", {"seconds": 0.3})

    async def collect() -> list[dict[str, Any]]:
        return [event async for event in service.events(user_id, job.id)]

    async def both() -> list[list[dict[str, Any]]]:
        return list(await asyncio.gather(collect(), collect()))

    first, second = asyncio.run(both())
    service.shutdown(wait=True)

    assert first[-1]["state"] == second[-1]["state"] == "succeeded"
    assert len(first) > 2
