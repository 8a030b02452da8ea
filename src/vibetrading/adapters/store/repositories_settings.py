"""SQL repository of per-user settings (one JSON document per user)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from vibetrading.adapters.store.tables import UserSettingsRow

if TYPE_CHECKING:
    from vibetrading.adapters.store.db import Database

__all__ = ["SqlUserSettingsRepository"]


class SqlUserSettingsRepository:
    """The ``user_settings`` table: settings of a user as one JSON document."""

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self._db = database
        self._clock = clock

    def get(self, user_id: str) -> dict[str, Any]:
        """Return the user's settings ({} when none are stored)."""
        with self._db.session() as session:
            row = session.get(UserSettingsRow, user_id)
            return dict(row.data) if row is not None else {}

    def put(self, user_id: str, values: dict[str, Any]) -> None:
        """Replace the user's settings with `values`."""
        with self._db.session() as session:
            row = session.get(UserSettingsRow, user_id)
            if row is None:
                row = UserSettingsRow(user_id=user_id)
                session.add(row)
            row.data = dict(values)
            row.updated_at = self._clock()
