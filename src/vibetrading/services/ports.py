"""Protocols that adapters implement and services depend on."""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, Protocol, runtime_checkable

import pandas as pd

from vibetrading.domain.data import FetchedBars, Timeframe
from vibetrading.domain.strategy.spec import StrategySpec
from vibetrading.domain.trading import Symbol
from vibetrading.services.records import (
    AccountMode,
    BacktestResultData,
    BacktestRun,
    Conversation,
    EquitySnapshot,
    Job,
    JobState,
    ListQuery,
    MarketCacheEntry,
    Message,
    MessageRole,
    Page,
    PaperAccount,
    PaperFill,
    PaperOrder,
    PaperPosition,
    RefreshToken,
    ResearchSummary,
    Strategy,
    StrategyKind,
    StrategyVersion,
    User,
)

__all__ = [
    "BacktestRepository",
    "BarCache",
    "BarFileReader",
    "BarStore",
    "Broker",
    "CodeRunner",
    "ConversationRepository",
    "JobRepository",
    "LLMChunk",
    "LLMClient",
    "LLMMessage",
    "LLMToolCall",
    "LLMUsage",
    "MarketCacheRepository",
    "MarketDataProvider",
    "PaperRepository",
    "PaperRunnerRepository",
    "PaperStep",
    "PaperStepSnapshot",
    "ProgressCallback",
    "RefreshTokenRepository",
    "ResearchSummaryRepository",
    "RunnerInbox",
    "RunnerRecord",
    "SimulatedBroker",
    "Store",
    "StoredBarsInfo",
    "StrategyDraft",
    "StrategyDrafter",
    "StrategyRepository",
    "SymbolListing",
    "UserRepository",
]

ProgressCallback = Callable[[float, str], None]
"""Called with the fraction done (0 to 1) and a short status text."""

BarFileReader = Callable[[Path, str | None], tuple[pd.DataFrame, list[str]]]
"""Read a user's bar file with naive times in the given timezone; return the uncleaned
OHLCV frame and one sentence per detection fact (columns found, assumptions made)."""


@dataclass(frozen=True)
class SymbolListing:
    """One symbol a provider can serve now, with what it holds."""

    symbol: str
    source: str
    timeframe: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    bars: int
    description: str = ""
    is_synthetic: bool = False


@runtime_checkable
class MarketDataProvider(Protocol):
    """A source of bars: bundled samples, a file, an online API or a generator."""

    name: str
    """Short provider name used on the command line (``sample``, ``yfinance``, ...)."""

    def fetch_bars(
        self,
        symbol: Symbol,
        *,
        timeframe: Timeframe,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        progress: ProgressCallback | None = None,
    ) -> FetchedBars:
        """Return bars for `symbol` between `start` and `end` (inclusive, UTC).

        Raises UnknownSymbol when the provider does not serve the symbol, EmptyData when
        the range holds no bars, ProviderError (or TemporaryProviderError) when the
        outside service fails.
        """
        ...

    def list_symbols(self) -> list[SymbolListing]:
        """Return the symbols available without a network call (may be empty)."""
        ...


@dataclass
class StoredBarsInfo:
    """The sidecar metadata of one stored series."""

    symbol: str
    timeframe: str
    source: str
    fetched_at: str
    adjustment: str  # "raw+factor" when adj_factor is stored, else "raw" or "adjusted"
    is_synthetic: bool
    rows: int
    start: str | None
    end: str | None
    sha256: str
    size: int
    mtime_ns: int
    notes: list[str] = field(default_factory=list)
    schema_version: int = 1

    @property
    def range(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """Return the first and last stored bar timestamps."""
        return (
            pd.Timestamp(self.start) if self.start else None,
            pd.Timestamp(self.end) if self.end else None,
        )


class BarStore(Protocol):
    """Local persistence of bars, one series per symbol and timeframe."""

    def info(self, symbol: str, timeframe: Timeframe) -> StoredBarsInfo | None:
        """Return the metadata of a stored series, or None."""
        ...

    def list(self) -> list[StoredBarsInfo]:
        """Return the metadata of every stored series."""
        ...

    def read(
        self,
        symbol: str,
        timeframe: Timeframe,
        *,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> FetchedBars | None:
        """Return stored bars in the range, or None; raise CorruptData on a failed check."""
        ...

    def write(
        self, symbol: str, timeframe: Timeframe, fetched: FetchedBars, *, fetched_at: str
    ) -> StoredBarsInfo:
        """Replace the stored series with `fetched`."""
        ...

    def delete(self, symbol: str, timeframe: Timeframe) -> None:
        """Remove a stored series."""
        ...


class BarCache(Protocol):
    """A cache of hot bar ranges (in process, or Redis)."""

    def get(self, key: str) -> pd.DataFrame | None:
        """Return the cached frame under `key`, or None."""
        ...

    def set(self, key: str, bars: pd.DataFrame) -> None:
        """Cache `bars` under `key`."""
        ...


# --- Persistence: repositories over the database (records in services/records.py) -------
# Every method reading user data takes `user_id` and raises NotFound for another user's
# objects (never revealing that they exist). Lists take a ListQuery and return a Page.


class UserRepository(Protocol):
    """Accounts; emails are compared lower-case."""

    def create(self, *, email: str, password_hash: str, display_name: str = "") -> User:
        """Add a user; raise Conflict if the email is taken."""
        ...

    def get(self, user_id: str) -> User:
        """Return the user or raise NotFound."""
        ...

    def get_by_email(self, email: str) -> User | None:
        """Return the user with this email (any case), or None."""
        ...

    def update(
        self,
        user_id: str,
        *,
        display_name: str | None = None,
        password_hash: str | None = None,
        is_active: bool | None = None,
    ) -> User:
        """Change the given fields (None leaves a field alone) and return the user."""
        ...


class RefreshTokenRepository(Protocol):
    """Hashed refresh tokens, rotated within a family for reuse detection."""

    def add(
        self, *, user_id: str, family_id: str, token_hash: str, expires_at: datetime
    ) -> RefreshToken:
        """Store a new token hash; raise Conflict if the hash exists."""
        ...

    def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        """Return the token with this hash, or None."""
        ...

    def mark_used(self, token_id: str, *, now: datetime | None = None) -> bool:
        """Set used_at atomically; return False if it was already used (a reuse)."""
        ...

    def revoke_family(self, family_id: str, *, now: datetime | None = None) -> int:
        """Revoke every unrevoked token of the family; return how many."""
        ...

    def revoke_user(self, user_id: str, *, now: datetime | None = None) -> int:
        """Revoke every unrevoked token of the user (log out everywhere); return how many."""
        ...

    def delete_expired(self, *, before: datetime) -> int:
        """Delete tokens that expired before `before`; return how many."""
        ...


class StrategyRepository(Protocol):
    """Strategies with numbered immutable versions; deletion is soft.

    List sorts: created_at (default), updated_at, name; filters: kind, name.
    Version list sorts: version (default), created_at; no filters.
    """

    def create(
        self,
        user_id: str,
        *,
        name: str,
        kind: StrategyKind,
        description: str = "",
        spec: dict[str, Any] | None = None,
        code: str | None = None,
        source_text: str = "",
        note: str = "",
    ) -> Strategy:
        """Add a strategy with version 1; kind "spec" needs `spec`, kind "code" `code`."""
        ...

    def get(self, user_id: str, strategy_id: str) -> Strategy:
        """Return a live (not deleted) strategy or raise NotFound."""
        ...

    def list(self, user_id: str, query: ListQuery) -> Page[Strategy]:
        """Return a page of the user's live strategies."""
        ...

    def update(
        self,
        user_id: str,
        strategy_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Strategy:
        """Rename or re-describe a strategy (content changes go through add_version)."""
        ...

    def soft_delete(self, user_id: str, strategy_id: str) -> None:
        """Hide the strategy from get and list; its versions and runs stay."""
        ...

    def add_version(
        self,
        user_id: str,
        strategy_id: str,
        *,
        spec: dict[str, Any] | None = None,
        code: str | None = None,
        source_text: str = "",
        note: str = "",
    ) -> StrategyVersion:
        """Append the next version and make it current."""
        ...

    def list_versions(
        self, user_id: str, strategy_id: str, query: ListQuery
    ) -> Page[StrategyVersion]:
        """Return a page of the strategy's versions."""
        ...

    def get_version(
        self, user_id: str, strategy_id: str, version: int | None = None
    ) -> StrategyVersion:
        """Return one version (None: the current one) or raise NotFound."""
        ...

    def restore_version(self, user_id: str, strategy_id: str, version: int) -> StrategyVersion:
        """Copy an old version into a new current version noted "restored from vN"."""
        ...


class ConversationRepository(Protocol):
    """Copilot chats and their messages.

    Conversation sorts: updated_at (default), created_at, title; filters: strategy_id.
    Message sorts: seq (default), created_at; filters: role.
    """

    def create(
        self, user_id: str, *, title: str = "", strategy_id: str | None = None
    ) -> Conversation:
        """Start a conversation, optionally attached to one of the user's strategies."""
        ...

    def get(self, user_id: str, conversation_id: str) -> Conversation:
        """Return the conversation or raise NotFound."""
        ...

    def list(self, user_id: str, query: ListQuery) -> Page[Conversation]:
        """Return a page of the user's conversations."""
        ...

    def rename(self, user_id: str, conversation_id: str, title: str) -> Conversation:
        """Change the title."""
        ...

    def delete(self, user_id: str, conversation_id: str) -> None:
        """Delete the conversation and its messages."""
        ...

    def set_strategy(
        self, user_id: str, conversation_id: str, strategy_id: str | None
    ) -> Conversation:
        """Attach the conversation to one of the user's strategies (None detaches)."""
        ...

    def add_message(
        self,
        user_id: str,
        conversation_id: str,
        *,
        role: MessageRole,
        content: str,
        spec: dict[str, Any] | None = None,
        backtest_run_id: str | None = None,
        meta: dict[str, Any] | None = None,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        cost: float = 0.0,
        engine: str = "",
    ) -> Message:
        """Append a message (next seq) and touch the conversation's updated_at."""
        ...

    def list_messages(self, user_id: str, conversation_id: str, query: ListQuery) -> Page[Message]:
        """Return a page of messages (pass descending=False for oldest first)."""
        ...


class JobRepository(Protocol):
    """Persisted job state. Transitions: queued -> running | cancelled | failed;
    running -> succeeded | failed | cancelled | queued (requeue); final states never
    change. A forbidden transition raises Conflict.

    List sorts: created_at (default), state, kind; filters: state, kind.
    """

    def create(self, user_id: str, *, kind: str, payload: dict[str, Any]) -> Job:
        """Queue a job."""
        ...

    def get(self, user_id: str, job_id: str) -> Job:
        """Return the user's job or raise NotFound."""
        ...

    def get_for_worker(self, job_id: str) -> Job:
        """Return a job whatever its user (workers and executors only)."""
        ...

    def list(self, user_id: str, query: ListQuery) -> Page[Job]:
        """Return a page of the user's jobs."""
        ...

    def list_queued(self, *, kinds: Sequence[str] | None = None) -> builtins.list[Job]:
        """Return every queued job (of `kinds`), oldest first, whatever its user."""
        ...

    def claim(self, job_id: str | None = None, *, kinds: Sequence[str] | None = None) -> Job | None:
        """Atomically move a queued job (this one, or the oldest of `kinds`) to running.

        Sets started_at and heartbeat_at and counts an attempt; returns None when there
        is nothing to claim (already taken, not queued, empty queue).
        """
        ...

    def update_state(
        self,
        job_id: str,
        state: JobState,
        *,
        progress: float | None = None,
        message: str | None = None,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> Job:
        """Move the job to `state` (running -> running reports progress and heartbeats)."""
        ...

    def heartbeat(
        self, job_id: str, *, progress: float | None = None, message: str | None = None
    ) -> Job:
        """Refresh heartbeat_at of a running job, optionally with progress.

        Raise Conflict when the job is not running (recovered, cancelled or finished).
        """
        ...

    def request_cancel(self, user_id: str, job_id: str) -> Job:
        """Cancel a queued job now; flag a running one for its worker; final ones unchanged."""
        ...

    def is_cancel_requested(self, job_id: str) -> bool:
        """Return True if cancellation was requested for this job."""
        ...

    def requeue_or_fail_stale(
        self, *, reason: str, stale_before: datetime | None = None, max_attempts: int = 3
    ) -> builtins.list[Job]:
        """Recover running jobs whose heartbeat is older than `stale_before` (None: all).

        Each goes back to queued while it has attempts left, is cancelled when a cancel
        was requested, and otherwise fails with `reason` in its error. The unfinished
        backtest runs of each job follow it in the same transaction.
        """
        ...


class BacktestRepository(Protocol):
    """Backtest runs and their compactly stored results.

    Run sorts: created_at (default), status; filters: status, strategy_id, job_id.
    """

    def create_run(
        self,
        user_id: str,
        *,
        request: dict[str, Any],
        job_id: str | None = None,
        strategy_id: str | None = None,
        strategy_version_id: str | None = None,
    ) -> BacktestRun:
        """Record a queued run; the strategy ids, if given, must be the user's."""
        ...

    def get_run(self, user_id: str, run_id: str) -> BacktestRun:
        """Return the run or raise NotFound."""
        ...

    def list_runs(self, user_id: str, query: ListQuery) -> Page[BacktestRun]:
        """Return a page of the user's runs."""
        ...

    def set_status(
        self, user_id: str, run_id: str, status: JobState, *, error: dict[str, Any] | None = None
    ) -> BacktestRun:
        """Change the run's status (running, failed, cancelled) with an optional error."""
        ...

    def save_result(self, user_id: str, result: BacktestResultData) -> BacktestRun:
        """Store (or replace) the result of `result.run_id` and mark the run succeeded."""
        ...

    def get_result(self, user_id: str, run_id: str) -> BacktestResultData:
        """Return the stored result or raise NotFound."""
        ...


class MarketCacheRepository(Protocol):
    """A shared key -> JSON cache with optional expiry."""

    def get(self, key: str, *, now: datetime | None = None) -> MarketCacheEntry | None:
        """Return the unexpired entry, or None."""
        ...

    def put(
        self, key: str, value: dict[str, Any], *, ttl_s: float | None = None
    ) -> MarketCacheEntry:
        """Insert or replace the entry; `ttl_s` None keeps it until deleted."""
        ...

    def delete(self, key: str) -> None:
        """Remove the entry if present."""
        ...

    def purge_expired(self, *, now: datetime | None = None) -> int:
        """Delete expired entries; return how many."""
        ...


class ResearchSummaryRepository(Protocol):
    """Research notes per user. Sorts: created_at (default), symbol; filters: symbol."""

    def add(
        self,
        user_id: str,
        *,
        symbol: str,
        title: str,
        content: str,
        engine: str = "",
        meta: dict[str, Any] | None = None,
    ) -> ResearchSummary:
        """Store a summary."""
        ...

    def get(self, user_id: str, summary_id: str) -> ResearchSummary:
        """Return the summary or raise NotFound."""
        ...

    def list(self, user_id: str, query: ListQuery) -> Page[ResearchSummary]:
        """Return a page of the user's summaries."""
        ...


class PaperRepository(Protocol):
    """Paper-trading accounts, orders, fills, positions, equity and runners (first version).

    Account-level methods take `user_id` and raise NotFound for another user's account.
    """

    def create_account(
        self,
        user_id: str,
        *,
        name: str,
        market: str,
        currency: str,
        starting_cash: float,
        mode: AccountMode = AccountMode.PAPER,
    ) -> PaperAccount:
        """Open an account with `starting_cash` as its cash."""
        ...

    def get_account(self, user_id: str, account_id: str) -> PaperAccount:
        """Return the account or raise NotFound."""
        ...

    def list_accounts(self, user_id: str, query: ListQuery) -> Page[PaperAccount]:
        """Return a page of the user's accounts."""
        ...

    def add_order(self, user_id: str, order: PaperOrder) -> PaperOrder:
        """Store a new order; raise Conflict on a duplicate client_order_id."""
        ...

    def update_order(self, user_id: str, order: PaperOrder) -> PaperOrder:
        """Replace the mutable fields (status, fills, reason) of a stored order."""
        ...

    def list_orders(self, user_id: str, account_id: str, query: ListQuery) -> Page[PaperOrder]:
        """Return a page of the account's orders."""
        ...

    def add_fill(self, user_id: str, fill: PaperFill) -> PaperFill:
        """Store a fill."""
        ...

    def list_positions(self, user_id: str, account_id: str) -> list[PaperPosition]:
        """Return the account's positions."""
        ...

    def save_position(self, user_id: str, position: PaperPosition) -> PaperPosition:
        """Insert or replace the position of (account, symbol)."""
        ...

    def add_equity_snapshot(self, user_id: str, snapshot: EquitySnapshot) -> None:
        """Append an equity point."""
        ...


class Store(Protocol):
    """Every repository over one database, plus multi-step transactions.

    ``with store.transaction(): ...`` makes every repository call inside it one atomic
    unit (rolled back if the block raises); outside it each call commits on its own.
    """

    users: UserRepository
    tokens: RefreshTokenRepository
    strategies: StrategyRepository
    conversations: ConversationRepository
    jobs: JobRepository
    backtests: BacktestRepository
    market_cache: MarketCacheRepository
    research: ResearchSummaryRepository

    def transaction(self) -> AbstractContextManager[None]:
        """Open a transaction shared by every repository call inside the block."""
        ...


# -- LLM copilot (issue #5) ---------------------------------------------------------------

LLMMessage = dict[str, Any]
"""One chat message in the OpenAI wire shape: ``role``, ``content`` and, for tool turns,
``tool_calls`` or ``tool_call_id``."""


@dataclass(frozen=True)
class LLMUsage:
    """Tokens one call used, and its cost in US dollars when the price is known.

    `is_estimated` marks counts the client worked out itself (from the text's length)
    because the provider sent none, for example when the reply was cancelled.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    is_estimated: bool = False

    @property
    def total_tokens(self) -> int:
        """Return prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: LLMUsage) -> LLMUsage:
        cost = (
            None
            if self.cost_usd is None and other.cost_usd is None
            else (self.cost_usd or 0.0) + (other.cost_usd or 0.0)
        )
        return LLMUsage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            cost,
            self.is_estimated or other.is_estimated,
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the usage as JSON-ready numbers."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "cost_usd": self.cost_usd,
            "estimated": self.is_estimated,
        }


@dataclass(frozen=True)
class LLMToolCall:
    """A complete tool call: the function name and its JSON arguments as sent."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class LLMChunk:
    """A piece of a streamed reply: text as soon as it arrives; tool calls, usage and the
    finish reason on the last chunk."""

    text: str = ""
    tool_calls: tuple[LLMToolCall, ...] = ()
    usage: LLMUsage | None = None
    finish_reason: str | None = None


@runtime_checkable
class LLMClient(Protocol):
    """A chat model behind an OpenAI-compatible endpoint, named by its preset."""

    provider: str
    """Preset name (``openai``, ``deepseek``, ``ollama``, ...)."""
    model: str
    """Model name sent with each request."""

    def stream_chat(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        response_format: dict[str, Any] | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[LLMChunk]:
        """Yield the reply as it streams; stop early when `cancel` is set.

        Raises ProviderError, or TemporaryProviderError once retries are spent.
        """
        ...

    def complete(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        response_format: dict[str, Any] | None = None,
        cancel: threading.Event | None = None,
    ) -> LLMChunk:
        """Return the whole reply as one chunk (text, tool calls, usage)."""
        ...


@dataclass(frozen=True)
class StrategyDraft:
    """What a rule-based drafter made of a message: a spec, or the reasons there is none."""

    spec: StrategySpec | None
    language: str
    reply: str
    """What to tell the user about the draft, in their language."""
    notes: tuple[str, ...] = ()
    """Assumptions and changes made, one sentence each."""
    errors: tuple[str, ...] = ()


class StrategyDrafter(Protocol):
    """The copilot's offline engine: reads ideas and refinements, summarises backtests."""

    def draft(
        self, text: str, *, current: StrategySpec | None = None, default_symbol: str = "SPX"
    ) -> StrategyDraft:
        """Read `text` as a new idea, or as a change to `current` when one is given."""
        ...

    def summarise(self, result: dict[str, Any], *, language: str) -> str:
        """Return a few sentences on a backtest result (the ``backtest_result`` event data)."""
        ...


# --- Paper and live trading (issue #9) ----------------------------------------------------

from vibetrading.domain.trading.enums import TradingMode  # noqa: E402 - appended block
from vibetrading.domain.trading.orders import Fill, Order  # noqa: E402
from vibetrading.domain.trading.portfolio import AccountSnapshot  # noqa: E402


@runtime_checkable
class Broker(Protocol):
    """Where orders go: the paper broker, a dry-run log or a real exchange.

    ``submit`` is idempotent on the order's ``client_order_id``: a second submission of
    the same id returns the first order and never creates another. Rejections come back
    as REJECTED orders with a reason (not exceptions); ``OrderRejected`` is raised only
    for calls that cannot apply (cancelling a filled order, an unknown id).
    """

    mode: TradingMode

    def submit(self, order: Order) -> Order:
        """Send `order`; return it ACCEPTED (or FILLED) or REJECTED with a reason."""
        ...

    def cancel(self, client_order_id: str) -> Order:
        """Cancel a working order and return it."""
        ...

    def amend(
        self,
        client_order_id: str,
        *,
        quantity: float | None = None,
        limit_price: float | None = None,
        stop_price: float | None = None,
    ) -> Order:
        """Change a working order's quantity or prices and return it."""
        ...

    def orders(self, *, open_only: bool = False) -> list[Order]:
        """Return the orders known to the broker, oldest first."""
        ...

    def positions(self) -> dict[str, float]:
        """Return signed units held per symbol (flat symbols omitted)."""
        ...

    def account(self) -> AccountSnapshot:
        """Return cash, equity and positions."""
        ...

    def fills(self) -> Iterator[Fill]:
        """Yield the fills not yet yielded, oldest first (a stream drained by each call)."""
        ...


@dataclass
class RunnerRecord:
    """A strategy runner as stored: its settings, status, cursor and resumable state."""

    runner_id: str
    config: dict[str, Any]
    status: str = "created"  # created, running, stopped, finished, failed
    cursor: pd.Timestamp | None = None
    state: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # why a failed runner failed


class PaperStepSnapshot(NamedTuple):
    """A runner's equity and cash at the close of one bar."""

    timestamp: pd.Timestamp
    equity: float
    cash: float


@dataclass
class PaperStep:
    """What the bars up to `cursor` changed since the last write, written by
    ``PaperRunnerRepository.save_step`` in one transaction.

    A bar with orders or fills is written at once; quiet bars before it (no order, no
    fill) ride along, their equity `snapshots` included, oldest first.
    """

    runner_id: str
    cursor: pd.Timestamp
    orders: list[Order]
    fills: list[Fill]
    positions: dict[str, float]
    cash: float
    equity: float
    state: dict[str, Any]
    snapshots: list[PaperStepSnapshot] = field(default_factory=list)
    status: str | None = None  # None leaves the stored status; a stop is never overwritten


@dataclass(frozen=True)
class RunnerInbox:
    """What a running runner reads between bars: its stored status and working orders
    (manual orders placed, or cancelled, by other processes show up here)."""

    status: str
    open_orders: list[Order]


class PaperRunnerRepository(Protocol):
    """Durable state of strategy runners: orders, fills, positions, cash, cursor, equity."""

    def create_runner(self, record: RunnerRecord) -> None:
        """Store a new runner; raise ConfigError if its id exists."""
        ...

    def get_runner(self, runner_id: str) -> RunnerRecord | None:
        """Return a runner, or None."""
        ...

    def list_runners(self) -> list[RunnerRecord]:
        """Return every runner, oldest first."""
        ...

    def set_status(self, runner_id: str, status: str, *, error: str | None = None) -> None:
        """Change a runner's status (`error` says why a failed runner failed)."""
        ...

    def save_step(self, step: PaperStep) -> str:
        """Write a step's orders, fills, positions, cash, cursor, state and snapshots
        atomically (snapshots at or after the step's first one are replaced).

        Return the runner's stored status, so a runner sees a stop made by another
        process at its next bar. A stopped runner's step is not written (the bar is
        replayed from the stored state if the runner resumes).
        """
        ...

    def read_inbox(self, runner_id: str) -> RunnerInbox:
        """Return the runner's stored status and working orders, in one light read.

        A runner calls it between bars (every bar when paced, a few times a second at
        max speed) to see a stop or manual orders from other processes.
        """
        ...

    def add_order(self, runner_id: str, order: Order) -> Order:
        """Store an order placed outside a bar (a manual order) unless its client order
        id exists; return the stored order."""
        ...

    def set_order(self, runner_id: str, order: Order) -> None:
        """Write the new state of a stored order (a cancel made outside a bar)."""
        ...

    def open_orders(self, runner_id: str) -> list[Order]:
        """Return the runner's working orders (submitting, accepted, partially filled)."""
        ...

    def orders(self, runner_id: str) -> list[Order]:
        """Return the runner's orders, oldest first."""
        ...

    def fills(self, runner_id: str) -> list[Fill]:
        """Return the runner's fills, oldest first."""
        ...

    def positions(self, runner_id: str) -> dict[str, float]:
        """Return the runner's positions."""
        ...

    def equity_snapshots(self, runner_id: str) -> list[tuple[pd.Timestamp, float]]:
        """Return the runner's equity snapshots, oldest first."""
        ...

    def delete_runner(self, runner_id: str) -> None:
        """Remove a runner and everything it wrote."""
        ...


class SimulatedBroker(Broker, Protocol):
    """A broker that fills against the bars it is fed (paper, dry run) and can be resumed."""

    def on_bar(
        self,
        symbol: str,
        timestamp: pd.Timestamp,
        *,
        open_: float,
        high: float,
        low: float,
        close: float,
        volume: float = ...,
    ) -> list[Fill]:
        """Fill working orders of `symbol` against one bar; return the bar's fills."""
        ...

    def equity(self) -> float:
        """Return cash plus positions at their latest marks."""
        ...

    def take_changes(self) -> list[Order]:
        """Return the orders changed since the last call."""
        ...

    def trades(self) -> list[dict[str, Any]]:
        """Return round-trip trades with the backtest's fields."""
        ...

    def open_trade_entry_count(self, symbol: str) -> int | None:
        """Return the symbol's bar count at the open trade's entry, or None when flat."""
        ...

    def bar_count(self, symbol: str) -> int:
        """Return how many bars of `symbol` the broker has seen."""
        ...

    def state_dict(self) -> dict[str, Any]:
        """Return everything needed to resume the broker, JSON-ready."""
        ...

    def load_state(self, state: Any) -> None:
        """Restore a ``state_dict``."""
        ...


# --- code strategies (the sandbox, issue #6) ---------------------------------------------


@runtime_checkable
class CodeRunner(Protocol):
    """Runs untrusted code strategies safely (the sandbox) and checks them without running."""

    def run(
        self, source: str, bars: pd.DataFrame, params: Mapping[str, Any] | None = None
    ) -> tuple[pd.Series, pd.Series, dict[str, Any]]:
        """Return the entries, exits and safety report (as a dict) of ``signals(bars, params)``.

        Raises SandboxViolation for unsafe code or a limit breach and StrategyError for a
        bug in the code, each with a ``report``.
        """
        ...

    def check(self, source: str) -> dict[str, Any]:
        """Return the safety report of `source` as a dict, without running it."""
        ...
