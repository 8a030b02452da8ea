"""The paper broker: orders filled against incoming bars with the backtester's rules.

``PaperBroker`` keeps a simulated account and fills working orders as each bar arrives
(``on_bar``), in the backtester's order: orders that close a position first, then orders
that open one, then the protective bracket of a position (stop-loss, take-profit,
trailing stop), all priced, sized and charged by ``vibetrading.domain.trading.execution``
(the kernels' ``*_nb`` helpers). Orders submitted at a bar's close fill at the next bar.

``DryRunBroker`` accepts orders, logs them and never fills or sends anything.

Both check every order before accepting it: lot size, cash, position (no short selling
where the market forbids it), T+1 for day orders, the daily price limit, market hours
and the pre-trade ``RiskConfig``. Market hours (a ``market_open`` function such as
``is_market_open``) are checked for orders that say when they were placed
(``created_at``: a person's order, at that time); an order without a time is queued for
the next bar, as the backtester's orders are, whatever the clock.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from vibetrading.domain.backtest import kernels as nb
from vibetrading.domain.risk import RiskConfig, RiskState, check_order
from vibetrading.domain.trading import Symbol
from vibetrading.domain.trading import execution as ex
from vibetrading.domain.trading.enums import (
    OrderSide,
    OrderStatus,
    OrderType,
    RejectReason,
    TimeInForce,
    TradingMode,
)
from vibetrading.domain.trading.orders import Fill, Order
from vibetrading.domain.trading.portfolio import AccountSnapshot, Portfolio, TradeLedger
from vibetrading.errors import NotFound, OrderRejected

__all__ = ["DryRunBroker", "PaperBroker", "is_market_open"]

logger = logging.getLogger(__name__)

MarketOpen = Callable[[Symbol, pd.Timestamp], bool]
_EPS = 1e-9


def is_market_open(symbol: Symbol, when: pd.Timestamp) -> bool:
    """Return whether `symbol`'s market trades at `when` (its exchange calendar).

    Crypto trades around the clock; FX from Sunday 20:00 to Friday 22:00 UTC (the
    widest of the seasonal hours). A time at midnight (UTC or the
    exchange's local time) is read as a daily bar's date: open when that date is a
    session. Other times are open within the session's hours (lunch breaks closed).
    Times outside the calendar's range count as open.

    >>> is_market_open(Symbol.parse("AAPL"), pd.Timestamp("2024-01-06 15:00", tz="UTC"))
    False
    """
    stamp = when.tz_localize("UTC") if when.tz is None else when.tz_convert("UTC")
    name = symbol.calendar_name
    if name == "24/7":
        return True
    if name == "24/5":
        day, hour = stamp.weekday(), stamp.hour
        return not (day == 5 or (day == 6 and hour < 20) or (day == 4 and hour >= 22))
    local = stamp.tz_convert(symbol.timezone)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # exchange-calendars on pandas 3
        try:
            if stamp == stamp.normalize():
                return bool(symbol.calendar.is_session(stamp.tz_localize(None).normalize()))
            if local == local.normalize():
                return bool(symbol.calendar.is_session(local.tz_localize(None).normalize()))
            return bool(symbol.calendar.is_open_on_minute(stamp))
        except ValueError:  # before or after the calendar's range: no rule to apply
            return True


class PaperBroker:
    """A simulated broker account over one or more symbols, filled bar by bar.

    `symbols` maps codes to Symbols (their lots, costs and market rules); `costs` may
    override a symbol's cost model (``execution.symbol_costs``). `max_volume_share`
    caps each fill at that share of the bar's volume (partial fills; the rest waits).

    >>> broker = PaperBroker({"SPX": Symbol.parse("SPX")}, cash=10_000)
    >>> order = broker.submit(Order("o1", "SPX", OrderSide.BUY, quantity=1))
    >>> order.status.value
    'accepted'
    """

    mode = TradingMode.PAPER

    def __init__(
        self,
        symbols: Mapping[str, Symbol],
        *,
        cash: float,
        costs: Mapping[str, Any] | None = None,
        risk: RiskConfig | None = None,
        max_volume_share: float | None = None,
        market_open: MarketOpen | None = None,
    ) -> None:
        self.symbols = dict(symbols)
        self.params = {
            code: ex.symbol_params(s, (costs or {}).get(code)) for code, s in self.symbols.items()
        }
        self.risk = risk or RiskConfig()
        self.max_volume_share = max_volume_share
        self.market_open = market_open
        self.portfolio = Portfolio(cash=float(cash))
        self.ledger = TradeLedger()
        self.markets = {code: ex.MarketState() for code in self.symbols}
        self.protection: dict[str, dict[str, Any]] = {}
        self.day_start_equity = float(cash)
        self._orders: dict[str, Order] = {}
        self._working_orders: dict[str, Order] = {}  # the open ones, in the same order
        self._timezones = {code: s.timezone for code, s in self.symbols.items()}
        self._fills: list[Fill] = []
        self._fills_read = 0
        self.changed: dict[str, Order] = {}  # orders changed since the last ``take_changes``

    # -- the Broker protocol -----------------------------------------------------------

    def submit(self, order: Order) -> Order:
        """Check and accept `order` (it fills on the next bar); same id, same order."""
        known = self._orders.get(order.client_order_id)
        if known is not None:
            return known
        now = self._now(order.symbol)
        placed_at = order.created_at
        order = replace(order, created_at=placed_at or now, status=OrderStatus.SUBMITTING)
        problem = self._check(order, placed_at=placed_at)
        result = order.rejected(*problem, at=now) if problem else order.accepted(now)
        self._store(result)
        return result

    def cancel(self, client_order_id: str) -> Order:
        """Cancel a working order; raise NotFound or OrderRejected when it is not working."""
        order = self._get(client_order_id)
        cancelled = order.cancelled("cancelled by request", at=self._now(order.symbol))
        self._store(cancelled)
        return cancelled

    def amend(
        self,
        client_order_id: str,
        *,
        quantity: float | None = None,
        limit_price: float | None = None,
        stop_price: float | None = None,
    ) -> Order:
        """Change the quantity or prices of a working order (checked again)."""
        order = self._get(client_order_id)
        if not order.is_open:
            raise OrderRejected(f"Order {client_order_id} is {order.status.value}; not amendable.")
        changes: dict[str, Any] = {}
        for name, value in (
            ("quantity", quantity),
            ("limit_price", limit_price),
            ("stop_price", stop_price),
        ):
            if value is not None:
                changes[name] = value
        amended = replace(order, **changes)
        if amended.quantity < amended.filled_quantity:
            raise OrderRejected(f"Order {client_order_id} has filled {order.filled_quantity}.")
        problem = self._check(replace(amended, quantity=amended.remaining or amended.quantity))
        if problem:
            raise OrderRejected(f"Amendment refused: {problem[0].value} ({problem[1]}).")
        self._store(amended)
        return amended

    def orders(self, *, open_only: bool = False) -> list[Order]:
        """Return every order, oldest first (only working ones when `open_only`)."""
        return list((self._working_orders if open_only else self._orders).values())

    def positions(self) -> dict[str, float]:
        """Return signed units held per symbol."""
        return {s: p.quantity for s, p in self.portfolio.positions.items()}

    def account(self) -> AccountSnapshot:
        """Return cash, equity at the latest marks, and positions."""
        currencies = {s.currency for s in self.symbols.values()}
        return AccountSnapshot(
            cash=self.portfolio.cash,
            equity=self.equity(),
            positions=self.positions(),
            currency=currencies.pop() if len(currencies) == 1 else "mixed",
            mode=self.mode.value,
            timestamp=max(
                (m.timestamp for m in self.markets.values() if m.timestamp is not None),
                default=None,
            ),
        )

    def fills(self) -> Iterator[Fill]:
        """Yield the fills not yet read, oldest first."""
        while self._fills_read < len(self._fills):
            self._fills_read += 1
            yield self._fills[self._fills_read - 1]

    # -- the market --------------------------------------------------------------------

    def on_bar(
        self,
        symbol: str,
        timestamp: pd.Timestamp,
        *,
        open_: float,
        high: float,
        low: float,
        close: float,
        volume: float = math.nan,
    ) -> list[Fill]:
        """Fill working orders of `symbol` against one bar; return the bar's fills.

        Order of events, as in the backtester: orders closing a position at the open
        (market) or inside the bar (limit/stop), then orders opening one, then the
        position's protective bracket; finally the close becomes the mark.
        """
        market = self.markets[symbol]
        session = ex.session_id(timestamp, self._timezones[symbol])
        if market.session is not None and session != market.session:
            self._expire_day_orders(symbol, timestamp)
            self.day_start_equity = self.equity()
        market.start_bar(timestamp, open_, session)
        before = len(self._fills)
        bar = (float(open_), float(high), float(low), float(volume))
        for is_closing in (True, False):
            for order in self._working(symbol):
                if self._closes(order) == is_closing:
                    self._work(order, bar)
        self._protect(symbol, bar)
        market.mark = float(close)
        market.last_close = float(close)
        held = self.portfolio.position(symbol) != 0.0
        if symbol in self.protection:
            self.protection[symbol]["live"] = held
        for order in self._working(symbol):
            if order.time_in_force is TimeInForce.IOC:
                self._store(order.cancelled("immediate or cancel", at=timestamp))
        return self._fills[before:]

    def equity(self) -> float:
        """Return cash plus positions at their latest marks."""
        marks = {s: self.markets[s].mark for s in self.portfolio.positions}
        return self.portfolio.equity(marks)

    def bar_count(self, symbol: str) -> int:
        """Return how many bars of `symbol` the broker has seen."""
        return self.markets[symbol].bar_count

    def open_trade_entry_count(self, symbol: str) -> int | None:
        """Return the symbol's bar count when its open trade began, or None when flat."""
        trade = self.ledger.open_trades.get(symbol)
        return trade.entry_count if trade else None

    def take_changes(self) -> list[Order]:
        """Return the orders changed since the last call (for one write per bar)."""
        changed = list(self.changed.values())
        self.changed.clear()
        return changed

    def trades(self) -> list[dict[str, Any]]:
        """Return round-trip trades, open positions valued at their last close ("end")."""
        closes = {
            s: (m.timestamp, m.last_close, m.bar_count)
            for s, m in self.markets.items()
            if m.timestamp is not None
        }
        return self.ledger.finish(closes)

    # -- checks ------------------------------------------------------------------------

    def _check(
        self, order: Order, *, placed_at: pd.Timestamp | None = None
    ) -> tuple[RejectReason, str] | None:
        symbol = self.symbols.get(order.symbol)
        if symbol is None:
            return RejectReason.INVALID, f"{order.symbol} is not traded by this account"
        is_open = self.market_open
        if is_open is not None and placed_at is not None and not is_open(symbol, placed_at):
            return RejectReason.MARKET_CLOSED, (
                f"{symbol.code} does not trade at {placed_at:%Y-%m-%d %H:%M} UTC; "
                "place it during the session"
            )
        for check in (self._check_lot, self._check_position, self._check_price, self._check_cash):
            problem = check(order, symbol)
            if problem:
                return problem
        return self._check_risk(order)

    def _check_lot(self, order: Order, symbol: Symbol) -> tuple[RejectReason, str] | None:
        if order.quantity <= 0:  # sized at its fill
            return None
        is_closing = self._closes(order)
        lot = ex.lot_for(order.side, self.params[order.symbol], is_closing=is_closing)
        if ex.is_lot_multiple(order.quantity, lot):
            return None
        return RejectReason.LOT_SIZE, (
            f"{symbol.code} trades in lots of {lot:g} units ({symbol.market.value}); "
            f"{order.quantity:g} is not a multiple"
        )

    def _check_position(self, order: Order, symbol: Symbol) -> tuple[RejectReason, str] | None:
        if order.side is OrderSide.BUY or order.quantity <= 0:
            return None
        held = self.portfolio.position(order.symbol)
        if not symbol.rules.allows_shorting and order.quantity > held + _EPS:
            return RejectReason.INSUFFICIENT_POSITION, (
                f"holding {held:g} {symbol.code}, cannot sell {order.quantity:g}"
            )
        sellable = held - self.markets[order.symbol].locked
        if order.time_in_force is TimeInForce.DAY and order.quantity > sellable + _EPS:
            return RejectReason.T_PLUS_ONE, f"only {max(sellable, 0):g} may be sold today"
        return None

    def _check_price(self, order: Order, symbol: Symbol) -> tuple[RejectReason, str] | None:
        rate = symbol.rules.price_limit_rate
        reference = self.markets[order.symbol].last_close
        if rate is None or order.limit_price is None or math.isnan(reference):
            return None
        low, high = reference * (1 - rate), reference * (1 + rate)
        if not low - _EPS <= order.limit_price <= high + _EPS:
            return RejectReason.PRICE_LIMIT, (
                f"{order.limit_price:g} is outside today's band {low:.2f}-{high:.2f}"
            )
        return None

    def _check_cash(self, order: Order, symbol: Symbol) -> tuple[RejectReason, str] | None:
        if order.side is OrderSide.SELL or order.quantity <= 0 or self._closes(order):
            return None
        price = self._reference_price(order)
        if math.isnan(price):
            return None
        params = self.params[order.symbol]
        notional = order.quantity * price
        need = notional + ex.fill_cost(notional, order.quantity, order.side, params)
        if need > self.portfolio.cash + _EPS:
            return RejectReason.INSUFFICIENT_CASH, (
                f"needs about {need:,.2f} {symbol.currency}, cash is {self.portfolio.cash:,.2f}"
            )
        return None

    def _check_risk(self, order: Order) -> tuple[RejectReason, str] | None:
        price = self._reference_price(order)
        if math.isnan(price):
            return None
        equity = self.equity()
        quantity = order.quantity
        if quantity <= 0:
            fraction = order.equity_fraction
            quantity = (fraction * equity if fraction else order.cash_amount or 0.0) / price
        state = RiskState(
            position=self.portfolio.position(order.symbol),
            price=price,
            equity=equity,
            day_start_equity=self.day_start_equity,
        )
        problem = check_order(self.risk, side=order.side.sign, quantity=quantity, state=state)
        return (RejectReason.RISK_LIMIT, problem) if problem else None

    def _reference_price(self, order: Order) -> float:
        return float(order.limit_price or order.stop_price or self.markets[order.symbol].mark)

    # -- fills -------------------------------------------------------------------------

    def _working(self, symbol: str) -> list[Order]:
        return [o for o in self._working_orders.values() if o.symbol == symbol]

    def _closes(self, order: Order) -> bool:
        held = self.portfolio.position(order.symbol)
        return held != 0.0 and (held > 0) != (order.side is OrderSide.BUY)

    def _work(self, order: Order, bar: tuple[float, float, float, float]) -> None:
        order = self._orders[order.client_order_id]  # an earlier fill may have changed it
        if not order.is_open:
            return
        held = self.portfolio.position(order.symbol)
        is_closing = self._closes(order)
        if order.reduce_only and not is_closing:
            self._store(order.cancelled("nothing left to close", at=self._now(order.symbol)))
            return
        if not is_closing and self._has_pending_close(order.symbol):
            return  # an exit waits: entries wait for the cash it frees
        open_, high, low, _ = bar
        raw = ex.bar_fill_price(
            order.order_type, order.side, order.limit_price, order.stop_price, open_, high, low
        )
        if math.isnan(raw):
            if order.order_type is OrderType.STOP_LIMIT and (
                high >= order.stop_price if order.side is OrderSide.BUY else low <= order.stop_price  # type: ignore[operator]
            ):
                self._store(replace(order, order_type=OrderType.LIMIT))
            return
        if is_closing:
            self._close(order, raw, bar, held)
        else:
            self._open(order, raw, bar)

    def _has_pending_close(self, symbol: str) -> bool:
        return any(o.reduce_only and self._closes(o) for o in self._working(symbol))

    def _close(
        self, order: Order, raw: float, bar: tuple[float, float, float, float], held: float
    ) -> None:
        market = self.markets[order.symbol]
        params = self.params[order.symbol]
        lot = ex.lot_for(order.side, params, is_closing=True)
        quantity = min(order.remaining, abs(held) - market.locked)
        quantity = min(
            quantity, ex.volume_cap(self.max_volume_share, bar[3], market.volume_used, lot)
        )
        if ex.is_price_limited(order.side, raw, market.limit_reference, params):
            quantity = 0.0
        if quantity > 0.0:
            self._fill(order, quantity, ex.slip_price(raw, order.side, params), opening=False)
        if self.portfolio.position(order.symbol) == 0.0:
            self._after_flat(order)

    def _after_flat(self, order: Order) -> None:
        self.protection.pop(order.symbol, None)
        current = self._orders[order.client_order_id]
        if current.is_open and current.reduce_only:
            self._store(current.cancelled("position closed", at=self._now(order.symbol)))
        direction = -order.side.sign
        for other in self._working(order.symbol):
            if other.side.sign == direction and not other.reduce_only:
                self._store(other.cancelled("its trade was closed", at=self._now(order.symbol)))

    def _open(self, order: Order, raw: float, bar: tuple[float, float, float, float]) -> None:
        market = self.markets[order.symbol]
        params = self.params[order.symbol]
        if ex.is_price_limited(order.side, raw, market.limit_reference, params):
            return  # waits for a bar off the limit
        price = ex.slip_price(raw, order.side, params)
        lot = float(params[nb.P_LOT])
        if order.quantity <= 0:  # sized at its first fill, at the fill price
            target = ex.target_quantity(
                price,
                self.equity(),
                params,
                equity_fraction=order.equity_fraction,
                cash_amount=order.cash_amount,
            )
            order = replace(order, quantity=target)
            self._put(order)
        quantity = min(
            order.remaining, ex.volume_cap(self.max_volume_share, bar[3], market.volume_used, lot)
        )
        if order.side is OrderSide.BUY:
            affordable = ex.affordable_quantity(self.portfolio.cash, price, params)
            if affordable < quantity:  # cash, not volume, limits the order: drop the rest
                quantity = affordable
                order = replace(order, quantity=order.filled_quantity + affordable)
                self._put(order)
        if order.remaining <= 0.0:
            detail = f"{self.portfolio.cash:,.2f} cash buys no whole lot at {price:,.4g}"
            if order.filled_quantity > 0:
                self._store(order.cancelled(detail, at=market.timestamp))
            else:
                self._store(
                    order.rejected(RejectReason.INSUFFICIENT_CASH, detail, market.timestamp)
                )
            return
        if quantity <= 0.0:
            return
        is_first = self.portfolio.position(order.symbol) == 0.0
        self._fill(order, quantity, price, opening=True)
        if is_first and _has_bracket(order):
            self.protection[order.symbol] = {
                "parent": order.client_order_id,
                "stop_loss": order.stop_loss,
                "take_profit": order.take_profit,
                "trailing_stop": order.trailing_stop,
                "peak": price,
                "live": raw == bar[0],
                "count": 0,
            }
        current = self._orders[order.client_order_id]
        if current.is_open and current.remaining <= lot * _EPS:
            self._store(current.cancelled("the rest is below one lot", at=market.timestamp))

    def _fill(self, order: Order, quantity: float, price: float, *, opening: bool) -> None:
        market = self.markets[order.symbol]
        params = self.params[order.symbol]
        notional = quantity * price
        fill = Fill(
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            quantity=quantity,
            price=price,
            fees=ex.fill_cost(notional, quantity, order.side, params),
            timestamp=market.timestamp or pd.Timestamp(0, tz="UTC"),
            order_type=order.order_type,
            reason=order.reason,
            bar_count=market.bar_count,
        )
        self.portfolio.apply_fill(fill)
        self.ledger.add(fill)
        market.volume_used += quantity
        if opening and params[nb.P_T_PLUS] > 0:
            market.locked += quantity
        self._fills.append(fill)
        self._store(self._orders[order.client_order_id].with_fill(fill))

    def _protect(self, symbol: str, bar: tuple[float, float, float, float]) -> None:
        guard = self.protection.get(symbol)
        held = self.portfolio.position(symbol)
        if guard is None or held == 0.0 or not guard["live"] or self._has_pending_close(symbol):
            return
        direction = 1 if held > 0 else -1
        trade = self.ledger.open_trades[symbol]
        entry = trade.entry_value / trade.entry_quantity
        open_, high, low, _ = bar
        hit = ex.protective_exit(
            direction,
            (open_, high, low),
            entry,
            guard["peak"],
            stop_loss=guard["stop_loss"],
            take_profit=guard["take_profit"],
            trailing_stop=guard["trailing_stop"],
        )
        if hit is None:
            guard["peak"] = max(guard["peak"], high) if direction > 0 else min(guard["peak"], low)
            return
        price, reason = hit
        guard["count"] += 1
        side = OrderSide.SELL if direction > 0 else OrderSide.BUY
        order_type = OrderType.LIMIT if reason == "take_profit" else OrderType.STOP
        child = Order(
            client_order_id=f"{guard['parent']}-{reason}-{guard['count']}",
            symbol=symbol,
            side=side,
            quantity=abs(held),
            order_type=order_type,
            limit_price=price if order_type is OrderType.LIMIT else None,
            stop_price=price if order_type is OrderType.STOP else None,
            reason=reason,
            reduce_only=True,
            created_at=self._now(symbol),
        ).accepted(self._now(symbol))
        self._store(child)
        self._close(child, price, bar, held)
        left = self._orders[child.client_order_id]
        if left.is_open:  # T+1, a price limit or volume: the rest exits at the next open
            self._store(
                replace(left, order_type=OrderType.MARKET, limit_price=None, stop_price=None)
            )

    # -- bookkeeping -------------------------------------------------------------------

    def _expire_day_orders(self, symbol: str, timestamp: pd.Timestamp) -> None:
        for order in self._working(symbol):
            if order.time_in_force is TimeInForce.DAY:
                self._store(order.cancelled("day order expired", at=timestamp))

    def _store(self, order: Order) -> None:
        self._put(order)
        self.changed[order.client_order_id] = order

    def _put(self, order: Order) -> None:
        self._orders[order.client_order_id] = order
        if order.is_open:
            self._working_orders[order.client_order_id] = order
        else:
            self._working_orders.pop(order.client_order_id, None)

    def _get(self, client_order_id: str) -> Order:
        order = self._orders.get(client_order_id)
        if order is None:
            raise NotFound(f"No order with client order id {client_order_id!r}.")
        return order

    def _now(self, symbol: str) -> pd.Timestamp | None:
        market = self.markets.get(symbol)
        return market.timestamp if market else None

    # -- durable state -----------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Return everything needed to resume this broker exactly, as JSON-ready data."""
        return {
            "portfolio": self.portfolio.to_dict(),
            "ledger": self.ledger.to_dict(),
            "markets": {s: m.to_dict() for s, m in self.markets.items()},
            "protection": self.protection,
            "day_start_equity": self.day_start_equity,
            "orders": [o.to_dict() for o in self._orders.values()],
            "fills": [f.to_dict() for f in self._fills],
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore a ``state_dict``; the fills stream starts after the restored fills."""
        self.portfolio = Portfolio.from_dict(state["portfolio"])
        self.ledger = TradeLedger.from_dict(state["ledger"])
        self.markets = {s: ex.MarketState.from_dict(m) for s, m in state["markets"].items()}
        self.protection = {s: dict(p) for s, p in state["protection"].items()}
        self.day_start_equity = float(state["day_start_equity"])
        self._orders = {o["client_order_id"]: Order.from_dict(o) for o in state["orders"]}
        self._working_orders = {k: o for k, o in self._orders.items() if o.is_open}
        self._fills = [Fill.from_dict(f) for f in state["fills"]]
        self._fills_read = len(self._fills)
        self.changed.clear()


def _has_bracket(order: Order) -> bool:
    return any(v is not None for v in (order.stop_loss, order.take_profit, order.trailing_stop))


class DryRunBroker(PaperBroker):
    """Accept and log orders, never fill or send them: DRY_RUN mode.

    It runs the same checks as the paper broker, so a dry run shows which orders a
    strategy would place and which would be rejected, with nothing executed.
    """

    mode = TradingMode.DRY_RUN

    def submit(self, order: Order) -> Order:
        """Check `order`, log it, and keep it ACCEPTED; nothing is ever sent."""
        result = super().submit(order)
        logger.info(
            "DRY RUN %s %s %g %s: %s",
            result.side.value,
            result.symbol,
            result.quantity,
            result.order_type.value,
            result.status.value,
        )
        return result

    def on_bar(
        self,
        symbol: str,
        timestamp: pd.Timestamp,
        *,
        open_: float,
        high: float,
        low: float,
        close: float,
        volume: float = math.nan,
    ) -> list[Fill]:
        """Advance the marks to the bar; a dry run never fills."""
        market = self.markets[symbol]
        market.start_bar(timestamp, open_, ex.session_id(timestamp, self._timezones[symbol]))
        market.mark = market.last_close = float(close)
        return []
