"""SQLAlchemy 2 models of every table; the only place ORM classes live.

Column names follow the field names of ``services/records.py``. Ids are uuid4 hex
strings, timestamps are stored in UTC (`UTCDateTime` re-attaches the zone on SQLite),
JSON columns become JSONB on PostgreSQL. Large series (backtest equity, trades) are one
compressed Parquet archive per result in `BacktestResultRow.data`, never one row per bar.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "BacktestResultRow",
    "BacktestRunRow",
    "Base",
    "ConversationRow",
    "EquitySnapshotRow",
    "JobRow",
    "JsonDict",
    "MarketCacheRow",
    "MessageRow",
    "PaperAccountRow",
    "PaperFillRow",
    "PaperOrderRow",
    "PaperPositionRow",
    "PaperRunnerRow",
    "RefreshTokenRow",
    "ResearchSummaryRow",
    "StrategyRow",
    "StrategyVersionRow",
    "UTCDateTime",
    "UserRow",
    "UserSettingsRow",
    "exists_on",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonDict = JSON().with_variant(JSONB(), "postgresql")
"""A JSON document column: JSON on SQLite, JSONB (indexable) on PostgreSQL."""

ID = String(32)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to UTC (naive UTC on SQLite); refuse naive ones."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored time as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def exists_on(schema_object: object, dialect: str) -> bool:
    """Return False for the PostgreSQL-only indexes (GIN) when `dialect` is another one.

    Alembic's autogenerate and the schema test use it as their ``include_object`` filter.
    """
    if isinstance(schema_object, Index) and schema_object.kwargs.get("postgresql_using"):
        return dialect == "postgresql"
    return True


def _user_fk() -> Mapped[str]:
    return mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


class Base(DeclarativeBase):
    """The declarative base; its metadata is the schema the migrations must produce."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JsonDict,
    }


class UserRow(Base):
    """An account holder (table ``users``)."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RefreshTokenRow(Base):
    """A hashed refresh token (table ``auth_tokens``)."""

    __tablename__ = "auth_tokens"
    __table_args__ = (Index(None, "user_id"), Index(None, "family_id"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = _user_fk()
    family_id: Mapped[str] = mapped_column(ID)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class StrategyRow(Base):
    """A user's strategy; `deleted_at` set means soft-deleted (table ``strategies``)."""

    __tablename__ = "strategies"
    __table_args__ = (
        Index(None, "user_id", "created_at"),
        Index(None, "user_id", "updated_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = _user_fk()
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class StrategyVersionRow(Base):
    """One immutable version of a strategy (table ``strategy_versions``)."""

    __tablename__ = "strategy_versions"
    __table_args__ = (
        UniqueConstraint("strategy_id", "version"),
        Index(None, "spec", postgresql_using="gin").ddl_if(dialect="postgresql"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    strategy_id: Mapped[str] = mapped_column(
        ID, ForeignKey("strategies.id", ondelete="CASCADE"), nullable=False
    )
    version: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any] | None]
    code: Mapped[str | None] = mapped_column(Text)
    source_text: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class ConversationRow(Base):
    """A copilot chat (table ``conversations``)."""

    __tablename__ = "conversations"
    __table_args__ = (Index(None, "user_id", "updated_at"), Index(None, "strategy_id"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = _user_fk()
    title: Mapped[str] = mapped_column(String(300), default="")
    strategy_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("strategies.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MessageRow(Base):
    """One chat message, ordered by `seq` (table ``messages``)."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("conversation_id", "seq"), Index(None, "backtest_run_id"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ID, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
    )
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    spec: Mapped[dict[str, Any] | None]
    backtest_run_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("backtest_runs.id", ondelete="SET NULL")
    )
    meta: Mapped[dict[str, Any]]
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    engine: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime]


class JobRow(Base):
    """A long task's persisted state (table ``jobs``)."""

    __tablename__ = "jobs"
    __table_args__ = (Index(None, "user_id", "created_at"), Index(None, "state", "created_at"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = _user_fk()
    kind: Mapped[str] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(16))
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]]
    result: Mapped[dict[str, Any] | None]
    error: Mapped[dict[str, Any] | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]


class BacktestRunRow(Base):
    """A backtest request and its outcome (table ``backtest_runs``)."""

    __tablename__ = "backtest_runs"
    __table_args__ = (
        Index(None, "user_id", "created_at"),
        Index(None, "strategy_id"),
        Index(None, "job_id"),
        Index(None, "strategy_version_id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = _user_fk()
    job_id: Mapped[str | None] = mapped_column(ID, ForeignKey("jobs.id", ondelete="SET NULL"))
    strategy_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("strategies.id", ondelete="SET NULL")
    )
    strategy_version_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("strategy_versions.id", ondelete="SET NULL")
    )
    request: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16))
    summary: Mapped[dict[str, Any]]
    error: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class BacktestResultRow(Base):
    """The stats and the Parquet archive of a finished run (table ``backtest_results``)."""

    __tablename__ = "backtest_results"

    run_id: Mapped[str] = mapped_column(
        ID, ForeignKey("backtest_runs.id", ondelete="CASCADE"), primary_key=True
    )
    stats: Mapped[dict[str, Any]]
    meta: Mapped[dict[str, Any]]
    format: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class MarketCacheRow(Base):
    """A shared cached JSON value (table ``market_cache``)."""

    __tablename__ = "market_cache"
    __table_args__ = (Index(None, "expires_at"),)

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]


class ResearchSummaryRow(Base):
    """A research note (table ``research_summaries``)."""

    __tablename__ = "research_summaries"
    __table_args__ = (Index(None, "user_id", "created_at"), Index(None, "user_id", "symbol"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = _user_fk()
    symbol: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    engine: Mapped[str] = mapped_column(String(100), default="")
    meta: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class PaperAccountRow(Base):
    """A trading account (table ``paper_accounts``)."""

    __tablename__ = "paper_accounts"
    __table_args__ = (Index(None, "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = _user_fk()
    name: Mapped[str] = mapped_column(String(200))
    market: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    starting_cash: Mapped[float] = mapped_column(Float)
    cash: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


def _account_fk() -> Mapped[str]:
    return mapped_column(ID, ForeignKey("paper_accounts.id", ondelete="CASCADE"), nullable=False)


class PaperOrderRow(Base):
    """An order of an account (table ``paper_orders``)."""

    __tablename__ = "paper_orders"
    __table_args__ = (
        UniqueConstraint("account_id", "client_order_id"),
        Index(None, "account_id", "created_at"),
        Index(None, "account_id", "status"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    account_id: Mapped[str] = _account_fk()
    client_order_id: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(8))
    type: Mapped[str] = mapped_column(String(16))
    time_in_force: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[float] = mapped_column(Float)
    limit_price: Mapped[float | None] = mapped_column(Float)
    stop_price: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    filled_quantity: Mapped[float] = mapped_column(Float, default=0.0)
    average_price: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PaperFillRow(Base):
    """One execution of an order (table ``paper_fills``)."""

    __tablename__ = "paper_fills"
    __table_args__ = (Index(None, "account_id", "timestamp"), Index(None, "order_id"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    order_id: Mapped[str] = mapped_column(
        ID, ForeignKey("paper_orders.id", ondelete="CASCADE"), nullable=False
    )
    account_id: Mapped[str] = _account_fk()
    symbol: Mapped[str] = mapped_column(String(64))
    timestamp: Mapped[datetime]
    quantity: Mapped[float] = mapped_column(Float)
    price: Mapped[float] = mapped_column(Float)
    commission: Mapped[float] = mapped_column(Float, default=0.0)
    fees: Mapped[float] = mapped_column(Float, default=0.0)


class PaperPositionRow(Base):
    """The holding of one symbol in an account (table ``paper_positions``)."""

    __tablename__ = "paper_positions"

    account_id: Mapped[str] = mapped_column(
        ID, ForeignKey("paper_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    symbol: Mapped[str] = mapped_column(String(64), primary_key=True)
    quantity: Mapped[float] = mapped_column(Float)
    average_price: Mapped[float] = mapped_column(Float)
    bought_today: Mapped[float] = mapped_column(Float, default=0.0)
    realized_pnl: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime]


class EquitySnapshotRow(Base):
    """Account equity and cash at one time (table ``equity_snapshots``)."""

    __tablename__ = "equity_snapshots"

    account_id: Mapped[str] = mapped_column(
        ID, ForeignKey("paper_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    timestamp: Mapped[datetime] = mapped_column(primary_key=True)
    equity: Mapped[float] = mapped_column(Float)
    cash: Mapped[float] = mapped_column(Float)


class PaperRunnerRow(Base):
    """A strategy running on an account (table ``paper_runners``)."""

    __tablename__ = "paper_runners"
    __table_args__ = (Index(None, "account_id"), Index(None, "strategy_id"), Index(None, "status"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    account_id: Mapped[str] = _account_fk()
    strategy_id: Mapped[str] = mapped_column(
        ID, ForeignKey("strategies.id", ondelete="CASCADE"), nullable=False
    )
    strategy_version_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("strategy_versions.id", ondelete="SET NULL")
    )
    symbol: Mapped[str] = mapped_column(String(64))
    timeframe: Mapped[str] = mapped_column(String(8))
    feed: Mapped[str] = mapped_column(String(8))
    speed: Mapped[float] = mapped_column(Float, default=1.0)
    status: Mapped[str] = mapped_column(String(16))
    cursor: Mapped[datetime | None]
    params: Mapped[dict[str, Any]]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class UserSettingsRow(Base):
    """A user's settings as one JSON document; API keys in it are encrypted
    (table ``user_settings``)."""

    __tablename__ = "user_settings"

    user_id: Mapped[str] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
