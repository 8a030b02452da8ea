"""CcxtBroker against a stand-in Binance spot REST API on 127.0.0.1.

The stand-in serves what ccxt calls for trading: ``exchangeInfo`` and ``klines``
(public), and the signed ``account``, ``order`` (POST, GET, DELETE) and ``myTrades``
endpoints. It checks every signed request as Binance does: the ``X-MBX-APIKEY`` header
and an HMAC-SHA256 of the query string (or form body) with the secret, in ``signature``.
Answers follow Binance's documented formats and error codes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from vibetrading.adapters.brokers.ccxt import CcxtBroker
from vibetrading.domain.risk import RiskConfig
from vibetrading.domain.trading.enums import (
    OrderSide,
    OrderStatus,
    OrderType,
    RejectReason,
    TradingMode,
)
from vibetrading.domain.trading.orders import Order
from vibetrading.errors import (
    ConfigError,
    NotFound,
    OrderRejected,
    ProviderError,
    TemporaryProviderError,
)

pytestmark = pytest.mark.integration

KEY, SECRET = "test-key", "test-secret"
NOW_MS = 1_704_067_200_000
PRICE = 42_000.0
INSUFFICIENT = "Account has insufficient balance for requested action."
MARKET = {
    "symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC", "baseAssetPrecision": 8,
    "quoteAsset": "USDT", "quotePrecision": 8, "quoteAssetPrecision": 8,
    "orderTypes": ["LIMIT", "MARKET", "STOP_LOSS_LIMIT"], "isSpotTradingAllowed": True,
    "isMarginTradingAllowed": False, "permissions": [], "permissionSets": [["SPOT"]],
    "filters": [
        {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000.00",
         "tickSize": "0.01"},
        {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000.0", "stepSize": "0.00001"},
    ],
}  # fmt: skip


@dataclass
class StandInBinance:
    """Balances, orders and trades of one account, and the requests seen."""

    url: str = ""
    balances: dict[str, float] = field(default_factory=lambda: {"USDT": 10_000.0, "BTC": 0.0})
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    trades: list[dict[str, Any]] = field(default_factory=list)
    failures: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    land_then_fail: bool = False
    signed: list[str] = field(default_factory=list)
    bad_signatures: int = 0

    def answer(self, method: str, path: str, payload: str, headers: Any) -> tuple[int, Any]:
        query = {k: v[0] for k, v in parse_qs(payload).items()}
        if path == "/api/v3/exchangeInfo":
            return 200, {"timezone": "UTC", "serverTime": NOW_MS, "rateLimits": [],
                         "exchangeFilters": [], "symbols": [MARKET]}  # fmt: skip
        if path == "/api/v3/klines":
            return 200, [[NOW_MS, "41900", "42100", "41800", f"{PRICE}", "10", NOW_MS + 59_999,
                          "420000", 10, "5", "210000", "0"]]  # fmt: skip
        if not self._is_signed(payload, headers):
            self.bad_signatures += 1
            return 400, {"code": -1022, "msg": "Signature for this request is not valid."}
        self.signed.append(f"{method} {path}")
        if self.failures and path == "/api/v3/order" and method == "POST":
            status, body = self.failures.pop(0)
            if self.land_then_fail:
                self._new_order(query)
            return status, body
        return self._private(method, path, query)

    def _is_signed(self, payload: str, headers: Any) -> bool:
        unsigned, _, signature = payload.rpartition("&signature=")
        expected = hmac.new(SECRET.encode(), unsigned.encode(), hashlib.sha256).hexdigest()
        return headers.get("X-MBX-APIKEY") == KEY and hmac.compare_digest(signature, expected)

    def _private(self, method: str, path: str, query: dict[str, str]) -> tuple[int, Any]:
        if path == "/api/v3/account":
            return 200, {
                "makerCommission": 10, "takerCommission": 10, "canTrade": True,
                "accountType": "SPOT", "updateTime": NOW_MS, "permissions": ["SPOT"],
                "balances": [{"asset": a, "free": f"{v:.8f}", "locked": "0.00000000"}
                             for a, v in self.balances.items()],
            }  # fmt: skip
        if path == "/api/v3/myTrades":
            return 200, self.trades
        if path != "/api/v3/order":
            return 404, {"code": -1, "msg": "Unknown path."}
        if method == "POST":
            return self._new_order(query)
        order = self.orders.get(query.get("origClientOrderId", "")) or next(
            (o for o in self.orders.values() if str(o["orderId"]) == query.get("orderId")), None
        )
        if order is None:
            return 400, {"code": -2013, "msg": "Order does not exist."}
        if method == "DELETE":
            order["status"] = "CANCELED"
        return 200, order

    def _new_order(self, query: dict[str, str]) -> tuple[int, Any]:
        cid = query["newClientOrderId"]
        if cid in self.orders:
            return 400, {"code": -2010, "msg": "Duplicate order sent."}
        quantity = float(query["quantity"])
        is_market = query["type"] == "MARKET"
        cost = quantity * (PRICE if is_market else float(query["price"]))
        if query["side"] == "BUY" and cost > self.balances["USDT"]:
            return 400, {"code": -2010, "msg": INSUFFICIENT}
        order = {
            "symbol": "BTCUSDT", "orderId": len(self.orders) + 1, "orderListId": -1,
            "clientOrderId": cid, "transactTime": NOW_MS, "time": NOW_MS, "updateTime": NOW_MS,
            "price": "0.00000000" if is_market else query["price"],
            "origQty": query["quantity"], "executedQty": query["quantity"] if is_market else "0",
            "cummulativeQuoteQty": f"{cost:.8f}" if is_market else "0",
            "status": "FILLED" if is_market else "NEW", "timeInForce": "GTC",
            "type": query["type"], "side": query["side"],
        }  # fmt: skip
        self.orders[cid] = order
        if is_market:
            sign = 1 if query["side"] == "BUY" else -1
            self.balances["USDT"] -= sign * cost
            self.balances["BTC"] += sign * quantity
            self.trades.append({
                "symbol": "BTCUSDT", "id": len(self.trades) + 1, "orderId": order["orderId"],
                "orderListId": -1, "price": f"{PRICE}", "qty": query["quantity"],
                "quoteQty": f"{cost}", "commission": "0.00001", "commissionAsset": "BTC",
                "time": NOW_MS, "isBuyer": sign > 0, "isMaker": False, "isBestMatch": True,
            })  # fmt: skip
        return 200, order


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def _serve(self) -> None:
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        payload = body if self.command == "POST" else url.query
        status, answer = self.server.stand_in.answer(self.command, url.path, payload, self.headers)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def binance() -> Iterator[StandInBinance]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    stand_in = StandInBinance(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.stand_in = stand_in  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield stand_in
    server.shutdown()
    server.server_close()
    thread.join()


def broker_for(binance: StandInBinance, **options: Any) -> CcxtBroker:
    values = {"api_key": KEY, "secret": SECRET, "sandbox": True, "api_url": binance.url,
              "sleep": lambda _s: None} | options  # fmt: skip
    return CcxtBroker("binance", **values)


def buy(cid: str, quantity: float, **options: Any) -> Order:
    return Order(cid, "BTC/USDT", OrderSide.BUY, quantity=quantity, **options)


def test_market_order_is_signed_filled_and_shows_in_balance_and_fills(binance):
    broker = broker_for(binance)

    order = broker.submit(buy("c1", 0.1))
    fills = list(broker.fills())

    assert order.status is OrderStatus.FILLED
    assert order.broker_order_id == "1"
    assert binance.orders["c1"]["clientOrderId"] == "c1"
    assert broker.positions() == {"BTC/USDT": pytest.approx(0.1)}
    assert broker.account().cash == pytest.approx(10_000 - 4_200)
    assert [(f.client_order_id, f.quantity, f.price) for f in fills] == [("c1", 0.1, PRICE)]
    assert list(broker.fills()) == []
    assert "POST /api/v3/order" in binance.signed
    assert binance.bad_signatures == 0


def test_limit_order_is_fetched_and_cancelled(binance):
    broker = broker_for(binance)

    placed = broker.submit(buy("c2", 0.01, order_type=OrderType.LIMIT, limit_price=40_000.0))
    working = broker.orders(open_only=True)
    cancelled = broker.cancel("c2")

    assert placed.status is OrderStatus.ACCEPTED
    assert [o.client_order_id for o in working] == ["c2"]
    assert cancelled.status is OrderStatus.CANCELLED
    assert binance.orders["c2"]["status"] == "CANCELED"
    with pytest.raises(OrderRejected):
        broker.cancel("c2")


def test_amend_replaces_the_order_under_a_new_id(binance):
    broker = broker_for(binance)
    broker.submit(buy("c3", 0.01, order_type=OrderType.LIMIT, limit_price=40_000.0))

    amended = broker.amend("c3", limit_price=41_000.0)

    assert amended.client_order_id == "c3-a1"
    assert binance.orders["c3-a1"]["price"] == "41000"
    assert binance.orders["c3"]["status"] == "CANCELED"


def test_insufficient_balance_rejects_with_reason(binance):
    broker = broker_for(binance)

    with pytest.raises(OrderRejected, match="not enough cash"):
        broker.submit(buy("c4", 1.0))

    rejected = broker.orders()[0]
    assert rejected.reject_reason is RejectReason.INSUFFICIENT_CASH


def test_risk_cap_rejects_before_sending(binance):
    broker = broker_for(binance, risk=RiskConfig(max_order_notional=1_000))

    with pytest.raises(OrderRejected, match=r"cap of 1,000\.00"):
        broker.submit(buy("c5", 0.1))

    assert "POST /api/v3/order" not in binance.signed


@pytest.mark.parametrize(
    "failure",
    [(503, {"code": -1001, "msg": "Internal error."}), (429, {"code": -1003, "msg": "Too many."})],
    ids=["5xx", "429"],
)
def test_temporary_failures_retry_then_raise_temporary(binance, failure):
    binance.failures = [failure] * 3
    broker = broker_for(binance, retries=2)

    with pytest.raises(TemporaryProviderError):
        broker.submit(buy("c6", 0.01))

    assert binance.orders == {}


def test_retry_after_a_request_that_landed_never_doubles_the_order(binance):
    binance.failures = [(503, {"code": -1001, "msg": "Internal error."})]
    binance.land_then_fail = True
    broker = broker_for(binance)

    order = broker.submit(buy("c7", 0.01))
    again = broker.submit(buy("c7", 0.01))

    assert order.status is OrderStatus.FILLED
    assert again is order
    assert len(binance.orders) == 1


def test_wrong_secret_is_a_provider_error(binance):
    broker = broker_for(binance, secret="wrong")

    with pytest.raises(ProviderError):
        broker.account()

    assert binance.bad_signatures == 1


def test_cancel_unknown_order_is_not_found(binance):
    broker = broker_for(binance)

    with pytest.raises(NotFound):
        broker.cancel("nope")


@pytest.mark.parametrize(
    "options",
    [
        {"sandbox": False},
        {"api_key": ""},
        {"mode": TradingMode.PAPER},
        {"exchange_id": "nosuchexchange"},
    ],
    ids=["live-unconfirmed", "no-key", "paper-mode", "unknown-exchange"],
)
def test_gateway_refuses_unsafe_or_unknown_setup(binance, options):
    values = {"api_key": KEY, "secret": SECRET, "sandbox": True, "api_url": binance.url}
    exchange = options.pop("exchange_id", "binance")

    with pytest.raises(ConfigError):
        CcxtBroker(exchange, **(values | options))


@pytest.mark.parametrize("exchange", ["okx", "bitget"])
def test_gateway_builds_other_exchanges_in_sandbox(exchange):
    broker = CcxtBroker(exchange, api_key=KEY, secret=SECRET, password="p", sandbox=True)

    assert broker.mode is TradingMode.LIVE
    assert broker.exchange.id == exchange


def test_account_equity_values_balances_at_last_price(binance):
    broker = broker_for(binance)

    broker.submit(buy("e1", 0.1))
    account = broker.account()

    assert account.cash == pytest.approx(10_000 - 4_200)
    assert account.equity == pytest.approx(10_000.0)  # 0.1 BTC at the last close, 42,000


def test_daily_loss_cap_does_not_trip_after_a_buy(binance):
    broker = broker_for(binance, risk=RiskConfig(max_daily_loss=100))

    first = broker.submit(buy("d1", 0.1))
    second = broker.submit(buy("d2", 0.01))

    assert first.status is OrderStatus.FILLED
    assert second.status is OrderStatus.FILLED


def test_account_values_an_asset_without_a_market_at_zero(binance):
    binance.balances["XYZ"] = 5.0
    broker = broker_for(binance)

    account = broker.account()

    assert account.positions["XYZ/USDT"] == 5.0
    assert account.equity == pytest.approx(10_000.0)
