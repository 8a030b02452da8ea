"""Closed sets of the trading model: order sides, types, states, rejections, modes."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "OrderSide",
    "OrderStatus",
    "OrderType",
    "RejectReason",
    "TimeInForce",
    "TradingMode",
]


class OrderSide(StrEnum):
    """Buy or sell."""

    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """Return +1 for a buy and -1 for a sell (the kernels' side convention)."""
        return 1 if self is OrderSide.BUY else -1


class OrderType(StrEnum):
    """How an order is priced; the values are the backtester's ``ORDER_TYPES``."""

    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"


class TimeInForce(StrEnum):
    """How long an order stays working."""

    GTC = "gtc"  # good till cancelled
    DAY = "day"  # cancelled at the end of the session it was accepted in
    IOC = "ioc"  # immediate or cancel: what the next bar cannot fill is cancelled


class OrderStatus(StrEnum):
    """The states of an order; FILLED, CANCELLED and REJECTED are final."""

    SUBMITTING = "submitting"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"

    @property
    def is_open(self) -> bool:
        """Return True while the order may still fill."""
        return self in (OrderStatus.SUBMITTING, OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED)


class RejectReason(StrEnum):
    """Why a broker refused an order; ``describe`` says it in words."""

    LOT_SIZE = "lot_size"
    INSUFFICIENT_CASH = "insufficient_cash"
    INSUFFICIENT_POSITION = "insufficient_position"
    T_PLUS_ONE = "t_plus_one"
    PRICE_LIMIT = "price_limit"
    MARKET_CLOSED = "market_closed"
    RISK_LIMIT = "risk_limit"
    INVALID = "invalid"
    EXCHANGE = "exchange"


class TradingMode(StrEnum):
    """Where orders go: nowhere, a log, the paper broker, or a real exchange."""

    OFF = "off"
    DRY_RUN = "dry_run"
    PAPER = "paper"
    LIVE = "live"
