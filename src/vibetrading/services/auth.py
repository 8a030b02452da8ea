"""Accounts and sessions: argon2 passwords, short-lived JWTs, rotated refresh tokens.

An access token is an HS256 JWT (``sub`` the user id, ``type`` "access", ``jti``,
``iat``, ``exp``) that lives minutes. A refresh token is a random opaque string; only its
SHA-256 is stored. Every refresh uses the token up and issues the next one of the same
family; presenting a used or revoked token again is treated as theft and revokes the
whole family, so every session of that login ends.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from vibetrading.errors import ConfigError, Conflict, PermissionDenied
from vibetrading.services.ports import RefreshTokenRepository, UserRepository
from vibetrading.services.records import User, new_id, utc_now

__all__ = ["LOCAL_EMAIL", "AuthService", "TokenPair", "default_hasher", "hash_refresh_token"]

LOCAL_EMAIL = "local@localhost"
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")
_ALGORITHM = "HS256"
MIN_PASSWORD = 8
_NO_LOGIN = "!local-no-login"
MAX_PASSWORD = 256


@dataclass(frozen=True)
class TokenPair:
    """What a login or a refresh returns: a bearer access token and the next refresh token."""

    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    user: User
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret


def default_hasher() -> PasswordHasher:
    """Return the argon2id hasher at the OWASP baseline: 19 MiB, 2 passes, 1 lane."""
    return PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


def hash_refresh_token(token: str) -> str:
    """Return the SHA-256 hex digest under which a refresh token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


class AuthService:
    """Register, log in, refresh, log out and verify access tokens.

    Example::

        auth = AuthService(store.users, store.tokens, secret="...")
        pair = auth.register("ada@example.com", "correct horse")
        user_id = auth.verify_access(pair.access_token)
    """

    def __init__(
        self,
        users: UserRepository,
        tokens: RefreshTokenRepository,
        *,
        secret: str,
        access_ttl_s: int = 900,
        refresh_ttl_s: int = 30 * 24 * 3600,
        hasher: PasswordHasher | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if len(secret) < 32:
            raise ConfigError("The JWT secret must be at least 32 characters long.")
        self.users = users
        self.tokens = tokens
        self._secret = secret
        self.access_ttl_s = access_ttl_s
        self.refresh_ttl_s = refresh_ttl_s
        self.hasher = hasher or default_hasher()
        self.clock = clock
        self._dummy: str | None = None

    # -- accounts ----------------------------------------------------------------------

    def register(self, email: str, password: str, *, display_name: str = "") -> TokenPair:
        """Create an account and log it in; raise Conflict if the email is taken."""
        email = _check_email(email)
        _check_password(password)
        if self.users.get_by_email(email) is not None:
            raise Conflict(f"An account with the email {email} exists already; log in instead.")
        user = self.users.create(
            email=email, password_hash=self.hasher.hash(password), display_name=display_name
        )
        return self._issue(user, family_id=new_id())

    def login(self, email: str, password: str) -> TokenPair:
        """Check the password and start a new token family; raise PermissionDenied if wrong."""
        user = self.users.get_by_email(email.strip().lower())
        if user is None or not user.is_active:
            self._check(self._dummy_hash(), password)  # as slow as a known email
            raise PermissionDenied("Wrong email or password.")
        if not self._verify(user, password):
            raise PermissionDenied("Wrong email or password.")
        if self.hasher.check_needs_rehash(user.password_hash):
            self.users.update(user.id, password_hash=self.hasher.hash(password))
        return self._issue(user, family_id=new_id())

    def _verify(self, user: User, password: str) -> bool:
        if not user.password_hash.startswith("$argon2"):  # e.g. the local user: no login
            self._check(self._dummy_hash(), password)
            return False
        return self._check(user.password_hash, password)

    def _check(self, password_hash: str, password: str) -> bool:
        try:
            return bool(self.hasher.verify(password_hash, password))
        except (VerificationError, InvalidHashError):
            return False

    def _dummy_hash(self) -> str:
        # A hash of a random password with this hasher's cost: verifying against it
        # takes as long as a real check, so a login does not tell which emails exist.
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy

    def local_user(self) -> User:
        """Return the single user of local mode, creating it on first use."""
        user = self.users.get_by_email(LOCAL_EMAIL)
        if user is not None:
            return user
        try:
            return self.users.create(
                email=LOCAL_EMAIL,
                password_hash=_NO_LOGIN,
                display_name="Local user",
            )
        except Conflict:  # created meanwhile by another request
            found = self.users.get_by_email(LOCAL_EMAIL)
            if found is None:  # pragma: no cover - would need a concurrent delete
                raise
            return found

    # -- tokens ------------------------------------------------------------------------

    def refresh(self, refresh_token: str) -> TokenPair:
        """Use up `refresh_token` and return the next pair of its family.

        Raises PermissionDenied for an unknown or expired token, and for a token used
        before or revoked: that reuse revokes the whole family.
        """
        stored = self.tokens.get_by_hash(hash_refresh_token(refresh_token))
        if stored is None:
            raise PermissionDenied("Unknown refresh token; log in again.")
        now = self.clock()
        if stored.revoked_at is not None or stored.used_at is not None:
            self.tokens.revoke_family(stored.family_id, now=now)
            raise PermissionDenied(
                "This refresh token was used before; every session of this login was "
                "revoked. Log in again."
            )
        if stored.expires_at <= now:
            raise PermissionDenied("The refresh token expired; log in again.")
        if not self.tokens.mark_used(stored.id, now=now):
            self.tokens.revoke_family(stored.family_id, now=now)
            raise PermissionDenied(
                "This refresh token was used concurrently; the login was revoked. Log in again."
            )
        user = self.users.get(stored.user_id)
        if not user.is_active:
            raise PermissionDenied("This account is disabled.")
        return self._issue(user, family_id=stored.family_id)

    def logout(self, refresh_token: str) -> None:
        """Revoke the family of `refresh_token` (unknown tokens are ignored)."""
        stored = self.tokens.get_by_hash(hash_refresh_token(refresh_token))
        if stored is not None:
            self.tokens.revoke_family(stored.family_id, now=self.clock())

    def logout_everywhere(self, user_id: str) -> int:
        """Revoke every refresh token of the user; return how many."""
        return self.tokens.revoke_user(user_id, now=self.clock())

    def verify_access(self, token: str) -> str:
        """Return the user id of a valid access token; raise PermissionDenied otherwise."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                options={"require": ["exp", "sub", "type", "jti"]},
                leeway=0,
            )
        except jwt.ExpiredSignatureError:
            raise PermissionDenied(
                "The access token expired; get a new one with POST /api/v1/auth/refresh."
            ) from None
        except jwt.PyJWTError:
            raise PermissionDenied("The access token is invalid; log in again.") from None
        if claims.get("type") != "access":
            raise PermissionDenied("This is not an access token.")
        return str(claims["sub"])

    def access_token(self, user_id: str) -> str:
        """Return a fresh access token for `user_id`."""
        now = self.clock()
        claims = {
            "sub": user_id,
            "type": "access",
            "jti": new_id(),
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self.access_ttl_s)).timestamp()),
        }
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def _issue(self, user: User, *, family_id: str) -> TokenPair:
        token = secrets.token_urlsafe(32)
        self.tokens.add(
            user_id=user.id,
            family_id=family_id,
            token_hash=hash_refresh_token(token),
            expires_at=self.clock() + timedelta(seconds=self.refresh_ttl_s),
        )
        return TokenPair(
            access_token=self.access_token(user.id),
            refresh_token=token,
            expires_in=self.access_ttl_s,
            refresh_expires_in=self.refresh_ttl_s,
            user=user,
        )


def _check_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email) or email == LOCAL_EMAIL:
        raise ConfigError(f"{email!r} is not a usable email address.")
    return email


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ConfigError(f"Choose a password of {MIN_PASSWORD} to {MAX_PASSWORD} characters.")
