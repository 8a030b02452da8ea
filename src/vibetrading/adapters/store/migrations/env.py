"""Alembic environment: migrate the connection `adapters.store.db.upgrade` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from vibetrading.adapters.store.tables import Base, exists_on

__all__: list[str] = []

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    dialect = connection.dialect.name
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=lambda item, *_: exists_on(item, dialect),
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# `vibetrading.adapters.store.db.upgrade` passes the (locked) connection in; there is no
# alembic.ini: run `vibetrading db upgrade` instead of the alembic command.
_run(context.config.attributes["connection"])
