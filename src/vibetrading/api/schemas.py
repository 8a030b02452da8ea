"""Request and response models of the HTTP API (they make the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from vibetrading.services.records import (
    BacktestRun,
    Conversation,
    Job,
    Message,
    Strategy,
    StrategyVersion,
    User,
)

__all__ = [
    "BacktestAccepted",
    "BacktestRunIn",
    "BacktestRunOut",
    "ChatIn",
    "ConversationOut",
    "CredentialsIn",
    "JobOut",
    "MessageOut",
    "PageOut",
    "RefreshIn",
    "StrategyCreateIn",
    "StrategyOut",
    "StrategyPatchIn",
    "TokenOut",
    "UserOut",
    "VersionOut",
]

T = TypeVar("T")
_STRICT = ConfigDict(extra="forbid")


class PageOut(BaseModel, Generic[T]):
    """One page of a list: ``?limit=&offset=&sort=field|-field&<filter>=``."""

    items: list[T]
    total: int
    limit: int
    offset: int


class CredentialsIn(BaseModel):
    """An email and a password."""

    model_config = _STRICT
    email: str = Field(min_length=3, max_length=254, examples=["ada@example.com"])
    password: str = Field(min_length=1, max_length=256, examples=["correct horse battery"])
    display_name: str = Field(default="", max_length=100)


class RefreshIn(BaseModel):
    """A refresh token (browsers send the ``vt_refresh`` cookie instead)."""

    model_config = _STRICT
    refresh_token: str | None = Field(default=None, max_length=200)


class UserOut(BaseModel):
    """A user as the API shows it."""

    id: str
    email: str
    display_name: str
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        """Return the public view of `user`."""
        return cls(
            id=user.id, email=user.email, display_name=user.display_name, created_at=user.created_at
        )


class TokenOut(BaseModel):
    """Tokens of a login: send ``Authorization: Bearer <access_token>``."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(description="Seconds the access token stays valid.")
    refresh_token: str
    refresh_expires_in: int
    user: UserOut


class StrategyCreateIn(BaseModel):
    """A new strategy: a spec (JSON) or Python code."""

    model_config = _STRICT
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    spec: dict[str, Any] | None = None
    code: str | None = Field(default=None, max_length=100_000)
    source_text: str = Field(default="", max_length=10_000)
    note: str = Field(default="", max_length=500)


class StrategyPatchIn(BaseModel):
    """Changes: new content (spec or code) appends a version; name and description do not."""

    model_config = _STRICT
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    spec: dict[str, Any] | None = None
    code: str | None = Field(default=None, max_length=100_000)
    source_text: str = Field(default="", max_length=10_000)
    note: str = Field(default="", max_length=500)


class VersionOut(BaseModel):
    """One immutable version of a strategy."""

    id: str
    version: int
    spec: dict[str, Any] | None
    code: str | None
    source_text: str
    note: str
    created_at: datetime

    @classmethod
    def of(cls, version: StrategyVersion) -> VersionOut:
        """Return the view of `version`."""
        return cls(
            id=version.id,
            version=version.version,
            spec=version.spec,
            code=version.code,
            source_text=version.source_text,
            note=version.note,
            created_at=version.created_at,
        )


class StrategyOut(BaseModel):
    """A strategy, with its current version when read one by one."""

    id: str
    name: str
    kind: Literal["spec", "code"]
    description: str
    current_version: int
    created_at: datetime
    updated_at: datetime
    version: VersionOut | None = None
    warnings: list[str] = Field(default_factory=list)

    @classmethod
    def of(
        cls,
        strategy: Strategy,
        version: StrategyVersion | None = None,
        warnings: list[str] | None = None,
    ) -> StrategyOut:
        """Return the view of `strategy`."""
        return cls(
            id=strategy.id,
            name=strategy.name,
            kind=strategy.kind,
            description=strategy.description,
            current_version=strategy.current_version,
            created_at=strategy.created_at,
            updated_at=strategy.updated_at,
            version=VersionOut.of(version) if version is not None else None,
            warnings=warnings or [],
        )


class BacktestRunIn(BaseModel):
    """A backtest to run: one of strategy (text), spec, code or strategy_id, on symbols."""

    model_config = _STRICT
    strategy: str | None = Field(default=None, max_length=5000, examples=["buy SPX when RSI<30"])
    spec: dict[str, Any] | None = None
    code: str | None = Field(default=None, max_length=100_000)
    strategy_id: str | None = Field(default=None, max_length=64)
    symbol: str | None = Field(default=None, max_length=40, examples=["SPX"])
    symbols: list[str] | None = Field(default=None, max_length=20)
    start: str | None = Field(default=None, max_length=40, examples=["2010-01-01"])
    end: str | None = Field(default=None, max_length=40, examples=["2015-12-31"])
    cash: float = Field(default=100_000.0, gt=0, le=1e12)
    fill: Literal["next_open", "close"] = "next_open"
    fee_rate: float | None = Field(default=None, ge=0, le=0.1)
    slippage_bps: float | None = Field(default=None, ge=0, le=1000)
    stop_loss: float | None = Field(default=None, gt=0, lt=1)
    take_profit: float | None = Field(default=None, gt=0, le=100)
    trailing_stop: float | None = Field(default=None, gt=0, lt=1)


class JobOut(BaseModel):
    """A job and its persisted state."""

    id: str
    kind: str
    state: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    progress: float
    message: str
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    attempts: int
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: Job) -> JobOut:
        """Return the view of `job`."""
        return cls(
            id=job.id,
            kind=job.kind,
            state=job.state.value,
            progress=job.progress,
            message=job.message,
            result=job.result,
            error=job.error,
            attempts=job.attempts,
            cancel_requested=job.cancel_requested,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


class BacktestAccepted(BaseModel):
    """A queued backtest: poll ``GET /backtest/{id}`` or watch ``/ws/jobs/{job_id}``."""

    id: str
    job_id: str | None
    status: str


class BacktestRunOut(BaseModel):
    """A backtest run: its request, live status and, once succeeded, its result."""

    id: str
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    progress: float
    message: str
    job_id: str | None
    strategy_id: str | None
    request: dict[str, Any]
    summary: dict[str, Any]
    error: dict[str, Any] | None
    created_at: datetime
    finished_at: datetime | None
    result: dict[str, Any] | None = None

    @classmethod
    def of(
        cls, run: BacktestRun, job: Job | None, result: dict[str, Any] | None = None
    ) -> BacktestRunOut:
        """Return the view of `run`; an unfinished run takes its job's state."""
        status, error = run.status, run.error
        if job is not None and not status.is_final:
            status, error = job.state, job.error
        return cls(
            id=run.id,
            status=status.value,
            progress=job.progress if job is not None else (1.0 if status.is_final else 0.0),
            message=job.message if job is not None else "",
            job_id=run.job_id,
            strategy_id=run.strategy_id,
            request=run.request,
            summary=run.summary,
            error=error,
            created_at=run.created_at,
            finished_at=run.finished_at,
            result=result,
        )


class ChatIn(BaseModel):
    """A chat message to the strategy copilot."""

    model_config = _STRICT
    message: str = Field(min_length=1, max_length=5000, examples=["buy SPX when RSI < 30"])
    conversation_id: str | None = Field(default=None, max_length=64)


class ConversationOut(BaseModel):
    """A copilot conversation."""

    id: str
    title: str
    strategy_id: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, conversation: Conversation) -> ConversationOut:
        """Return the view of `conversation`."""
        return cls(
            id=conversation.id,
            title=conversation.title,
            strategy_id=conversation.strategy_id,
            created_at=conversation.created_at,
            updated_at=conversation.updated_at,
        )


class MessageOut(BaseModel):
    """One message of a conversation."""

    id: str
    seq: int
    role: str
    content: str
    spec: dict[str, Any] | None
    backtest_run_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, message: Message) -> MessageOut:
        """Return the view of `message`."""
        return cls(
            id=message.id,
            seq=message.seq,
            role=message.role,
            content=message.content,
            spec=message.spec,
            backtest_run_id=message.backtest_run_id,
            created_at=message.created_at,
        )
