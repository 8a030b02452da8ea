import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from vibetrading.adapters.store.db import (
    Database,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from vibetrading.adapters.store.tables import Base, exists_on

pytestmark = pytest.mark.integration

EXPECTED_TABLES = {
    "users", "auth_tokens", "strategies", "strategy_versions", "conversations", "messages",
    "jobs", "backtest_runs", "backtest_results", "market_cache", "research_summaries",
    "paper_accounts", "paper_orders", "paper_fills", "paper_positions", "equity_snapshots",
    "paper_runners", "user_settings", "alembic_version",
}  # fmt: skip
HEAD = "0002"


def test_upgrade_migrated_database_matches_models_exactly(store):
    with store.database.engine.connect() as connection:
        dialect = connection.dialect.name
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": lambda o, *_: exists_on(o, dialect)},
        )

        diff = compare_metadata(context, Base.metadata)

    assert diff == []
    assert set(inspect(store.database.engine).get_table_names()) == EXPECTED_TABLES


def test_upgrade_again_is_a_no_op(store):
    assert upgrade(store.database) == head_revision() == HEAD
    assert current_revision(store.database) == HEAD


def _upgrade_concurrently(url: str) -> list[str | None]:
    results: list[str | None] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(upgrade(url))
        except BaseException as e:  # collected and re-raised by the test
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_upgrade_concurrent_on_fresh_sqlite_waits_for_the_lock(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"

    results = _upgrade_concurrently(url)

    assert results == [HEAD] * 3
    assert (tmp_path / "fresh.db.migrate.lock").exists()


@pytest.mark.slow
def test_upgrade_concurrent_on_fresh_postgresql_waits_for_the_lock(fresh_postgres_url):
    results = _upgrade_concurrently(fresh_postgres_url)

    assert results == [HEAD] * 3


def test_current_revision_new_database_is_none(tmp_path):
    assert current_revision(f"sqlite:///{tmp_path / 'empty.db'}") is None


def test_sqlite_foreign_keys_and_wal_are_on(sqlite_store):
    with sqlite_store.database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_foreign_keys_unknown_user_is_refused(store):
    statement = text(
        "INSERT INTO strategies (id, user_id, name, kind, description, current_version,"
        " created_at, updated_at) VALUES ('s1', 'nobody', 'x', 'spec', '', 1,"
        " '2024-01-01 00:00:00', '2024-01-01 00:00:00')"
    )

    with pytest.raises(IntegrityError), store.database.engine.begin() as connection:
        connection.execute(statement)


def test_postgresql_spec_column_is_jsonb_with_gin_index(postgresql_store):
    inspector = inspect(postgresql_store.database.engine)

    columns = {c["name"]: c for c in inspector.get_columns("strategy_versions")}
    indexes = {i["name"]: i for i in inspector.get_indexes("strategy_versions")}

    assert str(columns["spec"]["type"]) == "JSONB"
    assert indexes["ix_strategy_versions_spec"]["dialect_options"]["postgresql_using"] == "gin"


def test_sqlite_has_no_gin_index(sqlite_store):
    indexes = {
        i["name"] for i in inspect(sqlite_store.database.engine).get_indexes("strategy_versions")
    }

    assert "ix_strategy_versions_spec" not in indexes


def test_database_memory_sqlite_migrates_in_place():
    database = Database("sqlite://")

    assert upgrade(database) == HEAD
    assert "users" in inspect(database.engine).get_table_names()
    database.dispose()


def test_downgrade_to_base_then_upgrade_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'down.db'}"
    upgrade(url)

    assert downgrade(url, "base") is None
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()
    assert upgrade(url) == HEAD


@pytest.mark.slow
def test_downgrade_on_postgresql_drops_the_gin_index_too(fresh_postgres_url):
    upgrade(fresh_postgres_url)

    assert downgrade(fresh_postgres_url, "base") is None
    assert upgrade(fresh_postgres_url) == HEAD
