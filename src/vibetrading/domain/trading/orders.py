"""Orders and fills, and the order state machine every broker follows.

An order is immutable: each transition returns a new Order. The states::

    SUBMITTING -> ACCEPTED -> PARTIALLY_FILLED -> FILLED
         |            |              |
         +-> REJECTED +-> CANCELLED <+   (ACCEPTED -> REJECTED when a fill-time rule refuses it)

A rejected order always carries a ``RejectReason`` and a sentence a person understands.
The ``client_order_id`` is chosen by the caller and is the idempotency key: submitting the
same id twice returns the first order instead of creating a second one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from vibetrading.domain.trading.enums import (
    OrderSide,
    OrderStatus,
    OrderType,
    RejectReason,
    TimeInForce,
)
from vibetrading.errors import OrderRejected

__all__ = ["Fill", "Order", "describe_rejection"]

_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.SUBMITTING: frozenset(
        {OrderStatus.ACCEPTED, OrderStatus.REJECTED, OrderStatus.CANCELLED}
    ),
    OrderStatus.ACCEPTED: frozenset(
        {
            OrderStatus.PARTIALLY_FILLED,
            OrderStatus.FILLED,
            OrderStatus.CANCELLED,
            OrderStatus.REJECTED,
        }
    ),
    OrderStatus.PARTIALLY_FILLED: frozenset(
        {OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED, OrderStatus.CANCELLED}
    ),
    OrderStatus.FILLED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REJECTED: frozenset(),
}

_DESCRIPTIONS = {
    RejectReason.LOT_SIZE: "the quantity is not a whole number of lots",
    RejectReason.INSUFFICIENT_CASH: "not enough cash to pay for it with costs",
    RejectReason.INSUFFICIENT_POSITION: "selling more than is held (short selling not allowed)",
    RejectReason.T_PLUS_ONE: "shares bought today can only be sold from the next session (T+1)",
    RejectReason.PRICE_LIMIT: "the price is outside the daily price limit",
    RejectReason.MARKET_CLOSED: "the market is closed",
    RejectReason.RISK_LIMIT: "a pre-trade risk limit refuses it",
    RejectReason.INVALID: "the order is malformed",
    RejectReason.EXCHANGE: "the exchange refused it",
}


def describe_rejection(reason: RejectReason) -> str:
    """Return the plain-words meaning of a rejection reason."""
    return _DESCRIPTIONS[reason]


@dataclass(frozen=True)
class Fill:
    """One execution of (part of) an order, at a price including slippage."""

    client_order_id: str
    symbol: str
    side: OrderSide
    quantity: float
    price: float
    fees: float
    timestamp: pd.Timestamp
    order_type: OrderType = OrderType.MARKET
    reason: str = "manual"
    bar_count: int = 0  # the symbol's bars seen when it filled (for bars_held)

    @property
    def notional(self) -> float:
        """Return quantity times price."""
        return self.quantity * self.price

    def to_dict(self) -> dict[str, Any]:
        """Return the fill as JSON-ready data."""
        return {
            "client_order_id": self.client_order_id,
            "symbol": self.symbol,
            "side": self.side.value,
            "quantity": self.quantity,
            "price": self.price,
            "fees": self.fees,
            "timestamp": self.timestamp.isoformat(),
            "order_type": self.order_type.value,
            "reason": self.reason,
            "bar_count": self.bar_count,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fill:
        """Rebuild a fill from ``to_dict`` data."""
        return cls(
            client_order_id=data["client_order_id"],
            symbol=data["symbol"],
            side=OrderSide(data["side"]),
            quantity=float(data["quantity"]),
            price=float(data["price"]),
            fees=float(data["fees"]),
            timestamp=pd.Timestamp(data["timestamp"]),
            order_type=OrderType(data["order_type"]),
            reason=data["reason"],
            bar_count=int(data.get("bar_count", 0)),
        )


@dataclass(frozen=True)
class Order:
    """An order as the broker sees it.

    `quantity` is in units; an order may instead give `equity_fraction` (the backtester's
    percent sizing), and the paper broker then sizes it at its first fill, at the fill
    price, from the account's equity. `reduce_only` orders never open or grow a position
    (they are cancelled when there is nothing left to close). `stop_loss`, `take_profit`
    and `trailing_stop` (fractions of the entry price) attach a protective bracket to an
    entry: the paper broker then exits the position as the backtester's stops do.
    `reason` says why it was sent (``entry``, ``signal``, ``stop_loss``, ``manual``...).
    """

    client_order_id: str
    symbol: str
    side: OrderSide
    quantity: float = 0.0
    order_type: OrderType = OrderType.MARKET
    limit_price: float | None = None
    stop_price: float | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    status: OrderStatus = OrderStatus.SUBMITTING
    filled_quantity: float = 0.0
    average_price: float | None = None
    fees: float = 0.0
    reason: str = "manual"
    equity_fraction: float | None = None
    cash_amount: float | None = None
    reduce_only: bool = False
    stop_loss: float | None = None
    take_profit: float | None = None
    trailing_stop: float | None = None
    reject_reason: RejectReason | None = None
    message: str = ""
    created_at: pd.Timestamp | None = None
    updated_at: pd.Timestamp | None = None
    broker_order_id: str | None = None

    def __post_init__(self) -> None:
        self._check()

    def _check(self) -> None:
        if not self.client_order_id:
            raise OrderRejected("An order needs a client order id (the idempotency key).")
        sized = self.equity_fraction is not None or self.cash_amount is not None
        if not sized and not (math.isfinite(self.quantity) and self.quantity > 0):
            raise OrderRejected(f"The quantity must be a positive number, not {self.quantity!r}.")
        needs_limit = self.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
        needs_stop = self.order_type in (OrderType.STOP, OrderType.STOP_LIMIT)
        if needs_limit and not _is_price(self.limit_price):
            raise OrderRejected(f"A {self.order_type.value} order needs a positive limit price.")
        if needs_stop and not _is_price(self.stop_price):
            raise OrderRejected(f"A {self.order_type.value} order needs a positive stop price.")

    @property
    def remaining(self) -> float:
        """Return the units still to fill (0 once final; the full size before sizing)."""
        return max(self.quantity - self.filled_quantity, 0.0)

    @property
    def is_open(self) -> bool:
        """Return True while the order may still fill."""
        return self.status.is_open

    def transition(self, status: OrderStatus, **changes: Any) -> Order:
        """Return this order in `status`; raise OrderRejected on a transition not allowed."""
        if status not in _TRANSITIONS[self.status]:
            raise OrderRejected(
                f"Order {self.client_order_id} is {self.status.value}; it cannot become "
                f"{status.value}."
            )
        return replace(self, status=status, **changes)

    def accepted(self, at: pd.Timestamp | None = None) -> Order:
        """Return the order accepted by the broker."""
        return self.transition(OrderStatus.ACCEPTED, updated_at=at)

    def rejected(
        self, reason: RejectReason, detail: str = "", at: pd.Timestamp | None = None
    ) -> Order:
        """Return the order rejected for `reason`, with a message a person understands."""
        text = f"Rejected: {describe_rejection(reason)}"
        return self.transition(
            OrderStatus.REJECTED,
            reject_reason=reason,
            message=f"{text} ({detail})." if detail else f"{text}.",
            updated_at=at,
        )

    def cancelled(self, detail: str = "", at: pd.Timestamp | None = None) -> Order:
        """Return the order cancelled; what has filled stays filled."""
        return self.transition(OrderStatus.CANCELLED, message=detail, updated_at=at)

    def with_fill(self, fill: Fill) -> Order:
        """Return the order after `fill`: average price, fees and status updated."""
        filled = self.filled_quantity + fill.quantity
        value = (self.average_price or 0.0) * self.filled_quantity + fill.notional
        is_done = filled >= self.quantity * (1 - 1e-9)
        status = OrderStatus.FILLED if is_done else OrderStatus.PARTIALLY_FILLED
        return self.transition(
            status,
            filled_quantity=filled,
            average_price=value / filled,
            fees=self.fees + fill.fees,
            updated_at=fill.timestamp,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the order as JSON-ready data."""
        data: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, pd.Timestamp):
                value = value.isoformat()
            elif hasattr(value, "value"):
                value = value.value
            data[name] = value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Order:
        """Rebuild an order from ``to_dict`` data."""
        values = dict(data)
        values["side"] = OrderSide(values["side"])
        values["order_type"] = OrderType(values["order_type"])
        values["time_in_force"] = TimeInForce(values["time_in_force"])
        values["status"] = OrderStatus(values["status"])
        if values.get("reject_reason"):
            values["reject_reason"] = RejectReason(values["reject_reason"])
        for name in ("created_at", "updated_at"):
            if values.get(name):
                values[name] = pd.Timestamp(values[name])
        return cls(**values)


def _is_price(value: float | None) -> bool:
    return value is not None and math.isfinite(value) and value > 0
