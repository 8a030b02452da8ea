"""SQLite transactions: writers take the write lock up front, readers take none."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from vibetrading.adapters.store.db import SqlStore, upgrade

pytestmark = pytest.mark.integration


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[tuple[SqlStore, Path]]:
    path = tmp_path / "locking.db"
    upgrade(f"sqlite:///{path.as_posix()}")
    store = SqlStore(f"sqlite:///{path.as_posix()}")
    yield store, path
    store.close()


def test_sqlite_reads_go_on_while_another_connection_holds_the_write_lock(sqlite_file):
    store, path = sqlite_file
    user = store.users.create(email="lock@example.com", password_hash="x")
    job = store.jobs.create(user.id, kind="echo", payload={})
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    seen: list[str] = []

    reader = threading.Thread(target=lambda: seen.append(store.jobs.get(user.id, job.id).id))
    reader.start()
    reader.join(timeout=5)
    writer.execute("ROLLBACK")
    writer.close()
    reader.join()

    assert seen == [job.id]


def test_sqlite_write_in_a_read_only_session_is_refused(sqlite_file):
    store, _ = sqlite_file

    with (
        pytest.raises(OperationalError, match="readonly"),
        store.database.session(read_only=True) as session,
    ):
        session.execute(text("CREATE TABLE nope (id INTEGER)"))


def test_sqlite_write_session_after_a_read_only_one_can_write(sqlite_file):
    store, _ = sqlite_file
    with store.database.session(read_only=True) as session:
        session.execute(text("SELECT 1"))

    user = store.users.create(email="after@example.com", password_hash="x")

    assert store.users.get(user.id).email == "after@example.com"
