"""The database: engines, sessions, transactions, locked migrations and `SqlStore`.

SQLite (the embedded default, a file under the data directory) runs in WAL mode with
foreign keys on, a busy timeout and ``BEGIN IMMEDIATE`` transactions so that concurrent
writers wait instead of failing. Sessions opened with ``read_only=True`` begin a plain
(deferred) transaction with ``PRAGMA query_only`` on instead: they read a snapshot
beside the writers without taking the write lock, and any write in them is an error.
PostgreSQL is reached through psycopg 3.

    >>> store = SqlStore("sqlite:////tmp/vt.db")       # doctest: +SKIP
    >>> upgrade(store.url)                             # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from vibetrading.adapters.store.repositories import SqlStrategyRepository
from vibetrading.adapters.store.repositories_auth import (
    SqlRefreshTokenRepository,
    SqlUserRepository,
)
from vibetrading.adapters.store.repositories_chat import SqlConversationRepository
from vibetrading.adapters.store.repositories_jobs import (
    SqlBacktestRepository,
    SqlJobRepository,
)
from vibetrading.adapters.store.repositories_research import (
    SqlMarketCacheRepository,
    SqlResearchSummaryRepository,
)
from vibetrading.errors import ConfigError
from vibetrading.services.ports import (
    BacktestRepository,
    ConversationRepository,
    JobRepository,
    MarketCacheRepository,
    RefreshTokenRepository,
    ResearchSummaryRepository,
    Store,
    StrategyRepository,
    UserRepository,
)
from vibetrading.services.records import utc_now

__all__ = [
    "Database",
    "SqlStore",
    "current_revision",
    "downgrade",
    "head_revision",
    "mask_url",
    "normalize_database_url",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
ADVISORY_LOCK_KEY = 0x56_54_44_42  # "VTDB": one lock id for every VibeTrading migration
SQLITE_BUSY_TIMEOUT_MS = 30_000
_READ_ONLY = "vibetrading_read_only"


def normalize_database_url(url: str) -> str:
    """Return `url` with a plain ``postgresql://`` switched to the psycopg 3 driver.

    Raise ConfigError for anything but SQLite and PostgreSQL.
    """
    parsed = _parse(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"Unsupported database {parsed.get_backend_name()!r}; use sqlite or postgresql."
        )
    return parsed.render_as_string(hide_password=False)


def mask_url(url: str) -> str:
    """Return `url` with its password replaced by ``***``."""
    return _parse(url).render_as_string(hide_password=True)


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except Exception as e:  # sqlalchemy raises ArgumentError; keep the message
        raise ConfigError(f"Invalid database URL (check VIBETRADING_DATABASE_URL): {e}") from e


def create_db_engine(url: str) -> Engine:
    """Return an engine for `url`, with SQLite tuned for concurrent use."""
    parsed = _parse(normalize_database_url(url))
    if parsed.get_backend_name() == "postgresql":
        return create_engine(parsed, pool_pre_ping=True)
    memory = parsed.database in (None, "", ":memory:")
    if not memory:
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        poolclass=StaticPool if memory else None,
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module so that BEGIN is ours.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock up front: waiting writers honour the busy timeout
    # instead of failing with SQLITE_BUSY when a read transaction tries to write. A
    # read-only session needs no lock; query_only turns a write in it into an error.
    if connection.get_execution_options().get(_READ_ONLY):
        connection.exec_driver_sql("PRAGMA query_only=ON")
        connection.exec_driver_sql("BEGIN")
    else:  # off first: with query_only on, even BEGIN IMMEDIATE is refused
        connection.exec_driver_sql("PRAGMA query_only=OFF")
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """An engine plus sessions that join the transaction open in the current context."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_db_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**{_READ_ONLY: True}), expire_on_commit=False
        )
        self._current: ContextVar[Session | None] = ContextVar(f"vt_session_{id(self)}")

    @property
    def dialect(self) -> str:
        """Return ``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextlib.contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[Session]:
        """Yield the open transaction's session, or a new one committed on exit.

        A `read_only` session (reads only: a write raises) takes no write lock on SQLite.
        """
        current = self._current.get(None)
        if current is not None:
            yield current
            return
        sessions = self._read_sessions if read_only else self._sessions
        with sessions() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block as one transaction; nested blocks join the outer one."""
        if self._current.get(None) is not None:
            yield
            return
        with self._sessions() as session, session.begin():
            token = self._current.set(session)
            try:
                yield
            finally:
                self._current.reset(token)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


@contextlib.contextmanager
def _migration_lock(engine: Engine, connection: Connection) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            connection.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    lock_path = Path(database).with_name(Path(database).name + ".migrate.lock")
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(url: str | Database, revision: str = "head") -> str | None:
    """Run the migrations up to `revision` under a lock; return the revision reached.

    Concurrent callers (threads, processes, servers) wait for each other: PostgreSQL
    uses an advisory lock, SQLite a file lock beside the database file. Running it again
    is a no-op.
    """
    return _migrate(url, "upgrade", revision)


def downgrade(url: str | Database, revision: str) -> str | None:
    """Undo migrations down to `revision` (``base`` drops every table) under the lock."""
    return _migrate(url, "downgrade", revision)


def _migrate(url: str | Database, direction: str, revision: str) -> str | None:
    from alembic import command

    database = url if isinstance(url, Database) else Database(url)
    try:
        with (
            database.engine.connect() as connection,
            _migration_lock(database.engine, connection),
        ):
            getattr(command, direction)(_alembic_config(connection), revision)
            connection.commit()
        return current_revision(database)
    finally:
        if not isinstance(url, Database):
            database.dispose()


def current_revision(url: str | Database) -> str | None:
    """Return the migration revision of the database, or None if never migrated."""
    from alembic.runtime.migration import MigrationContext

    database = url if isinstance(url, Database) else Database(url)
    try:
        with database.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if not isinstance(url, Database):
            database.dispose()


def head_revision() -> str | None:
    """Return the newest migration revision shipped with this version."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


class SqlStore:
    """Every repository over one database (implements the `Store` port).

    It does not migrate: call `upgrade` first (``bootstrap.build_store`` does both).
    `clock` returns aware UTC datetimes and is used for every timestamp written.
    """

    def __init__(self, url: str, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.database = db = Database(url)
        self.url = url
        self.users: UserRepository = SqlUserRepository(db, clock)
        self.tokens: RefreshTokenRepository = SqlRefreshTokenRepository(db, clock)
        self.strategies: StrategyRepository = SqlStrategyRepository(db, clock)
        self.conversations: ConversationRepository = SqlConversationRepository(db, clock)
        self.jobs: JobRepository = SqlJobRepository(db, clock)
        self.backtests: BacktestRepository = SqlBacktestRepository(db, clock)
        self.market_cache: MarketCacheRepository = SqlMarketCacheRepository(db, clock)
        self.research: ResearchSummaryRepository = SqlResearchSummaryRepository(
            self.database, clock
        )

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """Open a transaction shared by every repository call inside the block."""
        return self.database.transaction()

    def close(self) -> None:
        """Release the database connections."""
        self.database.dispose()


if TYPE_CHECKING:  # let mypy check SqlStore against the Store port

    def _conforms(store: SqlStore) -> Store:
        return store
