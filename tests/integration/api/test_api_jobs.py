"""Jobs over HTTP: backtest lifecycle, progress over WebSocket, cancel, failure, crash,
restart recovery, and the Dask executor."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from starlette.testclient import TestClient

from vibetrading.api.app import create_app
from vibetrading.services.container import ApiServices
from vibetrading.services.records import JobState
from vibetrading.settings import Settings

pytestmark = pytest.mark.integration
Register = Callable[..., dict[str, Any]]
Bearer = Callable[[dict[str, Any]], dict[str, str]]
FINAL = {"succeeded", "failed", "cancelled"}


def _wait(client: TestClient, path: str, headers: dict[str, str], key: str) -> dict[str, Any]:
    for _ in range(600):
        body: dict[str, Any] = client.get(path, headers=headers).json()
        if body[key] in FINAL:
            return body
        time.sleep(0.05)
    raise AssertionError(f"{path} did not finish: {body}")


def test_backtest_run_then_poll_succeeds_with_stats(
    client: TestClient, register: Register, bearer: Bearer
) -> None:
    headers = bearer(register())

    accepted = client.post(
        "/api/v1/backtest/run",
        json={
            "strategy": "buy when RSI(14) below 30, sell when above 70",
            "symbol": "SPX",
            "start": "2010-01-01",
            "end": "2014-12-31",
        },
        headers=headers,
    )
    run = _wait(client, f"/api/v1/backtest/{accepted.json()['id']}", headers, "status")

    assert accepted.status_code == 202
    assert run["status"] == "succeeded"
    assert run["progress"] == 1.0
    assert "sharpe" in run["summary"]
    assert run["result"]["equity"][0]["equity"] == pytest.approx(100_000.0)
    assert run["result"]["meta"]["spec"]["universe"] == ["SPX"]


def test_backtest_bad_strategy_text_is_refused_before_queueing(
    client: TestClient, register: Register, bearer: Bearer
) -> None:
    headers = bearer(register())

    none = client.post("/api/v1/backtest/run", json={"symbol": "SPX"}, headers=headers)
    spec = client.post("/api/v1/backtest/run", json={"spec": {"x": 1}}, headers=headers)

    assert none.status_code == 400
    assert spec.status_code == 422
    assert spec.json()["type"].endswith("/strategy-error")


def test_backtest_unknown_symbol_fails_with_readable_error(
    client: TestClient, register: Register, bearer: Bearer
) -> None:
    headers = bearer(register())
    accepted = client.post(
        "/api/v1/backtest/run",
        json={"strategy": "buy when RSI below 30", "symbol": "NOPE.XX"},
        headers=headers,
    ).json()

    run = _wait(client, f"/api/v1/backtest/{accepted['id']}", headers, "status")

    assert run["status"] == "failed"
    assert run["error"]["detail"]


def test_job_progress_over_websocket_ends_with_final_event(
    client: TestClient, services: ApiServices, register: Register
) -> None:
    tokens = register()
    job = services.jobs.submit(tokens["user"]["id"], "echo", {"n": 1})

    with client.websocket_connect(
        f"/api/v1/ws/jobs/{job.id}?token={tokens['access_token']}"
    ) as socket:
        events = []
        while not (events and events[-1]["final"]):
            events.append(socket.receive_json())

    assert events[-1]["state"] == "succeeded"
    assert all(e["id"] == job.id for e in events)


def test_job_websocket_of_unknown_job_sends_a_not_found_problem(
    client: TestClient, register: Register
) -> None:
    tokens = register()

    with client.websocket_connect(f"/api/v1/ws/jobs/nope?token={tokens['access_token']}") as ws:
        event = ws.receive_json()

    assert event["type"] == "error"
    assert event["data"]["type"] == "https://vibetrading.dev/problems/not-found"
    assert event["data"]["status"] == 404


def test_job_websocket_without_token_is_closed(client: TestClient, services: ApiServices) -> None:
    from starlette.websockets import WebSocketDisconnect

    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/api/v1/ws/jobs/x") as socket,
    ):
        socket.receive_json()

    assert closed.value.code == 4401


def test_running_job_cancel_stops_it(
    client: TestClient, services: ApiServices, register: Register, bearer: Bearer
) -> None:
    tokens = register()
    headers = bearer(tokens)
    job = services.jobs.submit(tokens["user"]["id"], "wait", {"seconds": 20})
    for _ in range(200):
        if services.jobs.get(tokens["user"]["id"], job.id).state is JobState.RUNNING:
            break
        time.sleep(0.02)

    response = client.post(f"/api/v1/jobs/{job.id}/cancel", headers=headers)
    final = _wait(client, f"/api/v1/jobs/{job.id}", headers, "state")

    assert response.status_code == 200
    assert final["state"] == "cancelled"


def test_failing_job_is_failed_with_reason_and_listed(
    client: TestClient, services: ApiServices, register: Register, bearer: Bearer
) -> None:
    tokens = register()
    headers = bearer(tokens)
    job = services.jobs.submit(tokens["user"]["id"], "fail", {"n": 7})

    final = _wait(client, f"/api/v1/jobs/{job.id}", headers, "state")
    listed = client.get("/api/v1/jobs?state=failed&sort=-created_at", headers=headers).json()

    assert final["error"]["detail"] == "ValueError: boom 7"
    assert [j["id"] for j in listed["items"]] == [job.id]


def test_cancel_of_finished_job_leaves_it(
    client: TestClient, services: ApiServices, register: Register, bearer: Bearer
) -> None:
    tokens = register()
    headers = bearer(tokens)
    job = services.jobs.submit(tokens["user"]["id"], "echo", {})
    _wait(client, f"/api/v1/jobs/{job.id}", headers, "state")

    response = client.post(f"/api/v1/jobs/{job.id}/cancel", headers=headers)

    assert response.json()["state"] == "succeeded"


def test_restart_recovers_job_left_running(
    api_settings: Settings, make_services: Callable[..., ApiServices]
) -> None:
    first = make_services(api_settings)
    user = first.auth.register("restart@example.com", "correct horse battery").user
    job = first.store.jobs.create(user.id, kind="echo", payload={"n": 2})
    first.store.jobs.claim(job.id)  # a worker took it, then the server died
    first.close()

    second = make_services(api_settings)
    second.jobs.heartbeat_timeout_s = 0.2  # the dead server's heartbeat goes stale at once
    with TestClient(create_app(api_settings, services=second)):
        for _ in range(200):
            state = second.store.jobs.get(user.id, job.id).state
            if state.is_final:
                break
            time.sleep(0.05)
    second.close()

    assert state is JobState.SUCCEEDED


@pytest.mark.slow
def test_crashing_worker_process_fails_job_and_server_answers(
    api_settings: Settings, make_services: Callable[..., ApiServices]
) -> None:
    context = multiprocessing.get_context("spawn")
    services = make_services(
        api_settings, executor_factory=lambda: ProcessPoolExecutor(1, mp_context=context)
    )
    user = services.auth.register("crash@example.com", "correct horse battery").user
    with TestClient(create_app(api_settings, services=services)) as client:
        job = services.jobs.submit(user.id, "crash", {})
        for _ in range(600):
            crashed = services.store.jobs.get(user.id, job.id)
            if crashed.state.is_final:
                break
            time.sleep(0.05)
        after = services.jobs.submit(user.id, "echo", {"n": 3})
        for _ in range(600):
            echoed = services.store.jobs.get(user.id, after.id)
            if echoed.state.is_final:
                break
            time.sleep(0.05)
        health = client.get("/api/v1/health")
    services.close()

    assert crashed.state is JobState.FAILED
    assert "died" in crashed.error["detail"]
    assert echoed.state is JobState.SUCCEEDED
    assert health.status_code == 200


@pytest.mark.slow
def test_backtest_whose_worker_dies_mid_run_is_listed_failed(
    api_settings: Settings, make_services: Callable[..., ApiServices]
) -> None:
    from vibetrading.testing.jobs import crash_backtest_job
    from vibetrading.workers import JOB_HANDLERS

    context = multiprocessing.get_context("spawn")
    services = make_services(
        api_settings,
        executor_factory=lambda: ProcessPoolExecutor(1, mp_context=context),
        handlers={**JOB_HANDLERS, "backtest": crash_backtest_job},
    )
    tokens = services.auth.register("died@example.com", "correct horse battery")
    headers = {"Authorization": f"Bearer {tokens.access_token}"}
    with TestClient(create_app(api_settings, services=services)) as client:
        accepted = client.post(
            "/api/v1/backtest/run", json={"strategy": "buy when RSI below 30"}, headers=headers
        ).json()
        for _ in range(600):
            listed = client.get("/api/v1/backtests", headers=headers).json()["items"]
            if listed[0]["status"] in FINAL:
                break
            time.sleep(0.05)
        running = client.get("/api/v1/backtests?status=running", headers=headers).json()
        failed = client.get("/api/v1/backtests?status=failed", headers=headers).json()
    services.close()

    assert listed[0]["id"] == accepted["id"]
    assert listed[0]["status"] == "failed"
    assert "died" in listed[0]["error"]["detail"]
    assert listed[0]["error"]["type"].endswith("/job-crashed")
    assert running["items"] == []
    assert [r["id"] for r in failed["items"]] == [accepted["id"]]


MEMORY_BOMB = (
    "import numpy as np\n"
    "def signals(data, params):\n"
    "    blocks = [np.ones(50_000_000) for i in range(40)]\n"
    "    return blocks, blocks\n"
)


@pytest.mark.slow
def test_code_strategy_breaching_the_sandbox_fails_alone(
    client: TestClient, register: Register, bearer: Bearer
) -> None:
    attacker, bystander = bearer(register()), bearer(register())

    bomb = client.post(
        "/api/v1/backtest/run",
        json={"code": MEMORY_BOMB, "symbol": "SPX", "start": "2015-01-01"},
        headers=attacker,
    ).json()
    fine = client.post(
        "/api/v1/backtest/run",
        json={"strategy": "buy when RSI below 30, sell above 70", "symbol": "SPX"},
        headers=bystander,
    ).json()
    health = client.get("/api/v1/health")
    refused = _wait(client, f"/api/v1/backtest/{bomb['id']}", attacker, "status")
    done = _wait(client, f"/api/v1/backtest/{fine['id']}", bystander, "status")
    job = client.get(f"/api/v1/jobs/{refused['job_id']}", headers=attacker).json()

    assert health.status_code == 200
    assert client.get("/api/v1/health").status_code == 200
    assert done["status"] == "succeeded"
    assert refused["status"] == "failed"
    assert refused["error"]["type"] == "https://vibetrading.dev/problems/strategy-error"
    assert "memory" in refused["error"]["detail"]
    assert refused["error"]["report"]["is_safe"] is False
    assert job["error"]["report"] == refused["error"]["report"]
