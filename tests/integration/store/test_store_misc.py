from datetime import UTC, datetime, timedelta

import pytest

from vibetrading.errors import Conflict, NotFound
from vibetrading.services.records import ListQuery, new_id

pytestmark = pytest.mark.integration


def test_market_cache_put_get_and_expire(store):
    key = f"quote:{new_id()}"
    forever = f"symbols:{new_id()}"

    entry = store.market_cache.put(key, {"price": 101.5}, ttl_s=60)
    store.market_cache.put(forever, {"list": ["SPX"]})
    store.market_cache.put(key, {"price": 102.0}, ttl_s=60)

    assert store.market_cache.get(key).value == {"price": 102.0}
    assert entry.expires_at > entry.created_at
    assert store.market_cache.get(key, now=datetime.now(UTC) + timedelta(minutes=2)) is None
    assert store.market_cache.purge_expired(now=datetime.now(UTC) + timedelta(minutes=2)) >= 1
    assert store.market_cache.get(forever).value == {"list": ["SPX"]}
    store.market_cache.delete(forever)
    assert store.market_cache.get(forever) is None


def test_research_summaries_round_trip_scoped_and_filtered(store, user, other_user):
    spx = store.research.add(user.id, symbol="SPX", title="Trend", content="Up.", meta={"n": 1})
    store.research.add(user.id, symbol="GOOG", title="Range", content="Flat.", engine="offline")

    by_symbol = store.research.list(user.id, ListQuery(filters={"symbol": "SPX"}))

    assert store.research.get(user.id, spx.id) == spx
    assert by_symbol.items == [spx]
    assert store.research.list(user.id, ListQuery(sort="symbol")).total == 2
    with pytest.raises(NotFound):
        store.research.get(other_user.id, spx.id)


def test_transaction_error_rolls_back_every_step(store, user):
    name = f"atomic-{new_id()}"

    def create_both() -> None:
        with store.transaction():
            store.strategies.create(user.id, name=name, kind="spec", spec={"a": 1})
            store.users.create(email=user.email, password_hash="dup")

    with pytest.raises(Conflict):
        create_both()

    names = [s.name for s in store.strategies.list(user.id, ListQuery(limit=200)).items]
    assert name not in names


def test_transaction_commits_steps_together_and_nests(store, user):
    with store.transaction():
        strategy = store.strategies.create(user.id, name="together", kind="spec", spec={"a": 1})
        with store.transaction():
            run = store.backtests.create_run(user.id, request={}, strategy_id=strategy.id)

    assert store.backtests.get_run(user.id, run.id).strategy_id == strategy.id


def test_deleting_a_user_cascades_to_their_data(store, user):
    strategy = store.strategies.create(user.id, name="s", kind="spec", spec={"a": 1})
    store.jobs.create(user.id, kind="backtest", payload={})
    from sqlalchemy import delete

    from vibetrading.adapters.store.tables import UserRow

    with store.database.session() as session:
        session.execute(delete(UserRow).where(UserRow.id == user.id))

    with pytest.raises(NotFound):
        store.strategies.get(user.id, strategy.id)
    assert store.jobs.list(user.id, ListQuery()).total == 0
