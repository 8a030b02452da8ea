"""The paper runners' Core SQL (writes of a step, the light read between bars) on SQLite
and PostgreSQL."""

import pandas as pd
import pytest

from vibetrading.adapters.store.paper_repository import SqlPaperRunnerRepository
from vibetrading.domain.trading.enums import OrderSide, OrderStatus
from vibetrading.domain.trading.orders import Fill, Order
from vibetrading.errors import NotFound
from vibetrading.services.ports import PaperStep, PaperStepSnapshot, RunnerRecord
from vibetrading.services.records import new_id

pytestmark = pytest.mark.integration

T0, T1, T2 = (pd.Timestamp(day, tz="UTC") for day in ("2024-01-02", "2024-01-03", "2024-01-04"))


@pytest.fixture
def runner(store, user):
    strategy = store.strategies.create(user.id, name="s", kind="spec", spec={"name": "s"})
    repository = SqlPaperRunnerRepository(store.database)
    runner_id = f"r{new_id()[:11]}"
    config = {"user_id": user.id, "strategy_id": strategy.id, "symbol": "SPX", "cash": 1000.0}
    repository.create_runner(RunnerRecord(runner_id=runner_id, config=config))
    return repository, runner_id


def step(runner_id, cursor, orders=(), fills=(), snapshots=(), positions=None):
    return PaperStep(
        runner_id=runner_id,
        cursor=cursor,
        orders=list(orders),
        fills=list(fills),
        positions=positions or {},
        cash=900.0,
        equity=1001.0,
        state={"broker": {"cursor": cursor.isoformat()}},
        snapshots=[PaperStepSnapshot(t, equity, 900.0) for t, equity in snapshots],
    )


def test_save_step_and_read_inbox_round_trip(runner):
    repository, runner_id = runner
    entry = Order(f"{runner_id}-e", "SPX", OrderSide.BUY, quantity=2, created_at=T0).accepted(T0)
    fill = Fill(entry.client_order_id, "SPX", OrderSide.BUY, 2, 100.0, 0.5, T1)
    manual = Order("m1", "SPX", OrderSide.SELL, quantity=1, limit_price=120.0, created_at=T1)
    repository.set_status(runner_id, "running")

    first = repository.save_step(step(runner_id, T0, [entry], snapshots=[(T0, 1000.0)]))
    repository.save_step(
        step(runner_id, T1, [entry.with_fill(fill)], [fill], [(T1, 1001.0)], {"SPX": 2.0})
    )
    repository.add_order(runner_id, manual.accepted(T1))
    inbox = repository.read_inbox(runner_id)

    assert first == "running"
    assert inbox.status == "running"
    assert [(o.client_order_id, o.status) for o in inbox.open_orders] == [
        ("m1", OrderStatus.ACCEPTED)
    ]
    assert inbox.open_orders[0].limit_price == 120.0
    record = repository.get_runner(runner_id)
    assert record.cursor == T1
    assert record.state == {"broker": {"cursor": T1.isoformat()}}
    assert record.config["symbol"] == "SPX"
    assert [o.status for o in repository.orders(runner_id)] == [
        OrderStatus.FILLED,
        OrderStatus.ACCEPTED,
    ]
    assert repository.fills(runner_id) == [fill]
    assert repository.positions(runner_id) == {"SPX": 2.0}
    assert repository.equity_snapshots(runner_id) == [(T0, 1000.0), (T1, 1001.0)]


def test_replayed_snapshots_replace_the_stored_ones_and_a_stop_blocks_writes(runner):
    repository, runner_id = runner
    repository.save_step(step(runner_id, T1, snapshots=[(T0, 1000.0), (T1, 1001.0)]))
    repository.save_step(step(runner_id, T2, snapshots=[(T1, 1002.0), (T2, 1003.0)]))
    repository.set_status(runner_id, "stopped")

    status = repository.save_step(step(runner_id, T2 + pd.Timedelta(days=1)))

    assert status == "stopped"
    assert repository.get_runner(runner_id).cursor == T2
    assert repository.equity_snapshots(runner_id) == [(T0, 1000.0), (T1, 1002.0), (T2, 1003.0)]
    with pytest.raises(NotFound):
        repository.read_inbox("r-missing")
