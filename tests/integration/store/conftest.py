"""A migrated store on SQLite (a temporary file) and on PostgreSQL (a fresh database).

The schema is created once per session and backend; tests isolate themselves with
fresh users instead of truncating tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from vibetrading.adapters.store.db import SqlStore, upgrade
from vibetrading.services.records import User

POSTGRES_SERVER_URL = os.environ.get(
    "VIBETRADING_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def create_postgres_database() -> str:
    """Create an empty database on the test server and return its URL (skip if down)."""
    name = f"vt_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(POSTGRES_SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as e:
        pytest.skip(f"PostgreSQL is unreachable at {POSTGRES_SERVER_URL}: {e}")
    finally:
        engine.dispose()
    return POSTGRES_SERVER_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(url: str) -> None:
    """Drop a database made by create_postgres_database."""
    name = url.rsplit("/", 1)[1]
    engine = create_engine(POSTGRES_SERVER_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlStore]:
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'vibetrading.db'}"
    upgrade(url)
    store = SqlStore(url)
    yield store
    store.close()


@pytest.fixture(scope="session")
def postgresql_store() -> Iterator[SqlStore]:
    url = create_postgres_database()
    try:
        upgrade(url)
        store = SqlStore(url)
        yield store
        store.close()
    finally:
        drop_postgres_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> SqlStore:
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


def _make_user(store: SqlStore, name: str) -> User:
    return store.users.create(
        email=f"{name}-{uuid.uuid4().hex[:8]}@example.com", password_hash="argon2-hash"
    )


@pytest.fixture
def user(store: SqlStore) -> User:
    return _make_user(store, "alice")


@pytest.fixture
def other_user(store: SqlStore) -> User:
    return _make_user(store, "bob")
