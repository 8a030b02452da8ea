"""Paper-trading runners in the database: one transaction per write of a runner.

``SqlPaperRunnerRepository`` implements ``PaperRunnerRepository`` over the store's tables
(``paper_accounts``, ``paper_orders``, ``paper_fills``, ``paper_positions``,
``equity_snapshots``, ``paper_runners``). ``save_step`` writes everything the bars since
the last write changed (orders, fills, positions, cash, the runner's cursor and
resumable state, equity snapshots) in a single transaction, so a killed runner never
leaves half a bar behind. ``read_inbox`` is the light read a running runner makes
between bars: its status and working orders in one query. Both are Core statements
(no ORM objects loaded): they are the hot path of a replay.

The runner's settings live in ``paper_runners.params["config"]`` and its resumable
broker state in ``params["state"]`` (a dedicated column is requested from the store).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

import pandas as pd
from sqlalchemy import (
    Connection,
    Row,
    Table,
    and_,
    bindparam,
    delete,
    insert,
    select,
    update,
)
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
from vibetrading.services.ports import PaperStep, RunnerInbox, RunnerRecord
from vibetrading.services.records import new_id, utc_now

__all__ = ["SqlPaperRunnerRepository"]

_OPEN_STATUSES = [
    OrderStatus.SUBMITTING.name,
    OrderStatus.ACCEPTED.name,
    OrderStatus.PARTIALLY_FILLED.name,
]
# the tables themselves, for Core statements (the ORM's __table__ is typed as a FromClause)
_RUNNERS = cast(Table, PaperRunnerRow.__table__)
_ACCOUNTS = cast(Table, PaperAccountRow.__table__)
_ORDERS = cast(Table, PaperOrderRow.__table__)
_FILLS = cast(Table, PaperFillRow.__table__)
_POSITIONS = cast(Table, PaperPositionRow.__table__)
_SNAPSHOTS = cast(Table, EquitySnapshotRow.__table__)
_ORDER_FIELDS = (
    "client_order_id", "symbol", "side", "type", "time_in_force", "quantity", "limit_price",
    "stop_price", "status", "reject_reason", "filled_quantity", "average_price",
    "created_at", "updated_at",
)  # fmt: skip

# Built once: the statements a running runner sends between and at its bars.
_INBOX = (
    select(_RUNNERS.c.status.label("runner_status"), *(_ORDERS.c[name] for name in _ORDER_FIELDS))
    .select_from(
        _RUNNERS.outerjoin(
            _ORDERS,
            and_(
                _ORDERS.c.account_id == _RUNNERS.c.account_id,
                _ORDERS.c.status.in_(_OPEN_STATUSES),
            ),
        )
    )
    .where(_RUNNERS.c.id == bindparam("runner_id"))
    .order_by(_ORDERS.c.created_at, _ORDERS.c.client_order_id)
)
_LOCK_RUNNER = (
    select(_RUNNERS.c.status, _RUNNERS.c.account_id)
    .where(_RUNNERS.c.id == bindparam("runner_id"))
    .with_for_update()
)


class SqlPaperRunnerRepository:
    """Runners, their account, orders, fills, positions and equity, in SQL tables.

    A runner's ``config`` must name ``user_id`` and ``strategy_id`` (rows it belongs
    to), ``symbol``, ``cash`` and may give ``market``, ``currency``, ``timeframe``,
    ``feed``, ``speed`` and ``mode``.
    """

    def __init__(self, database: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = database
        self._clock = clock
        self._configs: dict[str, tuple[str, Any]] = {}  # runner id -> (account id, config)

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
        """Write a step: orders, fills, positions, cash, cursor, state, snapshots.

        The runner's status is read in the same transaction and returned: a stop written
        by another process is never overwritten, and the step of a stopped runner is not
        written at all (it is replayed from the stored state on resume). Snapshots at or
        after the step's first one are replaced (a replayed bar writes its own again).
        """
        now = self._clock()
        with self._db.transaction(), self._db.session() as session:
            connection = session.connection()
            # locked: a stop committed while this step is written waits for it, or wins
            found = connection.execute(_LOCK_RUNNER, {"runner_id": step.runner_id}).first()
            if found is None:
                raise NotFound(f"No paper runner {step.runner_id!r}.")
            status, account_id = found
            if status == "stopped":
                return str(status)
            config = self._config(connection, step.runner_id, account_id)
            ids = {
                order.client_order_id: self._write_order(connection, account_id, order, now)
                for order in step.orders
            }
            if step.fills:
                connection.execute(
                    insert(_FILLS),
                    [
                        _fill_values(fill, self._fill_order_id(connection, account_id, ids, fill))
                        | {"account_id": account_id}
                        for fill in step.fills
                    ],
                )
            self._write_positions(connection, account_id, step.positions, now)
            connection.execute(
                update(_ACCOUNTS)
                .where(_ACCOUNTS.c.id == account_id)
                .values(cash=step.cash, updated_at=now)
            )
            self._write_snapshots(connection, account_id, step)
            runner: dict[str, Any] = {
                "cursor": _datetime(step.cursor),
                "params": {"config": config, "state": step.state},
                "updated_at": now,
            }
            if step.status is not None:
                runner["status"] = status = step.status
            connection.execute(
                update(_RUNNERS).where(_RUNNERS.c.id == step.runner_id).values(**runner)
            )
            return str(status)

    def read_inbox(self, runner_id: str) -> RunnerInbox:
        """Return the runner's status and working orders (oldest first), in one query."""
        with self._db.session(read_only=True) as session:
            rows = session.connection().execute(_INBOX, {"runner_id": runner_id}).all()
        if not rows:
            raise NotFound(f"No paper runner {runner_id!r}.")
        orders = [_order(row) for row in rows if row.client_order_id is not None]
        return RunnerInbox(status=str(rows[0].runner_status), open_orders=orders)

    def add_order(self, runner_id: str, order: Order) -> Order:
        """Store a manual order unless its client order id exists; return the stored one."""
        now = self._clock()
        with self._db.transaction(), self._db.session() as session:
            account_id = self._runner(session, runner_id).account_id
            row = self._order_row(session, account_id, order.client_order_id)
            if row is not None:
                return _order(row)
            self._write_order(session.connection(), account_id, order, now)
            return order

    def set_order(self, runner_id: str, order: Order) -> None:
        """Write the new state of a stored order (a cancel made outside a bar)."""
        with self._db.transaction(), self._db.session() as session:
            account_id = self._runner(session, runner_id).account_id
            self._write_order(session.connection(), account_id, order, self._clock())

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

    def _config(self, connection: Connection, runner_id: str, account_id: str) -> Any:
        # The settings never change while the runner exists (a runner created again under
        # the same id has a new account): read them once, not with the state at each write.
        known = self._configs.get(runner_id)
        if known is not None and known[0] == account_id:
            return known[1]
        params = connection.execute(
            select(_RUNNERS.c.params).where(_RUNNERS.c.id == runner_id)
        ).scalar_one()
        config = (params or {}).get("config", {})
        self._configs[runner_id] = (account_id, config)
        return config

    def _fill_order_id(
        self, connection: Connection, account_id: str, ids: dict[str, str], fill: Fill
    ) -> str:
        known = ids.get(fill.client_order_id)
        if known is not None:
            return known
        found = connection.execute(
            select(_ORDERS.c.id).where(
                _ORDERS.c.account_id == account_id,
                _ORDERS.c.client_order_id == fill.client_order_id,
            )
        ).scalar()
        if found is None:
            raise NotFound(f"No order {fill.client_order_id!r} for a fill.")
        return str(found)

    def _order_row(
        self, session: Session, account_id: str, client_order_id: str
    ) -> PaperOrderRow | None:
        return session.scalar(
            select(PaperOrderRow).where(
                PaperOrderRow.account_id == account_id,
                PaperOrderRow.client_order_id == client_order_id,
            )
        )

    def _write_order(
        self, connection: Connection, account_id: str, order: Order, now: datetime
    ) -> str:
        values = _order_values(order, now)
        where = (_ORDERS.c.account_id == account_id) & (
            _ORDERS.c.client_order_id == order.client_order_id
        )
        found = connection.execute(select(_ORDERS.c.id).where(where)).scalar()
        if found is not None:
            connection.execute(update(_ORDERS).where(where).values(**values))
            return str(found)
        order_id = new_id()
        created = _datetime(order.created_at) or now
        connection.execute(
            insert(_ORDERS).values(
                id=order_id,
                account_id=account_id,
                client_order_id=order.client_order_id,
                created_at=created,
                **values,
            )
        )
        return order_id

    def _write_positions(
        self, connection: Connection, account_id: str, positions: dict[str, float], now: datetime
    ) -> None:
        connection.execute(delete(_POSITIONS).where(_POSITIONS.c.account_id == account_id))
        if positions:
            connection.execute(
                insert(_POSITIONS),
                [
                    {
                        "account_id": account_id,
                        "symbol": symbol,
                        "quantity": quantity,
                        "average_price": 0.0,
                        "bought_today": 0.0,
                        "realized_pnl": 0.0,
                        "updated_at": now,
                    }
                    for symbol, quantity in positions.items()
                ],
            )

    def _write_snapshots(self, connection: Connection, account_id: str, step: PaperStep) -> None:
        if not step.snapshots:
            return
        first = _datetime(step.snapshots[0].timestamp)
        connection.execute(
            delete(_SNAPSHOTS).where(
                _SNAPSHOTS.c.account_id == account_id, _SNAPSHOTS.c.timestamp >= first
            )
        )
        connection.execute(
            insert(_SNAPSHOTS),
            [
                {
                    "account_id": account_id,
                    "timestamp": _datetime(snapshot.timestamp),
                    "equity": snapshot.equity,
                    "cash": snapshot.cash,
                }
                for snapshot in step.snapshots
            ],
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


def _order(row: PaperOrderRow | Row[Any]) -> Order:
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


def _order_values(order: Order, now: datetime) -> dict[str, Any]:
    return {
        "symbol": order.symbol,
        "side": order.side.value,
        "type": order.order_type.value,
        "time_in_force": order.time_in_force.value,
        "quantity": order.quantity,
        "limit_price": order.limit_price,
        "stop_price": order.stop_price,
        "status": order.status.name,
        "reject_reason": order.message or None,
        "filled_quantity": order.filled_quantity,
        "average_price": order.average_price,
        "updated_at": _datetime(order.updated_at) or now,
    }


def _fill_values(fill: Fill, order_id: str) -> dict[str, Any]:
    return {
        "id": new_id(),
        "order_id": order_id,
        "symbol": fill.symbol,
        "timestamp": _datetime(fill.timestamp),
        "quantity": fill.quantity,
        "price": fill.price,
        "commission": 0.0,
        "fees": fill.fees,
    }


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
