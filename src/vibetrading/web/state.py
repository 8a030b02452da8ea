"""What the UI pages share: the services they call and the in-process session records.

``WebServices`` names the services a page may use; the optional ones (copilot, strategy
and conversation repositories, the run store, user settings, paper trading, auth) are None
when this build or this process lacks them, and the page then says so. ``UiState`` keeps
the strategies proposed in the chat and the backtest runs of this process, keyed by id and
each with its owner, so a page can link to another (``/backtest?run=<id>``) without sending
data through the browser, and a user only ever reaches their own.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vibetrading.domain.strategy import StrategySpec
from vibetrading.errors import VibeTradingError
from vibetrading.services.backtests import BacktestOutcome, BacktestRequest, BacktestService
from vibetrading.services.market_data import MarketDataService

__all__ = ["ChatTurn", "Proposal", "RunRecord", "UiState", "WebServices"]

_OPTIONAL = (
    "copilot",
    "strategies",
    "conversations",
    "paper",
    "auth",
    "research",
    "user_settings",
)


@dataclass
class WebServices:
    """The services behind the UI; optional ones are None when not built."""

    market_data: MarketDataService
    backtests: BacktestService
    copilot: Any = None
    strategies: Any = None
    conversations: Any = None
    paper: Any = None
    auth: Any = None
    research: Any = None
    run_store: Any = None
    """The persistent backtest repository (``store.backtests``), or None."""
    user_settings: Any = None
    """The ``UserSettingsService`` (costs, LLM provider and key per user), or None."""
    llm_factory: Callable[..., Any] | None = None
    """Build an LLM client: ``llm_factory(provider=, api_key=, base_url=, model=)``."""
    llm_providers: tuple[str, ...] = ()
    """The LLM provider names a user can choose in the settings."""
    is_multi_user: bool = False
    local_user: Callable[[], str] | None = None

    @classmethod
    def from_container(cls, container: Any) -> WebServices:
        """Adapt the API's services container (or any object with ``market_data`` and
        ``backtests``); the repositories are taken from it or from its ``store``."""
        if isinstance(container, WebServices):
            return container
        store = getattr(container, "store", None)
        extra: dict[str, Any] = {
            name: getattr(container, name, None) or getattr(store, name, None) for name in _OPTIONAL
        }
        multi = getattr(container, "is_multi_user", getattr(container, "multi_user", False))
        return cls(
            market_data=container.market_data,
            backtests=container.backtests,
            run_store=getattr(container, "run_store", None) or getattr(store, "backtests", None),
            llm_factory=getattr(container, "llm_factory", None),
            is_multi_user=bool(multi),
            local_user=getattr(container, "user_id_for_local_mode", None),
            **extra,
        )

    def owner(self, access_token: str | None) -> str | None:
        """Return the user id of this request: the local user in local mode, the token's
        user in multi-user mode (None when not logged in)."""
        if not self.is_multi_user:
            return self.local_user() if self.local_user is not None else "local"
        if not access_token or self.auth is None:
            return None
        try:
            return str(self.auth.verify_access(access_token))
        except VibeTradingError:
            return None


@dataclass
class Proposal:
    """A strategy proposed in the chat or the editor, ready to backtest, edit or save."""

    id: str
    spec: StrategySpec
    text: str
    rules: str
    assumptions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    safety: dict[str, Any] | None = None
    strategy_id: str | None = None
    code: str | None = None
    owner: str = ""


@dataclass
class RunRecord:
    """One backtest run seen by this process: its owner, request and outcome or error."""

    id: str
    request: BacktestRequest
    proposal_id: str | None = None
    outcome: BacktestOutcome | None = None
    error: str | None = None
    error_kind: str | None = None
    """The class name of the error (``UnknownSymbol``, ``EmptyData``, ...), for its field."""
    progress: float = 0.0
    status: str = ""
    owner: str = ""


@dataclass
class ChatTurn:
    """One message of a conversation held in memory (when no repository is built)."""

    role: str
    text: str
    proposal_id: str | None = None
    run_id: str | None = None
    data: dict[str, Any] | None = None
    """A copilot backtest result (``backtest_result`` event data) for role "result"."""


class UiState:
    """Proposals, runs and in-memory conversations of this process (bounded, newest kept)."""

    def __init__(self, *, max_items: int = 200) -> None:
        self._max_items = max_items
        self._lock = threading.Lock()
        self.proposals: OrderedDict[str, Proposal] = OrderedDict()
        self.runs: OrderedDict[str, RunRecord] = OrderedDict()
        self.conversations: OrderedDict[str, list[ChatTurn]] = OrderedDict()
        self.owners: dict[str, str] = {}

    def _keep(self, table: OrderedDict[str, Any], key: str, value: Any) -> None:
        with self._lock:
            table[key] = value
            table.move_to_end(key)
            while len(table) > self._max_items:
                table.popitem(last=False)

    def add_proposal(self, proposal: Proposal, *, owner: str) -> Proposal:
        """Store `proposal` as one of `owner` and return it."""
        proposal.owner = owner
        self._keep(self.proposals, proposal.id, proposal)
        return proposal

    def proposal_of(self, owner: str, proposal_id: str | None) -> Proposal | None:
        """Return proposal `proposal_id` when it is `owner`'s, else None."""
        proposal = self.proposals.get(proposal_id or "")
        return proposal if proposal is not None and proposal.owner == owner else None

    def new_run(
        self, request: BacktestRequest, *, owner: str, proposal_id: str | None = None
    ) -> RunRecord:
        """Create and store a run record of `owner` for `request`."""
        record = RunRecord(
            id=uuid.uuid4().hex[:12], request=request, proposal_id=proposal_id, owner=owner
        )
        self._keep(self.runs, record.id, record)
        return record

    def keep_run(self, record: RunRecord, *, previous_id: str | None = None) -> RunRecord:
        """Store `record` (a run read back from the run store, or one given a new id)."""
        if previous_id is not None:
            with self._lock:
                self.runs.pop(previous_id, None)
        self._keep(self.runs, record.id, record)
        return record

    def run_of(self, owner: str, run_id: str | None) -> RunRecord | None:
        """Return run `run_id` when it is `owner`'s, else None."""
        record = self.runs.get(run_id or "")
        return record if record is not None and record.owner == owner else None

    def latest_run_of(self, owner: str) -> RunRecord | None:
        """Return the newest run of `owner` held by this process, or None."""
        with self._lock:
            mine = [r for r in self.runs.values() if r.owner == owner]
        return mine[-1] if mine else None

    def conversation(self, owner: str, conversation_id: str | None) -> tuple[str, list[ChatTurn]]:
        """Return the id and turns of `conversation_id` of `owner`, a new one when unknown."""
        if conversation_id and self.owners.get(conversation_id) == owner:
            return conversation_id, self.conversations[conversation_id]
        new_id = uuid.uuid4().hex[:12]
        self._keep(self.conversations, new_id, [])
        self.owners[new_id] = owner
        return new_id, self.conversations[new_id]

    def conversations_of(self, owner: str) -> list[tuple[str, str]]:
        """Return (id, title) of the owner's non-empty conversations, newest first."""
        found = [
            (cid, turns[0].text)
            for cid, turns in self.conversations.items()
            if self.owners.get(cid) == owner and turns
        ]
        return list(reversed(found))
