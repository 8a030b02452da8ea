"""Load test of the HTTP API on loopback: simulated users register, chat and backtest.

Starts ``vibetrading serve`` in a subprocess on a random 127.0.0.1 port (multi-user
mode, a fresh data directory), once over SQLite and once over a fresh PostgreSQL
database, and runs `--users` concurrent users (asyncio + httpx) for `--duration`
seconds. Each user registers, then loops: chat with the offline parser
(``POST /chat/strategy``, the whole event stream), queue a backtest
(``POST /backtest/run``) and poll it until it finishes. Every request and loop is
bounded in count and time; only 127.0.0.1 is ever contacted.

    python bench/bench_load.py --duration 60          # both databases
    python bench/bench_load.py --duration 10 --database sqlite

Reports throughput, p50 and p99 latency per endpoint and the error count (must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MAX_REQUESTS_PER_USER = 10_000
IDEAS = [
    "buy SPX when RSI(14) drops below 30 and sell when it rises above 70",
    "golden cross: buy when the 50 day moving average crosses above the 200 day",
    "buy when price closes above the upper Bollinger band, exit below the middle band",
    "MACD crosses above its signal line: buy; crosses below: sell; 5% stop loss",
]


@dataclass
class Stats:
    """Latencies (ms) per endpoint and the errors seen."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    backtests: int = 0
    chats: int = 0

    def record(self, name: str, started: float, ok: bool, what: str = "") -> None:
        self.latencies[name].append((time.perf_counter() - started) * 1000)
        if not ok:
            self.errors.append(f"{name}: {what}"[:300])


@dataclass
class LoadCase:
    """The result of one load run (one database)."""

    database: str
    users: int
    duration_s: float
    requests: int
    errors: int
    backtests: int
    chats: int
    endpoints: dict[str, dict[str, float]]

    @property
    def throughput(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "users": self.users,
            "duration_s": round(self.duration_s, 1),
            "requests": self.requests,
            "throughput_rps": round(self.throughput, 1),
            "errors": self.errors,
            "backtests": self.backtests,
            "chats": self.chats,
            "endpoints": self.endpoints,
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _postgres_database() -> Iterator[str]:
    import sqlalchemy

    name = f"vt_bench_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(
                sqlalchemy.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@contextmanager
def _server(database_url: str | None, home: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "VIBETRADING_HOME": str(home),
        "VIBETRADING_MULTI_USER": "1",
        "VIBETRADING_JWT_SECRET": secrets.token_urlsafe(48),
        "VIBETRADING_RATE_LIMIT_PER_MINUTE": "1000000",
        "VIBETRADING_JOB_WORKERS": "1",
    }
    if database_url:
        env["VIBETRADING_DATABASE_URL"] = database_url
    log = home / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "vibetrading.cli.main", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}/api/v1"
            _wait_ready(base, server)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited during start-up")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start within 120 s")


async def _request(
    client: httpx.AsyncClient, stats: Stats, name: str, method: str, url: str, **kw: Any
) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await client.request(method, url, **kw)
    except httpx.HTTPError as e:
        stats.record(name, started, False, f"{type(e).__name__}: {e}")
        return None
    ok = response.status_code < 400
    stats.record(name, started, ok, f"{response.status_code} {response.text[:200]}")
    return response if ok else None


async def _chat(client: httpx.AsyncClient, stats: Stats, headers: dict[str, str], n: int) -> None:
    started = time.perf_counter()
    body = {"message": IDEAS[n % len(IDEAS)]}
    try:
        async with client.stream("POST", "/chat/strategy", json=body, headers=headers) as response:
            text = "".join([chunk async for chunk in response.aiter_text()])
    except httpx.HTTPError as e:
        stats.record("POST /chat/strategy", started, False, f"{type(e).__name__}: {e}")
        return
    ok = response.status_code == 200 and "event: done" in text and "event: error" not in text
    stats.record("POST /chat/strategy", started, ok, f"{response.status_code} {text[-200:]}")
    stats.chats += ok


async def _backtest(
    client: httpx.AsyncClient, stats: Stats, headers: dict[str, str], n: int
) -> None:
    body = {"strategy": IDEAS[n % len(IDEAS)], "symbol": "SPX", "start": "2005-01-01"}
    accepted = await _request(
        client, stats, "POST /backtest/run", "POST", "/backtest/run", json=body, headers=headers
    )
    if accepted is None:
        return
    run_id = accepted.json()["id"]
    for _ in range(600):  # at most 5 minutes of polling
        await asyncio.sleep(0.5)
        polled = await _request(
            client,
            stats,
            "GET /backtest/{id}",
            "GET",
            f"/backtest/{run_id}",
            params={"include_result": "false"},
            headers=headers,
        )
        if polled is None:
            return
        status = polled.json()["status"]
        if status == "succeeded":
            stats.backtests += 1
            return
        if status in {"failed", "cancelled"}:
            stats.errors.append(f"backtest {run_id} {status}: {polled.json()['error']}")
            return
    stats.errors.append(f"backtest {run_id} did not finish")


async def _user(client: httpx.AsyncClient, stats: Stats, deadline: float, index: int) -> None:
    email = f"load-{index}-{uuid.uuid4().hex[:6]}@example.com"
    registered = await _request(
        client,
        stats,
        "POST /auth/register",
        "POST",
        "/auth/register",
        json={"email": email, "password": "correct horse battery"},
    )
    if registered is None:
        return
    headers = {"Authorization": f"Bearer {registered.json()['access_token']}"}
    for n in range(MAX_REQUESTS_PER_USER):
        if time.monotonic() >= deadline:
            return
        await _chat(client, stats, headers, index + n)
        if time.monotonic() >= deadline:
            return
        await _backtest(client, stats, headers, index + n)


async def _load(base: str, users: int, duration_s: float) -> tuple[Stats, float]:
    stats = Stats()
    limits = httpx.Limits(max_connections=users * 2, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        started = time.monotonic()
        deadline = started + duration_s
        await asyncio.gather(*(_user(client, stats, deadline, i) for i in range(users)))
        return stats, time.monotonic() - started


def _summary(database: str, users: int, stats: Stats, elapsed: float) -> LoadCase:
    endpoints = {}
    for name, values in sorted(stats.latencies.items()):
        ordered = sorted(values)
        endpoints[name] = {
            "count": len(values),
            "p50_ms": round(statistics.median(ordered), 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
        }
    return LoadCase(
        database=database,
        users=users,
        duration_s=elapsed,
        requests=sum(len(v) for v in stats.latencies.values()),
        errors=len(stats.errors),
        backtests=stats.backtests,
        chats=stats.chats,
        endpoints=endpoints,
    )


def run_load(database: str, *, users: int = 50, duration_s: float = 60.0) -> LoadCase:
    """Start a server over `database` (sqlite or postgresql) and load it; return figures."""
    with tempfile.TemporaryDirectory(prefix="vt-load-") as tmp:
        home = Path(tmp)
        if database == "postgresql":
            with _postgres_database() as url, _server(url, home) as base:
                stats, elapsed = asyncio.run(_load(base, users, duration_s))
        else:
            with _server(None, home) as base:
                stats, elapsed = asyncio.run(_load(base, users, duration_s))
    for error in stats.errors[:10]:
        print(f"  error: {error}")
    return _summary(database, users, stats, elapsed)


def _print(case: LoadCase) -> None:
    print(
        f"\n{case.database}: {case.users} users, {case.duration_s:.0f} s, "
        f"{case.requests} requests ({case.throughput:.1f}/s), {case.chats} chats, "
        f"{case.backtests} backtests, errors {case.errors}"
    )
    print(f"  {'endpoint':<24} {'count':>7} {'p50 ms':>9} {'p99 ms':>9}")
    for name, figures in case.endpoints.items():
        print(
            f"  {name:<24} {figures['count']:>7} {figures['p50_ms']:>9.1f} "
            f"{figures['p99_ms']:>9.1f}"
        )


def run() -> list[LoadCase]:
    """Run the load on SQLite and PostgreSQL (``make bench``; VIBETRADING_BENCH_LOAD_S)."""
    duration = float(os.environ.get("VIBETRADING_BENCH_LOAD_S", "60"))
    cases = [run_load(db, duration_s=duration) for db in ("sqlite", "postgresql")]
    for case in cases:
        _print(case)
    require_no_errors(cases)
    return cases


def require_no_errors(cases: list[LoadCase]) -> None:
    """Raise RuntimeError naming each database whose load saw errors."""
    failed = {case.database: case.errors for case in cases if case.errors}
    if failed:
        counts = ", ".join(f"{name} {count}" for name, count in failed.items())
        raise RuntimeError(f"The load saw errors (must be 0): {counts}; see the lines above.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--users", type=int, default=50, help="concurrent users (max 200)")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    users = max(1, min(200, args.users))
    duration = max(1.0, min(600.0, args.duration))
    names = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    cases = [run_load(name, users=users, duration_s=duration) for name in names]
    for case in cases:
        _print(case)
    try:
        require_no_errors(cases)
    except RuntimeError as e:
        print(e)
        sys.exit(1)


if __name__ == "__main__":
    main()
