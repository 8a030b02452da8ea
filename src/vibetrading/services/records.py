"""Plain records the services read from and write to the store.

Every record is a frozen dataclass; ids are uuid4 hex strings and every timestamp is a
timezone-aware UTC datetime. Lists share one convention: a `ListQuery` in (limit 1-200,
offset, one sort field, direction, equality filters) and a `Page` out.
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

import pandas as pd

from vibetrading.errors import ConfigError

__all__ = [
    "AccountMode",
    "BacktestResultData",
    "BacktestRun",
    "Conversation",
    "EquitySnapshot",
    "Job",
    "JobState",
    "ListQuery",
    "MarketCacheEntry",
    "Message",
    "MessageRole",
    "OrderStatus",
    "Page",
    "PaperAccount",
    "PaperFill",
    "PaperOrder",
    "PaperPosition",
    "PaperRunner",
    "RefreshToken",
    "ResearchSummary",
    "RunnerStatus",
    "Strategy",
    "StrategyKind",
    "StrategyVersion",
    "User",
    "new_id",
    "utc_now",
]

T = TypeVar("T")

StrategyKind = Literal["spec", "code"]
MessageRole = Literal["user", "assistant", "system", "tool"]

MAX_LIMIT = 200


def new_id() -> str:
    """Return a fresh uuid4 id as 32 lowercase hex characters."""
    return uuid.uuid4().hex


def utc_now() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class JobState(StrEnum):
    """Where a job is in its life; the last three are final."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        """Return True for succeeded, failed and cancelled."""
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class AccountMode(StrEnum):
    """How a trading account executes orders; LIVE must be chosen explicitly."""

    OFF = "OFF"
    DRY_RUN = "DRY_RUN"
    PAPER = "PAPER"
    LIVE = "LIVE"


class OrderStatus(StrEnum):
    """The life of an order at the broker."""

    SUBMITTING = "SUBMITTING"
    ACCEPTED = "ACCEPTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"


class RunnerStatus(StrEnum):
    """The state of a paper-trading runner."""

    STOPPED = "stopped"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ListQuery:
    """One page request: `limit` 1-200 (default 50), `offset`, a sort field and filters.

    `sort=None` means the repository's default field (usually ``created_at``); lists are
    newest first unless `descending` is False. `filters` are equality filters whose keys
    each repository lists; an unknown sort field or filter raises ConfigError naming the
    allowed ones.
    """

    limit: int = 50
    offset: int = 0
    sort: str | None = None
    descending: bool = True
    filters: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ConfigError(f"limit must be between 1 and {MAX_LIMIT}, got {self.limit}.")
        if self.offset < 0:
            raise ConfigError(f"offset must be 0 or more, got {self.offset}.")

    def check(self, *, sorts: Sequence[str], filters: Sequence[str]) -> None:
        """Raise ConfigError if the sort field or a filter key is not in the allowed ones."""
        if self.sort is not None and self.sort not in sorts:
            raise ConfigError(_unknown("sort field", self.sort, sorts))
        for key in self.filters:
            if key not in filters:
                raise ConfigError(_unknown("filter", key, filters))


def _unknown(what: str, name: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"Unknown {what} {name!r}; use one of {', '.join(allowed) or '(none)'}.{hint}"


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: the items and the total count matching the filters."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @property
    def has_more(self) -> bool:
        """Return True when items exist after this page."""
        return self.offset + len(self.items) < self.total


@dataclass(frozen=True, slots=True)
class User:
    """An account holder; `email` is stored lower-case and unique."""

    id: str
    email: str
    password_hash: str
    display_name: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RefreshToken:
    """A refresh token (only its hash); tokens rotated from one login share `family_id`."""

    id: str
    user_id: str
    family_id: str
    token_hash: str
    expires_at: datetime
    created_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class Strategy:
    """A named strategy of one user; its content lives in numbered versions."""

    id: str
    user_id: str
    name: str
    kind: StrategyKind
    description: str
    current_version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StrategyVersion:
    """One immutable version: a spec (kind "spec") or Python code (kind "code")."""

    id: str
    strategy_id: str
    version: int
    spec: dict[str, Any] | None
    code: str | None
    source_text: str
    note: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Conversation:
    """A copilot chat of one user, optionally attached to a strategy."""

    id: str
    user_id: str
    title: str
    strategy_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message; `seq` orders messages within their conversation from 1."""

    id: str
    conversation_id: str
    seq: int
    role: MessageRole
    content: str
    spec: dict[str, Any] | None
    backtest_run_id: str | None
    meta: dict[str, Any]
    prompt_tokens: int
    completion_tokens: int
    cost: float
    engine: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Job:
    """A long task (backtest, sweep, download, chat-triggered run) and its persisted state.

    `progress` is 0 to 1; `error` is a problem-like dict (``type``, ``title``,
    ``detail``) a user can read; `heartbeat_at` is refreshed by the worker while running.
    """

    id: str
    user_id: str
    kind: str
    state: JobState
    progress: float
    message: str
    payload: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    attempts: int
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None


@dataclass(frozen=True, slots=True)
class BacktestRun:
    """One backtest request and its outcome; `summary` holds the headline stats."""

    id: str
    user_id: str
    job_id: str | None
    strategy_id: str | None
    strategy_version_id: str | None
    request: dict[str, Any]
    status: JobState
    summary: dict[str, Any]
    error: dict[str, Any] | None
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class BacktestResultData:
    """The stored series of a finished backtest; stored compactly as Parquet, not JSON.

    Series keep their index (UTC timestamps) and name; frames keep columns and dtypes.
    `meta` carries small JSON-able extras (engine settings, symbols).
    """

    run_id: str
    stats: dict[str, Any]
    equity: pd.Series
    drawdown: pd.Series
    trades: pd.DataFrame
    returns: pd.Series | None = None
    cash: pd.Series | None = None
    benchmark: pd.Series | None = None
    positions: pd.DataFrame | None = None
    orders: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MarketCacheEntry:
    """A cached JSON value shared by all users (quotes, symbol lists, provider answers)."""

    key: str
    value: dict[str, Any]
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class ResearchSummary:
    """A written research note about a symbol (LLM or offline), kept per user."""

    id: str
    user_id: str
    symbol: str
    title: str
    content: str
    engine: str
    meta: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PaperAccount:
    """A trading account; `cash` is the current cash balance in `currency`."""

    id: str
    user_id: str
    name: str
    market: str
    currency: str
    mode: AccountMode
    starting_cash: float
    cash: float
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PaperOrder:
    """An order of an account; `client_order_id` is unique per account."""

    id: str
    account_id: str
    client_order_id: str
    symbol: str
    side: Literal["buy", "sell"]
    type: Literal["market", "limit", "stop", "stop_limit"]
    time_in_force: str
    quantity: float
    limit_price: float | None
    stop_price: float | None
    status: OrderStatus
    reject_reason: str | None
    filled_quantity: float
    average_price: float | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PaperFill:
    """One execution of an order."""

    id: str
    order_id: str
    account_id: str
    symbol: str
    timestamp: datetime
    quantity: float
    price: float
    commission: float
    fees: float


@dataclass(frozen=True, slots=True)
class PaperPosition:
    """The holding of one symbol in an account; `bought_today` enforces T+1."""

    account_id: str
    symbol: str
    quantity: float
    average_price: float
    bought_today: float
    realized_pnl: float
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class EquitySnapshot:
    """Account equity and cash at one time."""

    account_id: str
    timestamp: datetime
    equity: float
    cash: float


@dataclass(frozen=True, slots=True)
class PaperRunner:
    """A strategy running on an account; `cursor` is the last processed bar timestamp."""

    id: str
    account_id: str
    strategy_id: str
    strategy_version_id: str | None
    symbol: str
    timeframe: str
    feed: Literal["replay", "live"]
    speed: float
    status: RunnerStatus
    cursor: datetime | None
    params: dict[str, Any]
    error: str | None
    created_at: datetime
    updated_at: datetime
