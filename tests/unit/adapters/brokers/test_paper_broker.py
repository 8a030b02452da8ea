import math

import pandas as pd
import pytest

from vibetrading.adapters.brokers.paper import DryRunBroker, PaperBroker, is_market_open
from vibetrading.domain.risk import RiskConfig
from vibetrading.domain.trading import Symbol
from vibetrading.domain.trading.enums import (
    OrderSide,
    OrderStatus,
    OrderType,
    RejectReason,
    TimeInForce,
    TradingMode,
)
from vibetrading.domain.trading.orders import Order
from vibetrading.errors import NotFound, OrderRejected

BUY, SELL = OrderSide.BUY, OrderSide.SELL
LIMIT = OrderType.LIMIT
DAY1 = pd.Timestamp("2024-01-02 07:00", tz="UTC")  # 15:00 in Shanghai
DAY2 = pd.Timestamp("2024-01-03 07:00", tz="UTC")
DAY3 = pd.Timestamp("2024-01-04 07:00", tz="UTC")


def broker_for(code, cash=100_000.0, **options):
    symbol = Symbol.parse(code)
    return PaperBroker({symbol.code: symbol}, cash=cash, **options)


def bar(broker, code, when, open_, high=None, low=None, close=None, volume=1e9):
    return broker.on_bar(
        code,
        when,
        open_=open_,
        high=high if high is not None else open_,
        low=low if low is not None else open_,
        close=close if close is not None else open_,
        volume=volume,
    )


def test_submit_market_order_accepts_then_fills_at_next_open():
    broker = broker_for("AAPL")
    bar(broker, "AAPL", DAY1, 100.0)

    accepted = broker.submit(Order("o1", "AAPL", BUY, quantity=10))
    fills = bar(broker, "AAPL", DAY2, 101.0, high=103.0, low=99.0, close=102.0)

    assert accepted.status is OrderStatus.ACCEPTED
    assert [(f.quantity, f.price) for f in fills] == [(10, 101.0)]
    assert broker.orders()[0].status is OrderStatus.FILLED
    assert broker.positions() == {"AAPL": 10}
    assert broker.account().equity == pytest.approx(100_000 - 10 * 101 + 10 * 102 - fills[0].fees)


def test_submit_same_client_order_id_twice_creates_one_order():
    broker = broker_for("AAPL")

    first = broker.submit(Order("same", "AAPL", BUY, quantity=1))
    second = broker.submit(Order("same", "AAPL", BUY, quantity=5))

    assert second is first
    assert len(broker.orders()) == 1


@pytest.mark.parametrize(
    ("code", "order", "reason"),
    [
        ("600519.SH", Order("a", "600519.SH", BUY, quantity=150), RejectReason.LOT_SIZE),
        ("0700.HK", Order("b", "0700.HK", BUY, quantity=50), RejectReason.LOT_SIZE),
        (
            "600519.SH",
            Order("c", "600519.SH", SELL, quantity=100),
            RejectReason.INSUFFICIENT_POSITION,
        ),
        ("AAPL", Order("d", "AAPL", BUY, quantity=10_000), RejectReason.INSUFFICIENT_CASH),
        ("AAPL", Order("e", "MSFT", BUY, quantity=1), RejectReason.INVALID),
        (
            "600519.SH",
            Order(
                "f", "600519.SH", BUY, quantity=100, order_type=OrderType.LIMIT, limit_price=12.0
            ),
            RejectReason.PRICE_LIMIT,
        ),
    ],
    ids=["a-share-lot", "hk-board-lot", "no-short", "cash", "unknown-symbol", "price-limit"],
)
def test_submit_breaking_a_rule_rejects_with_reason(code, order, reason):
    broker = broker_for(code)
    bar(broker, code, DAY1, 10.0)

    rejected = broker.submit(order)

    assert rejected.status is OrderStatus.REJECTED
    assert rejected.reject_reason is reason
    assert rejected.message.startswith("Rejected: ")


def test_sell_day_order_of_shares_bought_today_is_rejected_t_plus_one():
    broker = broker_for("600519.SH")
    bar(broker, "600519.SH", DAY1, 10.0)
    broker.submit(Order("buy", "600519.SH", BUY, quantity=100))
    bar(broker, "600519.SH", DAY2, 10.0)

    same_day = broker.submit(
        Order("sell", "600519.SH", SELL, quantity=100, time_in_force=TimeInForce.DAY)
    )
    waiting = broker.submit(Order("sell-gtc", "600519.SH", SELL, quantity=100))
    bar(broker, "600519.SH", DAY3, 11.0)

    assert same_day.reject_reason is RejectReason.T_PLUS_ONE
    assert "T+1" in same_day.message
    assert waiting.status is OrderStatus.ACCEPTED
    assert broker.orders()[-1].status is OrderStatus.FILLED
    assert broker.positions() == {}


def test_a_share_sell_pays_stamp_duty_and_minimum_commission():
    broker = broker_for("600519.SH")
    bar(broker, "600519.SH", DAY1, 10.0)
    broker.submit(Order("buy", "600519.SH", BUY, quantity=100))
    buy = bar(broker, "600519.SH", DAY2, 10.0)[0]
    broker.submit(Order("sell", "600519.SH", SELL, quantity=100))
    sell = bar(broker, "600519.SH", DAY3, 10.0)[0]

    assert sell.fees > buy.fees  # the stamp duty is charged on sells only
    assert buy.fees >= Symbol.parse("600519.SH").costs.commission_min


def test_market_buy_at_limit_up_waits_for_a_bar_off_the_limit():
    broker = broker_for("600519.SH")
    bar(broker, "600519.SH", DAY1, 10.0)
    broker.submit(Order("buy", "600519.SH", BUY, quantity=100))

    limited = bar(broker, "600519.SH", DAY2, 11.0)
    later = bar(broker, "600519.SH", DAY3, 11.5)

    assert limited == []
    assert [f.price for f in later] == [11.5]


def test_submit_when_market_closed_rejects():
    broker = broker_for("AAPL", market_open=lambda symbol, when: False)
    bar(broker, "AAPL", DAY1, 10.0)

    order = broker.submit(Order("o", "AAPL", BUY, quantity=1, created_at=DAY1))

    assert order.reject_reason is RejectReason.MARKET_CLOSED
    assert "does not trade at 2024-01-02 07:00 UTC" in order.message


def test_submit_without_placing_time_is_queued_for_the_next_bar_whatever_the_clock():
    broker = broker_for("AAPL", market_open=lambda symbol, when: False)
    bar(broker, "AAPL", DAY1, 10.0)

    order = broker.submit(Order("o", "AAPL", BUY, quantity=1))
    fills = bar(broker, "AAPL", DAY2, 11.0)

    assert order.status is OrderStatus.ACCEPTED
    assert [f.price for f in fills] == [11.0]


@pytest.mark.parametrize(
    ("code", "when", "is_open"),
    [
        ("AAPL", "2024-01-02 15:00", True),  # 10:00 in New York
        ("AAPL", "2024-01-02 22:00", False),  # after the close
        ("AAPL", "2024-01-06 15:00", False),  # Saturday
        ("AAPL", "2024-01-02 00:00", True),  # a daily bar's date: a session
        ("AAPL", "2024-01-01 00:00", False),  # New Year's Day
        ("0700.HK", "2024-03-27 16:00", True),  # local midnight: a daily bar's date
        ("0700.HK", "2024-03-01 04:30", False),  # 12:30 in Hong Kong: the lunch break
        ("600519.SH", "2024-06-10 02:00", False),  # Dragon Boat holiday
        ("BTC/USDT", "2024-01-06 03:00", True),
        ("EURUSD", "2024-01-07 21:00", True),  # Sunday evening: FX is open
        ("EURUSD", "2024-01-06 12:00", False),  # Saturday
    ],
    ids=lambda v: str(v),
)
def test_is_market_open_follows_the_exchange_calendar(code, when, is_open):
    assert is_market_open(Symbol.parse(code), pd.Timestamp(when, tz="UTC")) is is_open


def test_submit_over_risk_caps_rejects_with_the_limit():
    broker = broker_for("AAPL", risk=RiskConfig(max_order_notional=500))
    bar(broker, "AAPL", DAY1, 100.0)

    order = broker.submit(Order("o", "AAPL", BUY, quantity=10))

    assert order.reject_reason is RejectReason.RISK_LIMIT
    assert "cap of 500.00" in order.message


def test_volume_participation_fills_partially_over_bars():
    broker = broker_for("AAPL", max_volume_share=0.1)
    bar(broker, "AAPL", DAY1, 10.0)
    broker.submit(Order("o", "AAPL", BUY, quantity=150))

    first = bar(broker, "AAPL", DAY2, 10.0, volume=1000)
    partial = broker.orders()[0]
    second = bar(broker, "AAPL", DAY3, 10.0, volume=1000)

    assert [f.quantity for f in first] == [100]
    assert partial.status is OrderStatus.PARTIALLY_FILLED
    assert [f.quantity for f in second] == [50]
    assert broker.orders()[0].status is OrderStatus.FILLED


@pytest.mark.parametrize(
    ("order_type", "limit", "stop", "bar_prices", "expected"),
    [
        (OrderType.LIMIT, 99.0, None, (100.0, 101.0, 98.0), 99.0),
        (OrderType.LIMIT, 97.0, None, (100.0, 101.0, 98.0), None),
        (OrderType.STOP, None, 100.5, (100.0, 101.0, 98.0), 100.5),
        (OrderType.STOP_LIMIT, 102.0, 100.5, (100.0, 101.0, 98.0), 100.5),
    ],
    ids=["limit-fills", "limit-waits", "stop", "stop-limit"],
)
def test_priced_orders_fill_as_the_backtester(order_type, limit, stop, bar_prices, expected):
    broker = broker_for("AAPL")
    bar(broker, "AAPL", DAY1, 100.0)
    broker.submit(
        Order(
            "o", "AAPL", BUY, quantity=1, order_type=order_type, limit_price=limit, stop_price=stop
        )
    )

    open_, high, low = bar_prices
    fills = bar(broker, "AAPL", DAY2, open_, high=high, low=low, close=100.0)

    assert [f.price for f in fills] == ([expected] if expected else [])


def test_stop_limit_triggered_beyond_its_limit_becomes_a_limit_order():
    broker = broker_for("AAPL")
    bar(broker, "AAPL", DAY1, 100.0)
    broker.submit(
        Order(
            "o",
            "AAPL",
            BUY,
            1,
            order_type=OrderType.STOP_LIMIT,
            limit_price=100.2,
            stop_price=100.5,
        )
    )

    bar(broker, "AAPL", DAY2, 100.0, high=101.0, low=99.9, close=100.8)

    assert broker.orders()[0].order_type is OrderType.LIMIT


def test_bracket_entry_exits_at_the_stop_loss():
    broker = broker_for("AAPL")
    bar(broker, "AAPL", DAY1, 100.0)
    broker.submit(Order("e", "AAPL", BUY, equity_fraction=0.5, stop_loss=0.05, reason="entry"))
    bar(broker, "AAPL", DAY2, 100.0, high=101.0, low=99.0, close=100.0)

    fills = bar(broker, "AAPL", DAY3, 98.0, high=98.5, low=90.0, close=91.0)

    assert [(f.price, f.reason, f.order_type) for f in fills] == [
        (95.0, "stop_loss", OrderType.STOP)
    ]
    assert broker.trades()[0]["exit_reason"] == "stop_loss"


def test_cancel_and_amend_working_order():
    broker = broker_for("AAPL")
    bar(broker, "AAPL", DAY1, 100.0)
    broker.submit(Order("o", "AAPL", BUY, 1, order_type=OrderType.LIMIT, limit_price=90.0))

    amended = broker.amend("o", quantity=2, limit_price=95.0)
    cancelled = broker.cancel("o")

    assert (amended.quantity, amended.limit_price) == (2, 95.0)
    assert cancelled.status is OrderStatus.CANCELLED
    with pytest.raises(OrderRejected):
        broker.cancel("o")
    with pytest.raises(OrderRejected):
        broker.amend("o", quantity=3)
    with pytest.raises(NotFound):
        broker.cancel("missing")


def test_day_order_expires_at_the_next_session_and_ioc_after_one_bar():
    broker = broker_for("AAPL")
    bar(broker, "AAPL", DAY1, 100.0)
    day = Order("day", "AAPL", BUY, 1, OrderType.LIMIT, 50.0, time_in_force=TimeInForce.DAY)
    ioc = Order("ioc", "AAPL", BUY, 1, OrderType.LIMIT, 50.0, time_in_force=TimeInForce.IOC)
    broker.submit(day)
    broker.submit(ioc)

    bar(broker, "AAPL", DAY2, 100.0)

    statuses = {o.client_order_id: o.status for o in broker.orders()}
    assert statuses == {"day": OrderStatus.CANCELLED, "ioc": OrderStatus.CANCELLED}


def test_fills_stream_yields_each_fill_once():
    broker = broker_for("AAPL")
    bar(broker, "AAPL", DAY1, 100.0)
    broker.submit(Order("o", "AAPL", BUY, quantity=1))
    bar(broker, "AAPL", DAY2, 100.0)

    first, second = list(broker.fills()), list(broker.fills())

    assert len(first) == 1
    assert second == []


def test_state_dict_round_trip_resumes_the_same_account():
    broker = broker_for("600519.SH")
    bar(broker, "600519.SH", DAY1, 10.0)
    broker.submit(Order("buy", "600519.SH", BUY, quantity=200))
    bar(broker, "600519.SH", DAY2, 10.0)
    broker.submit(Order("sell", "600519.SH", SELL, quantity=100))

    clone = broker_for("600519.SH")
    clone.load_state(broker.state_dict())
    for each in (broker, clone):
        bar(each, "600519.SH", DAY3, 10.5)

    assert clone.state_dict() == broker.state_dict()
    assert clone.positions() == {"600519.SH": 100}


def test_open_orders_follow_fills_cancels_sizing_and_a_restored_state():
    broker = broker_for("AAPL")
    bar(broker, "AAPL", DAY1, 100.0)
    broker.submit(Order("sized", "AAPL", BUY, equity_fraction=0.5))
    broker.submit(Order("low", "AAPL", BUY, quantity=1, order_type=LIMIT, limit_price=50.0))
    broker.submit(Order("gone", "AAPL", BUY, quantity=1, order_type=LIMIT, limit_price=60.0))
    broker.cancel("gone")
    bar(broker, "AAPL", DAY2, 100.0)

    working = broker.orders(open_only=True)
    clone = broker_for("AAPL")
    clone.load_state(broker.state_dict())

    assert [o.client_order_id for o in broker.orders()] == ["sized", "low", "gone"]
    assert [o.client_order_id for o in working] == ["low"]
    assert working == [o for o in broker.orders() if o.is_open]
    assert clone.orders(open_only=True) == working


def test_dry_run_broker_accepts_logs_and_never_fills(caplog):
    symbol = Symbol.parse("AAPL")
    broker = DryRunBroker({"AAPL": symbol}, cash=1_000)
    bar(broker, "AAPL", DAY1, 10.0)

    with caplog.at_level("INFO"):
        order = broker.submit(Order("o", "AAPL", BUY, quantity=1))
    fills = bar(broker, "AAPL", DAY2, 10.0)

    assert broker.mode is TradingMode.DRY_RUN
    assert order.status is OrderStatus.ACCEPTED
    assert fills == []
    assert "DRY RUN buy AAPL" in caplog.text
    assert math.isclose(broker.account().cash, 1_000)
