"""The crypto-exchange gateway: a ``Broker`` over any exchange ccxt supports.

``CcxtBroker`` places, cancels and reads orders, balances and trades on Binance, OKX,
Bitget or any other ccxt exchange, signed with the account's API key. ``sandbox=True``
switches ccxt to the exchange's testnet; ``api_url`` replaces the REST host (a proxy or a
stand-in server). Real money needs ``TradingMode.LIVE`` chosen explicitly, credentials
and ``confirm_live=True``; the mode is on the broker and on every order's log line.

The client order id is sent as the exchange's ``clientOrderId``: a submission retried
after a timeout first asks the exchange for that id, so a retry never opens a second
order. Every order passes the pre-trade ``RiskConfig`` first. ccxt errors are mapped
once: insufficient funds and invalid orders raise ``OrderRejected`` (the order is kept
as REJECTED with the reason), rate limits, timeouts and 5xx answers
``TemporaryProviderError`` (retried with backoff first), anything else ``ProviderError``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from functools import partial
from typing import Any

import pandas as pd

from vibetrading.adapters.providers.ccxt import _http_status, _rebase
from vibetrading.domain.risk import RiskConfig, RiskState, check_order
from vibetrading.domain.trading.enums import (
    OrderSide,
    OrderStatus,
    OrderType,
    RejectReason,
    TradingMode,
)
from vibetrading.domain.trading.orders import Fill, Order
from vibetrading.domain.trading.portfolio import AccountSnapshot
from vibetrading.errors import (
    ConfigError,
    NotFound,
    OrderRejected,
    ProviderError,
    TemporaryProviderError,
)

__all__ = ["CcxtBroker"]

logger = logging.getLogger(__name__)

_STATUS = {
    "open": OrderStatus.ACCEPTED,
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELLED,
    "cancelled": OrderStatus.CANCELLED,
    "expired": OrderStatus.CANCELLED,
    "rejected": OrderStatus.REJECTED,
}
_TYPES = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP: "stop_loss",
    OrderType.STOP_LIMIT: "stop_loss_limit",
}


class CcxtBroker:
    """Trade a crypto exchange account through ccxt.

    `quote` is the account currency (cash); positions are the other assets' balances,
    keyed ``BASE/QUOTE``. `retries` temporary failures are retried with exponential
    backoff starting at `backoff_s`.
    """

    def __init__(
        self,
        exchange_id: str = "binance",
        *,
        api_key: str,
        secret: str,
        password: str | None = None,
        mode: TradingMode = TradingMode.LIVE,
        sandbox: bool = False,
        confirm_live: bool = False,
        api_url: str | None = None,
        quote: str = "USDT",
        risk: RiskConfig | None = None,
        timeout_s: float = 10.0,
        retries: int = 2,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not (api_key and secret):
            raise ConfigError(f"Trading on {exchange_id} needs an API key and secret.")
        if mode is not TradingMode.LIVE:
            raise ConfigError("The exchange gateway only runs in LIVE mode (paper: PaperBroker).")
        if not sandbox and not confirm_live:
            raise ConfigError(
                f"LIVE trading on {exchange_id} moves real money: confirm it explicitly "
                "(confirm_live=True), or use the exchange's testnet (sandbox=True)."
            )
        self.mode = mode
        self.exchange_id = exchange_id
        self.sandbox = sandbox
        self.quote = quote
        self.risk = risk or RiskConfig()
        self.retries = retries
        self.backoff_s = backoff_s
        self.sleep = sleep
        self.exchange = _build_exchange(
            exchange_id, api_key, secret, password, sandbox, api_url, timeout_s
        )
        self._orders: dict[str, Order] = {}
        self._seen_trades: set[str] = set()
        self._day_start_equity: tuple[date, float] | None = None  # (UTC day, equity)

    # -- the Broker protocol -----------------------------------------------------------

    def submit(self, order: Order) -> Order:
        """Send `order` to the exchange; the same client order id is sent only once.

        Raises OrderRejected (risk limit, funds, invalid order), TemporaryProviderError
        when the exchange stays unreachable, ProviderError otherwise.
        """
        known = self._orders.get(order.client_order_id)
        if known is not None:
            return known
        self._check_risk(order)
        sent = self._call(lambda: self._create(order), recover=order)
        result = self._order_from(sent, order)
        self._orders[order.client_order_id] = result
        logger.info(
            "%s %s %s %g %s on %s%s: %s",
            self.mode.value.upper(),
            order.side.value,
            order.symbol,
            order.quantity,
            order.order_type.value,
            self.exchange_id,
            " (testnet)" if self.sandbox else "",
            result.status.value,
        )
        return result

    def cancel(self, client_order_id: str) -> Order:
        """Cancel a working order on the exchange and return it."""
        order = self._get(client_order_id)
        self._call(
            lambda: self.exchange.cancel_order(
                order.broker_order_id, order.symbol, {"clientOrderId": client_order_id}
            )
        )
        cancelled = order.cancelled("cancelled by request")
        self._orders[client_order_id] = cancelled
        return cancelled

    def amend(
        self,
        client_order_id: str,
        *,
        quantity: float | None = None,
        limit_price: float | None = None,
        stop_price: float | None = None,
    ) -> Order:
        """Replace a working order: cancel it, then send the change under a new id."""
        order = self.cancel(client_order_id)
        revision = sum(1 for cid in self._orders if cid.startswith(f"{client_order_id}-a")) + 1
        changed = replace(
            order,
            client_order_id=f"{client_order_id}-a{revision}",
            quantity=quantity if quantity is not None else order.remaining,
            limit_price=limit_price if limit_price is not None else order.limit_price,
            stop_price=stop_price if stop_price is not None else order.stop_price,
            status=OrderStatus.SUBMITTING,
            filled_quantity=0.0,
            average_price=None,
            fees=0.0,
            broker_order_id=None,
            message="",
        )
        return self.submit(changed)

    def orders(self, *, open_only: bool = False) -> list[Order]:
        """Return the orders sent from here, refreshed from the exchange while working."""
        for cid, order in list(self._orders.items()):
            if order.is_open and order.broker_order_id:
                raw = self._call(
                    partial(self.exchange.fetch_order, order.broker_order_id, order.symbol)
                )
                self._orders[cid] = self._order_from(raw, order)
        return [o for o in self._orders.values() if o.is_open or not open_only]

    def positions(self) -> dict[str, float]:
        """Return the non-zero balances of every asset but the quote, as BASE/QUOTE."""
        return self._holdings(self._call(self.exchange.fetch_balance))[1]

    def account(self) -> AccountSnapshot:
        """Return the quote balance as cash, positions, and equity: cash plus every
        position valued at its pair's last price (assets without a pair count as 0)."""
        cash, positions = self._holdings(self._call(self.exchange.fetch_balance))
        value = sum(quantity * self._mark(symbol) for symbol, quantity in positions.items())
        return AccountSnapshot(
            cash=cash,
            equity=cash + value,
            positions=positions,
            currency=self.quote,
            mode=self.mode.value,
            timestamp=pd.Timestamp.now(tz="UTC"),
        )

    def fills(self) -> Iterator[Fill]:
        """Yield the account's trades on the symbols ordered from here, once each."""
        by_exchange_id = {o.broker_order_id: o for o in self._orders.values()}
        for symbol in sorted({o.symbol for o in self._orders.values()}):
            trades = self._call(partial(self.exchange.fetch_my_trades, symbol))
            for trade in trades:
                if trade["id"] in self._seen_trades:
                    continue
                self._seen_trades.add(trade["id"])
                order = by_exchange_id.get(trade.get("order"))
                fee = trade.get("fee") or {}
                yield Fill(
                    client_order_id=order.client_order_id if order else str(trade.get("order")),
                    symbol=trade["symbol"],
                    side=OrderSide(trade["side"]),
                    quantity=float(trade["amount"]),
                    price=float(trade["price"]),
                    fees=float(fee.get("cost") or 0.0),
                    timestamp=pd.Timestamp(trade["timestamp"], unit="ms", tz="UTC"),
                    order_type=order.order_type if order else OrderType.MARKET,
                    reason=order.reason if order else "manual",
                )

    # -- helpers -----------------------------------------------------------------------

    def _create(self, order: Order) -> Any:
        params: dict[str, Any] = {"clientOrderId": order.client_order_id}
        if order.stop_price is not None:
            params["stopPrice"] = order.stop_price
        return self.exchange.create_order(
            order.symbol,
            _TYPES[order.order_type],
            order.side.value,
            order.quantity,
            order.limit_price,
            params,
        )

    def _find(self, order: Order) -> Any | None:
        try:
            return self.exchange.fetch_order(
                None, order.symbol, {"origClientOrderId": order.client_order_id}
            )
        except _ccxt().OrderNotFound:
            return None

    def _holdings(self, balance: Any) -> tuple[float, dict[str, float]]:
        totals = balance.get("total", {})
        cash = float(totals.get(self.quote) or 0.0)
        positions = {
            f"{asset}/{self.quote}": float(amount)
            for asset, amount in totals.items()
            if asset != self.quote and amount
        }
        return cash, positions

    def _mark(self, symbol: str) -> float:
        try:
            return self._last_price(symbol)
        except (NotFound, ProviderError) as e:
            if isinstance(e, TemporaryProviderError):
                raise
            logger.warning("no %s price on %s; valued at 0: %s", symbol, self.exchange_id, e)
            return 0.0

    def _check_risk(self, order: Order) -> None:
        price = order.limit_price or order.stop_price or self._last_price(order.symbol)
        account = self.account()
        held = account.positions.get(order.symbol, 0.0)
        today = pd.Timestamp.now(tz="UTC").date()
        if self._day_start_equity is None or self._day_start_equity[0] != today:
            self._day_start_equity = (today, account.equity)  # the day's first check
        state = RiskState(
            position=held,
            price=price,
            equity=account.equity,
            day_start_equity=self._day_start_equity[1],
        )
        problem = check_order(self.risk, side=order.side.sign, quantity=order.quantity, state=state)
        if problem:
            self._reject(order, RejectReason.RISK_LIMIT, problem)

    def _last_price(self, symbol: str) -> float:
        candles = self._call(lambda: self.exchange.fetch_ohlcv(symbol, "1m", limit=1))
        if not candles:
            raise ProviderError(self.exchange_id, f"no price for {symbol}.")
        return float(candles[-1][4])

    def _reject(self, order: Order, reason: RejectReason, detail: str) -> None:
        rejected = order.rejected(reason, detail)
        self._orders[order.client_order_id] = rejected
        raise OrderRejected(f"{order.client_order_id}: {rejected.message}")

    def _call(self, action: Callable[[], Any], recover: Order | None = None) -> Any:
        ccxt = _ccxt()
        for attempt in range(self.retries + 1):
            try:
                if recover is not None and attempt > 0:
                    found = self._find(recover)  # the timed-out request may have landed
                    if found is not None:
                        return found
                return action()
            except (ccxt.InsufficientFunds, ccxt.InvalidOrder) as e:
                if recover is None:
                    raise OrderRejected(f"{self.exchange_id} refused the request: {e}") from e
                reason = (
                    RejectReason.INSUFFICIENT_CASH
                    if isinstance(e, ccxt.InsufficientFunds)
                    else RejectReason.EXCHANGE
                )
                rejected = recover.rejected(reason, _short(e))
                self._orders[recover.client_order_id] = rejected
                raise OrderRejected(f"{recover.client_order_id}: {rejected.message}") from e
            except ccxt.OrderNotFound as e:
                raise NotFound(f"{self.exchange_id} knows no such order: {_short(e)}") from e
            except ccxt.AuthenticationError as e:
                raise ProviderError(
                    self.exchange_id, f"the API key or signature was refused: {_short(e)}"
                ) from e
            except ccxt.BaseError as e:
                if not _is_temporary(e) or attempt == self.retries:
                    raise _translate(e, self.exchange_id) from e
                self.sleep(self.backoff_s * 2**attempt)
        raise ProviderError(self.exchange_id, "no attempt made")  # pragma: no cover

    def _order_from(self, raw: Any, order: Order) -> Order:
        status = _STATUS.get(str(raw.get("status")), OrderStatus.ACCEPTED)
        filled = float(raw.get("filled") or 0.0)
        if status is OrderStatus.ACCEPTED and filled > 0:
            status = OrderStatus.PARTIALLY_FILLED
        fee = raw.get("fee") or {}
        return replace(
            order,
            status=status,
            broker_order_id=str(raw.get("id")),
            filled_quantity=filled,
            average_price=raw.get("average") or (raw.get("price") if filled else None),
            fees=float(fee.get("cost") or order.fees),
            updated_at=pd.Timestamp.now(tz="UTC"),
        )

    def _get(self, client_order_id: str) -> Order:
        order = self._orders.get(client_order_id)
        if order is None:
            raise NotFound(f"No order with client order id {client_order_id!r}.")
        if not order.is_open:
            raise OrderRejected(f"Order {client_order_id} is {order.status.value}.")
        return order


def _ccxt() -> Any:
    from vibetrading.adapters.providers.ccxt import _ccxt as load

    return load()


def _build_exchange(
    exchange_id: str,
    api_key: str,
    secret: str,
    password: str | None,
    sandbox: bool,
    api_url: str | None,
    timeout_s: float,
) -> Any:
    ccxt = _ccxt()
    if exchange_id not in ccxt.exchanges:
        raise ConfigError(f"ccxt has no exchange {exchange_id!r}.")
    exchange = getattr(ccxt, exchange_id)(
        {
            "apiKey": api_key,
            "secret": secret,
            "password": password,
            "timeout": int(timeout_s * 1000),
            "enableRateLimit": False,
        }
    )
    if sandbox:
        exchange.set_sandbox_mode(True)
    if api_url:
        exchange.urls["api"] = _rebase(exchange.urls.get("api"), api_url.rstrip("/"))
    options = exchange.options
    options["defaultType"] = "spot"
    fetch_markets = options.get("fetchMarkets")
    if isinstance(fetch_markets, dict):
        options["fetchMarkets"] = {**fetch_markets, "types": ["spot"]}
    options["fetchMargins"] = False
    exchange.has["fetchCurrencies"] = False
    return exchange


def _is_temporary(error: Exception) -> bool:
    ccxt = _ccxt()
    status = _http_status(error)
    if isinstance(error, ccxt.NetworkError):  # timeouts, rate limits, exchange unavailable
        return True
    return status is not None and (status == 429 or status >= 500)


def _translate(error: Exception, exchange_id: str) -> ProviderError:
    if _is_temporary(error):
        return TemporaryProviderError(
            exchange_id, f"unavailable or rate-limiting ({_short(error)}); try again later."
        )
    return ProviderError(exchange_id, f"failed: {_short(error)}")


def _short(error: Exception) -> str:
    text = str(error)
    return text if len(text) <= 200 else text[:197] + "..."
