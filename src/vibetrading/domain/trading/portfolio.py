"""The account of a broker: cash, positions, T+1 locks, and round-trip trades from fills.

``Portfolio.apply_fill`` books a fill with the backtester's arithmetic (cash minus side
times notional minus costs, a float residue of the sizing clamped to 0), and
``TradeLedger`` turns fills into the backtest's trade records (average entry and exit
prices over the fills, pnl net of all fees, bars held, the first exit fill's reason).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from vibetrading.domain.trading.orders import Fill

__all__ = ["AccountSnapshot", "OpenTrade", "Portfolio", "Position", "TradeLedger"]

_QTY_EPS = 1e-9


@dataclass
class Position:
    """Signed units held in one symbol and their average entry price."""

    symbol: str
    quantity: float = 0.0
    average_price: float = 0.0

    @property
    def direction(self) -> int:
        """Return +1 long, -1 short, 0 flat."""
        return (self.quantity > 0) - (self.quantity < 0)


@dataclass
class Portfolio:
    """Cash and positions of one account, in its quote currency."""

    cash: float
    positions: dict[str, Position] = field(default_factory=dict)

    def position(self, symbol: str) -> float:
        """Return the signed units held in `symbol` (0 when flat)."""
        held = self.positions.get(symbol)
        return held.quantity if held else 0.0

    def apply_fill(self, fill: Fill) -> None:
        """Book `fill`: move the cash and the position as the backtester does."""
        side = fill.side.sign
        notional = fill.quantity * fill.price
        cash = self.cash - side * notional - fill.fees
        if 0.0 > cash >= -_QTY_EPS * (notional + fill.fees):
            cash = 0.0  # a float-rounding residue of the sizing, not a short squeeze
        self.cash = cash
        held = self.positions.setdefault(fill.symbol, Position(fill.symbol))
        before = held.quantity
        after = before + side * fill.quantity
        if abs(after) <= fill.quantity * _QTY_EPS:
            after = 0.0
        if before == 0.0 or (before > 0) == (side > 0):  # opening or adding
            held.average_price = (abs(before) * held.average_price + notional) / abs(after)
        elif after != 0.0 and (after > 0) != (before > 0):  # flipped through flat
            held.average_price = fill.price
        held.quantity = after
        if after == 0.0:
            del self.positions[fill.symbol]

    def equity(self, marks: dict[str, float]) -> float:
        """Return cash plus every position valued at `marks` (symbol -> price)."""
        value = self.cash
        for symbol, held in self.positions.items():
            value += held.quantity * marks[symbol]
        return value

    def to_dict(self) -> dict[str, Any]:
        """Return the account as JSON-ready data."""
        return {"cash": self.cash, "positions": [asdict(p) for p in self.positions.values()]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Portfolio:
        """Rebuild the account from ``to_dict`` data."""
        positions = {p["symbol"]: Position(**p) for p in data["positions"]}
        return cls(cash=float(data["cash"]), positions=positions)


@dataclass
class OpenTrade:
    """A round trip being built from fills."""

    symbol: str
    direction: int
    entry_time: str
    entry_count: int
    entry_value: float = 0.0
    entry_quantity: float = 0.0
    entry_fees: float = 0.0
    exit_value: float = 0.0
    exit_quantity: float = 0.0
    exit_fees: float = 0.0
    exit_reason: str | None = None
    position: float = 0.0


@dataclass
class TradeLedger:
    """Turn fills into round-trip trades with the backtest's fields."""

    trades: list[dict[str, Any]] = field(default_factory=list)
    open_trades: dict[str, OpenTrade] = field(default_factory=dict)

    def add(self, fill: Fill) -> None:
        """Book `fill` into the open trade of its symbol, closing it when flat."""
        side = fill.side.sign
        notional = fill.quantity * fill.price
        trade = self.open_trades.get(fill.symbol)
        if trade is None:
            trade = OpenTrade(fill.symbol, side, fill.timestamp.isoformat(), fill.bar_count)
            self.open_trades[fill.symbol] = trade
        if trade.direction == side:
            trade.position += side * fill.quantity
            trade.entry_value += notional
            trade.entry_quantity += fill.quantity
            trade.entry_fees += fill.fees
            return
        remaining = trade.position + side * fill.quantity
        trade.position = 0.0 if abs(remaining) <= fill.quantity * _QTY_EPS else remaining
        trade.exit_value += notional
        trade.exit_quantity += fill.quantity
        trade.exit_fees += fill.fees
        if trade.exit_reason is None:
            trade.exit_reason = fill.reason
        if trade.position == 0.0:
            self._close(trade, fill.timestamp, fill.bar_count)

    def finish(self, closes: dict[str, tuple[pd.Timestamp, float, int]]) -> list[dict[str, Any]]:
        """Return every trade, open ones valued at their last close without costs ("end").

        `closes` maps a symbol to (timestamp, close, bar count) of its last bar.
        """
        trades = list(self.trades)
        for symbol, trade in self.open_trades.items():
            timestamp, close, count = closes[symbol]
            pending = OpenTrade(**asdict(trade))
            pending.exit_value += abs(trade.position) * close
            pending.exit_quantity += abs(trade.position)
            pending.exit_reason = pending.exit_reason or "end"
            trades.append(_record(pending, timestamp, count))
        return trades

    def _close(self, trade: OpenTrade, timestamp: pd.Timestamp, count: int) -> None:
        self.trades.append(_record(trade, timestamp, count))
        del self.open_trades[trade.symbol]

    def to_dict(self) -> dict[str, Any]:
        """Return the ledger as JSON-ready data."""
        return {"trades": self.trades, "open": [asdict(t) for t in self.open_trades.values()]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TradeLedger:
        """Rebuild the ledger from ``to_dict`` data."""
        opened = {t["symbol"]: OpenTrade(**t) for t in data["open"]}
        return cls(trades=list(data["trades"]), open_trades=opened)


def _record(trade: OpenTrade, timestamp: pd.Timestamp, count: int) -> dict[str, Any]:
    fees = trade.entry_fees + trade.exit_fees
    pnl = trade.direction * (trade.exit_value - trade.entry_value) - fees
    return {
        "symbol": trade.symbol,
        "direction": "long" if trade.direction > 0 else "short",
        "entry_time": trade.entry_time,
        "entry_price": trade.entry_value / trade.entry_quantity,
        "exit_time": timestamp.isoformat(),
        "exit_price": trade.exit_value / trade.exit_quantity,
        "quantity": trade.entry_quantity,
        "pnl": pnl,
        "return": pnl / trade.entry_value,
        "bars_held": count - trade.entry_count,
        "exit_reason": trade.exit_reason or "end",
        "fees": fees,
    }


@dataclass(frozen=True)
class AccountSnapshot:
    """The account as a broker reports it: cash, equity and positions, with its mode."""

    cash: float
    equity: float
    positions: dict[str, float]
    currency: str
    mode: str
    timestamp: pd.Timestamp | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the account as JSON-ready data."""
        return {
            "cash": self.cash,
            "equity": self.equity,
            "positions": dict(self.positions),
            "currency": self.currency,
            "mode": self.mode,
            "timestamp": self.timestamp.isoformat() if self.timestamp is not None else None,
        }
