from datetime import UTC, datetime, timedelta

import pytest

from vibetrading.errors import Conflict, NotFound
from vibetrading.services.records import JobState, ListQuery

pytestmark = pytest.mark.integration

FAR_FUTURE = datetime.now(UTC) + timedelta(days=365)


def test_jobs_create_is_queued_and_scoped(store, user, other_user):
    job = store.jobs.create(user.id, kind="backtest", payload={"symbol": "SPX", "n": 3})

    assert job.state is JobState.QUEUED
    assert (job.progress, job.attempts, job.cancel_requested) == (0.0, 0, False)
    assert store.jobs.get(user.id, job.id) == job
    assert store.jobs.get_for_worker(job.id) == job
    with pytest.raises(NotFound):
        store.jobs.get(other_user.id, job.id)
    with pytest.raises(NotFound):
        store.jobs.request_cancel(other_user.id, job.id)


def test_jobs_claim_by_id_runs_once(store, user):
    job = store.jobs.create(user.id, kind="backtest", payload={})

    claimed = store.jobs.claim(job.id)

    assert claimed.state is JobState.RUNNING
    assert claimed.attempts == 1
    assert claimed.started_at is not None
    assert claimed.heartbeat_at is not None
    assert store.jobs.claim(job.id) is None


def test_jobs_claim_next_takes_the_oldest_of_the_kinds(store, user):
    kind = f"kind-{user.id[:6]}"
    first = store.jobs.create(user.id, kind=kind, payload={})
    second = store.jobs.create(user.id, kind=kind, payload={})

    assert store.jobs.claim(kinds=[kind]).id == first.id
    assert store.jobs.claim(kinds=[kind]).id == second.id
    assert store.jobs.claim(kinds=[kind]) is None


def test_jobs_progress_then_success_sets_result(store, user):
    job = store.jobs.claim(store.jobs.create(user.id, kind="sweep", payload={}).id)

    halfway = store.jobs.heartbeat(job.id, progress=0.5, message="half")
    done = store.jobs.update_state(job.id, JobState.SUCCEEDED, result={"run_id": "r1"})

    assert (halfway.progress, halfway.message) == (0.5, "half")
    assert halfway.heartbeat_at >= job.heartbeat_at
    assert done.state is JobState.SUCCEEDED
    assert done.progress == 1.0
    assert done.result == {"run_id": "r1"}
    assert done.finished_at is not None


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (JobState.QUEUED, JobState.SUCCEEDED),
        (JobState.SUCCEEDED, JobState.RUNNING),
        (JobState.FAILED, JobState.QUEUED),
        (JobState.CANCELLED, JobState.CANCELLED),
    ],
    ids=["queued-to-succeeded", "succeeded-to-running", "failed-to-queued", "cancelled-again"],
)
def test_jobs_forbidden_transition_raises_conflict(store, user, start, target):
    job = store.jobs.create(user.id, kind="backtest", payload={})
    if start is not JobState.QUEUED:
        store.jobs.claim(job.id)
        store.jobs.update_state(job.id, start)

    with pytest.raises(Conflict, match="cannot go from"):
        store.jobs.update_state(job.id, target)


def test_jobs_failure_keeps_readable_error(store, user):
    job = store.jobs.claim(store.jobs.create(user.id, kind="backtest", payload={}).id)
    error = {"type": "strategy-error", "title": "Strategy failed", "detail": "division by zero"}

    failed = store.jobs.update_state(job.id, JobState.FAILED, error=error, progress=7)

    assert failed.error == error
    assert failed.progress == 1.0  # clamped to 0..1


def test_jobs_request_cancel_queued_cancels_running_flags(store, user):
    queued = store.jobs.create(user.id, kind="backtest", payload={})
    running = store.jobs.claim(store.jobs.create(user.id, kind="backtest", payload={}).id)

    cancelled = store.jobs.request_cancel(user.id, queued.id)
    flagged = store.jobs.request_cancel(user.id, running.id)
    finished = store.jobs.update_state(running.id, JobState.CANCELLED)

    assert cancelled.state is JobState.CANCELLED
    assert cancelled.finished_at is not None
    assert flagged.state is JobState.RUNNING
    assert flagged.cancel_requested
    assert store.jobs.is_cancel_requested(running.id) is True
    assert store.jobs.request_cancel(user.id, running.id) == finished
    with pytest.raises(NotFound):
        store.jobs.is_cancel_requested("missing")


def test_jobs_requeue_or_fail_stale_recovers_each_running_job(store, user):
    def running(attempts: int, cancel: bool = False):
        job = store.jobs.create(user.id, kind="recovery-test", payload={})
        for _ in range(attempts):
            store.jobs.claim(job.id)
            if _ < attempts - 1:
                store.jobs.update_state(job.id, JobState.QUEUED)
        if cancel:
            store.jobs.request_cancel(user.id, job.id)
        return job

    fresh, tired, cancelled = running(1), running(3), running(1, cancel=True)

    recovered = store.jobs.requeue_or_fail_stale(reason="server restarted", stale_before=FAR_FUTURE)

    by_id = {job.id: job for job in recovered}
    assert by_id[fresh.id].state is JobState.QUEUED
    assert by_id[fresh.id].message == "requeued: server restarted"
    assert by_id[tired.id].state is JobState.FAILED
    assert by_id[tired.id].error["type"] == "https://vibetrading.dev/problems/job-interrupted"
    assert "server restarted" in by_id[tired.id].error["detail"]
    assert by_id[cancelled.id].state is JobState.CANCELLED
    assert store.jobs.requeue_or_fail_stale(reason="again", stale_before=FAR_FUTURE) == []


def test_jobs_requeue_or_fail_stale_spares_recent_heartbeats(store, user):
    job = store.jobs.claim(store.jobs.create(user.id, kind="backtest", payload={}).id)

    recovered = store.jobs.requeue_or_fail_stale(
        reason="stale", stale_before=job.heartbeat_at - timedelta(minutes=5)
    )

    assert job.id not in {j.id for j in recovered}
    assert store.jobs.get(user.id, job.id).state is JobState.RUNNING
    store.jobs.update_state(job.id, JobState.SUCCEEDED)


def test_jobs_list_filters_by_state_and_kind(store, user):
    store.jobs.create(user.id, kind="download", payload={})
    running = store.jobs.claim(store.jobs.create(user.id, kind="backtest", payload={}).id)

    by_state = store.jobs.list(user.id, ListQuery(filters={"state": JobState.RUNNING}))
    by_kind = store.jobs.list(user.id, ListQuery(filters={"kind": "download"}, sort="kind"))

    assert [j.id for j in by_state.items] == [running.id]
    assert by_kind.total == 1
    store.jobs.update_state(running.id, JobState.SUCCEEDED)


def test_jobs_heartbeat_of_a_job_not_running_is_conflict(store, user):
    job = store.jobs.create(user.id, kind="backtest", payload={})

    with pytest.raises(Conflict):
        store.jobs.heartbeat(job.id, progress=0.1)

    assert store.jobs.get(user.id, job.id).state is JobState.QUEUED


def test_jobs_list_queued_returns_the_queued_jobs_of_the_kinds(store, user, other_user):
    kind = f"queued-{user.id[:6]}"
    first = store.jobs.create(user.id, kind=kind, payload={})
    second = store.jobs.create(other_user.id, kind=kind, payload={})
    store.jobs.claim(store.jobs.create(user.id, kind=kind, payload={}).id)

    queued = store.jobs.list_queued(kinds=[kind])

    assert [j.id for j in queued] == [first.id, second.id]


def _run_of_new_job(store, user):
    job = store.jobs.create(user.id, kind="backtest", payload={})
    run = store.backtests.create_run(user.id, request={"symbol": "SPX"}, job_id=job.id)
    return job, run


def test_backtest_run_follows_its_job_when_the_job_fails(store, user):
    job, run = _run_of_new_job(store, user)
    store.jobs.claim(job.id)
    store.backtests.set_status(user.id, run.id, JobState.RUNNING)

    store.jobs.update_state(job.id, JobState.FAILED, error={"type": "x", "detail": "died"})

    followed = store.backtests.get_run(user.id, run.id)
    assert followed.status is JobState.FAILED
    assert followed.error == {"type": "x", "detail": "died"}
    assert followed.finished_at is not None
    running = store.backtests.list_runs(user.id, ListQuery(filters={"status": "running"}))
    assert run.id not in {r.id for r in running.items}


def test_backtest_run_follows_its_job_through_recovery(store, user):
    requeued_job, requeued = _run_of_new_job(store, user)
    tired_job, tired = _run_of_new_job(store, user)
    store.jobs.claim(requeued_job.id)
    for _ in range(3):
        store.jobs.claim(tired_job.id)
        store.backtests.set_status(user.id, tired.id, JobState.RUNNING)
        if _ < 2:
            store.jobs.update_state(tired_job.id, JobState.QUEUED)

    store.jobs.requeue_or_fail_stale(reason="worker died", stale_before=FAR_FUTURE)

    assert store.backtests.get_run(user.id, requeued.id).status is JobState.QUEUED
    failed = store.backtests.get_run(user.id, tired.id)
    assert failed.status is JobState.FAILED
    assert failed.error["type"].endswith("/job-interrupted")


def test_backtest_run_follows_its_queued_job_when_cancelled(store, user):
    job, run = _run_of_new_job(store, user)

    store.jobs.request_cancel(user.id, job.id)

    assert store.backtests.get_run(user.id, run.id).status is JobState.CANCELLED


def test_backtest_run_already_finished_is_not_overwritten_by_its_job(store, user):
    job, run = _run_of_new_job(store, user)
    store.jobs.claim(job.id)
    store.backtests.set_status(user.id, run.id, JobState.FAILED, error={"detail": "own"})

    store.jobs.update_state(job.id, JobState.FAILED, error={"detail": "job"})

    assert store.backtests.get_run(user.id, run.id).error == {"detail": "own"}
