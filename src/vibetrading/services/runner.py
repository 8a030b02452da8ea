"""The strategy runner: drive a strategy bar by bar through a broker, durably.

Each bar, in the backtester's order: the broker fills what was working against the bar
(``SimulatedBroker.on_bar``), then the strategy's signals at the bar's close create the
next orders (filled at the next bar's open), and everything the bar changed (orders,
fills, positions, cash, the cursor, a thresholded equity snapshot and the broker's
resumable state) is written by one ``save_step`` transaction. Killed at any point, a
runner resumes from its cursor: a bar whose transaction did not commit is replayed from
the restored state, and its orders get the same client order ids (runner id, bar time,
kind), so nothing is lost or doubled.

Signals are incremental: a spec is compiled over a bounded trailing window of bars
(``spec_window``), not over the whole history at each bar.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

import pandas as pd

from vibetrading.domain.strategy import StrategySpec
from vibetrading.domain.trading.enums import OrderSide, OrderType
from vibetrading.domain.trading.orders import Order
from vibetrading.errors import ConfigError
from vibetrading.services.ports import (
    CodeRunner,
    PaperRunnerRepository,
    PaperStep,
    SimulatedBroker,
)

__all__ = [
    "CodeSignals",
    "PaperEvent",
    "RunSummary",
    "RunnerConfig",
    "SignalSource",
    "SpecSignals",
    "StrategyRunner",
    "spec_window",
]

_RECURSIVE = (
    "ema", "dema", "tema", "rsi", "macd", "atr", "natr", "adx", "kdj", "stoch", "kama", "cci",
    "mfi", "obv", "sar", "trix", "bars_since",
)  # fmt: skip
_WARMUP_FACTOR = 10  # recursive indicators (EMA, RSI) forget their seed within ~10 periods
_MIN_WINDOW = 50


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


class SignalSource(Protocol):
    """Incremental signals: entry and exit at the last bar of a trailing window."""

    window: int
    """Bars of history one evaluation needs (the trailing window's length)."""

    def prepare(self, bars: pd.DataFrame) -> None:
        """Look at every bar a run will process once, before the first step."""
        ...

    def latest(self, bars: pd.DataFrame) -> tuple[bool, bool]:
        """Return (entry, exit) at the last bar of `bars`."""
        ...


def spec_window(spec: StrategySpec) -> int:
    """Return the trailing window a spec's signals are compiled over at each bar.

    The longest lookback found in the entry and exit trees (indicator periods, bar
    counts) plus one, doubled; times ten when a recursive indicator (EMA, RSI, ATR,
    MACD...) or ``bars_since`` is used, so that it has forgotten its seed; at least 50.
    """
    trees = spec.model_dump(include={"entry", "exit"})
    longest = max(_numbers(trees), default=1)
    text = json.dumps(trees).lower()
    is_recursive = any(f'"{name}"' in text for name in _RECURSIVE)
    factor = _WARMUP_FACTOR if is_recursive else 2
    return max(factor * (longest + 1), _MIN_WINDOW)


def _numbers(node: Any) -> list[int]:
    if isinstance(node, dict):
        return [n for value in node.values() for n in _numbers(value)]
    if isinstance(node, list | tuple):
        return [n for value in node for n in _numbers(value)]
    if isinstance(node, int) and not isinstance(node, bool) and 0 < node < 10_000:
        return [node]
    return []


@dataclass
class SpecSignals:
    """Signals of a spec on one symbol, compiled over a trailing window of bars."""

    spec: StrategySpec
    symbol: str
    window: int = 0

    def __post_init__(self) -> None:
        if len(self.spec.universe) > 1:
            raise ConfigError("The runner trades one symbol; this spec names several.")
        self.window = self.window or spec_window(self.spec)

    def prepare(self, bars: pd.DataFrame) -> None:
        """Do nothing: a spec is compiled bar by bar on its trailing window."""

    def latest(self, bars: pd.DataFrame) -> tuple[bool, bool]:
        """Return (entry, exit) at the last bar of `bars`."""
        from vibetrading.domain.strategy.compile import compile_signals

        try:
            compiled = compile_signals(self.spec, bars, symbol=self.symbol)
        except ValueError:
            # compile's lag of N bars fails on fewer than N bars; no signal can hold there
            if len(bars) >= self.window:
                raise
            return False, False
        return bool(compiled.entries.iloc[-1]), bool(compiled.exits.iloc[-1])


@dataclass
class CodeSignals:
    """Signals of a sandboxed code strategy.

    A sandbox run is a separate process (seconds), so the code runs once per run or poll
    on every bar it covers (``prepare``), exactly as the backtest runs it, and each step
    reads its bar's values; a bar not prepared runs the code on its trailing `window`.
    """

    code_runner: CodeRunner
    source: str
    window: int = 250
    params: dict[str, Any] | None = None
    _cache: dict[pd.Timestamp, tuple[bool, bool]] = field(default_factory=dict, repr=False)

    def prepare(self, bars: pd.DataFrame) -> None:
        """Run the code once on `bars` and keep its signals per bar."""
        entries, exits, _ = self.code_runner.run(self.source, bars, self.params)
        self._cache = {
            t: (bool(e), bool(x))
            for t, e, x in zip(bars.index, entries.to_numpy(), exits.to_numpy(), strict=True)
        }

    def latest(self, bars: pd.DataFrame) -> tuple[bool, bool]:
        """Return (entry, exit) at the last bar of `bars`."""
        cached = self._cache.get(bars.index[-1])
        if cached is not None:
            return cached
        entries, exits, _ = self.code_runner.run(self.source, bars, self.params)
        return bool(entries.iloc[-1]), bool(exits.iloc[-1])


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


class StrategyRunner:
    """Run one strategy on one symbol through a simulated broker, one bar at a time."""

    def __init__(
        self,
        config: RunnerConfig,
        broker: SimulatedBroker,
        signals: SignalSource,
        *,
        repository: PaperRunnerRepository | None = None,
        on_event: EventCallback | None = None,
    ) -> None:
        self.config = config
        self.broker = broker
        self.signals = signals
        self.repository = repository
        self.on_event = on_event
        self.cursor: pd.Timestamp | None = None
        self.last_snapshot: float | None = None
        self.bars_done = 0
        self.equity_curve: list[tuple[pd.Timestamp, float]] = []
        self.status: str | None = None  # as stored after the last bar ("stopped" ends a run)
        self._orders_seen = 0
        self._fills_seen = 0

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
    ) -> RunSummary:
        """Replay `bars` from after the cursor: `speed` bars per second, None for max.

        Returns the summary when the bars are done, when `should_stop` says so, or when
        the stored status turns "stopped" (``paper stop`` from anywhere).
        """
        index = bars.index
        start = 0 if self.cursor is None else int(index.searchsorted(self.cursor, side="right"))
        if start < len(index):
            self.signals.prepare(bars)
        for i in range(start, len(index)):
            if should_stop() or self.is_stopped:
                break
            self.step(bars, i)
            if speed is not None and i + 1 < len(index) and not self.is_stopped:
                sleep(1.0 / speed)
        return self.summary()

    @property
    def is_stopped(self) -> bool:
        """Return True once the stored status says the runner was stopped."""
        return self.status == "stopped"

    def step(self, bars: pd.DataFrame, i: int) -> None:
        """Process bar `i` of `bars`: new manual orders, fills, then signals at its close,
        then one write."""
        timestamp = bars.index[i]
        row = bars.iloc[i]
        code = self.config.symbol
        self._take_manual_orders()
        self.broker.on_bar(
            code,
            timestamp,
            open_=float(row["open"]),
            high=float(row["high"]),
            low=float(row["low"]),
            close=float(row["close"]),
            volume=float(row["volume"]),
        )
        window = bars.iloc[max(0, i + 1 - self.signals.window) : i + 1]
        entry, exit_ = self.signals.latest(window)
        self._trade_signals(timestamp, entry, exit_)
        self._save(timestamp)

    def _take_manual_orders(self) -> None:
        # Orders placed or cancelled outside the runner (a person, another process) wait
        # in the store. Every working order of the broker was stored open by the last
        # bar's write, so one no longer open there was cancelled meanwhile.
        if self.repository is None:
            return
        stored = {o.client_order_id: o for o in self.repository.open_orders(self.config.runner_id)}
        for order in self.broker.orders(open_only=True):
            if order.client_order_id not in stored:
                self.broker.cancel(order.client_order_id)
        known = {o.client_order_id for o in self.broker.orders()}
        for client_order_id, order in stored.items():
            if client_order_id not in known:  # market hours were checked when it was placed
                self.broker.submit(replace(order, created_at=None))

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

    def _save(self, timestamp: pd.Timestamp) -> None:
        equity = self.broker.equity()
        snapshot = None
        if self._should_snapshot(equity):
            snapshot = (timestamp, equity)
            self.last_snapshot = equity
            self.equity_curve.append(snapshot)
        orders = self.broker.take_changes()
        fills = list(self.broker.fills())
        self.bars_done += 1
        self._orders_seen = len(self.broker.orders())
        self._fills_seen += len(fills)
        self.cursor = timestamp
        if self.repository is not None:
            # a stopped runner's bar is not written: it is replayed if the runner resumes
            self.status = self.repository.save_step(
                PaperStep(
                    runner_id=self.config.runner_id,
                    cursor=timestamp,
                    orders=orders,
                    fills=fills,
                    positions=self.broker.positions(),
                    cash=self.broker.account().cash,
                    equity=equity,
                    state=self.state_dict(),
                    snapshot=snapshot,
                )
            )
        if not self.is_stopped:
            self._emit(orders, fills, equity)

    def _should_snapshot(self, equity: float) -> bool:
        last = self.last_snapshot
        if last is None:
            return True
        moved = abs(equity - last)
        relative = moved / abs(last) if last else math.inf
        return moved > self.config.snapshot_abs or relative > self.config.snapshot_rel

    def _emit(self, orders: list[Order], fills: list[Any], equity: float) -> None:
        if self.on_event is None:
            return
        runner_id = self.config.runner_id
        for order in orders:
            self.on_event(PaperEvent("order", runner_id, order.to_dict()))
        for fill in fills:
            self.on_event(PaperEvent("fill", runner_id, fill.to_dict()))
        if fills:
            self.on_event(PaperEvent("position", runner_id, {"positions": self.broker.positions()}))
        account = self.broker.account().to_dict() | {"equity": equity}
        self.on_event(PaperEvent("account", runner_id, account))

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
