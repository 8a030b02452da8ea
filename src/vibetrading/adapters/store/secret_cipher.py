"""Fernet encryption of stored secrets, with its key kept in a 0600 file of the data dir."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from vibetrading.errors import ConfigError

__all__ = ["FernetCipher", "load_or_create_key"]


def load_or_create_key(path: Path) -> bytes:
    """Return the Fernet key in `path`, creating it (mode 0600) on first use."""
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    return key


class FernetCipher:
    """Encrypt and decrypt short secrets with Fernet (AES-128-CBC and HMAC-SHA256)."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_key_file(cls, path: Path) -> FernetCipher:
        """Return the cipher of the key in `path` (created on first use)."""
        return cls(load_or_create_key(path))

    def encrypt(self, text: str) -> str:
        """Return `text` encrypted, as URL-safe base64."""
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Return the text of `token`; raise ConfigError when the key does not fit."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError) as e:
            raise ConfigError(
                "A stored secret cannot be decrypted: the settings key file changed. "
                "Enter the API key again in Settings."
            ) from e
