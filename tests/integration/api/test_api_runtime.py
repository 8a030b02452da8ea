"""The server at run time: jobs on a Dask cluster, Redis rate limits, a real uvicorn."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from vibetrading.adapters.store.rate_limit import MemoryRateLimiter, RedisRateLimiter
from vibetrading.api.container import executor_factory_for, is_loopback
from vibetrading.services.container import ApiServices
from vibetrading.services.records import JobState
from vibetrading.settings import Settings

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.slow
def test_jobs_run_on_a_local_dask_cluster(
    isolated_home: Path, make_services: Callable[..., ApiServices]
) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        settings = Settings(
            home=isolated_home,
            database_url=f"sqlite:///{(isolated_home / 'dask.db').as_posix()}",
            dask_address=cluster.scheduler_address,
        )
        services = make_services(settings, executor_factory=executor_factory_for(settings))
        user = services.auth.local_user()
        run = services.runs.submit(
            user.id,
            {"strategy": "buy when RSI below 30, sell above 70", "symbol": "SPX", "end": "2012"},
        )
        job = services.jobs.submit(user.id, "echo", {"via": "dask"})
        for _ in range(600):
            done = [services.store.jobs.get(user.id, j) for j in (run.job_id or "", job.id)]
            if all(j.state.is_final for j in done):
                break
            time.sleep(0.05)
        services.close()

    assert [j.state for j in done] == [JobState.SUCCEEDED, JobState.SUCCEEDED]
    assert done[1].result == {"echo": {"via": "dask"}}


@pytest.mark.slow
def test_jobs_pickle_across_processes_of_a_local_dask_cluster(
    isolated_home: Path, make_services: Callable[..., ApiServices]
) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        memory_limit="1GiB",
        dashboard_address=None,
    ) as cluster:
        settings = Settings(
            home=isolated_home,
            database_url=f"sqlite:///{(isolated_home / 'dask.db').as_posix()}",
            dask_address=cluster.scheduler_address,
        )
        services = make_services(settings, executor_factory=executor_factory_for(settings))
        user = services.auth.local_user()
        run = services.runs.submit(
            user.id,
            {"strategy": "buy when RSI below 30, sell above 70", "symbol": "SPX", "end": "2012"},
        )
        failing = services.jobs.submit(user.id, "fail", {"n": 5})
        for _ in range(1200):
            done = [services.store.jobs.get(user.id, j) for j in (run.job_id or "", failing.id)]
            if all(j.state.is_final for j in done):
                break
            time.sleep(0.05)
        stored = services.store.backtests.get_run(user.id, run.id)
        services.close()

    assert [j.state for j in done] == [JobState.SUCCEEDED, JobState.FAILED]
    assert stored.status is JobState.SUCCEEDED
    assert done[1].error["detail"] == "ValueError: boom 5"


def test_redis_rate_limiter_counts_per_key_and_window() -> None:
    limiter = RedisRateLimiter(
        "redis://127.0.0.1:6379/0", limit=2, clock=lambda: 1_000_000.0 + time.time() % 1
    )
    key = f"test-{os.getpid()}-{time.time_ns()}"

    async def hits() -> list[tuple[bool, int]]:
        try:
            return [await limiter.hit(key) for _ in range(3)]
        finally:
            await limiter.close()

    results = asyncio.run(hits())

    if limiter.errors:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    assert [allowed for allowed, _ in results] == [True, True, False]
    assert all(1 <= wait <= 60 for _, wait in results)


def test_redis_rate_limiter_unreachable_lets_requests_through() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", limit=1)

    async def hit() -> tuple[bool, int]:
        try:
            return await limiter.hit("k")
        finally:
            await limiter.close()

    allowed, _ = asyncio.run(hit())

    assert allowed
    assert limiter.errors == 1


def test_memory_rate_limiter_resets_each_window() -> None:
    now = [120.0]
    limiter = MemoryRateLimiter(limit=1, clock=lambda: now[0])

    first, second = asyncio.run(limiter.hit("k")), asyncio.run(limiter.hit("k"))
    now[0] = 180.0
    third = asyncio.run(limiter.hit("k"))

    assert (first[0], second[0], third[0]) == (True, False, True)


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False)],  # noqa: S104
    ids=str,
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


@pytest.mark.slow
def test_serve_runs_a_real_server_end_to_end(isolated_home: Path) -> None:
    port = _free_port()
    env = {**os.environ, "VIBETRADING_HOME": str(isolated_home), "VIBETRADING_JOB_WORKERS": "1"}
    log = isolated_home / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "vibetrading.cli.main", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            run, me = _drive(f"http://127.0.0.1:{port}/api/v1")
        finally:
            server.terminate()
            server.wait(timeout=60)
    output = log.read_text(encoding="utf-8")

    assert run["status"] == "succeeded", output[-2000:]
    assert me.json()["email"] == "local@localhost"
    assert '"path": "/api/v1/users/me"' in output


def _drive(base: str) -> tuple[dict[str, Any], httpx.Response]:
    with httpx.Client(base_url=base, timeout=10) as client:
        for _ in range(900):
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        accepted = client.post(
            "/backtest/run", json={"strategy": "buy when RSI below 30", "symbol": "SPX"}
        ).json()
        for _ in range(900):
            run: dict[str, Any] = client.get(
                f"/backtest/{accepted['id']}?include_result=false"
            ).json()
            if run["status"] in {"succeeded", "failed"}:
                break
            time.sleep(0.1)
        return run, client.get("/users/me")
