"""Fixtures of the HTTP API tests: an app over a fresh SQLite or PostgreSQL store."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from starlette.testclient import TestClient

from vibetrading.api.app import create_app
from vibetrading.api.container import build_services
from vibetrading.services.container import ApiServices
from vibetrading.settings import Settings
from vibetrading.testing.jobs import TEST_JOB_HANDLERS
from vibetrading.workers import JOB_HANDLERS

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
SECRET = "test-secret-of-at-least-thirty-two-characters"
HANDLERS = {**JOB_HANDLERS, **TEST_JOB_HANDLERS}
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Create a fresh PostgreSQL database for the session; drop it afterwards."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    name = f"vt_api_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    except sqlalchemy.exc.OperationalError:
        admin.dispose()
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with admin.connect() as connection:
        connection.execute(
            sqlalchemy.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
            ),
            {"n": name},
        )
        connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, isolated_home: Path) -> str:
    """Return the URL of an empty store: a SQLite file, or the session's PG database."""
    if request.param == "sqlite":
        return f"sqlite:///{(isolated_home / 'api.db').as_posix()}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def api_settings(isolated_home: Path, database_url: str) -> Settings:
    """Return multi-user settings over the test store."""
    return Settings(
        home=isolated_home,
        database_url=database_url,
        jwt_secret=SECRET,
        multi_user=True,
        rate_limit_per_minute=10_000,
    )


def _make_services(settings: Settings, **options: Any) -> ApiServices:
    options.setdefault("executor_factory", lambda: ThreadPoolExecutor(max_workers=2))
    options.setdefault("handlers", HANDLERS)
    return build_services(settings, password_hasher=CHEAP_HASHER, **options)


@pytest.fixture
def make_services() -> Callable[..., ApiServices]:
    """Return the builder of test services (thread pool, test job kinds, cheap hasher)."""
    return _make_services


@pytest.fixture
def services(api_settings: Settings) -> Iterator[ApiServices]:
    """Return the services of a multi-user server over the test store."""
    built = _make_services(api_settings)
    yield built
    built.close()


@pytest.fixture
def app(api_settings: Settings, services: ApiServices) -> FastAPI:
    """Return the API app over `services`."""
    return create_app(api_settings, services=services)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """Return a client of the app, with its lifespan running."""
    with TestClient(app) as test_client:
        yield test_client


Register = Callable[..., dict[str, Any]]


@pytest.fixture
def register(client: TestClient) -> Register:
    """Return a function registering a fresh user; it returns the token answer."""

    def make(email: str | None = None, password: str = PASSWORD) -> dict[str, Any]:
        email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
        response = client.post("/api/v1/auth/register", json={"email": email, "password": password})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        client.cookies.clear()  # tests authenticate explicitly with Bearer headers
        return body

    return make


def _bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


@pytest.fixture
def bearer() -> Callable[[dict[str, Any]], dict[str, str]]:
    """Return the function making the Authorization header of a token answer."""
    return _bearer


WaitFinal = Callable[[str, dict[str, str]], dict[str, Any]]
FINAL_STATES = frozenset({"succeeded", "failed", "cancelled"})


@pytest.fixture
def wait_final(client: TestClient) -> WaitFinal:
    """Return a function polling GET `path` until its job or run is final (30 s at most)."""

    def wait(path: str, headers: dict[str, str]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for _ in range(600):
            body = client.get(path, headers=headers).json()
            if body.get("state", body.get("status")) in FINAL_STATES:
                return body
            time.sleep(0.05)
        raise AssertionError(f"{path} did not finish: {body}")

    return wait
