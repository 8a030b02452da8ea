"""In-memory fakes of the user-settings ports: a settings repository and a cipher."""

from __future__ import annotations

import base64
import copy
from typing import Any

from vibetrading.errors import ConfigError

__all__ = ["MemoryUserSettingsRepository", "ReversibleCipher", "memory_user_settings"]


class MemoryUserSettingsRepository:
    """Settings documents per user in a dict (deep-copied in and out, like a database)."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    def get(self, user_id: str) -> dict[str, Any]:
        return copy.deepcopy(self.rows.get(user_id, {}))

    def put(self, user_id: str, values: dict[str, Any]) -> None:
        self.rows[user_id] = copy.deepcopy(values)


class ReversibleCipher:
    """A stand-in cipher: base64 with a marker, so tests can see a key is never stored
    in the clear without paying for real cryptography."""

    _MARK = "enc:"

    def encrypt(self, text: str) -> str:
        return self._MARK + base64.urlsafe_b64encode(text[::-1].encode()).decode()

    def decrypt(self, token: str) -> str:
        if not token.startswith(self._MARK):
            raise ConfigError("A stored secret cannot be decrypted.")
        return base64.urlsafe_b64decode(token[len(self._MARK) :]).decode()[::-1]


def memory_user_settings() -> Any:
    """Return a ``UserSettingsService`` over the in-memory repository and fake cipher."""
    from vibetrading.services.user_settings import UserSettingsService

    return UserSettingsService(MemoryUserSettingsRepository(), ReversibleCipher())
