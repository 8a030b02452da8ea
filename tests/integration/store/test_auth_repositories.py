from datetime import UTC, datetime, timedelta

import pytest

from vibetrading.errors import Conflict, NotFound
from vibetrading.services.records import new_id

pytestmark = pytest.mark.integration


def test_users_create_then_get_and_get_by_email_round_trip(store):
    email = f"Mixed.{new_id()[:6]}@Example.COM"

    created = store.users.create(email=email, password_hash="h1", display_name="Mia")

    assert created.email == email.lower()
    assert store.users.get(created.id) == created
    assert store.users.get_by_email(email.upper()) == created
    assert created.created_at.tzinfo is UTC
    assert created.is_active is True


def test_users_create_taken_email_raises_conflict(store, user):
    with pytest.raises(Conflict, match="taken"):
        store.users.create(email=user.email.upper(), password_hash="h2")


def test_users_get_unknown_raises_not_found(store):
    with pytest.raises(NotFound):
        store.users.get(new_id())
    assert store.users.get_by_email("nobody@example.com") is None


def test_users_update_changes_only_given_fields(store, user):
    updated = store.users.update(user.id, display_name="Alice", is_active=False)

    assert updated.display_name == "Alice"
    assert updated.is_active is False
    assert updated.password_hash == user.password_hash
    assert store.users.update(user.id, password_hash="new").password_hash == "new"


def _token(store, user, family_id=None, days=30):
    return store.tokens.add(
        user_id=user.id,
        family_id=family_id or new_id(),
        token_hash=new_id() + new_id(),
        expires_at=datetime.now(UTC) + timedelta(days=days),
    )


def test_tokens_add_then_get_by_hash_round_trip(store, user):
    token = _token(store, user)

    assert store.tokens.get_by_hash(token.token_hash) == token
    assert token.used_at is None
    assert token.revoked_at is None
    assert store.tokens.get_by_hash("missing") is None


def test_tokens_add_duplicate_hash_raises_conflict(store, user):
    token = _token(store, user)

    with pytest.raises(Conflict):
        store.tokens.add(
            user_id=user.id, family_id=new_id(), token_hash=token.token_hash,
            expires_at=token.expires_at,
        )  # fmt: skip


def test_tokens_mark_used_second_time_reports_reuse(store, user):
    token = _token(store, user)

    assert store.tokens.mark_used(token.id) is True
    assert store.tokens.mark_used(token.id) is False
    assert store.tokens.get_by_hash(token.token_hash).used_at is not None


def test_tokens_revoke_family_revokes_only_that_family(store, user):
    family = new_id()
    first, second, other = (
        _token(store, user, family),
        _token(store, user, family),
        _token(store, user),
    )

    assert store.tokens.revoke_family(family) == 2
    assert store.tokens.revoke_family(family) == 0
    assert store.tokens.get_by_hash(first.token_hash).revoked_at is not None
    assert store.tokens.get_by_hash(second.token_hash).revoked_at is not None
    assert store.tokens.get_by_hash(other.token_hash).revoked_at is None


def test_tokens_revoke_user_revokes_all_of_the_user(store, user, other_user):
    _token(store, user), _token(store, user)
    kept = _token(store, other_user)

    assert store.tokens.revoke_user(user.id) == 2
    assert store.tokens.get_by_hash(kept.token_hash).revoked_at is None


def test_tokens_delete_expired_keeps_live_ones(store, user):
    old = _token(store, user, days=-1)
    live = _token(store, user)

    deleted = store.tokens.delete_expired(before=datetime.now(UTC))

    assert deleted >= 1
    assert store.tokens.get_by_hash(old.token_hash) is None
    assert store.tokens.get_by_hash(live.token_hash) == live
