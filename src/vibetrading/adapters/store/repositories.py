"""SQL repositories of strategies and their versions.

Users' objects are always looked up by id *and* user id, so another user's object is
indistinguishable from a missing one (NotFound).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vibetrading.adapters.store._query import conflicts_as, paginate, require
from vibetrading.adapters.store.tables import StrategyRow, StrategyVersionRow
from vibetrading.errors import SpecError
from vibetrading.services.records import (
    ListQuery,
    Page,
    Strategy,
    StrategyKind,
    StrategyVersion,
    new_id,
)

if TYPE_CHECKING:
    from vibetrading.adapters.store.db import Database

__all__ = ["SqlStrategyRepository", "owned_strategy"]


def _strategy(row: StrategyRow) -> Strategy:
    return Strategy(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        kind=row.kind,  # type: ignore[arg-type]  # only "spec" or "code" are written
        description=row.description,
        current_version=row.current_version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
    )


def _version(row: StrategyVersionRow) -> StrategyVersion:
    return StrategyVersion(
        id=row.id,
        strategy_id=row.strategy_id,
        version=row.version,
        spec=row.spec,
        code=row.code,
        source_text=row.source_text,
        note=row.note,
        created_at=row.created_at,
    )


def owned_strategy(
    session: Session, user_id: str, strategy_id: str, *, for_update: bool = False
) -> StrategyRow:
    """Return the user's live strategy row or raise NotFound (locked if `for_update`)."""
    statement = select(StrategyRow).where(
        StrategyRow.id == strategy_id,
        StrategyRow.user_id == user_id,
        StrategyRow.deleted_at.is_(None),
    )
    if for_update:
        statement = statement.with_for_update()
    return require(session.scalar(statement), "Strategy", strategy_id)


def _check_content(kind: str, spec: dict[str, Any] | None, code: str | None) -> None:
    if kind == "spec" and (spec is None or code is not None):
        raise SpecError("A spec strategy version needs a spec and no code.")
    if kind == "code" and (code is None or spec is not None):
        raise SpecError("A code strategy version needs code and no spec.")
    if kind not in ("spec", "code"):
        raise SpecError(f"Unknown strategy kind {kind!r}; use 'spec' or 'code'.")


class SqlStrategyRepository:
    """Strategies (soft-deleted) and their numbered versions."""

    sorts = ("created_at", "updated_at", "name")
    filters = ("kind", "name")

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self._db = database
        self._clock = clock

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
        _check_content(kind, spec, code)
        now = self._clock()
        row = StrategyRow(
            id=new_id(),
            user_id=user_id,
            name=name,
            kind=kind,
            description=description,
            current_version=1,
            created_at=now,
            updated_at=now,
        )
        version = StrategyVersionRow(
            id=new_id(),
            strategy_id=row.id,
            version=1,
            spec=spec,
            code=code,
            source_text=source_text,
            note=note,
            created_at=now,
        )
        with self._db.session() as session:
            session.add(row)
            session.flush()
            session.add(version)
            session.flush()
            return _strategy(row)

    def get(self, user_id: str, strategy_id: str) -> Strategy:
        """Return a live (not deleted) strategy or raise NotFound."""
        with self._db.session() as session:
            return _strategy(owned_strategy(session, user_id, strategy_id))

    def list(self, user_id: str, query: ListQuery) -> Page[Strategy]:
        """Return a page of the user's live strategies."""
        statement = select(StrategyRow).where(
            StrategyRow.user_id == user_id, StrategyRow.deleted_at.is_(None)
        )
        columns = {"created_at": StrategyRow.created_at, "updated_at": StrategyRow.updated_at}
        with self._db.session() as session:
            rows, total = paginate(
                session,
                statement,
                query,
                sorts={**columns, "name": StrategyRow.name},
                default="created_at",
                filters={"kind": StrategyRow.kind, "name": StrategyRow.name},
                tiebreak=StrategyRow.id,
            )
            return Page([_strategy(r) for r in rows], total, query.limit, query.offset)

    def update(
        self,
        user_id: str,
        strategy_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Strategy:
        """Rename or re-describe a strategy (content changes go through add_version)."""
        with self._db.session() as session:
            row = owned_strategy(session, user_id, strategy_id)
            if name is not None:
                row.name = name
            if description is not None:
                row.description = description
            row.updated_at = self._clock()
            session.flush()
            return _strategy(row)

    def soft_delete(self, user_id: str, strategy_id: str) -> None:
        """Hide the strategy from get and list; its versions and runs stay."""
        with self._db.session() as session:
            row = owned_strategy(session, user_id, strategy_id)
            row.deleted_at = row.updated_at = self._clock()

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
        with self._db.session() as session:
            row = owned_strategy(session, user_id, strategy_id, for_update=True)
            _check_content(row.kind, spec, code)
            return self._append(session, row, spec, code, source_text, note)

    def _append(
        self,
        session: Session,
        row: StrategyRow,
        spec: dict[str, Any] | None,
        code: str | None,
        source_text: str,
        note: str,
    ) -> StrategyVersion:
        latest = session.scalar(
            select(func.max(StrategyVersionRow.version)).where(
                StrategyVersionRow.strategy_id == row.id
            )
        )
        now = self._clock()
        version = StrategyVersionRow(
            id=new_id(),
            strategy_id=row.id,
            version=(latest or 0) + 1,
            spec=spec,
            code=code,
            source_text=source_text,
            note=note,
            created_at=now,
        )
        with conflicts_as("The strategy changed meanwhile; retry."):
            session.add(version)
            row.current_version = version.version
            row.updated_at = now
            session.flush()
        return _version(version)

    def list_versions(
        self, user_id: str, strategy_id: str, query: ListQuery
    ) -> Page[StrategyVersion]:
        """Return a page of the strategy's versions."""
        with self._db.session() as session:
            owned_strategy(session, user_id, strategy_id)
            rows, total = paginate(
                session,
                select(StrategyVersionRow).where(StrategyVersionRow.strategy_id == strategy_id),
                query,
                sorts={
                    "version": StrategyVersionRow.version,
                    "created_at": StrategyVersionRow.created_at,
                },
                default="version",
                filters={},
                tiebreak=StrategyVersionRow.version,
            )
            return Page([_version(r) for r in rows], total, query.limit, query.offset)

    def get_version(
        self, user_id: str, strategy_id: str, version: int | None = None
    ) -> StrategyVersion:
        """Return one version (None: the current one) or raise NotFound."""
        with self._db.session() as session:
            return _version(self._version_row(session, user_id, strategy_id, version))

    def _version_row(
        self, session: Session, user_id: str, strategy_id: str, version: int | None
    ) -> StrategyVersionRow:
        strategy = owned_strategy(session, user_id, strategy_id)
        number = strategy.current_version if version is None else version
        row = session.scalar(
            select(StrategyVersionRow).where(
                StrategyVersionRow.strategy_id == strategy_id,
                StrategyVersionRow.version == number,
            )
        )
        return require(row, "Strategy version", f"{strategy_id} v{number}")

    def restore_version(self, user_id: str, strategy_id: str, version: int) -> StrategyVersion:
        """Copy an old version into a new current version noted "restored from vN"."""
        with self._db.session() as session:
            old = self._version_row(session, user_id, strategy_id, version)
            row = owned_strategy(session, user_id, strategy_id, for_update=True)
            return self._append(
                session, row, old.spec, old.code, old.source_text, f"restored from v{version}"
            )
