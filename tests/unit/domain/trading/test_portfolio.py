import pandas as pd
import pytest

from vibetrading.domain.trading.enums import OrderSide
from vibetrading.domain.trading.orders import Fill
from vibetrading.domain.trading.portfolio import Portfolio, TradeLedger

T0 = pd.Timestamp("2024-01-02", tz="UTC")
T1 = pd.Timestamp("2024-01-03", tz="UTC")


def fill(side, quantity, price, fees=1.0, when=T0, count=1, reason="entry"):
    return Fill("o", "AAPL", side, quantity, price, fees, when, reason=reason, bar_count=count)


def test_portfolio_books_buys_sells_and_average_price():
    book = Portfolio(cash=1_000.0)

    book.apply_fill(fill(OrderSide.BUY, 5, 10.0))
    book.apply_fill(fill(OrderSide.BUY, 5, 12.0))
    average = book.positions["AAPL"].average_price
    book.apply_fill(fill(OrderSide.SELL, 10, 13.0))

    assert average == pytest.approx(11.0)
    assert book.position("AAPL") == 0.0
    assert book.cash == pytest.approx(1_000 - 50 - 60 + 130 - 3)
    assert Portfolio.from_dict(book.to_dict()) == book


def test_portfolio_short_flip_and_equity_at_marks():
    book = Portfolio(cash=100.0)

    book.apply_fill(fill(OrderSide.SELL, 2, 10.0, fees=0.0))
    book.apply_fill(fill(OrderSide.BUY, 3, 9.0, fees=0.0))

    assert book.positions["AAPL"].quantity == 1
    assert book.positions["AAPL"].average_price == 9.0
    assert book.equity({"AAPL": 11.0}) == pytest.approx(100 + 20 - 27 + 11)


def test_ledger_turns_fills_into_a_round_trip_and_open_trade_at_end():
    ledger = TradeLedger()
    ledger.add(fill(OrderSide.BUY, 10, 10.0, count=1))
    ledger.add(fill(OrderSide.SELL, 10, 11.0, when=T1, count=4, reason="signal"))
    ledger.add(fill(OrderSide.BUY, 5, 12.0, count=5))

    trades = TradeLedger.from_dict(ledger.to_dict()).finish({"AAPL": (T1, 13.0, 7)})

    assert trades[0] | {"pnl": round(trades[0]["pnl"], 6)} == {
        "symbol": "AAPL", "direction": "long", "entry_time": T0.isoformat(),
        "entry_price": 10.0, "exit_time": T1.isoformat(), "exit_price": 11.0, "quantity": 10,
        "pnl": 8.0, "return": pytest.approx(0.08), "bars_held": 3, "exit_reason": "signal",
        "fees": 2.0,
    }  # fmt: skip
    assert trades[1]["exit_reason"] == "end"
    assert trades[1]["exit_price"] == 13.0
