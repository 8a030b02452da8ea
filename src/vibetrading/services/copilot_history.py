"""The copilot's memory: conversations, their messages, strategy versions and usage.

Every call is scoped to the user; with no repositories (a store-less run) the copilot
still answers, and nothing is kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from vibetrading.domain.strategy import StrategySpec, load_spec
from vibetrading.errors import SpecError
from vibetrading.services.copilot_prompts import Proposal
from vibetrading.services.ports import (
    ConversationRepository,
    LLMMessage,
    LLMUsage,
    StrategyRepository,
)
from vibetrading.services.records import ListQuery, Message, new_id

__all__ = ["ChatContext", "ChatHistory", "recent_messages", "sum_usage"]

_HISTORY = 12
"""How many earlier messages the model sees."""


@dataclass
class ChatContext:
    """What the copilot knows about a conversation when a message arrives."""

    conversation_id: str
    strategy_id: str | None
    spec: StrategySpec | None
    code: str | None
    last_backtest: dict[str, Any] | None
    history: list[LLMMessage]


class ChatHistory:
    """Read and write one user's conversations and strategy versions."""

    def __init__(
        self,
        conversations: ConversationRepository | None,
        strategies: StrategyRepository | None,
    ) -> None:
        self.conversations = conversations
        self.strategies = strategies

    def usage(self, user_id: str, conversation_id: str | None = None) -> LLMUsage:
        """Return the tokens and cost of one conversation, or of all the user's ones."""
        if self.conversations is None:
            return LLMUsage()
        return sum_usage(self.conversations, user_id, conversation_id)

    def list_conversations(self, user_id: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """Return the user's most recently updated conversations, newest first: id, title,
        last update (ISO 8601, UTC), number of messages and strategy id."""
        store = self.conversations
        if store is None:
            return []
        page = store.list(user_id, ListQuery(limit=limit))
        return [
            {
                "id": c.id,
                "title": c.title,
                "updated_at": c.updated_at.isoformat(),
                "messages": store.list_messages(user_id, c.id, ListQuery(limit=1)).total,
                "strategy_id": c.strategy_id,
            }
            for c in page.items
        ]

    def open(self, user_id: str, text: str, conversation_id: str | None) -> ChatContext:
        """Return the context of a conversation, starting one when `conversation_id` is None."""
        store = self.conversations
        if store is None:
            return ChatContext(conversation_id or new_id(), None, None, None, None, [])
        if conversation_id is None:
            title = (text.strip().splitlines() or [""])[0][:80] or "New conversation"
            conversation = store.create(user_id, title=title)
        else:
            conversation = store.get(user_id, conversation_id)
        messages = recent_messages(store, user_id, conversation.id, _HISTORY)
        spec, code = self._current(user_id, conversation.strategy_id)
        return ChatContext(
            conversation_id=conversation.id,
            strategy_id=conversation.strategy_id,
            spec=spec,
            code=code,
            last_backtest=_last_backtest(messages),
            history=[
                {"role": m.role, "content": m.content}
                for m in messages
                if m.role in ("user", "assistant") and m.content
            ],
        )

    def _current(
        self, user_id: str, strategy_id: str | None
    ) -> tuple[StrategySpec | None, str | None]:
        if strategy_id is None or self.strategies is None:
            return None, None
        version = self.strategies.get_version(user_id, strategy_id)
        try:
            spec = load_spec(version.spec) if version.spec is not None else None
        except SpecError:
            spec = None
        return spec, version.code

    def save_version(
        self, user_id: str, context: ChatContext, proposal: Proposal, text: str
    ) -> dict[str, Any]:
        """Save `proposal` as version 1 of a new strategy, or as the next version."""
        spec = proposal.spec.model_dump(mode="json") if proposal.spec is not None else None
        if self.strategies is None:
            return {"strategy_id": None, "version": None}
        if context.strategy_id is None:
            strategy = self.strategies.create(
                user_id,
                name=proposal.name or "Copilot strategy",
                kind=proposal.kind,
                description=proposal.explanation,
                spec=spec,
                code=proposal.code,
                source_text=text,
                note="proposed by the copilot",
            )
            context.strategy_id = strategy.id
            if self.conversations is not None:
                self.conversations.set_strategy(user_id, context.conversation_id, strategy.id)
            version = self.strategies.get_version(user_id, strategy.id)
        else:
            version = self.strategies.add_version(
                user_id,
                context.strategy_id,
                spec=spec,
                code=proposal.code,
                source_text=text,
                note=f"refined: {text[:120]}",
            )
        return {
            "strategy_id": context.strategy_id,
            "version": version.version,
            "version_id": version.id,
        }

    def save_message(
        self,
        user_id: str,
        context: ChatContext,
        *,
        role: Literal["user", "assistant"],
        content: str,
        spec: dict[str, Any] | None = None,
        meta: dict[str, Any] | None = None,
        usage: LLMUsage | None = None,
        engine: str = "",
    ) -> Message | None:
        """Append a message with its spec, run, usage and engine."""
        if self.conversations is None:
            return None
        usage = usage or LLMUsage()
        return self.conversations.add_message(
            user_id,
            context.conversation_id,
            role=role,
            content=content,
            spec=spec,
            backtest_run_id=(meta or {}).get("backtest", {}).get("run_id"),
            meta=meta,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost=usage.cost_usd or 0.0,
            engine=engine,
        )


def recent_messages(
    store: ConversationRepository, user_id: str, conversation_id: str, count: int
) -> list[Message]:
    """Return the last `count` messages of a conversation, oldest first."""
    page = store.list_messages(user_id, conversation_id, ListQuery(limit=count, descending=True))
    return list(reversed(page.items))


def sum_usage(
    store: ConversationRepository, user_id: str, conversation_id: str | None = None
) -> LLMUsage:
    """Add up the tokens and cost of one conversation, or of every conversation of a user."""
    if conversation_id is not None:
        ids = [conversation_id]
    else:
        ids = [c.id for c in _all(lambda q: store.list(user_id, q))]
    total = LLMUsage(cost_usd=0.0)
    for cid in ids:
        for message in _all(lambda q, cid=cid: store.list_messages(user_id, cid, q)):
            total += LLMUsage(message.prompt_tokens, message.completion_tokens, message.cost)
    return total


def _all(page_of: Any) -> Iterator[Any]:
    offset = 0
    while True:
        page = page_of(ListQuery(limit=200, offset=offset, descending=False))
        yield from page.items
        if not page.has_more:
            return
        offset += len(page.items)


def _last_backtest(messages: Sequence[Message]) -> dict[str, Any] | None:
    for message in reversed(messages):
        backtest = (message.meta or {}).get("backtest")
        if backtest:
            return dict(backtest)
    return None
