import pandas as pd
import pytest

from vibetrading.adapters.store.db import SqlStore, upgrade
from vibetrading.adapters.store.paper_repository import SqlPaperRunnerRepository
from vibetrading.domain.trading.enums import OrderSide, RejectReason
from vibetrading.domain.trading.orders import Fill, Order
from vibetrading.errors import ConfigError, NotFound
from vibetrading.services.ports import PaperStep, PaperStepSnapshot, RunnerRecord

T0 = pd.Timestamp("2024-01-02", tz="UTC")
T1 = pd.Timestamp("2024-01-03", tz="UTC")


@pytest.fixture
def store(tmp_path):
    url = f"sqlite:///{tmp_path / 'paper.db'}"
    upgrade(url)
    store = SqlStore(url)
    yield store
    store.close()


@pytest.fixture
def repository(store):
    user = store.users.create(email="p@example.com", password_hash="x")
    strategy = store.strategies.create(user.id, name="s", kind="spec", spec={"name": "s"})
    repo = SqlPaperRunnerRepository(store.database)
    config = {"user_id": user.id, "strategy_id": strategy.id, "symbol": "AAPL", "cash": 1000.0}
    repo.create_runner(RunnerRecord(runner_id="r1", config=config))
    return repo


def step(orders, fills, cursor=T0, positions=None, snapshots=(), state=None):
    return PaperStep(
        runner_id="r1",
        cursor=cursor,
        orders=orders,
        fills=fills,
        positions=positions or {},
        cash=900.0,
        equity=1001.0,
        state=state or {"broker": {"n": 1}},
        snapshots=[PaperStepSnapshot(t, e, 900.0) for t, e in snapshots],
    )


def test_save_step_writes_orders_fills_positions_cursor_and_snapshot(repository):
    order = Order("r1-a", "AAPL", OrderSide.BUY, quantity=1, created_at=T0).accepted(T0)
    fill = Fill("r1-a", "AAPL", OrderSide.BUY, 1, 100.0, 1.0, T1)

    repository.save_step(step([order], [], snapshots=[(T0, 1000.0)]))
    repository.save_step(
        step([order.with_fill(fill)], [fill], cursor=T1, positions={"AAPL": 1.0},
             snapshots=[(T1, 1001.0)], state={"broker": {"n": 2}})
    )  # fmt: skip

    record = repository.get_runner("r1")
    assert record.cursor == T1
    assert record.state == {"broker": {"n": 2}}
    assert record.config["symbol"] == "AAPL"
    assert [o.status.value for o in repository.orders("r1")] == ["filled"]
    assert repository.fills("r1") == [fill]
    assert repository.positions("r1") == {"AAPL": 1.0}
    assert repository.equity_snapshots("r1") == [(T0, 1000.0), (T1, 1001.0)]


def test_rejected_sized_order_round_trips(repository):
    order = Order("r1-b", "AAPL", OrderSide.BUY, equity_fraction=1.0).rejected(
        RejectReason.INSUFFICIENT_CASH, "no lot", T0
    )

    repository.save_step(step([order], []))

    stored = repository.orders("r1")[0]
    assert stored.status.value == "rejected"
    assert "not enough cash" in stored.message


def test_runner_lifecycle_status_list_and_delete(repository):
    repository.set_status("r1", "stopped")

    runners = repository.list_runners()
    repository.delete_runner("r1")

    assert [(r.runner_id, r.status) for r in runners] == [("r1", "stopped")]
    assert repository.get_runner("r1") is None
    with pytest.raises(NotFound):
        repository.orders("r1")


def test_create_runner_twice_raises(repository):
    record = repository.get_runner("r1")

    with pytest.raises(ConfigError):
        repository.create_runner(record)


def test_fill_of_unknown_order_raises_and_writes_nothing(repository):
    fill = Fill("nope", "AAPL", OrderSide.BUY, 1, 100.0, 1.0, T1)

    with pytest.raises(NotFound):
        repository.save_step(step([], [fill], cursor=T1))

    assert repository.get_runner("r1").cursor is None


def test_save_step_returns_status_and_never_overwrites_a_stop(repository):
    repository.set_status("r1", "running")
    running = repository.save_step(step([], []))
    repository.set_status("r1", "stopped")

    after_stop = repository.save_step(step([], [], cursor=T1, state={"broker": {"n": 9}}))

    assert running == "running"
    assert after_stop == "stopped"
    record = repository.get_runner("r1")
    assert record.status == "stopped"
    assert record.cursor == T0  # the stopped runner's bar was not written
    assert record.state == {"broker": {"n": 1}}


def test_set_status_failed_keeps_the_reason_until_it_runs_again(repository):
    repository.set_status("r1", "failed", error="StrategyError: boom")
    failed = repository.get_runner("r1")
    repository.set_status("r1", "running")

    assert failed.status == "failed"
    assert failed.error == "StrategyError: boom"
    assert repository.get_runner("r1").error is None


def test_add_order_is_idempotent_and_open_orders_lists_working_ones(repository):
    first = Order("m1", "AAPL", OrderSide.BUY, quantity=1, created_at=T0).accepted(T0)
    again = Order("m1", "AAPL", OrderSide.BUY, quantity=5, created_at=T0).accepted(T0)
    rejected = Order("m2", "AAPL", OrderSide.BUY, quantity=1).rejected(
        RejectReason.MARKET_CLOSED, "closed", T0
    )

    stored = repository.add_order("r1", first)
    kept = repository.add_order("r1", again)
    repository.add_order("r1", rejected)
    working = repository.open_orders("r1")
    repository.set_order("r1", first.cancelled("by request", at=T1))

    assert stored is first
    assert kept.quantity == 1
    assert [o.client_order_id for o in working] == ["m1"]
    assert repository.open_orders("r1") == []
    assert {o.client_order_id: o.status.value for o in repository.orders("r1")} == {
        "m1": "cancelled",
        "m2": "rejected",
    }


def test_read_inbox_returns_status_and_working_orders_oldest_first(repository):
    placed = Order("m1", "AAPL", OrderSide.BUY, quantity=1, created_at=T0).accepted(T0)
    later = Order("m2", "AAPL", OrderSide.SELL, quantity=1, limit_price=9.0, created_at=T1)
    filled = Order("r1-a", "AAPL", OrderSide.BUY, quantity=1, created_at=T0).accepted(T0)
    fill = Fill("r1-a", "AAPL", OrderSide.BUY, 1, 100.0, 1.0, T1)
    repository.save_step(step([filled.with_fill(fill)], [fill], cursor=T1))
    repository.add_order("r1", later.accepted(T1))
    repository.add_order("r1", placed)
    repository.set_status("r1", "running")

    inbox = repository.read_inbox("r1")
    repository.set_status("r1", "stopped")

    assert inbox.status == "running"
    assert [o.client_order_id for o in inbox.open_orders] == ["m1", "m2"]
    assert inbox.open_orders[1].limit_price == 9.0
    assert inbox.open_orders[0].created_at == T0
    assert repository.read_inbox("r1").status == "stopped"
    with pytest.raises(NotFound):
        repository.read_inbox("nope")


def test_save_step_writes_a_batch_of_snapshots_and_replaces_replayed_ones(repository):
    t2 = pd.Timestamp("2024-01-04", tz="UTC")
    repository.save_step(step([], [], cursor=T1, snapshots=[(T0, 1000.0), (T1, 1001.0)]))

    repository.save_step(step([], [], cursor=t2, snapshots=[(T1, 1002.0), (t2, 1003.0)]))

    assert repository.equity_snapshots("r1") == [(T0, 1000.0), (T1, 1002.0), (t2, 1003.0)]
    assert repository.get_runner("r1").cursor == t2


def test_save_step_of_a_runner_created_again_writes_its_new_config(store, repository):
    repository.save_step(step([], []))
    config = dict(repository.get_runner("r1").config, symbol="MSFT")
    config.pop("account_id")
    repository.delete_runner("r1")
    repository.create_runner(RunnerRecord(runner_id="r1", config=config))

    repository.save_step(step([], [], cursor=T1))

    assert repository.get_runner("r1").config["symbol"] == "MSFT"
    assert repository.get_runner("r1").cursor == T1
