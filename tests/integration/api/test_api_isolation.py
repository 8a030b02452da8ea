"""Cross-user access: user B can never read or change user A's data (always 404)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

pytestmark = pytest.mark.integration
Register = Callable[..., dict[str, Any]]
Bearer = Callable[[dict[str, Any]], dict[str, str]]
WaitFinal = Callable[[str, dict[str, str]], dict[str, Any]]

SMA = {"kind": "indicator", "name": "sma"}
SPEC = {
    "name": "Golden cross",
    "universe": ["SPX"],
    "entry": {
        "kind": "cross",
        "direction": "above",
        "left": {**SMA, "params": {"period": 20}},
        "right": {**SMA, "params": {"period": 50}},
    },
    "exit": {
        "kind": "cross",
        "direction": "below",
        "left": {**SMA, "params": {"period": 20}},
        "right": {**SMA, "params": {"period": 50}},
    },
}


def test_user_b_cannot_see_or_change_user_a_objects(
    client: TestClient, register: Register, bearer: Bearer, wait_final: WaitFinal
) -> None:
    alice, bob = bearer(register()), bearer(register())
    strategy = client.post(
        "/api/v1/strategies", json={"name": "mine", "spec": SPEC}, headers=alice
    ).json()
    run = client.post(
        "/api/v1/backtest/run",
        json={"strategy_id": strategy["id"], "start": "2015-01-01", "end": "2016-12-31"},
        headers=alice,
    ).json()
    chat = client.post(
        "/api/v1/chat/strategy", json={"message": "buy SPX when RSI < 30"}, headers=alice
    )
    conversation = client.get("/api/v1/conversations", headers=alice).json()["items"][0]
    wait_final(f"/api/v1/backtest/{run['id']}", alice)

    attempts = [
        client.get(f"/api/v1/strategies/{strategy['id']}", headers=bob),
        client.patch(f"/api/v1/strategies/{strategy['id']}", json={"name": "x"}, headers=bob),
        client.delete(f"/api/v1/strategies/{strategy['id']}", headers=bob),
        client.get(f"/api/v1/strategies/{strategy['id']}/versions", headers=bob),
        client.post(f"/api/v1/strategies/{strategy['id']}/versions/1/restore", headers=bob),
        client.get(f"/api/v1/backtest/{run['id']}", headers=bob),
        client.post(f"/api/v1/backtest/{run['id']}/cancel", headers=bob),
        client.get(f"/api/v1/jobs/{run['job_id']}", headers=bob),
        client.post(f"/api/v1/jobs/{run['job_id']}/cancel", headers=bob),
        client.get(f"/api/v1/conversations/{conversation['id']}", headers=bob),
        client.get(f"/api/v1/conversations/{conversation['id']}/messages", headers=bob),
        client.delete(f"/api/v1/conversations/{conversation['id']}", headers=bob),
        client.post("/api/v1/backtest/run", json={"strategy_id": strategy["id"]}, headers=bob),
        client.post(
            "/api/v1/chat/strategy",
            json={"message": "hi", "conversation_id": conversation["id"]},
            headers=bob,
        ),
    ]

    assert chat.status_code == 200
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    assert client.get("/api/v1/strategies", headers=bob).json()["total"] == 0
    assert client.get("/api/v1/backtests", headers=bob).json()["total"] == 0
    assert client.get("/api/v1/jobs", headers=bob).json()["total"] == 0
    assert client.get("/api/v1/conversations", headers=bob).json()["total"] == 0
    assert client.get(f"/api/v1/strategies/{strategy['id']}", headers=alice).status_code == 200
