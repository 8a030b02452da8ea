"""The fill rules shared by the backtester and the paper broker.

Every rule here calls the backtester's compiled ``*_nb`` helpers
(``vibetrading.domain.backtest.kernels``), so a paper fill is priced, sized and charged
exactly as a backtest fill: fill price of market/limit/stop/stop-limit orders inside a
bar, adverse slippage, lot rounding, commissions with minimums, duties and levies
(``CostModel``), affordability, volume participation, A-share price limits and T+1, and
the stop-loss / take-profit / trailing-stop exit of a position.

``MarketState`` is the per-symbol bookkeeping these rules need between bars (session,
units locked by T+1, the previous session's close, volume already traded in the bar).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from vibetrading.domain.backtest import kernels as nb
from vibetrading.domain.trading.costs import CostModel
from vibetrading.domain.trading.enums import OrderSide, OrderType
from vibetrading.domain.trading.markets import Market
from vibetrading.domain.trading.symbols import Symbol

__all__ = [
    "MarketState",
    "affordable_quantity",
    "bar_fill_price",
    "fill_cost",
    "is_lot_multiple",
    "is_price_limited",
    "lot_for",
    "protective_exit",
    "session_id",
    "slip_price",
    "symbol_costs",
    "symbol_params",
    "target_quantity",
    "volume_cap",
]

FloatArray = npt.NDArray[np.float64]
_PRICE_TICKS = {Market.SH: 0.01, Market.SZ: 0.01}
_NS_PER_DAY = 86_400 * 10**9
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_KERNEL_TYPES: dict[str, Any] = {t: np.int64(i) for i, t in enumerate(nb.ORDER_TYPES)}


def _int(value: int) -> Any:
    # numba compiles one specialisation per argument type: always pass int64 / bool_
    return np.int64(value)


def _flag(value: bool) -> Any:
    return np.bool_(value)


def symbol_costs(
    symbol: Symbol,
    *,
    costs: CostModel | None = None,
    fee_rate: float | None = None,
    slippage_bps: float | None = None,
) -> CostModel:
    """Return the cost model a run uses, overridden as ``run_signals`` overrides it."""
    model = costs or symbol.costs
    update: dict[str, float] = {}
    if fee_rate:
        update["commission_rate"] = float(fee_rate)
    if slippage_bps:
        update["slippage_bps"] = float(slippage_bps)
    return model.model_copy(update=update) if update else model


def symbol_params(symbol: Symbol, costs: CostModel | None = None) -> FloatArray:
    """Return the kernels' ``P_*`` row of `symbol`: costs, lots, T+1, price limit, tick."""
    from vibetrading.domain.backtest.engine import write_cost_params

    row = np.zeros(nb.N_PARAMS)
    rules = symbol.rules
    write_cost_params(row, costs or symbol.costs, rules)
    row[nb.P_T_PLUS] = rules.t_plus
    limit = rules.price_limit_rate
    row[nb.P_PRICE_LIMIT] = np.nan if limit is None else limit
    row[nb.P_TICK] = _PRICE_TICKS.get(symbol.market, 0.0)
    return row


def bar_fill_price(
    order_type: OrderType,
    side: OrderSide,
    limit_price: float | None,
    stop_price: float | None,
    open_: float,
    high: float,
    low: float,
) -> float:
    """Return where an order fills inside a bar before slippage, or NaN (``fill_price_nb``)."""
    return float(
        nb.fill_price_nb(
            _KERNEL_TYPES[order_type.value],
            _int(side.sign),
            np.nan if limit_price is None else float(limit_price),
            np.nan if stop_price is None else float(stop_price),
            float(open_),
            float(high),
            float(low),
        )
    )


def slip_price(price: float, side: OrderSide, params: FloatArray) -> float:
    """Return `price` moved against the trader by the symbol's slippage."""
    return float(nb.slip_price_nb(float(price), _int(side.sign), params[nb.P_SLIPPAGE]))


def fill_cost(notional: float, quantity: float, side: OrderSide, params: FloatArray) -> float:
    """Return commission, duties, levies and fees of one fill (``order_cost_nb``)."""
    return float(
        nb.order_cost_nb(float(notional), float(quantity), _flag(side is OrderSide.BUY), params)
    )


def lot_for(side: OrderSide, params: FloatArray, *, is_closing: bool) -> float:
    """Return the lot a fill rounds to: the sell lot for closing sells, else the board lot."""
    return float(
        params[nb.P_SELL_LOT] if is_closing and side is OrderSide.SELL else params[nb.P_LOT]
    )


def affordable_quantity(cash: float, price: float, params: FloatArray) -> float:
    """Return the most whole board lots `cash` buys at `price`, costs included."""
    return float(nb.affordable_quantity_nb(float(cash), float(price), params, params[nb.P_LOT]))


def target_quantity(
    price: float,
    equity: float,
    params: FloatArray,
    *,
    equity_fraction: float | None = None,
    cash_amount: float | None = None,
) -> float:
    """Return the units an entry sized by equity fraction or cash asks for, in whole lots."""
    if equity_fraction is not None:
        kind, size = nb.SIZE_PERCENT, equity_fraction
    else:
        kind, size = nb.SIZE_CASH, float(cash_amount or 0.0)
    return float(
        nb.target_quantity_nb(
            _int(kind), float(size), float(price), float(equity), params[nb.P_LOT]
        )
    )


def volume_cap(max_volume_share: float | None, volume: float, used: float, lot: float) -> float:
    """Return the units a bar still lets trade with volume participation (inf if unlimited)."""
    if max_volume_share is None:
        return math.inf
    return float(nb.round_quantity_nb(max_volume_share * volume - used, lot))


def is_lot_multiple(quantity: float, lot: float) -> bool:
    """Return True when `quantity` is a whole number of `lot` units."""
    return bool(nb.round_quantity_nb(quantity, lot) >= quantity * (1 - 1e-9))


def is_price_limited(side: OrderSide, price: float, reference: float, params: FloatArray) -> bool:
    """Return True when the daily price limit forbids a fill at `price`."""
    return bool(
        nb.is_price_limited_nb(
            _int(side.sign),
            float(price),
            float(reference),
            params[nb.P_PRICE_LIMIT],
            params[nb.P_TICK],
        )
    )


def protective_exit(
    direction: int,
    bar: tuple[float, float, float],
    entry_price: float,
    peak: float,
    *,
    stop_loss: float | None,
    take_profit: float | None,
    trailing_stop: float | None,
) -> tuple[float, str] | None:
    """Return (price, reason) of the stop/target exit a bar (open, high, low) triggers.

    Levels are those of the backtester: fractions of the average `entry_price`, the
    trailing stop a fraction from `peak` (highest high of a long since entry).
    """
    d = float(direction)
    stop = entry_price * (1.0 - d * stop_loss) if stop_loss is not None else np.nan
    target = entry_price * (1.0 + d * take_profit) if take_profit is not None else np.nan
    trailing = peak * (1.0 - d * trailing_stop) if trailing_stop is not None else np.nan
    open_, high, low = bar
    price, reason = nb.stop_exit_nb(_int(direction), open_, high, low, stop, target, trailing)
    if reason < 0:
        return None
    return float(price), nb.REASONS[int(reason)]


def session_id(timestamp: pd.Timestamp, timezone: str) -> int:
    """Return the trading-day number of `timestamp` in the market's timezone (for T+1).

    It is called at every bar: the offset comes from ``zoneinfo`` (the tz database pandas
    reads for a timezone name), not from a pandas conversion, ten times slower.
    """
    nanos = int(timestamp.as_unit("ns").value)
    if timezone != "UTC":
        utc = _EPOCH + timedelta(microseconds=nanos // 1000)
        offset = utc.astimezone(ZoneInfo(timezone)).utcoffset() or timedelta()
        nanos += (offset // timedelta(microseconds=1)) * 1000
    return nanos // _NS_PER_DAY


@dataclass
class MarketState:
    """What the fill rules remember about one symbol between bars."""

    session: int | None = None
    locked: float = 0.0  # units opened in the current session (T+1)
    limit_reference: float = math.nan  # the previous session's close
    last_close: float = math.nan
    mark: float = math.nan
    volume_used: float = 0.0
    bar_count: int = 0
    timestamp: pd.Timestamp | None = None

    def start_bar(self, timestamp: pd.Timestamp, open_: float, session: int) -> None:
        """Advance to a new bar: a new session unlocks T+1 units and moves the limit base."""
        self.bar_count += 1
        self.volume_used = 0.0
        self.mark = float(open_)
        self.timestamp = timestamp
        if session != self.session:
            if self.session is not None:
                self.limit_reference = self.last_close
            self.session = session
            self.locked = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the state as JSON-ready data."""
        return {
            "session": self.session,
            "locked": self.locked,
            "limit_reference": _nan_none(self.limit_reference),
            "last_close": _nan_none(self.last_close),
            "mark": _nan_none(self.mark),
            "volume_used": self.volume_used,
            "bar_count": self.bar_count,
            "timestamp": self.timestamp.isoformat() if self.timestamp is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MarketState:
        """Rebuild the state from ``to_dict`` data."""
        return cls(
            session=data["session"],
            locked=data["locked"],
            limit_reference=_none_nan(data["limit_reference"]),
            last_close=_none_nan(data["last_close"]),
            mark=_none_nan(data["mark"]),
            volume_used=data["volume_used"],
            bar_count=data["bar_count"],
            timestamp=pd.Timestamp(data["timestamp"]) if data["timestamp"] else None,
        )


def _nan_none(value: float) -> float | None:
    return None if math.isnan(value) else value


def _none_nan(value: float | None) -> float:
    return math.nan if value is None else float(value)
