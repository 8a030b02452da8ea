import pandas as pd
import pytest

from vibetrading.domain.trading.enums import (
    OrderSide,
    OrderStatus,
    OrderType,
    RejectReason,
)
from vibetrading.domain.trading.orders import Fill, Order, describe_rejection
from vibetrading.errors import OrderRejected

NOW = pd.Timestamp("2024-01-02", tz="UTC")


def fill(quantity, price, client_order_id="o"):
    return Fill(client_order_id, "AAPL", OrderSide.BUY, quantity, price, 1.0, NOW)


def test_order_fills_in_parts_then_is_filled_with_average_price():
    order = Order("o", "AAPL", OrderSide.BUY, quantity=10).accepted(NOW)

    partial = order.with_fill(fill(4, 10.0))
    done = partial.with_fill(fill(6, 11.0))

    assert partial.status is OrderStatus.PARTIALLY_FILLED
    assert done.status is OrderStatus.FILLED
    assert done.average_price == pytest.approx(10.6)
    assert done.fees == 2.0
    assert done.remaining == 0


@pytest.mark.parametrize(
    "final",
    [OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED],
    ids=["filled", "cancelled", "rejected"],
)
def test_final_order_cannot_change_state(final):
    order = Order("o", "AAPL", OrderSide.BUY, quantity=1).accepted()
    order = {
        OrderStatus.FILLED: lambda: order.with_fill(fill(1, 1.0)),
        OrderStatus.CANCELLED: order.cancelled,
        OrderStatus.REJECTED: lambda: order.rejected(RejectReason.EXCHANGE),
    }[final]()

    with pytest.raises(OrderRejected, match="cannot become"):
        order.cancelled()


@pytest.mark.parametrize("reason", list(RejectReason), ids=[r.value for r in RejectReason])
def test_rejection_message_says_the_reason_in_words(reason):
    order = Order("o", "AAPL", OrderSide.SELL, quantity=1).rejected(reason, "detail")

    assert order.message == f"Rejected: {describe_rejection(reason)} (detail)."
    assert order.reject_reason is reason


@pytest.mark.parametrize(
    "kwargs",
    [
        {"client_order_id": "", "quantity": 1},
        {"quantity": 0},
        {"quantity": float("nan")},
        {"quantity": 1, "order_type": OrderType.LIMIT},
        {"quantity": 1, "order_type": OrderType.STOP_LIMIT, "limit_price": 1.0},
    ],
    ids=["no-id", "zero", "nan", "limit-without-price", "stop-limit-without-stop"],
)
def test_malformed_order_raises(kwargs):
    values = {"client_order_id": "o", "symbol": "AAPL", "side": OrderSide.BUY} | kwargs

    with pytest.raises(OrderRejected):
        Order(**values)


def test_order_and_fill_round_trip_through_dicts():
    order = Order("o", "AAPL", OrderSide.BUY, 5, OrderType.LIMIT, 9.5, created_at=NOW)
    rejected = order.rejected(RejectReason.LOT_SIZE, at=NOW)
    one = fill(2, 3.0)

    assert Order.from_dict(rejected.to_dict()) == rejected
    assert Fill.from_dict(one.to_dict()) == one
    assert one.notional == 6.0


def test_side_sign_and_open_states():
    assert (OrderSide.BUY.sign, OrderSide.SELL.sign) == (1, -1)
    assert OrderStatus.PARTIALLY_FILLED.is_open
    assert not OrderStatus.REJECTED.is_open
