import threading
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.dialects import postgresql, sqlite

from vibetrading.adapters.store._blob import pack_frames, unpack_frames
from vibetrading.adapters.store.db import (
    Database,
    SqlStore,
    mask_url,
    normalize_database_url,
    upgrade,
)
from vibetrading.adapters.store.repositories_jobs import json_safe
from vibetrading.adapters.store.tables import UTCDateTime
from vibetrading.bootstrap import build_store
from vibetrading.errors import ConfigError
from vibetrading.services.records import ListQuery
from vibetrading.settings import Settings


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
    ids=["postgresql", "postgres-alias", "psycopg", "sqlite"],
)
def test_normalize_database_url_uses_psycopg(url, expected):
    assert normalize_database_url(url) == expected


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url"], ids=["mysql", "garbage"])
def test_normalize_database_url_refuses_others(url):
    with pytest.raises(ConfigError):
        normalize_database_url(url)


def test_mask_url_hides_the_password():
    assert mask_url("postgresql+psycopg://u:s3cret@h/db") == "postgresql+psycopg://u:***@h/db"


def test_settings_database_url_defaults_to_sqlite_under_home(tmp_path):
    assert Settings(home=tmp_path).resolved_database_url == f"sqlite:///{tmp_path}/vibetrading.db"
    assert Settings(home=tmp_path, database_url="postgresql://h/db").resolved_database_url == (
        "postgresql://h/db"
    )


def test_build_store_migrates_the_sqlite_file(tmp_path):
    store = build_store(Settings(home=tmp_path / "home"))

    user = store.users.create(email="a@example.com", password_hash="h")

    assert (tmp_path / "home" / "vibetrading.db").exists()
    assert store.users.get(user.id) == user
    store.close()


def test_build_store_default_settings_use_vibetrading_home(isolated_home):
    store = build_store()

    assert store.url == f"sqlite:///{isolated_home}/vibetrading.db"
    store.close()


def test_utc_datetime_converts_zones_and_refuses_naive():
    column = UTCDateTime()
    plus_eight = timezone(timedelta(hours=8))
    local = datetime(2024, 1, 1, 8, tzinfo=plus_eight)

    stored = column.process_bind_param(local, sqlite.dialect())
    loaded = column.process_result_value(stored, sqlite.dialect())

    assert stored == datetime(2024, 1, 1, 0, tzinfo=UTC).replace(tzinfo=None)
    assert loaded == datetime(2024, 1, 1, tzinfo=UTC)
    assert column.process_bind_param(local, postgresql.dialect()).tzinfo is UTC
    assert column.process_result_value(local, postgresql.dialect()).tzinfo is UTC
    assert column.process_bind_param(None, sqlite.dialect()) is None
    assert column.process_result_value(None, sqlite.dialect()) is None
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(
            datetime(2024, 1, 1, tzinfo=UTC).replace(tzinfo=None), sqlite.dialect()
        )


def test_json_safe_turns_numpy_nan_and_times_into_json():
    value = {
        "a": np.float64(1.5), "b": float("inf"), "c": (np.int32(2), pd.Timestamp("2024-01-01")),
        "d": pd.Timedelta(days=1), 3: "x",
    }  # fmt: skip

    assert json_safe(value) == {
        "a": 1.5, "b": None, "c": [2, "2024-01-01T00:00:00"], "d": "P1DT0H0M0S", "3": "x",
    }  # fmt: skip


def test_pack_frames_round_trips_series_sharing_and_not_sharing_an_index():
    index = pd.date_range("2020-01-01", periods=300, freq="h", tz="UTC", name="timestamp")
    equity = pd.Series(np.linspace(1, 2, 300), index, name="equity")
    short = pd.Series([1.0, 2.0], name=None)
    trades = pd.DataFrame(
        {"t": index[:3], "n": [1, 2, 3], "why": ["a", "b", "c"], "ok": [True] * 3}
    )

    out = unpack_frames(
        pack_frames({"equity": equity, "double": equity * 2, "short": short, "trades": trades,
                     "missing": None})
    )  # fmt: skip

    assert sorted(out) == ["double", "equity", "short", "trades"]
    pd.testing.assert_series_equal(out["equity"], equity, check_freq=False)
    pd.testing.assert_series_equal(out["double"], equity * 2, check_freq=False)
    pd.testing.assert_series_equal(out["short"], short)
    pd.testing.assert_frame_equal(out["trades"], trades)


def test_database_session_joins_the_open_transaction(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")

    with database.transaction(), database.session() as inner, database.session() as again:
        assert inner is again
    assert database.dialect == "sqlite"
    database.dispose()


@pytest.mark.slow
def test_sqlite_store_concurrent_writers_wait_instead_of_failing(tmp_path):
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    upgrade(url)
    store = SqlStore(url)
    user = store.users.create(email="w@example.com", password_hash="h")
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(10):
                strategy = store.strategies.create(user.id, name="s", kind="spec", spec={})
                store.strategies.add_version(user.id, strategy.id, spec={"v": 2})
        except BaseException as e:  # collected for the assertion below
            errors.append(e)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert store.strategies.list(user.id, ListQuery()).total == 40
    store.close()


def test_sql_store_stamps_rows_with_its_clock(tmp_path):
    url = f"sqlite:///{tmp_path / 'clock.db'}"
    upgrade(url)
    moment = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)
    store = SqlStore(url, clock=lambda: moment)

    user = store.users.create(email="c@example.com", password_hash="h")
    job = store.jobs.claim(store.jobs.create(user.id, kind="k", payload={}).id)

    assert user.created_at == moment
    assert job.started_at == moment
    store.close()
