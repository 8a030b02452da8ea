"""Paper-trading runners in the database: one transaction per bar.

``SqlPaperRunnerRepository`` implements ``PaperRunnerRepository`` over the store's tables
(``paper_accounts``, ``paper_orders``, ``paper_fills``, ``paper_positions``,
``equity_snapshots``, ``paper_runners``). ``save_step`` writes everything one bar changed
(orders, fills, positions, cash, the runner's cursor and resumable state, an equity
snapshot) in a single transaction, so a killed runner never leaves half a bar behind.

The runner's settings live in ``paper_runners.params["config"]`` and its resumable
broker state in ``params["state"]`` (a dedicated column is requested from the store).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vibetrading.adapters.store.db import Database
from vibetrading.adapters.store.tables import (
    EquitySnapshotRow,
    PaperAccountRow,
    PaperFillRow,
    PaperOrderRow,
    PaperPositionRow,
    PaperRunnerRow,
)
from vibetrading.domain.trading.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from vibetrading.domain.trading.orders import Fill, Order
from vibetrading.errors import ConfigError, NotFound
from vibetrading.services.ports import PaperStep, RunnerRecord
from vibetrading.services.records import new_id, utc_now

__all__ = ["SqlPaperRunnerRepository"]

_OPEN_STATUSES = [
    OrderStatus.SUBMITTING.name,
    OrderStatus.ACCEPTED.name,
    OrderStatus.PARTIALLY_FILLED.name,
]


class SqlPaperRunnerRepository:
    """Runners, their account, orders, fills, positions and equity, in SQL tables.

    A runner's ``config`` must name ``user_id`` and ``strategy_id`` (rows it belongs
    to), ``symbol``, ``cash`` and may give ``market``, ``currency``, ``timeframe``,
    ``feed``, ``speed`` and ``mode``.
    """

    def __init__(self, database: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = database
        self._clock = clock

    def create_runner(self, record: RunnerRecord) -> None:
        """Store a new runner and open its account; raise ConfigError if the id exists."""
        config: dict[str, Any] = dict(record.config)
        now = self._clock()
        with self._db.session() as session:
            if session.get(PaperRunnerRow, record.runner_id) is not None:
                raise ConfigError(f"A runner {record.runner_id!r} exists already.")
            account_id = new_id()
            session.add(
                PaperAccountRow(
                    id=account_id,
                    user_id=str(config["user_id"]),
                    name=f"runner {record.runner_id}",
                    market=str(config.get("market", "")),
                    currency=str(config.get("currency", "")),
                    mode=str(config.get("mode", "paper")).upper(),
                    starting_cash=float(config["cash"]),
                    cash=float(config["cash"]),
                    created_at=now,
                    updated_at=now,
                )
            )
            session.flush()
            session.add(
                PaperRunnerRow(
                    id=record.runner_id,
                    account_id=account_id,
                    strategy_id=str(config["strategy_id"]),
                    strategy_version_id=None,
                    symbol=str(config["symbol"]),
                    timeframe=str(config.get("timeframe", "1d")),
                    feed=str(config.get("feed", "replay")),
                    speed=float(config.get("speed") or 0.0),
                    status=record.status,
                    cursor=_datetime(record.cursor),
                    params={"config": config, "state": record.state},
                    error=None,
                    created_at=now,
                    updated_at=now,
                )
            )

    def get_runner(self, runner_id: str) -> RunnerRecord | None:
        """Return a runner, or None."""
        with self._db.session() as session:
            row = session.get(PaperRunnerRow, runner_id)
            return _record(row) if row is not None else None

    def list_runners(self) -> list[RunnerRecord]:
        """Return every runner, oldest first."""
        with self._db.session() as session:
            rows = session.scalars(select(PaperRunnerRow).order_by(PaperRunnerRow.created_at))
            return [_record(row) for row in rows]

    def set_status(self, runner_id: str, status: str, *, error: str | None = None) -> None:
        """Change a runner's status; `error` (kept only while failed) says why it failed."""
        with self._db.session() as session:
            row = self._runner(session, runner_id)
            row.status = status
            row.error = error if status == "failed" else None
            row.updated_at = self._clock()

    def save_step(self, step: PaperStep) -> str:
        """Write one bar: orders, fills, positions, cash, cursor, state, snapshot.

        The runner's status is read in the same transaction and returned: a stop written
        by another process is never overwritten, and the step of a stopped runner is not
        written at all (it is replayed from the stored state on resume).
        """
        now = self._clock()
        with self._db.transaction(), self._db.session() as session:
            # locked: a stop committed while this bar is written waits for it, or wins
            runner = self._runner(session, step.runner_id, lock=True)
            if runner.status == "stopped":
                return runner.status
            account_id = runner.account_id
            ids = {
                order.client_order_id: self._save_order(session, account_id, order, now)
                for order in step.orders
            }
            for fill in step.fills:
                order_id = ids.get(fill.client_order_id) or self._order_id(
                    session, account_id, fill.client_order_id
                )
                session.add(_fill_row(fill, order_id, account_id))
            self._save_positions(session, account_id, step.positions, now)
            account = session.get(PaperAccountRow, account_id)
            if account is not None:
                account.cash = step.cash
                account.updated_at = now
            if step.snapshot is not None:
                timestamp, equity = step.snapshot
                session.merge(
                    EquitySnapshotRow(
                        account_id=account_id,
                        timestamp=_datetime(timestamp),
                        equity=equity,
                        cash=step.cash,
                    )
                )
            runner.cursor = _datetime(step.cursor)
            if step.status is not None:
                runner.status = step.status
            runner.params = {"config": runner.params.get("config", {}), "state": step.state}
            runner.updated_at = now
            return runner.status

    def add_order(self, runner_id: str, order: Order) -> Order:
        """Store a manual order unless its client order id exists; return the stored one."""
        now = self._clock()
        with self._db.transaction(), self._db.session() as session:
            account_id = self._runner(session, runner_id).account_id
            row = self._order_row(session, account_id, order.client_order_id)
            if row is not None:
                return _order(row)
            self._save_order(session, account_id, order, now)
            return order

    def set_order(self, runner_id: str, order: Order) -> None:
        """Write the new state of a stored order (a cancel made outside a bar)."""
        with self._db.transaction(), self._db.session() as session:
            account_id = self._runner(session, runner_id).account_id
            self._save_order(session, account_id, order, self._clock())

    def open_orders(self, runner_id: str) -> list[Order]:
        """Return the runner's working orders, oldest first."""
        with self._db.session() as session:
            account_id = self._runner(session, runner_id).account_id
            rows = session.scalars(
                select(PaperOrderRow)
                .where(
                    PaperOrderRow.account_id == account_id,
                    PaperOrderRow.status.in_(_OPEN_STATUSES),
                )
                .order_by(PaperOrderRow.created_at, PaperOrderRow.client_order_id)
            )
            return [_order(row) for row in rows]

    def orders(self, runner_id: str) -> list[Order]:
        """Return the runner's orders, oldest first."""
        with self._db.session() as session:
            account_id = self._runner(session, runner_id).account_id
            rows = session.scalars(
                select(PaperOrderRow)
                .where(PaperOrderRow.account_id == account_id)
                .order_by(PaperOrderRow.created_at, PaperOrderRow.client_order_id)
            )
            return [_order(row) for row in rows]

    def fills(self, runner_id: str) -> list[Fill]:
        """Return the runner's fills, oldest first."""
        with self._db.session() as session:
            account_id = self._runner(session, runner_id).account_id
            rows = session.execute(
                select(PaperFillRow, PaperOrderRow)
                .join(PaperOrderRow, PaperFillRow.order_id == PaperOrderRow.id)
                .where(PaperFillRow.account_id == account_id)
                .order_by(PaperFillRow.timestamp, PaperFillRow.id)
            )
            return [_fill(fill, order) for fill, order in rows]

    def positions(self, runner_id: str) -> dict[str, float]:
        """Return the runner's positions."""
        with self._db.session() as session:
            account_id = self._runner(session, runner_id).account_id
            rows = session.scalars(
                select(PaperPositionRow).where(PaperPositionRow.account_id == account_id)
            )
            return {row.symbol: row.quantity for row in rows}

    def equity_snapshots(self, runner_id: str) -> list[tuple[pd.Timestamp, float]]:
        """Return the runner's equity snapshots, oldest first."""
        with self._db.session() as session:
            account_id = self._runner(session, runner_id).account_id
            rows = session.scalars(
                select(EquitySnapshotRow)
                .where(EquitySnapshotRow.account_id == account_id)
                .order_by(EquitySnapshotRow.timestamp)
            )
            return [(_timestamp(row.timestamp), row.equity) for row in rows]

    def delete_runner(self, runner_id: str) -> None:
        """Remove a runner, its account and everything they wrote."""
        with self._db.transaction(), self._db.session() as session:
            account_id = self._runner(session, runner_id).account_id
            session.execute(delete(PaperRunnerRow).where(PaperRunnerRow.id == runner_id))
            for table in (EquitySnapshotRow, PaperPositionRow, PaperFillRow, PaperOrderRow):
                session.execute(delete(table).where(table.account_id == account_id))
            session.execute(delete(PaperAccountRow).where(PaperAccountRow.id == account_id))

    def _runner(self, session: Session, runner_id: str, *, lock: bool = False) -> PaperRunnerRow:
        row = session.get(PaperRunnerRow, runner_id, with_for_update=lock)
        if row is None:
            raise NotFound(f"No paper runner {runner_id!r}.")
        return row

    def _order_id(self, session: Session, account_id: str, client_order_id: str) -> str:
        found = session.scalar(
            select(PaperOrderRow.id).where(
                PaperOrderRow.account_id == account_id,
                PaperOrderRow.client_order_id == client_order_id,
            )
        )
        if found is None:
            raise NotFound(f"No order {client_order_id!r} for a fill.")
        return found

    def _order_row(
        self, session: Session, account_id: str, client_order_id: str
    ) -> PaperOrderRow | None:
        return session.scalar(
            select(PaperOrderRow).where(
                PaperOrderRow.account_id == account_id,
                PaperOrderRow.client_order_id == client_order_id,
            )
        )

    def _save_order(self, session: Session, account_id: str, order: Order, now: datetime) -> str:
        row = self._order_row(session, account_id, order.client_order_id)
        if row is None:
            row = PaperOrderRow(
                id=new_id(),
                account_id=account_id,
                client_order_id=order.client_order_id,
                created_at=_datetime(order.created_at) or now,
            )
            session.add(row)
        row.symbol = order.symbol
        row.side = order.side.value
        row.type = order.order_type.value
        row.time_in_force = order.time_in_force.value
        row.quantity = order.quantity
        row.limit_price = order.limit_price
        row.stop_price = order.stop_price
        row.status = order.status.name
        row.reject_reason = order.message or None
        row.filled_quantity = order.filled_quantity
        row.average_price = order.average_price
        row.updated_at = _datetime(order.updated_at) or now
        session.flush()
        return row.id

    def _save_positions(
        self, session: Session, account_id: str, positions: dict[str, float], now: datetime
    ) -> None:
        session.execute(delete(PaperPositionRow).where(PaperPositionRow.account_id == account_id))
        for symbol, quantity in positions.items():
            session.add(
                PaperPositionRow(
                    account_id=account_id,
                    symbol=symbol,
                    quantity=quantity,
                    average_price=0.0,
                    bought_today=0.0,
                    realized_pnl=0.0,
                    updated_at=now,
                )
            )


def _record(row: PaperRunnerRow) -> RunnerRecord:
    params = row.params or {}
    config = dict(params.get("config", {}))
    config["account_id"] = row.account_id
    return RunnerRecord(
        runner_id=row.id,
        config=config,
        status=row.status,
        cursor=_timestamp(row.cursor) if row.cursor is not None else None,
        state=dict(params.get("state") or {}),
        error=row.error,
    )


def _order(row: PaperOrderRow) -> Order:
    return Order(
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=OrderSide(row.side),
        quantity=row.quantity,
        order_type=OrderType(row.type),
        limit_price=row.limit_price,
        stop_price=row.stop_price,
        time_in_force=TimeInForce(row.time_in_force),
        status=OrderStatus[row.status],
        filled_quantity=row.filled_quantity,
        average_price=row.average_price,
        message=row.reject_reason or "",
        created_at=_timestamp(row.created_at),
        updated_at=_timestamp(row.updated_at),
        equity_fraction=None if row.quantity > 0 else 0.0,
    )


def _fill_row(fill: Fill, order_id: str, account_id: str) -> PaperFillRow:
    return PaperFillRow(
        id=new_id(),
        order_id=order_id,
        account_id=account_id,
        symbol=fill.symbol,
        timestamp=_datetime(fill.timestamp),
        quantity=fill.quantity,
        price=fill.price,
        commission=0.0,
        fees=fill.fees,
    )


def _fill(row: PaperFillRow, order: PaperOrderRow) -> Fill:
    return Fill(
        client_order_id=order.client_order_id,
        symbol=row.symbol,
        side=OrderSide(order.side),
        quantity=row.quantity,
        price=row.price,
        fees=row.fees,
        timestamp=_timestamp(row.timestamp),
        order_type=OrderType(order.type),
    )


def _datetime(value: pd.Timestamp | None) -> datetime | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")
    result: datetime = stamp.to_pydatetime()
    return result


def _timestamp(value: datetime) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")
