import pytest

from vibetrading.adapters.store.db import SqlStore, upgrade
from vibetrading.bootstrap import build_market_data
from vibetrading.errors import NotFound
from vibetrading.services.backtests import BacktestRequest, BacktestService
from vibetrading.services.records import JobState
from vibetrading.services.stored_runs import latest_run_id, load_outcome, save_outcome
from vibetrading.services.strategies import read_strategy

IDEA = "buy when RSI(14) is below 30 and sell above 70 with a 5% stop on SPX, IXIC"


@pytest.fixture(scope="module")
def market_data():
    return build_market_data()


@pytest.fixture
def store():
    store = SqlStore("sqlite://")
    upgrade(store.database)
    yield store
    store.close()


def test_save_then_load_rebuilds_the_outcome_for_its_owner_only(store, market_data):
    alice = store.users.create(email="alice@example.com", password_hash="x")
    bob = store.users.create(email="bob@example.com", password_hash="x")
    request = BacktestRequest(spec=read_strategy(IDEA).spec, fee_rate=0.0, slippage_bps=2.0)
    outcome = BacktestService(market_data).run(request)

    run = save_outcome(store.backtests, alice.id, request, outcome)
    loaded = load_outcome(store.backtests, market_data, alice.id, run.id)

    assert run.status is JobState.SUCCEEDED
    assert latest_run_id(store.backtests, alice.id) == run.id
    assert latest_run_id(store.backtests, bob.id) is None
    with pytest.raises(NotFound):
        load_outcome(store.backtests, market_data, bob.id, run.id)
    assert loaded.request.fee_rate == 0.0
    assert loaded.request.slippage_bps == 2.0
    assert loaded.request.spec == request.spec
    assert loaded.outcome is not None
    assert list(loaded.outcome.bars) == ["SPX", "IXIC"]
    assert set(loaded.outcome.indicators) == {"SPX RSI(14)", "IXIC RSI(14)"}
    assert len(loaded.outcome.result.trades) == len(outcome.result.trades)
    assert loaded.outcome.result.to_dict(include_stats=True)["stats"]["sharpe"] == pytest.approx(
        outcome.stats["sharpe"]
    )


def test_load_failed_run_returns_its_error(store, market_data):
    alice = store.users.create(email="alice@example.com", password_hash="x")
    run = store.backtests.create_run(alice.id, request={"symbols": ["SPX"]})
    store.backtests.set_status(alice.id, run.id, JobState.RUNNING)
    store.backtests.set_status(
        alice.id, run.id, JobState.FAILED, error={"detail": "No data for NOPE."}
    )

    loaded = load_outcome(store.backtests, market_data, alice.id, run.id)

    assert loaded.outcome is None
    assert loaded.error == "No data for NOPE."
