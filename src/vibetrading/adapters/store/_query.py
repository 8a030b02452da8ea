"""Shared helpers of the SQL repositories: one pagination convention, error mapping."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from vibetrading.errors import Conflict, NotFound
from vibetrading.services.records import ListQuery

__all__ = ["conflicts_as", "paginate", "require"]

RowT = TypeVar("RowT")


def paginate(
    session: Session,
    statement: Select[Any],
    query: ListQuery,
    *,
    sorts: Mapping[str, InstrumentedAttribute[Any]],
    default: str,
    filters: Mapping[str, InstrumentedAttribute[Any]],
    tiebreak: InstrumentedAttribute[Any],
) -> tuple[list[Any], int]:
    """Apply the filters, count, sort and slice `statement`; return (rows, total).

    `sorts` and `filters` map the public names a ListQuery may use to columns; an
    unknown name raises ConfigError. `tiebreak` (usually the primary key) makes pages
    stable when sort values repeat.
    """
    query.check(sorts=list(sorts), filters=list(filters))
    conditions: list[ColumnElement[bool]] = [
        filters[key] == _plain(value) for key, value in query.filters.items()
    ]
    statement = statement.where(*conditions)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    column = sorts[query.sort or default]
    order = (column.desc(), tiebreak.desc()) if query.descending else (column, tiebreak)
    rows = session.scalars(statement.order_by(*order).limit(query.limit).offset(query.offset))
    return list(rows), int(total)


def _plain(value: Any) -> Any:
    # StrEnum members compare fine, but bind them as plain strings for every driver.
    return str(value) if isinstance(value, str) else value


def require(row: RowT | None, what: str, key: str) -> RowT:
    """Return `row`, or raise NotFound naming `what` and `key`."""
    if row is None:
        raise NotFound(f"{what} {key!r} not found.")
    return row


@contextlib.contextmanager
def conflicts_as(message: str) -> Iterator[None]:
    """Turn a unique-constraint violation raised inside the block into Conflict."""
    try:
        yield
    except IntegrityError as e:
        raise Conflict(message) from e
