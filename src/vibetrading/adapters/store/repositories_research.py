"""SQL repositories of the shared market cache and of per-user research notes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from vibetrading.adapters.store._query import paginate, require
from vibetrading.adapters.store.tables import MarketCacheRow, ResearchSummaryRow
from vibetrading.services.records import (
    ListQuery,
    MarketCacheEntry,
    Page,
    ResearchSummary,
    new_id,
)

if TYPE_CHECKING:
    from vibetrading.adapters.store.db import Database

__all__ = ["SqlMarketCacheRepository", "SqlResearchSummaryRepository"]


class SqlMarketCacheRepository:
    """A shared key -> JSON cache in ``market_cache``."""

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self._db = database
        self._clock = clock

    def get(self, key: str, *, now: datetime | None = None) -> MarketCacheEntry | None:
        """Return the unexpired entry, or None."""
        now = now or self._clock()
        with self._db.session() as session:
            row = session.get(MarketCacheRow, key)
            if row is None or (row.expires_at is not None and row.expires_at <= now):
                return None
            return MarketCacheEntry(row.key, dict(row.value), row.created_at, row.expires_at)

    def put(
        self, key: str, value: dict[str, Any], *, ttl_s: float | None = None
    ) -> MarketCacheEntry:
        """Insert or replace the entry; `ttl_s` None keeps it until deleted."""
        now = self._clock()
        expires_at = None if ttl_s is None else now + timedelta(seconds=ttl_s)
        with self._db.session() as session:
            row = session.get(MarketCacheRow, key)
            if row is None:
                row = MarketCacheRow(key=key)
                session.add(row)
            row.value, row.created_at, row.expires_at = dict(value), now, expires_at
            session.flush()
            return MarketCacheEntry(key, dict(value), now, expires_at)

    def delete(self, key: str) -> None:
        """Remove the entry if present."""
        with self._db.session() as session:
            session.execute(delete(MarketCacheRow).where(MarketCacheRow.key == key))

    def purge_expired(self, *, now: datetime | None = None) -> int:
        """Delete expired entries; return how many."""
        statement = delete(MarketCacheRow).where(
            MarketCacheRow.expires_at <= (now or self._clock())
        )
        with self._db.session() as session:
            return int(getattr(session.execute(statement), "rowcount", 0))


def _summary(row: ResearchSummaryRow) -> ResearchSummary:
    return ResearchSummary(
        id=row.id,
        user_id=row.user_id,
        symbol=row.symbol,
        title=row.title,
        content=row.content,
        engine=row.engine,
        meta=dict(row.meta),
        created_at=row.created_at,
    )


class SqlResearchSummaryRepository:
    """Research notes per user in ``research_summaries``."""

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self._db = database
        self._clock = clock

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
        row = ResearchSummaryRow(
            id=new_id(),
            user_id=user_id,
            symbol=symbol,
            title=title,
            content=content,
            engine=engine,
            meta=dict(meta or {}),
            created_at=self._clock(),
        )
        with self._db.session() as session:
            session.add(row)
            session.flush()
            return _summary(row)

    def get(self, user_id: str, summary_id: str) -> ResearchSummary:
        """Return the summary or raise NotFound."""
        statement = select(ResearchSummaryRow).where(
            ResearchSummaryRow.id == summary_id, ResearchSummaryRow.user_id == user_id
        )
        with self._db.session() as session:
            return _summary(require(session.scalar(statement), "Research summary", summary_id))

    def list(self, user_id: str, query: ListQuery) -> Page[ResearchSummary]:
        """Return a page of the user's summaries."""
        with self._db.session() as session:
            rows, total = paginate(
                session,
                select(ResearchSummaryRow).where(ResearchSummaryRow.user_id == user_id),
                query,
                sorts={
                    "created_at": ResearchSummaryRow.created_at,
                    "symbol": ResearchSummaryRow.symbol,
                },
                default="created_at",
                filters={"symbol": ResearchSummaryRow.symbol},
                tiebreak=ResearchSummaryRow.id,
            )
            return Page([_summary(r) for r in rows], total, query.limit, query.offset)
