"""HTTP behaviour: problems, request ids, limits, CORS, local mode, lists and routes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from vibetrading.api.app import create_app
from vibetrading.services.container import ApiServices
from vibetrading.settings import Settings

pytestmark = pytest.mark.integration
Register = Callable[..., dict[str, Any]]
Bearer = Callable[[dict[str, Any]], dict[str, str]]
WaitFinal = Callable[[str, dict[str, str]], dict[str, Any]]
SMA = {"kind": "indicator", "name": "sma"}


def _spec(fast: int = 20, slow: int = 50) -> dict[str, Any]:
    return {
        "name": f"SMA {fast}/{slow}",
        "universe": ["SPX"],
        "entry": {
            "kind": "cross",
            "direction": "above",
            "left": {**SMA, "params": {"period": fast}},
            "right": {**SMA, "params": {"period": slow}},
        },
        "exit": {
            "kind": "cross",
            "direction": "below",
            "left": {**SMA, "params": {"period": fast}},
            "right": {**SMA, "params": {"period": slow}},
        },
    }


def _client_for(
    settings: Settings, make_services: Callable[..., ApiServices], **changes: Any
) -> Iterator[TestClient]:
    changed = settings.model_copy(update=changes)
    services = make_services(changed, multi_user=changed.multi_user)
    with TestClient(create_app(changed, services=services)) as client:
        yield client
    services.close()


@pytest.fixture
def sqlite_settings(isolated_home: Path) -> Settings:
    """Return multi-user settings over a SQLite store (for tests of HTTP mechanics)."""
    return Settings(
        home=isolated_home,
        database_url=f"sqlite:///{(isolated_home / 'http.db').as_posix()}",
        jwt_secret="test-secret-of-at-least-thirty-two-characters",
        multi_user=True,
    )


def test_problem_shape_and_request_id_echoed(client: TestClient) -> None:
    response = client.get("/api/v1/strategies/x", headers={"X-Request-ID": "abc-123"})

    assert response.status_code == 401
    assert response.headers["x-request-id"] == "abc-123"
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail", "instance", "request_id"}
    assert body["request_id"] == "abc-123"
    assert body["instance"] == "/api/v1/strategies/x"


def test_request_id_invalid_is_replaced(client: TestClient) -> None:
    response = client.get("/api/v1/health", headers={"X-Request-ID": "bad id with spaces"})

    assert response.headers["x-request-id"] != "bad id with spaces"
    assert len(response.headers["x-request-id"]) == 32


def test_validation_error_is_422_problem_with_fields(
    client: TestClient, register: Register, bearer: Bearer
) -> None:
    response = client.post("/api/v1/strategies", json={"name": ""}, headers=bearer(register()))

    assert response.status_code == 422
    assert response.json()["type"].endswith("/validation-error")
    assert response.json()["errors"][0]["loc"] == ["body", "name"]


def test_unknown_route_is_404_problem(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.json()["type"].endswith("/not-found")


def test_body_over_limit_is_413(sqlite_settings: Settings, make_services: Any) -> None:
    for client in _client_for(sqlite_settings, make_services, max_request_bytes=2048):
        declared = client.post("/api/v1/auth/login", content=b"x" * 5000)
        streamed = client.post(
            "/api/v1/auth/login",
            content=iter([b"{" + b" " * 1500, b" " * 1500 + b"}"]),
            headers={"content-type": "application/json"},
        )

    assert declared.status_code == 413
    assert declared.json()["type"].endswith("/payload-too-large")
    assert streamed.status_code == 413


def _register_on(client: TestClient, email: str = "big@example.com") -> dict[str, str]:
    tokens = client.post(
        "/api/v1/auth/register", json={"email": email, "password": "long enough!"}
    ).json()
    client.cookies.clear()
    return {"Authorization": f"Bearer {tokens['access_token']}", "content-type": "application/json"}


def test_chunked_backtest_body_over_limit_is_413_problem(
    sqlite_settings: Settings, make_services: Any
) -> None:
    body = json.dumps({"strategy": "buy when RSI below 30", "code": "#" * 6000}).encode()
    for client in _client_for(sqlite_settings, make_services, max_request_bytes=4096):
        headers = _register_on(client)
        response = client.post(
            "/api/v1/backtest/run",
            content=iter([body[:3000], body[3000:]]),  # no Content-Length: chunked
            headers=headers,
        )

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/payload-too-large")


def test_chunked_backtest_body_under_limit_reaches_the_route(
    sqlite_settings: Settings, make_services: Any
) -> None:
    body = json.dumps({"symbol": "SPX", "cash": 5000}).encode()  # no strategy: refused
    for client in _client_for(sqlite_settings, make_services, max_request_bytes=4096):
        headers = _register_on(client)
        response = client.post(
            "/api/v1/backtest/run", content=iter([body[:10], body[10:]]), headers=headers
        )

    assert response.status_code == 400
    assert "exactly one strategy" in response.json()["detail"]


def test_rate_limit_per_ip_answers_429_with_retry_after(
    sqlite_settings: Settings, make_services: Any
) -> None:
    for client in _client_for(sqlite_settings, make_services, rate_limit_per_minute=3):
        codes = [client.get("/api/v1/users/me").status_code for _ in range(4)]
        last = client.get("/api/v1/users/me")

    assert codes[:3] == [401, 401, 401]
    assert codes[3] == 429
    assert int(last.headers["retry-after"]) >= 1


def test_rate_limit_per_user_answers_429_to_that_user_only(
    sqlite_settings: Settings, make_services: Any
) -> None:
    from vibetrading.adapters.store.rate_limit import MemoryRateLimiter

    for client in _client_for(sqlite_settings, make_services, rate_limit_per_minute=1000):
        # users get 3 requests a minute on a clock that stands still; IPs stay at 1000
        client.app.state.rate_limiter = MemoryRateLimiter(limit=3, clock=lambda: 60.0)
        heavy, light = _register_on(client), _register_on(client, "light@example.com")
        codes = [client.get("/api/v1/users/me", headers=heavy).status_code for _ in range(4)]
        limited = client.get("/api/v1/users/me", headers=heavy)
        other = client.get("/api/v1/users/me", headers=light)

    assert codes == [200, 200, 200, 429]
    assert "this account" in limited.json()["detail"]
    assert limited.json()["type"].endswith("/rate-limited")
    assert int(limited.headers["retry-after"]) >= 1
    assert other.status_code == 200


def test_cors_allows_only_configured_origins(sqlite_settings: Settings, make_services: Any) -> None:
    for client in _client_for(sqlite_settings, make_services, cors_origins=["http://ui.example"]):
        allowed = client.options(
            "/api/v1/health",
            headers={"Origin": "http://ui.example", "Access-Control-Request-Method": "GET"},
        )
        refused = client.get("/api/v1/health", headers={"Origin": "http://evil.example"})

    assert allowed.headers["access-control-allow-origin"] == "http://ui.example"
    assert "access-control-allow-origin" not in refused.headers


def test_local_mode_needs_no_login(sqlite_settings: Settings, make_services: Any) -> None:
    for client in _client_for(sqlite_settings, make_services, multi_user=False):
        me = client.get("/api/v1/users/me")
        health = client.get("/api/v1/health")

    assert me.status_code == 200
    assert me.json()["email"] == "local@localhost"
    assert health.json()["multi_user"] is False


def test_strategy_create_patch_versions_restore(
    client: TestClient, register: Register, bearer: Bearer
) -> None:
    headers = bearer(register())
    created = client.post(
        "/api/v1/strategies", json={"name": "cross", "spec": _spec()}, headers=headers
    ).json()
    path = f"/api/v1/strategies/{created['id']}"

    renamed = client.patch(path, json={"name": "renamed"}, headers=headers).json()
    edited = client.patch(path, json={"spec": _spec(10, 30)}, headers=headers).json()
    versions = client.get(f"{path}/versions?sort=-version", headers=headers).json()
    restored = client.post(f"{path}/versions/1/restore", headers=headers).json()
    deleted = client.delete(path, headers=headers)

    assert created["current_version"] == 1
    assert renamed["current_version"] == 1
    assert renamed["name"] == "renamed"
    assert edited["current_version"] == 2
    assert [v["version"] for v in versions["items"]] == [2, 1]
    assert restored["current_version"] == 3
    assert restored["version"]["spec"]["entry"]["left"]["params"]["period"] == 20
    assert deleted.status_code == 204
    assert client.get(path, headers=headers).status_code == 404


def test_strategy_invalid_content_is_refused(
    client: TestClient, register: Register, bearer: Bearer
) -> None:
    headers = bearer(register())

    bad_spec = client.post(
        "/api/v1/strategies", json={"name": "x", "spec": {"entry": 1}}, headers=headers
    )
    bad_code = client.post(
        "/api/v1/strategies", json={"name": "x", "code": "def signals(:"}, headers=headers
    )
    unsafe = client.post(
        "/api/v1/strategies",
        json={"name": "x", "code": "import os\ndef signals(data, params):\n    return 1, 2\n"},
        headers=headers,
    )
    both = client.post(
        "/api/v1/strategies", json={"name": "x", "spec": _spec(), "code": "x = 1"}, headers=headers
    )

    assert [r.status_code for r in (bad_spec, bad_code, unsafe)] == [422, 422, 422]
    assert both.status_code == 400


def test_lists_paginate_sort_and_filter(
    client: TestClient, register: Register, bearer: Bearer
) -> None:
    headers = bearer(register())
    for name in ("b", "a", "c"):
        client.post("/api/v1/strategies", json={"name": name, "spec": _spec()}, headers=headers)

    page = client.get("/api/v1/strategies?sort=name&limit=2&offset=1", headers=headers).json()
    filtered = client.get("/api/v1/strategies?name=c", headers=headers).json()
    bad_sort = client.get("/api/v1/strategies?sort=nope", headers=headers)
    bad_limit = client.get("/api/v1/strategies?limit=0", headers=headers)

    assert [s["name"] for s in page["items"]] == ["b", "c"]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    assert [s["name"] for s in filtered["items"]] == ["c"]
    assert bad_sort.status_code == 400
    assert "name" in bad_sort.json()["detail"]
    assert bad_limit.status_code == 422


def test_market_data_and_symbols(client: TestClient, register: Register, bearer: Bearer) -> None:
    headers = bearer(register())

    bars = client.get(
        "/api/v1/market/data?symbol=SPX&start=2018-01-01&end=2018-01-31", headers=headers
    ).json()
    symbols = client.get("/api/v1/market/symbols?q=spx", headers=headers).json()
    unknown = client.get("/api/v1/market/data?symbol=NOPE.XX", headers=headers)

    assert bars["symbol"] == "SPX"
    assert len(bars["bars"]) == 21  # trading days of January 2018
    assert bars["bars"][0]["timestamp"].startswith("2018-01-02")
    assert [s["symbol"] for s in symbols["items"]] == ["SPX"]
    assert (symbols["total"], symbols["limit"], symbols["offset"]) == (1, 50, 0)
    assert unknown.status_code == 404


def test_market_symbols_is_a_page_with_limit_offset_and_sort(
    client: TestClient, register: Register, bearer: Bearer
) -> None:
    headers = bearer(register())

    every = client.get("/api/v1/market/symbols?limit=200", headers=headers).json()
    page = client.get("/api/v1/market/symbols?limit=2&offset=1", headers=headers).json()
    by_bars = client.get("/api/v1/market/symbols?sort=-bars", headers=headers).json()
    bad = client.get("/api/v1/market/symbols?sort=colour", headers=headers)

    names = [s["symbol"] for s in every["items"]]
    assert names == sorted(names)
    assert every["total"] == len(names) > 2
    assert [s["symbol"] for s in page["items"]] == names[1:3]
    assert (page["total"], page["limit"], page["offset"]) == (len(names), 2, 1)
    bars = [s["bars"] for s in by_bars["items"]]
    assert bars == sorted(bars, reverse=True)
    assert bad.status_code == 400
    assert "symbol" in bad.json()["detail"]


def test_market_download_runs_as_job(
    client: TestClient, register: Register, bearer: Bearer
) -> None:
    headers = bearer(register())

    job = client.post(
        "/api/v1/market/download",
        json={"symbol": "AAPL", "provider": "demo", "start": "2024-01-01", "end": "2024-03-31"},
        headers=headers,
    ).json()
    for _ in range(200):
        final = client.get(f"/api/v1/jobs/{job['id']}", headers=headers).json()
        if final["state"] in {"succeeded", "failed"}:
            break

    assert final["state"] == "succeeded", final
    assert final["result"]["is_synthetic"] is True


def test_chat_streams_sse_events_and_saves_conversation(
    client: TestClient, register: Register, bearer: Bearer
) -> None:
    headers = bearer(register())

    with client.stream(
        "POST",
        "/api/v1/chat/strategy",
        json={"message": "buy SPX when RSI(14) < 30, sell when RSI > 70"},
        headers=headers,
    ) as response:
        text = "".join(response.iter_text())
    events = [block for block in text.split("\n\n") if block.strip()]
    kinds = [block.splitlines()[0].removeprefix("event: ") for block in events]
    done = json.loads(events[-1].splitlines()[1].removeprefix("data: "))

    assert response.headers["content-type"].startswith("text/event-stream")
    assert "spec" in kinds
    assert kinds[-1] == "done"
    conversation = client.get(f"/api/v1/conversations/{done['conversation_id']}", headers=headers)
    messages = client.get(
        f"/api/v1/conversations/{done['conversation_id']}/messages", headers=headers
    ).json()
    assert conversation.status_code == 200
    assert [m["role"] for m in messages["items"]][:1] == ["user"]


def test_chat_backtest_is_a_job_that_keeps_its_run(
    client: TestClient, register: Register, bearer: Bearer
) -> None:
    headers = bearer(register())

    with client.stream(
        "POST",
        "/api/v1/chat/strategy",
        json={"message": "buy SPX when RSI(14) < 30, sell when RSI > 70"},
        headers=headers,
    ) as response:
        text = "".join(response.iter_text())
    blocks = [block.splitlines() for block in text.split("\n\n") if block.strip()]
    result = next(
        json.loads(lines[1].removeprefix("data: "))
        for lines in blocks
        if lines[0] == "event: backtest_result"
    )
    job = client.get(f"/api/v1/jobs/{result['job_id']}", headers=headers).json()
    run = client.get(f"/api/v1/backtest/{result['run_id']}", headers=headers).json()
    listed = client.get("/api/v1/jobs?kind=copilot_backtest", headers=headers).json()

    assert (job["kind"], job["state"]) == ("copilot_backtest", "succeeded")
    assert job["result"]["run_id"] == result["run_id"]
    assert run["job_id"] == result["job_id"]
    assert run["status"] == "succeeded"
    assert run["result"]["stats"]
    assert [j["id"] for j in listed["items"]] == [result["job_id"]]


def test_chat_over_websocket_sends_the_same_events(client: TestClient, register: Register) -> None:
    tokens = register()

    with client.websocket_connect(f"/api/v1/ws/chat?token={tokens['access_token']}") as socket:
        socket.send_json({"bad": 1})
        error = socket.receive_json()
        socket.send_json({"message": "buy SPX when RSI < 30"})
        events = [socket.receive_json()]
        while events[-1]["type"] != "done":
            events.append(socket.receive_json())

    assert error["type"] == "error"
    assert error["data"]["type"] == "https://vibetrading.dev/problems/validation-error"
    assert "spec" in [e["type"] for e in events]


def test_httpx_asgi_transport_serves_the_app(app: FastAPI) -> None:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/api/v1/health")

    response = asyncio.run(call())

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_openapi_documents_problem_schema(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()

    assert "Problem" in schema["components"]["schemas"]
    assert "/api/v1/backtest/run" in schema["paths"]
    assert client.get("/docs").status_code == 200


def test_sweep_runs_as_job(
    client: TestClient, register: Register, bearer: Bearer, wait_final: WaitFinal
) -> None:
    headers = bearer(register())

    job = client.post(
        "/api/v1/sweep/run",
        json={
            "crossover": "sma",
            "fast": [5, 10],
            "slow": [20, 50],
            "symbols": ["SPX"],
            "start": "2010-01-01",
            "end": "2014-12-31",
        },
        headers=headers,
    ).json()
    final = wait_final(f"/api/v1/jobs/{job['id']}", headers)
    neither = client.post("/api/v1/sweep/run", json={"symbols": ["SPX"]}, headers=headers)

    assert final["state"] == "succeeded", final
    assert final["result"]["rows"] == 4
    assert final["result"]["metric"] == "sharpe"
    assert neither.status_code == 400


def test_sweep_takes_an_idea_in_words(
    client: TestClient, register: Register, bearer: Bearer, wait_final: WaitFinal
) -> None:
    headers = bearer(register())

    job = client.post(
        "/api/v1/sweep/run",
        json={
            "strategy": "buy when RSI(14) is below 30 and sell above 70",
            "grid": {"entry.right.value": [20, 30]},
            "symbols": ["SPX"],
            "start": "2010-01-01",
            "end": "2014-12-31",
        },
        headers=headers,
    ).json()
    final = wait_final(f"/api/v1/jobs/{job['id']}", headers)
    nonsense = client.post(
        "/api/v1/sweep/run",
        json={"strategy": "blah blah", "grid": {"entry.right.value": [20]}},
        headers=headers,
    )

    assert final["state"] == "succeeded", final
    assert final["result"]["rows"] == 2
    assert nonsense.status_code == 422
    assert "blah blah" in nonsense.json()["detail"]
