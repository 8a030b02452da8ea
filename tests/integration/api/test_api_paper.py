"""Paper trading over HTTP: runners on the server's scheduler, orders, fills, accounts,
per-user isolation, refused unsafe code, stop, and the events WebSocket."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from starlette.testclient import TestClient

from vibetrading.api.app import create_app
from vibetrading.domain.strategy.dsl import parse_strategy
from vibetrading.services.container import ApiServices
from vibetrading.services.paper import PaperRequest
from vibetrading.settings import Settings

pytestmark = pytest.mark.integration
Register = Callable[..., dict[str, Any]]
Bearer = Callable[[dict[str, Any]], dict[str, str]]
RSI = "buy when RSI(14) is below 30 and sell above 70 with a 5% stop"
RUN = {"symbol": "SPX", "strategy": RSI, "start": "2010-01-01", "end": "2010-08-31"}
HOSTILE = "import os\n\ndef signals(data, params):\n    return os.listdir()\n"


def _wait(client: TestClient, runner_id: str, headers: dict[str, str], *states: str) -> Any:
    for _ in range(1200):
        body = client.get(f"/api/v1/paper/runners/{runner_id}", headers=headers).json()
        if body["status"] in states:
            return body
        time.sleep(0.05)
    raise AssertionError(f"runner {runner_id} never reached {states}: {body}")


def test_paper_runner_replays_on_the_scheduler_with_orders_fills_and_accounts(
    client: TestClient, register: Register, bearer: Bearer
) -> None:
    headers = bearer(register())

    started = client.post("/api/v1/paper/runners", json=RUN, headers=headers)
    runner = _wait(client, started.json()["runner_id"], headers, "finished")
    orders = client.get("/api/v1/paper/orders", headers=headers).json()
    fills = client.get(
        "/api/v1/paper/fills", params={"runner_id": runner["runner_id"]}, headers=headers
    ).json()
    accounts = client.get("/api/v1/paper/accounts", headers=headers).json()
    positions = client.get("/api/v1/paper/positions", headers=headers).json()
    listed = client.get("/api/v1/paper/runners", headers=headers).json()

    assert started.status_code == 202
    assert started.json()["mode"] == "paper"
    assert runner["orders"] > 0
    assert {o["status"] for o in orders} == {"filled"}
    assert len(fills) == runner["orders"]
    assert accounts[0]["mode"] == "paper"
    assert accounts[0]["equity"] == pytest.approx(runner["equity"])
    assert isinstance(positions, list)
    assert [r["runner_id"] for r in listed] == [runner["runner_id"]]


def test_paper_order_on_finished_runner_is_rejected_in_words_with_its_mode(
    client: TestClient, register: Register, bearer: Bearer
) -> None:
    headers = bearer(register())
    runner_id = client.post("/api/v1/paper/runners", json=RUN, headers=headers).json()["runner_id"]
    _wait(client, runner_id, headers, "finished")
    order = {"symbol": "SPX", "side": "buy", "quantity": 1, "client_order_id": "late-1"}

    placed = client.post("/api/v1/paper/orders", json=order, headers=headers)
    again = client.post("/api/v1/paper/orders", json=order, headers=headers)

    assert placed.status_code == 201
    assert placed.json()["status"] == "rejected"
    assert placed.json()["reject_reason"] == "market_closed"
    assert placed.json()["mode"] == "paper"
    assert placed.json()["runner_id"] == runner_id
    assert again.json()["client_order_id"] == "late-1"
    orders = client.get("/api/v1/paper/orders", headers=headers).json()
    assert [o["client_order_id"] for o in orders].count("late-1") == 1


def test_paper_stop_ends_a_running_replay_and_manual_orders_fill(
    client: TestClient, register: Register, bearer: Bearer
) -> None:
    headers = bearer(register())
    spec = parse_strategy(RSI, default_symbol="SPX").spec.model_dump(mode="json")
    spec["sizing"]["value"] = 0.1  # the strategy leaves cash for the manual order
    body = {"symbol": "SPX", "spec": spec, "start": "2010-01-01", "end": "2010-12-31"}
    body |= {"speed": 40.0}
    runner_id = client.post("/api/v1/paper/runners", json=body, headers=headers).json()["runner_id"]
    _wait(client, runner_id, headers, "running")
    order = {"symbol": "SPX", "side": "buy", "quantity": 2, "client_order_id": "mid-run"}

    placed = client.post("/api/v1/paper/orders", json=order, headers=headers)
    for _ in range(400):  # the running runner picks it up at its next bar
        orders = client.get("/api/v1/paper/orders", headers=headers).json()
        if any(o["client_order_id"] == "mid-run" and o["status"] == "filled" for o in orders):
            break
        time.sleep(0.05)
    stopped = client.post(f"/api/v1/paper/runners/{runner_id}/stop", headers=headers)
    time.sleep(0.3)
    later = client.get(f"/api/v1/paper/runners/{runner_id}", headers=headers).json()

    assert placed.json()["status"] == "accepted"
    mine = [o for o in orders if o["client_order_id"] == "mid-run"]
    assert mine[0]["status"] == "filled"
    assert stopped.json()["status"] == "stopped"
    assert later["status"] == "stopped"
    assert later["cursor"] == stopped.json()["cursor"]
    assert later["cursor"] < "2010-12-30"


def test_paper_cancel_working_order(
    client: TestClient, register: Register, bearer: Bearer, services: ApiServices
) -> None:
    tokens = register()
    headers = bearer(tokens)
    user_id = services.auth.verify_access(tokens["access_token"])
    paper = services.paper.for_user(user_id)
    record = paper.start(PaperRequest(**RUN))  # created, not scheduled: orders wait
    order = {"symbol": "SPX", "side": "buy", "quantity": 1, "limit_price": 1.0}

    placed = client.post("/api/v1/paper/orders", json=order, headers=headers).json()
    cancelled = client.post(
        f"/api/v1/paper/orders/{placed['client_order_id']}/cancel", headers=headers
    )
    again = client.post(f"/api/v1/paper/orders/{placed['client_order_id']}/cancel", headers=headers)

    assert placed["status"] == "accepted"
    assert cancelled.json()["status"] == "cancelled"
    assert again.status_code == 422
    assert again.headers["content-type"].startswith("application/problem+json")
    assert paper.repository.open_orders(record.runner_id) == []


def test_paper_hostile_code_is_refused_with_problem_and_nothing_stored(
    client: TestClient, register: Register, bearer: Bearer
) -> None:
    headers = bearer(register())

    answer = client.post(
        "/api/v1/paper/runners", json={"symbol": "SPX", "code": HOSTILE}, headers=headers
    )

    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "import of 'os'" in answer.json()["detail"]
    assert client.get("/api/v1/paper/runners", headers=headers).json() == []
    assert client.get("/api/v1/strategies", headers=headers).json()["total"] == 0


def test_paper_runners_are_private_to_their_user(
    client: TestClient, register: Register, bearer: Bearer
) -> None:
    alice, bob = bearer(register()), bearer(register())
    runner_id = client.post(
        "/api/v1/paper/runners", json=RUN | {"speed": 1.0}, headers=alice
    ).json()["runner_id"]

    seen = client.get("/api/v1/paper/runners", headers=bob).json()
    read = client.get(f"/api/v1/paper/runners/{runner_id}", headers=bob)
    stop = client.post(f"/api/v1/paper/runners/{runner_id}/stop", headers=bob)
    order = client.post(
        "/api/v1/paper/orders",
        json={"symbol": "SPX", "side": "buy", "quantity": 1, "runner_id": runner_id},
        headers=bob,
    )
    anonymous = client.get("/api/v1/paper/runners")
    client.post(f"/api/v1/paper/runners/{runner_id}/stop", headers=alice)

    assert seen == []
    assert read.status_code == stop.status_code == order.status_code == 404
    assert anonymous.status_code == 401


def test_paper_websocket_sends_the_runner_events(
    client: TestClient, register: Register, bearer: Bearer
) -> None:
    tokens = register()
    headers = bearer(tokens)

    with client.websocket_connect(f"/api/v1/ws/paper?token={tokens['access_token']}") as socket:
        hello = socket.receive_json()
        client.post("/api/v1/paper/runners", json=RUN, headers=headers)
        kinds = []
        while True:
            event = socket.receive_json()
            kinds.append(event["type"])
            if event["type"] == "runner" and event["data"]["status"] == "finished":
                break

    assert hello == {"type": "hello", "runner_id": None, "data": {"runners": []}}
    assert {"order", "fill", "position", "account"} <= set(kinds)


def test_paper_websocket_without_token_is_closed(client: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/api/v1/ws/paper"):
        pass

    assert closed.value.code == 4401


def test_server_schedules_live_runners_at_bar_close_and_stops_scheduler(
    api_settings: Settings, services: ApiServices, register: Register
) -> None:
    user = services.auth.local_user()
    record = services.paper.for_user(user.id).start(
        PaperRequest(symbol="SPX", strategy=RSI, feed="live")
    )
    app = create_app(api_settings, services=services)

    with TestClient(app):
        scheduler = app.state.paper_scheduler
        job = scheduler.get_job(f"paper-{record.runner_id}")
        is_running = scheduler.running

    assert is_running
    assert job is not None
    assert pd.Timestamp(job.next_run_time).tz_convert("UTC").strftime("%H:%M:%S") == "00:00:05"
    assert not scheduler.running
    assert services.paper.repository.get_runner(record.runner_id).status == "running"
