"""SQL repositories of users and refresh tokens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from vibetrading.adapters.store._query import conflicts_as, require
from vibetrading.adapters.store.tables import RefreshTokenRow, UserRow
from vibetrading.services.records import RefreshToken, User, new_id

if TYPE_CHECKING:
    from vibetrading.adapters.store.db import Database

__all__ = ["SqlRefreshTokenRepository", "SqlUserRepository"]


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        email=row.email,
        password_hash=row.password_hash,
        display_name=row.display_name,
        is_active=row.is_active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _token(row: RefreshTokenRow) -> RefreshToken:
    return RefreshToken(
        id=row.id,
        user_id=row.user_id,
        family_id=row.family_id,
        token_hash=row.token_hash,
        expires_at=row.expires_at,
        created_at=row.created_at,
        used_at=row.used_at,
        revoked_at=row.revoked_at,
    )


class SqlUserRepository:
    """Users in the ``users`` table; emails are stored lower-case and unique."""

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self._db = database
        self._clock = clock

    def create(self, *, email: str, password_hash: str, display_name: str = "") -> User:
        """Add a user; raise Conflict if the email is taken."""
        now = self._clock()
        row = UserRow(
            id=new_id(),
            email=email.strip().lower(),
            password_hash=password_hash,
            display_name=display_name,
            is_active=True,
            created_at=now,
            updated_at=now,
        )
        with self._db.session() as session, conflicts_as(f"Email {row.email!r} is taken."):
            session.add(row)
            session.flush()
            return _user(row)

    def get(self, user_id: str) -> User:
        """Return the user or raise NotFound."""
        with self._db.session() as session:
            return _user(require(session.get(UserRow, user_id), "User", user_id))

    def get_by_email(self, email: str) -> User | None:
        """Return the user with this email (any case), or None."""
        with self._db.session() as session:
            row = session.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))
            return _user(row) if row else None

    def update(
        self,
        user_id: str,
        *,
        display_name: str | None = None,
        password_hash: str | None = None,
        is_active: bool | None = None,
    ) -> User:
        """Change the given fields (None leaves a field alone) and return the user."""
        with self._db.session() as session:
            row = require(session.get(UserRow, user_id), "User", user_id)
            if display_name is not None:
                row.display_name = display_name
            if password_hash is not None:
                row.password_hash = password_hash
            if is_active is not None:
                row.is_active = is_active
            row.updated_at = self._clock()
            session.flush()
            return _user(row)


class SqlRefreshTokenRepository:
    """Refresh-token hashes in the ``auth_tokens`` table."""

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self._db = database
        self._clock = clock

    def add(
        self, *, user_id: str, family_id: str, token_hash: str, expires_at: datetime
    ) -> RefreshToken:
        """Store a new token hash; raise Conflict if the hash exists."""
        row = RefreshTokenRow(
            id=new_id(),
            user_id=user_id,
            family_id=family_id,
            token_hash=token_hash,
            expires_at=expires_at,
            created_at=self._clock(),
        )
        with self._db.session() as session, conflicts_as("Refresh token already stored."):
            session.add(row)
            session.flush()
            return _token(row)

    def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        """Return the token with this hash, or None."""
        with self._db.session() as session:
            row = session.scalar(
                select(RefreshTokenRow).where(RefreshTokenRow.token_hash == token_hash)
            )
            return _token(row) if row else None

    def mark_used(self, token_id: str, *, now: datetime | None = None) -> bool:
        """Set used_at atomically; return False if it was already used (a reuse)."""
        statement = (
            update(RefreshTokenRow)
            .where(RefreshTokenRow.id == token_id, RefreshTokenRow.used_at.is_(None))
            .values(used_at=now or self._clock())
        )
        with self._db.session() as session:
            return _rowcount(session.execute(statement)) == 1

    def revoke_family(self, family_id: str, *, now: datetime | None = None) -> int:
        """Revoke every unrevoked token of the family; return how many."""
        return self._revoke(RefreshTokenRow.family_id == family_id, now)

    def revoke_user(self, user_id: str, *, now: datetime | None = None) -> int:
        """Revoke every unrevoked token of the user; return how many."""
        return self._revoke(RefreshTokenRow.user_id == user_id, now)

    def _revoke(self, condition: object, now: datetime | None) -> int:
        statement = (
            update(RefreshTokenRow)
            .where(condition, RefreshTokenRow.revoked_at.is_(None))  # type: ignore[arg-type]
            .values(revoked_at=now or self._clock())
        )
        with self._db.session() as session:
            return _rowcount(session.execute(statement))

    def delete_expired(self, *, before: datetime) -> int:
        """Delete tokens that expired before `before`; return how many."""
        statement = delete(RefreshTokenRow).where(RefreshTokenRow.expires_at < before)
        with self._db.session() as session:
            return _rowcount(session.execute(statement))


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0))
