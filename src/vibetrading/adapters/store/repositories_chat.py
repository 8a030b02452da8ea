"""SQL repositories of copilot conversations and their messages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vibetrading.adapters.store._query import conflicts_as, paginate, require
from vibetrading.adapters.store.repositories import owned_strategy
from vibetrading.adapters.store.repositories_jobs import owned_run
from vibetrading.adapters.store.tables import ConversationRow, MessageRow
from vibetrading.services.records import (
    Conversation,
    ListQuery,
    Message,
    MessageRole,
    Page,
    new_id,
)

if TYPE_CHECKING:
    from vibetrading.adapters.store.db import Database

__all__ = ["SqlConversationRepository"]


def _conversation(row: ConversationRow) -> Conversation:
    return Conversation(
        id=row.id,
        user_id=row.user_id,
        title=row.title,
        strategy_id=row.strategy_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _message(row: MessageRow) -> Message:
    return Message(
        id=row.id,
        conversation_id=row.conversation_id,
        seq=row.seq,
        role=row.role,  # type: ignore[arg-type]  # only MessageRole values are written
        content=row.content,
        spec=row.spec,
        backtest_run_id=row.backtest_run_id,
        meta=dict(row.meta),
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        cost=row.cost,
        engine=row.engine,
        created_at=row.created_at,
    )


def _owned_conversation(
    session: Session, user_id: str, conversation_id: str, *, for_update: bool = False
) -> ConversationRow:
    statement = select(ConversationRow).where(
        ConversationRow.id == conversation_id, ConversationRow.user_id == user_id
    )
    if for_update:
        statement = statement.with_for_update()
    return require(session.scalar(statement), "Conversation", conversation_id)


class SqlConversationRepository:
    """Conversations and their messages."""

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self._db = database
        self._clock = clock

    def create(
        self, user_id: str, *, title: str = "", strategy_id: str | None = None
    ) -> Conversation:
        """Start a conversation, optionally attached to one of the user's strategies."""
        now = self._clock()
        row = ConversationRow(
            id=new_id(),
            user_id=user_id,
            title=title,
            strategy_id=strategy_id,
            created_at=now,
            updated_at=now,
        )
        with self._db.session() as session:
            if strategy_id is not None:
                owned_strategy(session, user_id, strategy_id)
            session.add(row)
            session.flush()
            return _conversation(row)

    def get(self, user_id: str, conversation_id: str) -> Conversation:
        """Return the conversation or raise NotFound."""
        with self._db.session() as session:
            return _conversation(_owned_conversation(session, user_id, conversation_id))

    def list(self, user_id: str, query: ListQuery) -> Page[Conversation]:
        """Return a page of the user's conversations."""
        with self._db.session() as session:
            rows, total = paginate(
                session,
                select(ConversationRow).where(ConversationRow.user_id == user_id),
                query,
                sorts={
                    "updated_at": ConversationRow.updated_at,
                    "created_at": ConversationRow.created_at,
                    "title": ConversationRow.title,
                },
                default="updated_at",
                filters={"strategy_id": ConversationRow.strategy_id},
                tiebreak=ConversationRow.id,
            )
            return Page([_conversation(r) for r in rows], total, query.limit, query.offset)

    def rename(self, user_id: str, conversation_id: str, title: str) -> Conversation:
        """Change the title."""
        with self._db.session() as session:
            row = _owned_conversation(session, user_id, conversation_id)
            row.title = title
            row.updated_at = self._clock()
            session.flush()
            return _conversation(row)

    def delete(self, user_id: str, conversation_id: str) -> None:
        """Delete the conversation and its messages."""
        with self._db.session() as session:
            session.delete(_owned_conversation(session, user_id, conversation_id))

    def set_strategy(
        self, user_id: str, conversation_id: str, strategy_id: str | None
    ) -> Conversation:
        """Attach the conversation to one of the user's strategies (None detaches)."""
        with self._db.session() as session:
            row = _owned_conversation(session, user_id, conversation_id)
            if strategy_id is not None:
                owned_strategy(session, user_id, strategy_id)
            row.strategy_id = strategy_id
            row.updated_at = self._clock()
            session.flush()
            return _conversation(row)

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
        with self._db.session() as session:
            conversation = _owned_conversation(session, user_id, conversation_id, for_update=True)
            if backtest_run_id is not None:
                owned_run(session, user_id, backtest_run_id)
            latest = session.scalar(
                select(func.max(MessageRow.seq)).where(
                    MessageRow.conversation_id == conversation_id
                )
            )
            now = self._clock()
            row = MessageRow(
                id=new_id(),
                conversation_id=conversation_id,
                seq=(latest or 0) + 1,
                role=role,
                content=content,
                spec=spec,
                backtest_run_id=backtest_run_id,
                meta=dict(meta or {}),
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                cost=cost,
                engine=engine,
                created_at=now,
            )
            with conflicts_as("The conversation changed meanwhile; retry."):
                session.add(row)
                conversation.updated_at = now
                session.flush()
            return _message(row)

    def list_messages(self, user_id: str, conversation_id: str, query: ListQuery) -> Page[Message]:
        """Return a page of messages (pass descending=False for oldest first)."""
        with self._db.session() as session:
            _owned_conversation(session, user_id, conversation_id)
            rows, total = paginate(
                session,
                select(MessageRow).where(MessageRow.conversation_id == conversation_id),
                query,
                sorts={"seq": MessageRow.seq, "created_at": MessageRow.created_at},
                default="seq",
                filters={"role": MessageRow.role},
                tiebreak=MessageRow.seq,
            )
            return Page([_message(r) for r in rows], total, query.limit, query.offset)
