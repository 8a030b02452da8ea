"""AuthService over a SQLite store: passwords, access tokens, refresh rotation and reuse."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from argon2 import PasswordHasher

from vibetrading.errors import ConfigError, Conflict, PermissionDenied
from vibetrading.services.auth import LOCAL_EMAIL, AuthService, hash_refresh_token
from vibetrading.services.records import utc_now

SECRET = "unit-test-secret-long-enough-for-hs256"
OTHER_KEY = "another-key-that-is-also-32-bytes-long"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    """Return a migrated SQLite store."""
    from vibetrading.adapters.store.db import SqlStore, upgrade

    url = f"sqlite:///{(tmp_path / 'auth.db').as_posix()}"
    upgrade(url)
    sql_store = SqlStore(url)
    yield sql_store
    sql_store.close()


@pytest.fixture
def auth(store: Any) -> AuthService:
    """Return the auth service with a cheap hasher."""
    return AuthService(store.users, store.tokens, secret=SECRET, hasher=CHEAP)


def test_auth_short_secret_is_refused(store: Any) -> None:
    with pytest.raises(ConfigError, match="32"):
        AuthService(store.users, store.tokens, secret="short")


def test_auth_register_then_login_verifies_password(auth: AuthService) -> None:
    registered = auth.register(" Ada@Example.com ", "correct horse")

    pair = auth.login("ADA@example.com", "correct horse")

    assert registered.user.email == "ada@example.com"
    assert auth.verify_access(pair.access_token) == registered.user.id


@pytest.mark.parametrize(
    ("email", "password"),
    [("not-an-email", "long enough"), (LOCAL_EMAIL, "long enough"), ("a@b.co", "short")],
    ids=["bad-email", "local-email", "short-password"],
)
def test_auth_register_bad_input_is_config_error(
    auth: AuthService, email: str, password: str
) -> None:
    with pytest.raises(ConfigError):
        auth.register(email, password)


def test_auth_register_taken_email_is_conflict(auth: AuthService) -> None:
    auth.register("a@b.co", "long enough")

    with pytest.raises(Conflict):
        auth.register("A@B.CO", "long enough")


def test_auth_login_wrong_password_or_unknown_user_is_denied(auth: AuthService) -> None:
    auth.register("a@b.co", "long enough")

    with pytest.raises(PermissionDenied):
        auth.login("a@b.co", "wrong password")
    with pytest.raises(PermissionDenied):
        auth.login("nobody@b.co", "long enough")


class _CountingHasher(PasswordHasher):
    """A cheap hasher that counts the password checks it makes."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified += 1
        return super().verify(hash, password)


@pytest.mark.parametrize(
    "email", ["nobody@b.co", "off@b.co", LOCAL_EMAIL], ids=["unknown", "disabled", "local"]
)
def test_auth_login_that_cannot_succeed_still_checks_a_password_hash(
    store: Any, email: str
) -> None:
    hasher = _CountingHasher()
    auth = AuthService(store.users, store.tokens, secret=SECRET, hasher=hasher)
    off = auth.register("off@b.co", "long enough").user
    store.users.update(off.id, is_active=False)
    auth.local_user()
    hasher.verified = 0

    with pytest.raises(PermissionDenied):
        auth.login(email, "long enough")

    assert hasher.verified == 1


def test_auth_login_disabled_user_is_denied(auth: AuthService, store: Any) -> None:
    user = auth.register("a@b.co", "long enough").user
    store.users.update(user.id, is_active=False)

    with pytest.raises(PermissionDenied):
        auth.login("a@b.co", "long enough")


def test_auth_login_rehashes_weaker_hash(store: Any) -> None:
    weak = AuthService(store.users, store.tokens, secret=SECRET, hasher=CHEAP)
    user = weak.register("a@b.co", "long enough").user
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    strong = AuthService(store.users, store.tokens, secret=SECRET, hasher=stronger)

    strong.login("a@b.co", "long enough")

    assert not stronger.check_needs_rehash(store.users.get(user.id).password_hash)


def test_auth_refresh_rotates_and_reuse_revokes_family(auth: AuthService) -> None:
    first = auth.register("a@b.co", "long enough")
    second = auth.refresh(first.refresh_token)

    with pytest.raises(PermissionDenied, match="used before"):
        auth.refresh(first.refresh_token)
    with pytest.raises(PermissionDenied):
        auth.refresh(second.refresh_token)


def test_auth_refresh_other_families_survive_reuse(auth: AuthService) -> None:
    phone = auth.register("a@b.co", "long enough")
    laptop = auth.login("a@b.co", "long enough")
    auth.refresh(phone.refresh_token)

    with pytest.raises(PermissionDenied):
        auth.refresh(phone.refresh_token)

    assert auth.refresh(laptop.refresh_token).user.email == "a@b.co"


def test_auth_refresh_unknown_or_expired_is_denied(auth: AuthService, store: Any) -> None:
    pair = auth.register("a@b.co", "long enough")
    auth.clock = lambda: utc_now() + timedelta(days=60)

    with pytest.raises(PermissionDenied, match="expired"):
        auth.refresh(pair.refresh_token)
    with pytest.raises(PermissionDenied, match="Unknown"):
        auth.refresh("nope")


def test_auth_logout_revokes_and_everywhere_counts(auth: AuthService, store: Any) -> None:
    pair = auth.register("a@b.co", "long enough")
    other = auth.login("a@b.co", "long enough")

    auth.logout(pair.refresh_token)
    auth.logout("unknown token is ignored")
    revoked = auth.logout_everywhere(pair.user.id)

    assert store.tokens.get_by_hash(hash_refresh_token(pair.refresh_token)).revoked_at
    assert revoked == 1
    with pytest.raises(PermissionDenied):
        auth.refresh(other.refresh_token)


def test_auth_verify_access_refuses_expired_forged_and_wrong_type(auth: AuthService) -> None:
    user = auth.register("a@b.co", "long enough").user
    auth.clock = lambda: utc_now() - timedelta(hours=2)
    expired = auth.access_token(user.id)
    auth.clock = utc_now
    forged = jwt.encode(
        {"sub": user.id, "type": "access", "jti": "x", "exp": 9_999_999_999}, OTHER_KEY
    )
    refresh_type = jwt.encode(
        {"sub": user.id, "type": "refresh", "jti": "x", "exp": 9_999_999_999}, SECRET
    )

    for token, reason in [(expired, "expired"), (forged, "invalid"), (refresh_type, "not an")]:
        with pytest.raises(PermissionDenied, match=reason):
            auth.verify_access(token)


def test_auth_local_user_is_created_once(auth: AuthService) -> None:
    first = auth.local_user()

    assert auth.local_user().id == first.id
    with pytest.raises(PermissionDenied):
        auth.login(LOCAL_EMAIL, "anything at all")
