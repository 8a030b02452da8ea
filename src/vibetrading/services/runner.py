"""The strategy runner: drive a strategy bar by bar through a broker, durably.

Each bar, in the backtester's order: the broker fills what was working against the bar
(``SimulatedBroker.on_bar``), then the strategy's signals at the bar's close create the
next orders (filled at the next bar's open). A bar that changed orders or fills is
written at once by one ``save_step`` transaction: orders, fills, positions, cash, the
cursor, thresholded equity snapshots and the broker's resumable state. A quiet bar (no
order, no fill) is written with the next one that is, or with the next bar once
``write_interval_s`` has passed (at a given speed, every bar is written). Killed at any
point, a runner resumes from its cursor: bars after it are replayed from the restored
state, deterministically, so quiet bars create nothing and a bar whose transaction did
not commit sends its orders again with the same client order ids (runner id, bar time,
kind): nothing is lost or doubled.

Between bars the runner reads its stored status and working orders
(``read_inbox``): every bar at a given speed, every ``check_interval_s`` at max speed.
So ``paper stop`` and manual orders from any process reach a running runner.

Signals are computed once per run, not at each bar (``paper_signals``): each step reads
its bar's entry and exit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pandas as pd

from vibetrading.domain.trading.enums import OrderSide, OrderType
from vibetrading.domain.trading.orders import Fill, Order
from vibetrading.domain.trading.portfolio import AccountSnapshot
from vibetrading.errors import ConfigError
from vibetrading.services.paper_signals import SignalSource
from vibetrading.services.ports import (
    PaperRunnerRepository,
    PaperStep,
    PaperStepSnapshot,
    ProgressCallback,
    SimulatedBroker,
)

__all__ = [
    "PaperEvent",
    "RunSummary",
    "RunnerConfig",
    "StrategyRunner",
]

_PROGRESS_INTERVAL_S = 0.1


@dataclass(frozen=True)
class PaperEvent:
    """Something a runner or the paper service did: ``order``, ``fill``, ``position``,
    ``account`` or ``runner``; `data` is JSON-ready; `user_id` owns the runner."""

    kind: str
    runner_id: str
    data: dict[str, Any]
    user_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the event as a JSON-ready message (``type``, ``runner_id``, ``data``)."""
        return {"type": self.kind, "runner_id": self.runner_id, "data": self.data}


EventCallback = Callable[[PaperEvent], None]


@dataclass(frozen=True)
class RunnerConfig:
    """How a runner trades its signals: the backtest options that apply bar by bar."""

    runner_id: str
    symbol: str
    direction: Literal["long", "short", "both"] = "long"
    size: float = 1.0
    size_type: str = "percent"
    stop_loss: float | None = None
    take_profit: float | None = None
    trailing_stop: float | None = None
    max_holding_bars: int | None = None
    snapshot_abs: float = 100.0
    snapshot_rel: float = 0.001

    def sizing(self) -> dict[str, float]:
        """Return the Order fields that size an entry as the backtester does."""
        if self.size_type in ("percent", "equal_weight"):
            return {"equity_fraction": self.size}
        if self.size_type == "cash":
            return {"cash_amount": self.size}
        if self.size_type == "quantity":
            return {"quantity": self.size}
        raise ConfigError(
            f"size_type {self.size_type!r} is not supported by the paper runner yet; "
            "use percent, cash, quantity or equal_weight."
        )


@dataclass
class RunSummary:
    """What a run produced so far: trades (backtest fields), equity, orders and fills."""

    runner_id: str
    symbol: str
    trades: list[dict[str, Any]]
    final_equity: float
    cash: float
    bars: int
    orders: int
    fills: int
    cursor: pd.Timestamp | None
    mode: str
    equity: list[tuple[pd.Timestamp, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready data."""
        return {
            "summary": {
                "runner_id": self.runner_id,
                "symbol": self.symbol,
                "mode": self.mode,
                "final_equity": self.final_equity,
                "cash": self.cash,
                "bars": self.bars,
                "orders": self.orders,
                "fills": self.fills,
                "num_trades": len(self.trades),
                "cursor": self.cursor.isoformat() if self.cursor is not None else None,
            },
            "trades": self.trades,
            "equity": [{"timestamp": t.isoformat(), "equity": v} for t, v in self.equity],
        }


@dataclass(frozen=True)
class _Feed:
    """A run's bars as plain Python lists: one bar's fields are read without pandas."""

    bars: pd.DataFrame
    times: list[pd.Timestamp]
    opens: list[float]
    highs: list[float]
    lows: list[float]
    closes: list[float]
    volumes: list[float]

    @classmethod
    def of(cls, bars: pd.DataFrame) -> _Feed:
        def column(name: str) -> list[float]:
            values: list[float] = bars[name].to_numpy(dtype=float).tolist()
            return values

        return cls(
            bars,
            list(bars.index),
            column("open"),
            column("high"),
            column("low"),
            column("close"),
            column("volume"),
        )


@dataclass
class _ProgressReport:
    """Bars done out of `total`, told to `callback` at most every _PROGRESS_INTERVAL_S."""

    callback: ProgressCallback | None
    total: int
    done: int
    shown: float = -math.inf

    def show(self, done: int, now: float) -> None:
        self.done = done
        if self.callback is not None and now - self.shown >= _PROGRESS_INTERVAL_S:
            self.callback(done / max(self.total, 1), f"{done:,}/{self.total:,} bars")
            self.shown = now


class StrategyRunner:
    """Run one strategy on one symbol through a simulated broker, one bar at a time.

    At max speed it reads its stored status and working orders every
    `check_interval_s` and writes quiet bars every `write_interval_s` (seconds of
    `clock`); bars with orders or fills are always written at once.
    """

    def __init__(
        self,
        config: RunnerConfig,
        broker: SimulatedBroker,
        signals: SignalSource,
        *,
        repository: PaperRunnerRepository | None = None,
        on_event: EventCallback | None = None,
        check_interval_s: float = 0.2,
        write_interval_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.broker = broker
        self.signals = signals
        self.repository = repository
        self.on_event = on_event
        self.check_interval_s = check_interval_s
        self.write_interval_s = write_interval_s
        self.clock = clock
        self.cursor: pd.Timestamp | None = None
        self.last_snapshot: float | None = None
        self.bars_done = 0
        self.equity_curve: list[tuple[pd.Timestamp, float]] = []
        self.status: str | None = None  # as stored when last read ("stopped" ends a run)
        self._orders_seen = 0
        self._fills_seen = 0
        self._unsaved_bars = 0  # bars processed since the last write
        self._unsaved_orders: dict[str, Order] = {}
        self._unsaved_fills: list[Fill] = []
        self._unsaved_snapshots: list[PaperStepSnapshot] = []
        self._bar: tuple[list[Order], list[Fill], AccountSnapshot | None] = ([], [], None)

    def restore(self, cursor: pd.Timestamp | None, state: dict[str, Any]) -> None:
        """Resume from a stored cursor and state (``PaperStep.state``)."""
        self.cursor = cursor
        if state:
            self.broker.load_state(state["broker"])
            runner = state["runner"]
            self.last_snapshot = runner["last_snapshot"]
            self.bars_done = runner["bars_done"]
            self._orders_seen = runner["orders"]
            self._fills_seen = runner["fills"]

    def run(
        self,
        bars: pd.DataFrame,
        *,
        speed: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        should_stop: Callable[[], bool] = lambda: False,
        progress: ProgressCallback | None = None,
    ) -> RunSummary:
        """Replay `bars` from after the cursor: `speed` bars per second, None for max.

        Returns the summary when the bars are done, when `should_stop` says so, or when
        the stored status turns "stopped" (``paper stop`` from anywhere). `progress` is
        called with the fraction of `bars` done and "N/M bars", a few times a second.
        """
        index = bars.index
        start = 0 if self.cursor is None else int(index.searchsorted(self.cursor, side="right"))
        if start < len(index):
            self.signals.prepare(bars)
        feed = _Feed.of(bars)
        report = _ProgressReport(progress, len(index), start)
        checked = written = -math.inf
        for i in range(start, len(index)):
            if should_stop():
                break
            now = self.clock()
            if speed is not None or now - checked >= self.check_interval_s:
                self._check_in()
                checked = now
            if self.is_stopped:
                break
            has_changes = self._advance(feed, i)
            if speed is not None or has_changes or now - written >= self.write_interval_s:
                self._write()
                written = now
            self._emit_bar()
            report.show(i + 1, now)
            if speed is not None and i + 1 < len(index) and not self.is_stopped:
                sleep(1.0 / speed)
        if not self.is_stopped:
            self._write()
            report.show(report.done, math.inf)
        return self.summary()

    @property
    def is_stopped(self) -> bool:
        """Return True once the stored status says the runner was stopped."""
        return self.status == "stopped"

    def _check_in(self) -> None:
        # Orders placed or cancelled outside the runner (a person, another process) wait
        # in the store. Every working order of the broker was stored open by the write
        # of its bar, so one no longer open there was cancelled meanwhile.
        if self.repository is None:
            return
        inbox = self.repository.read_inbox(self.config.runner_id)
        self.status = inbox.status
        if self.is_stopped:
            return
        stored = {o.client_order_id: o for o in inbox.open_orders}
        for order in self.broker.orders(open_only=True):
            if order.client_order_id not in stored:
                self.broker.cancel(order.client_order_id)
        known = {o.client_order_id for o in self.broker.orders()}
        for client_order_id, order in stored.items():
            if client_order_id not in known:  # market hours were checked when it was placed
                self.broker.submit(replace(order, created_at=None))

    def _advance(self, feed: _Feed, i: int) -> bool:
        # One bar: fills, then signals at its close; what it changed waits for a write.
        # Return True when it changed orders or fills (the bar must be written now).
        timestamp = feed.times[i]
        code = self.config.symbol
        self.broker.on_bar(
            code,
            timestamp,
            open_=feed.opens[i],
            high=feed.highs[i],
            low=feed.lows[i],
            close=feed.closes[i],
            volume=feed.volumes[i],
        )
        entry, exit_ = self.signals.at(feed.bars, i)
        self._trade_signals(timestamp, entry, exit_)
        account = self.broker.account()
        equity = account.equity
        if self._should_snapshot(equity):
            self.last_snapshot = equity
            self.equity_curve.append((timestamp, equity))
            self._unsaved_snapshots.append(PaperStepSnapshot(timestamp, equity, account.cash))
        orders = self.broker.take_changes()
        fills = list(self.broker.fills())
        for order in orders:
            self._unsaved_orders[order.client_order_id] = order
        self._unsaved_fills.extend(fills)
        self._bar = (orders, fills, account)
        self.bars_done += 1
        self._orders_seen = len(self.broker.orders())
        self._fills_seen += len(fills)
        self.cursor = timestamp
        self._unsaved_bars += 1
        return bool(orders or fills)

    def _trade_signals(self, timestamp: pd.Timestamp, entry: bool, exit_: bool) -> None:
        if entry and exit_:  # conflicting signals on one bar are ignored, as in the backtest
            entry = exit_ = False
        code = self.config.symbol
        side = -1 if self.config.direction == "short" else 1
        held = self.broker.positions().get(code, 0.0)
        working = [o for o in self.broker.orders(open_only=True) if o.symbol == code]
        entries = [o for o in working if not o.reduce_only]
        has_exit = any(o.reduce_only for o in working)
        current = (held > 0) - (held < 0) if held else (entries[0].side.sign if entries else 0)
        wants_close = current != 0 and exit_ and current == side
        reason = None
        if wants_close:
            for order in entries:
                self.broker.cancel(order.client_order_id)
            reason = "signal"
        elif self._is_held_too_long(code, held):
            reason = "max_holding"
        if reason and held != 0.0 and not has_exit:
            self._submit(timestamp, "exit", -side if held * side > 0 else side, abs(held), reason)
        if entry and (current == 0 or wants_close):
            self._submit_entry(timestamp, side)

    def _is_held_too_long(self, code: str, held: float) -> bool:
        limit = self.config.max_holding_bars
        entry_count = self.broker.open_trade_entry_count(code)
        if limit is None or held == 0.0 or entry_count is None:
            return False
        return self.broker.bar_count(code) - entry_count + 1 >= limit

    def _submit(
        self, timestamp: pd.Timestamp, kind: str, sign: int, quantity: float, reason: str
    ) -> Order:
        order = Order(
            client_order_id=self._order_id(timestamp, kind),
            symbol=self.config.symbol,
            side=OrderSide.BUY if sign > 0 else OrderSide.SELL,
            quantity=quantity,
            order_type=OrderType.MARKET,
            reason=reason,
            reduce_only=True,
        )
        return self.broker.submit(order)

    def _submit_entry(self, timestamp: pd.Timestamp, side: int) -> Order:
        sizing = self.config.sizing()
        order = Order(
            client_order_id=self._order_id(timestamp, "entry"),
            symbol=self.config.symbol,
            side=OrderSide.BUY if side > 0 else OrderSide.SELL,
            order_type=OrderType.MARKET,
            reason="entry",
            stop_loss=self.config.stop_loss,
            take_profit=self.config.take_profit,
            trailing_stop=self.config.trailing_stop,
            **sizing,  # type: ignore[arg-type]
        )
        return self.broker.submit(order)

    def _order_id(self, timestamp: pd.Timestamp, kind: str) -> str:
        return f"{self.config.runner_id}-{timestamp.strftime('%Y%m%dT%H%M%S')}-{kind}"

    def _write(self) -> None:
        # Everything since the last write, in one transaction; a stopped runner's bars
        # are not written (they are replayed if the runner resumes).
        if not self._unsaved_bars or self.cursor is None:
            return
        if self.repository is not None:
            account = self.broker.account()
            self.status = self.repository.save_step(
                PaperStep(
                    runner_id=self.config.runner_id,
                    cursor=self.cursor,
                    orders=list(self._unsaved_orders.values()),
                    fills=self._unsaved_fills,
                    positions=account.positions,
                    cash=account.cash,
                    equity=account.equity,
                    state=self.state_dict(),
                    snapshots=self._unsaved_snapshots,
                )
            )
        self._unsaved_bars = 0
        self._unsaved_orders = {}
        self._unsaved_fills = []
        self._unsaved_snapshots = []

    def _should_snapshot(self, equity: float) -> bool:
        last = self.last_snapshot
        if last is None:
            return True
        moved = abs(equity - last)
        relative = moved / abs(last) if last else math.inf
        return moved > self.config.snapshot_abs or relative > self.config.snapshot_rel

    def _emit_bar(self) -> None:
        # After the bar's write: its orders and fills are stored when they are announced.
        orders, fills, account = self._bar
        if self.on_event is None or self.is_stopped or account is None:
            return
        runner_id = self.config.runner_id
        for order in orders:
            self.on_event(PaperEvent("order", runner_id, order.to_dict()))
        for fill in fills:
            self.on_event(PaperEvent("fill", runner_id, fill.to_dict()))
        if fills:
            self.on_event(PaperEvent("position", runner_id, {"positions": self.broker.positions()}))
        self.on_event(PaperEvent("account", runner_id, account.to_dict()))

    def state_dict(self) -> dict[str, Any]:
        """Return the broker's and the runner's resumable state."""
        return {
            "broker": self.broker.state_dict(),
            "runner": {
                "last_snapshot": self.last_snapshot,
                "bars_done": self.bars_done,
                "orders": self._orders_seen,
                "fills": self._fills_seen,
            },
        }

    def summary(self) -> RunSummary:
        """Return the run so far: trades with the backtest's fields and final equity."""
        account = self.broker.account()
        return RunSummary(
            runner_id=self.config.runner_id,
            symbol=self.config.symbol,
            trades=self.broker.trades(),
            final_equity=self.broker.equity(),
            cash=account.cash,
            bars=self.bars_done,
            orders=len(self.broker.orders()),
            fills=self._fills_seen,
            cursor=self.cursor,
            mode=account.mode,
            equity=list(self.equity_curve),
        )
