"""In-memory strategy and conversation repositories, for tests and store-less runs.

They follow the ``StrategyRepository`` and ``ConversationRepository`` Protocols: every
call is scoped to its user (another user's object is NotFound), versions are numbered
from 1, messages get ``seq`` 1, 2, ... Sorting honours the default field only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from vibetrading.errors import ConfigError, NotFound
from vibetrading.services.records import (
    Conversation,
    ListQuery,
    Message,
    MessageRole,
    Page,
    Strategy,
    StrategyKind,
    StrategyVersion,
    new_id,
    utc_now,
)

__all__ = ["MemoryConversationRepository", "MemoryStrategyRepository"]

T = TypeVar("T")


def _page(items: list[T], query: ListQuery, key: Callable[[T], Any]) -> Page[T]:
    ordered = sorted(items, key=key, reverse=query.descending)
    for name, value in query.filters.items():
        ordered = [item for item in ordered if getattr(item, name) == value]
    chosen = ordered[query.offset : query.offset + query.limit]
    return Page(items=chosen, total=len(ordered), limit=query.limit, offset=query.offset)


class MemoryStrategyRepository:
    """Strategies and their versions in dicts."""

    def __init__(self) -> None:
        self.strategies: dict[str, Strategy] = {}
        self.versions: dict[str, list[StrategyVersion]] = {}

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
        """Add a strategy with version 1."""
        if (kind == "spec") != (spec is not None) or (kind == "code") != (code is not None):
            raise ConfigError("A spec strategy needs a spec; a code strategy needs code.")
        now = utc_now()
        strategy = Strategy(new_id(), user_id, name, kind, description, 0, now, now)
        self.strategies[strategy.id] = strategy
        self.versions[strategy.id] = []
        self.add_version(
            user_id, strategy.id, spec=spec, code=code, source_text=source_text, note=note
        )
        return self.get(user_id, strategy.id)

    def get(self, user_id: str, strategy_id: str) -> Strategy:
        """Return the strategy or raise NotFound."""
        strategy = self.strategies.get(strategy_id)
        if strategy is None or strategy.user_id != user_id or strategy.deleted_at is not None:
            raise NotFound(f"No strategy {strategy_id}.")
        return strategy

    def list(self, user_id: str, query: ListQuery) -> Page[Strategy]:
        """Return a page of the user's live strategies."""
        mine = [
            s for s in self.strategies.values() if s.user_id == user_id and s.deleted_at is None
        ]
        return _page(mine, query, lambda s: s.created_at)

    def update(
        self,
        user_id: str,
        strategy_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Strategy:
        """Rename or re-describe a strategy."""
        strategy = self.get(user_id, strategy_id)
        changed = dataclasses.replace(
            strategy,
            name=name if name is not None else strategy.name,
            description=description if description is not None else strategy.description,
            updated_at=utc_now(),
        )
        self.strategies[strategy_id] = changed
        return changed

    def soft_delete(self, user_id: str, strategy_id: str) -> None:
        """Hide the strategy."""
        strategy = self.get(user_id, strategy_id)
        self.strategies[strategy_id] = dataclasses.replace(strategy, deleted_at=utc_now())

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
        strategy = self.get(user_id, strategy_id)
        number = strategy.current_version + 1
        version = StrategyVersion(
            new_id(), strategy_id, number, spec, code, source_text, note, utc_now()
        )
        self.versions[strategy_id].append(version)
        self.strategies[strategy_id] = dataclasses.replace(
            strategy, current_version=number, updated_at=utc_now()
        )
        return version

    def list_versions(
        self, user_id: str, strategy_id: str, query: ListQuery
    ) -> Page[StrategyVersion]:
        """Return a page of the strategy's versions."""
        self.get(user_id, strategy_id)
        return _page(list(self.versions[strategy_id]), query, lambda v: v.version)

    def get_version(
        self, user_id: str, strategy_id: str, version: int | None = None
    ) -> StrategyVersion:
        """Return one version (None: the current one) or raise NotFound."""
        strategy = self.get(user_id, strategy_id)
        number = strategy.current_version if version is None else version
        for item in self.versions[strategy_id]:
            if item.version == number:
                return item
        raise NotFound(f"Strategy {strategy_id} has no version {number}.")

    def restore_version(self, user_id: str, strategy_id: str, version: int) -> StrategyVersion:
        """Copy an old version into a new current one."""
        old = self.get_version(user_id, strategy_id, version)
        return self.add_version(
            user_id,
            strategy_id,
            spec=old.spec,
            code=old.code,
            source_text=old.source_text,
            note=f"restored from v{version}",
        )


class MemoryConversationRepository:
    """Conversations and their messages in dicts."""

    def __init__(self) -> None:
        self.conversations: dict[str, Conversation] = {}
        self.messages: dict[str, list[Message]] = {}

    def create(
        self, user_id: str, *, title: str = "", strategy_id: str | None = None
    ) -> Conversation:
        """Start a conversation."""
        now = utc_now()
        conversation = Conversation(new_id(), user_id, title, strategy_id, now, now)
        self.conversations[conversation.id] = conversation
        self.messages[conversation.id] = []
        return conversation

    def get(self, user_id: str, conversation_id: str) -> Conversation:
        """Return the conversation or raise NotFound."""
        conversation = self.conversations.get(conversation_id)
        if conversation is None or conversation.user_id != user_id:
            raise NotFound(f"No conversation {conversation_id}.")
        return conversation

    def list(self, user_id: str, query: ListQuery) -> Page[Conversation]:
        """Return a page of the user's conversations."""
        mine = [c for c in self.conversations.values() if c.user_id == user_id]
        return _page(mine, query, lambda c: c.updated_at)

    def rename(self, user_id: str, conversation_id: str, title: str) -> Conversation:
        """Change the title."""
        return self._replace(user_id, conversation_id, title=title)

    def delete(self, user_id: str, conversation_id: str) -> None:
        """Delete the conversation and its messages."""
        self.get(user_id, conversation_id)
        del self.conversations[conversation_id]
        del self.messages[conversation_id]

    def set_strategy(
        self, user_id: str, conversation_id: str, strategy_id: str | None
    ) -> Conversation:
        """Attach the conversation to a strategy (None detaches)."""
        return self._replace(user_id, conversation_id, strategy_id=strategy_id)

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
        """Append a message with the next seq."""
        self._replace(user_id, conversation_id)
        messages = self.messages[conversation_id]
        message = Message(
            new_id(),
            conversation_id,
            len(messages) + 1,
            role,
            content,
            spec,
            backtest_run_id,
            dict(meta or {}),
            prompt_tokens,
            completion_tokens,
            cost,
            engine,
            utc_now(),
        )
        messages.append(message)
        return message

    def list_messages(self, user_id: str, conversation_id: str, query: ListQuery) -> Page[Message]:
        """Return a page of messages (descending=False for oldest first)."""
        self.get(user_id, conversation_id)
        return _page(list(self.messages[conversation_id]), query, lambda m: m.seq)

    def _replace(self, user_id: str, conversation_id: str, **changes: Any) -> Conversation:
        conversation = self.get(user_id, conversation_id)
        changed = dataclasses.replace(conversation, updated_at=utc_now(), **changes)
        self.conversations[conversation_id] = changed
        return changed
