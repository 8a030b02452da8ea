"""Compiled execution kernels of the backtester: one pass over the bars, arrays in and out.

Everything here is numba ``@njit(cache=True)`` code on plain numpy arrays; ``engine.py`` owns
the pandas conversion, the input checks and the meaning of the options. The fill rules are
small public functions (``fill_price_nb``, ``order_cost_nb``, ``affordable_quantity_nb``,
``round_quantity_nb``, ``is_price_limited_nb``, ``slip_price_nb``, ``stop_exit_nb``) so that
paper trading fills orders exactly as the backtester does.

Layouts (float64 arrays, named column indices below):

* ``params[m, N_PARAMS]`` one row of market rules and costs per symbol (``P_*``).
* ``config[N_CONFIG]`` the run options (``C_*``); NaN switches an optional rule off.
* ``orders[k, N_ORDER_FIELDS]`` one row per fill (``O_*``).
* ``trades[t, N_TRADE_FIELDS]`` one row per round trip (``T_*``).

Sides are +1 (buy) and -1 (sell); directions +1 (long) and -1 (short).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:  # numba ships no types: a kernel keeps its signature and has py_func
    _P = ParamSpec("_P")
    _R = TypeVar("_R")

    class _Kernel(Generic[_P, _R]):
        py_func: Callable[_P, _R]

        def __call__(self, *args: _P.args, **kwargs: _P.kwargs) -> _R: ...

    def njit(*args: Any, **kwargs: Any) -> Callable[[Callable[_P, _R]], _Kernel[_P, _R]]: ...
else:
    from numba import njit

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

__all__ = [
    "C_FILL_CLOSE",
    "C_INIT_CASH",
    "C_LIMIT_OFFSET",
    "C_MAX_HOLDING",
    "C_MAX_VOLUME_SHARE",
    "C_ORDER_TYPE",
    "C_SIZE_TYPE",
    "C_STOPS_FIRST",
    "C_STOP_LOSS",
    "C_STOP_OFFSET",
    "C_TAKE_PROFIT",
    "C_TRAILING_STOP",
    "LIMIT",
    "MARKET",
    "N_CONFIG",
    "N_ORDER_FIELDS",
    "N_PARAMS",
    "N_TRADE_FIELDS",
    "ORDER_TYPES",
    "O_BAR",
    "O_FEES",
    "O_ORDER_TYPE",
    "O_PRICE",
    "O_QUANTITY",
    "O_REASON",
    "O_SIDE",
    "O_SYMBOL",
    "P_COMMISSION_MIN",
    "P_COMMISSION_PER_UNIT",
    "P_COMMISSION_RATE",
    "P_LEVY",
    "P_LOT",
    "P_PRICE_LIMIT",
    "P_SELL_FEE",
    "P_SELL_LOT",
    "P_SLIPPAGE",
    "P_STAMP_DUTY_BUY",
    "P_STAMP_DUTY_SELL",
    "P_TICK",
    "P_T_PLUS",
    "REASONS",
    "REASON_END",
    "REASON_ENTRY",
    "REASON_MAX_HOLDING",
    "REASON_SIGNAL",
    "REASON_STOP_LOSS",
    "REASON_TAKE_PROFIT",
    "REASON_TRAILING_STOP",
    "SIZE_CASH",
    "SIZE_PERCENT",
    "SIZE_QUANTITY",
    "STOP",
    "STOP_LIMIT",
    "T_BARS_HELD",
    "T_DIRECTION",
    "T_ENTRY_BAR",
    "T_ENTRY_PRICE",
    "T_EXIT_BAR",
    "T_EXIT_PRICE",
    "T_FEES",
    "T_PNL",
    "T_QUANTITY",
    "T_REASON",
    "T_RETURN",
    "T_SYMBOL",
    "affordable_quantity_nb",
    "fill_price_nb",
    "is_price_limited_nb",
    "order_cost_nb",
    "round_quantity_nb",
    "simulate_nb",
    "slip_price_nb",
    "stop_exit_nb",
    "stop_triggered_nb",
    "target_quantity_nb",
]

# Order types.
MARKET = 0
LIMIT = 1
STOP = 2
STOP_LIMIT = 3
ORDER_TYPES: tuple[str, ...] = ("market", "limit", "stop", "stop_limit")

# Size types.
SIZE_PERCENT = 0  # fraction of equity
SIZE_CASH = 1  # amount of quote currency
SIZE_QUANTITY = 2  # units

# Why an order was sent; exit reasons of trades are the first six.
REASON_SIGNAL = 0
REASON_STOP_LOSS = 1
REASON_TAKE_PROFIT = 2
REASON_TRAILING_STOP = 3
REASON_MAX_HOLDING = 4
REASON_END = 5
REASON_ENTRY = 6
REASONS: tuple[str, ...] = (
    "signal",
    "stop_loss",
    "take_profit",
    "trailing_stop",
    "max_holding",
    "end",
    "entry",
)

# params[j]: market rules and costs of symbol j, in the layout of CostModel and MarketRules.
P_COMMISSION_RATE = 0
P_COMMISSION_PER_UNIT = 1
P_COMMISSION_MIN = 2
P_STAMP_DUTY_BUY = 3
P_STAMP_DUTY_SELL = 4
P_LEVY = 5
P_SELL_FEE = 6
P_SLIPPAGE = 7  # fraction of the price, adverse on every fill
P_LOT = 8  # units per lot for opening orders
P_SELL_LOT = 9  # units per lot for closing sells
P_T_PLUS = 10  # sessions before opened units may be closed
P_PRICE_LIMIT = 11  # daily limit as a fraction of the previous session's close, NaN = none
P_TICK = 12  # price tick used by the limit-up / limit-down test
N_PARAMS = 13

# config: the run options.
C_INIT_CASH = 0
C_SIZE_TYPE = 1
C_FILL_CLOSE = 2  # 1 = signal orders fill at the signal bar's close, 0 = at the next open
C_STOP_LOSS = 3  # fractions of the entry price, NaN = off
C_TAKE_PROFIT = 4
C_TRAILING_STOP = 5
C_STOPS_FIRST = 6
C_MAX_VOLUME_SHARE = 7  # NaN = unlimited
C_MAX_HOLDING = 8  # bars, NaN = off
C_ORDER_TYPE = 9  # order type of entries
C_LIMIT_OFFSET = 10
C_STOP_OFFSET = 11
N_CONFIG = 12

# orders: one row per fill.
O_BAR = 0
O_SYMBOL = 1
O_SIDE = 2
O_QUANTITY = 3
O_PRICE = 4
O_FEES = 5
O_REASON = 6
O_ORDER_TYPE = 7
N_ORDER_FIELDS = 8

# trades: one row per round trip (all entry fills, then all exit fills).
T_SYMBOL = 0
T_DIRECTION = 1
T_ENTRY_BAR = 2
T_ENTRY_PRICE = 3
T_EXIT_BAR = 4
T_EXIT_PRICE = 5
T_QUANTITY = 6
T_PNL = 7
T_RETURN = 8
T_BARS_HELD = 9
T_REASON = 10
T_FEES = 11
N_TRADE_FIELDS = 12

# Per-symbol state of the simulation (private layout).
_POS = 0  # signed units held
_MARK = 1  # last known price, NaN before the symbol's first bar
_COUNT = 2  # bars of this symbol seen so far
_SESSION = 3  # session of the symbol's latest bar
_LOCKED = 4  # units opened in the current session (T+1)
_VOL_USED = 5  # units traded in the current bar
_DIR = 6  # direction of the open trade, 0 when flat
_ENTRY_BAR = 7
_ENTRY_COUNT = 8
_ENTRY_VALUE = 9
_ENTRY_QTY = 10
_ENTRY_FEES = 11
_EXIT_VALUE = 12
_EXIT_QTY = 13
_EXIT_FEES = 14
_EXIT_REASON = 15
_PEAK = 16  # highest high (long) / lowest low (short) since entry
_LIVE = 17  # 1 when stops apply in the current bar
_PX = 18  # 1 when an exit order is pending
_PX_REASON = 19
_PE = 20  # side of the pending entry order, 0 when none
_PE_TYPE = 21
_PE_LIMIT = 22
_PE_STOP = 23
_PE_SIZE = 24
_PE_QTY = 25  # units still to fill, NaN until the order is sized at its first fill
_LAST_BAR = 26  # global index of the symbol's latest bar
_N_STATE = 27

# The account: the last row of the state holds the cash and the record counts.
_CASH = 0
_N_ORDERS = 1
_N_TRADES = 2

# Arguments typed as plain int64 / bool: a Python literal argument makes numba compile one
# more specialisation of the callee (seconds of first-call time).
_AS_ENTRY: Any = np.int64(REASON_ENTRY)
_AS_MARKET: Any = np.int64(MARKET)
_AT_CLOSE: Any = np.bool_(False)
_NO_ROWS: Any = np.int64(0)

_QTY_EPS = 1e-9  # relative tolerance when comparing quantities to lot multiples


@njit(cache=True)
def round_quantity_nb(quantity: float, lot: float) -> float:
    """Round `quantity` down to a whole number of `lot` units (0 for NaN or negatives)."""
    if not quantity > 0.0:
        return 0.0
    return float(np.floor(quantity / lot + _QTY_EPS) * lot)


@njit(cache=True)
def slip_price_nb(price: float, side: int, slippage: float) -> float:
    """Move `price` against the trader by the fraction `slippage` (buys up, sells down)."""
    return price * (1.0 + slippage) if side > 0 else price * (1.0 - slippage)


@njit(cache=True)
def order_cost_nb(notional: float, quantity: float, is_buy: bool, params: FloatArray) -> float:
    """Return commission, duties, levies and fees of one fill, as ``CostModel.total``.

    `params` is one row of the ``P_*`` layout; the result is never negative.
    """
    notional = abs(notional)
    commission = 0.0
    if notional > 0.0:
        raw = notional * params[P_COMMISSION_RATE] + abs(quantity) * params[P_COMMISSION_PER_UNIT]
        commission = max(raw, params[P_COMMISSION_MIN])
    if is_buy:
        rate = params[P_STAMP_DUTY_BUY] + params[P_LEVY]
    else:
        rate = params[P_STAMP_DUTY_SELL] + params[P_LEVY] + params[P_SELL_FEE]
    return float(commission + notional * rate)


@njit(cache=True)
def affordable_quantity_nb(cash: float, price: float, params: FloatArray, lot: float) -> float:
    """Return the most units, in whole `lot`s, that `cash` buys at `price` with all costs.

    Both parts of the commission, max(rate part, minimum), must be affordable, which makes
    the answer exact: ``quantity * price + order_cost_nb(...) <= cash`` up to float
    rounding (the fill clamps a cash of -1e-9 relative to 0); 0 when no lot is affordable.
    """
    if not (cash > 0.0 and price > 0.0):
        return 0.0
    other = params[P_STAMP_DUTY_BUY] + params[P_LEVY]
    rate = params[P_COMMISSION_RATE] + other
    per_unit = params[P_COMMISSION_PER_UNIT]
    if per_unit == 0.0:
        by_rate = cash / (1.0 + rate) / price  # the order of operations of vectorbt's buy_nb
    else:
        by_rate = cash / (price * (1.0 + rate) + per_unit)
    by_minimum = (cash - params[P_COMMISSION_MIN]) / (1.0 + other) / price
    return max(float(np.floor(min(by_rate, by_minimum) / lot) * lot), 0.0)


@njit(cache=True)
def target_quantity_nb(
    size_type: int, size: float, price: float, equity: float, lot: float
) -> float:
    """Return the units an entry of `size` asks for, rounded down to `lot` (0 when NaN)."""
    if size_type == SIZE_PERCENT:
        raw = size * equity / price
    elif size_type == SIZE_CASH:
        raw = size / price
    else:
        raw = size
    return round_quantity_nb(raw, lot)


@njit(cache=True)
def _limit_fill_nb(side: int, limit: float, open_: float, high: float, low: float) -> float:
    if side > 0:
        return min(open_, limit) if low <= limit else np.nan
    return max(open_, limit) if high >= limit else np.nan


@njit(cache=True)
def _stop_limit_fill_nb(
    side: int, limit: float, stop: float, open_: float, high: float, low: float
) -> float:
    if side > 0:
        if open_ >= stop:  # triggered at the open: a limit order for the whole bar
            return _limit_fill_nb(side, limit, open_, high, low)
        if high >= stop and stop <= limit:  # triggered inside the bar, at the stop
            return stop
        return np.nan
    if open_ <= stop:
        return _limit_fill_nb(side, limit, open_, high, low)
    if low <= stop and stop >= limit:
        return stop
    return np.nan


@njit(cache=True)
def fill_price_nb(
    order_type: int,
    side: int,
    price: float,
    stop_price: float,
    open_: float,
    high: float,
    low: float,
) -> float:
    """Return where an order fills inside one bar, or NaN when it does not fill.

    * market: the open.
    * limit at `price`: a buy fills at min(open, price) when low <= price; a sell at
      max(open, price) when high >= price.
    * stop at `stop_price`: a buy triggers when high >= stop and fills at max(open, stop);
      a sell triggers when low <= stop and fills at min(open, stop).
    * stop-limit: triggered at the open (a gap through the stop), it is a limit order for
      the whole bar; triggered inside the bar it fills at the stop when the stop is within
      the limit, otherwise it waits (see ``stop_triggered_nb``) and is a limit order from
      the next bar on, because the bar does not tell whether its low came after the trigger.

    Slippage is not included (``slip_price_nb``).

    >>> fill_price_nb(LIMIT, 1, 99.0, np.nan, 100.0, 101.0, 98.0)
    99.0
    """
    if order_type == MARKET:
        return open_
    if order_type == LIMIT:
        return _limit_fill_nb(side, price, open_, high, low)
    if order_type == STOP:
        if side > 0:
            return max(open_, stop_price) if high >= stop_price else np.nan
        return min(open_, stop_price) if low <= stop_price else np.nan
    return _stop_limit_fill_nb(side, price, stop_price, open_, high, low)


@njit(cache=True)
def stop_triggered_nb(side: int, stop_price: float, high: float, low: float) -> bool:
    """Return True when a bar of `high` and `low` reaches the stop price of a `side` order."""
    return high >= stop_price if side > 0 else low <= stop_price


@njit(cache=True)
def is_price_limited_nb(
    side: int, price: float, reference: float, limit_rate: float, tick: float
) -> bool:
    """Return True when a daily price limit forbids the fill (limit-up buys, limit-down sells).

    `reference` is the previous session's close; `limit_rate` NaN means no limit. A buy is
    refused at or above reference * (1 + rate) - tick, a sell at or below
    reference * (1 - rate) + tick.
    """
    if np.isnan(limit_rate) or np.isnan(reference):
        return False
    if side > 0:
        return price >= reference * (1.0 + limit_rate) - tick
    return price <= reference * (1.0 - limit_rate) + tick


@njit(cache=True)
def stop_exit_nb(
    direction: int,
    open_: float,
    high: float,
    low: float,
    stop_level: float,
    take_profit_level: float,
    trailing_level: float,
) -> tuple[float, int]:
    """Return (price, reason) of the protective exit a bar triggers, or (NaN, -1).

    Levels are prices (NaN = off). The stricter of the stop-loss and trailing levels is the
    stop. A gap through a level fills at the open; a bar whose range holds both the stop
    and the target exits at the stop (the conservative reading of an unknown path).
    """
    reason = REASON_STOP_LOSS
    stop = stop_level
    if not np.isnan(trailing_level) and (
        np.isnan(stop) or direction * (trailing_level - stop) > 0.0
    ):
        stop = trailing_level
        reason = REASON_TRAILING_STOP
    has_stop = not np.isnan(stop)
    has_target = not np.isnan(take_profit_level)
    if has_stop and direction * (open_ - stop) <= 0.0:
        return open_, reason
    if has_target and direction * (open_ - take_profit_level) >= 0.0:
        return open_, REASON_TAKE_PROFIT
    if has_stop and (low <= stop if direction > 0 else high >= stop):
        return stop, reason
    if has_target and (high >= take_profit_level if direction > 0 else low <= take_profit_level):
        return take_profit_level, REASON_TAKE_PROFIT
    return np.nan, -1


@njit(cache=True)
def _equity_nb(st: FloatArray) -> float:
    value: float = st[-1, _CASH]
    for j in range(st.shape[0] - 1):
        if st[j, _POS] != 0.0:
            value += st[j, _POS] * st[j, _MARK]
    return value


@njit(cache=True)
def _volume_cap_nb(rules: FloatArray, volume: float, used: float, lot: float) -> float:
    share = rules[-1, C_MAX_VOLUME_SHARE]
    if np.isnan(share):
        return np.inf
    return round_quantity_nb(share * volume - used, lot)


@njit(cache=True)
def _close_trade_nb(st: FloatArray, trades: FloatArray, i: int, j: int) -> None:
    k = int(st[-1, _N_TRADES])
    direction = st[j, _DIR]
    entry_value = st[j, _ENTRY_VALUE]
    exit_value = st[j, _EXIT_VALUE]
    fees = st[j, _ENTRY_FEES] + st[j, _EXIT_FEES]
    pnl = direction * (exit_value - entry_value) - fees
    trades[k, T_SYMBOL] = j
    trades[k, T_DIRECTION] = direction
    trades[k, T_ENTRY_BAR] = st[j, _ENTRY_BAR]
    trades[k, T_ENTRY_PRICE] = entry_value / st[j, _ENTRY_QTY]
    trades[k, T_EXIT_BAR] = i
    trades[k, T_EXIT_PRICE] = exit_value / st[j, _EXIT_QTY]
    trades[k, T_QUANTITY] = st[j, _ENTRY_QTY]
    trades[k, T_PNL] = pnl
    trades[k, T_RETURN] = pnl / entry_value
    trades[k, T_BARS_HELD] = st[j, _COUNT] - st[j, _ENTRY_COUNT]
    trades[k, T_REASON] = st[j, _EXIT_REASON]
    trades[k, T_FEES] = fees
    st[-1, _N_TRADES] = k + 1
    for field in range(_DIR, _PX_REASON + 1):
        st[j, field] = 0.0
    st[j, _EXIT_REASON] = np.nan
    st[j, _PX_REASON] = np.nan


@njit(cache=True)
def _record_order_nb(
    orders: FloatArray,
    st: FloatArray,
    i: int,
    j: int,
    side: int,
    qty: float,
    price: float,
    cost: float,
    reason: int,
    order_type: int,
) -> None:
    k = int(st[-1, _N_ORDERS])
    orders[k, O_BAR] = i
    orders[k, O_SYMBOL] = j
    orders[k, O_SIDE] = side
    orders[k, O_QUANTITY] = qty
    orders[k, O_PRICE] = price
    orders[k, O_FEES] = cost
    orders[k, O_REASON] = reason
    orders[k, O_ORDER_TYPE] = order_type
    st[-1, _N_ORDERS] = k + 1


@njit(cache=True)
def _fill_nb(
    st: FloatArray,
    rules: FloatArray,
    orders: FloatArray,
    trades: FloatArray,
    i: int,
    j: int,
    side: int,
    qty: float,
    price: float,
    reason: int,
    order_type: int,
) -> None:
    notional = qty * price
    cost = order_cost_nb(notional, qty, side > 0, rules[j])
    cash = st[-1, _CASH] - side * notional - cost
    if 0.0 > cash >= -_QTY_EPS * (notional + cost):
        cash = 0.0  # a float-rounding residue of the sizing, not a short squeeze
    st[-1, _CASH] = cash
    _record_order_nb(orders, st, i, j, side, qty, price, cost, reason, order_type)
    st[j, _VOL_USED] += qty
    if st[j, _DIR] == 0.0 or st[j, _DIR] == side:  # opening (never adds to a trade's exits)
        if st[j, _DIR] == 0.0:
            st[j, _DIR] = side
            st[j, _ENTRY_BAR] = i
            st[j, _ENTRY_COUNT] = st[j, _COUNT]
            st[j, _PEAK] = price
        st[j, _POS] += side * qty
        st[j, _ENTRY_VALUE] += notional
        st[j, _ENTRY_QTY] += qty
        st[j, _ENTRY_FEES] += cost
        if rules[j, P_T_PLUS] > 0.0:
            st[j, _LOCKED] += qty
        return
    remaining = st[j, _POS] + side * qty
    st[j, _POS] = 0.0 if abs(remaining) <= qty * _QTY_EPS else remaining
    st[j, _EXIT_VALUE] += notional
    st[j, _EXIT_QTY] += qty
    st[j, _EXIT_FEES] += cost
    if np.isnan(st[j, _EXIT_REASON]):
        st[j, _EXIT_REASON] = reason
    if st[j, _POS] == 0.0:
        _close_trade_nb(st, trades, i, j)


@njit(cache=True)
def _cancel_entry_nb(st: FloatArray, j: int) -> None:
    st[j, _PE] = 0.0
    st[j, _PE_QTY] = np.nan


@njit(cache=True)
def _exit_nb(
    st: FloatArray,
    rules: FloatArray,
    orders: FloatArray,
    trades: FloatArray,
    i: int,
    j: int,
    raw_price: float,
    reason: int,
    order_type: int,
    volume: float,
    reference: float,
) -> None:
    position = st[j, _POS]  # never 0: exits are sent for open positions only
    side = -1 if position > 0.0 else 1
    direction = -side
    p = rules[j]
    qty = abs(position) - st[j, _LOCKED]  # T+1: units opened this session wait
    lot = p[P_SELL_LOT] if side < 0 else p[P_LOT]
    cap = _volume_cap_nb(rules, volume, st[j, _VOL_USED], lot)
    qty = min(qty, cap)
    if is_price_limited_nb(side, raw_price, reference, p[P_PRICE_LIMIT], p[P_TICK]):
        qty = 0.0
    if qty > 0.0:
        price = slip_price_nb(raw_price, side, p[P_SLIPPAGE])
        _fill_nb(st, rules, orders, trades, i, j, side, qty, price, reason, order_type)
    if st[j, _POS] != 0.0:  # the rest is pending for the next bar's open
        if st[j, _PX] == 0.0:
            st[j, _PX] = 1.0
            st[j, _PX_REASON] = reason
    else:
        st[j, _PX] = 0.0
        if st[j, _PE] == direction:  # what is left of the entry order goes with the trade
            _cancel_entry_nb(st, j)


@njit(cache=True)
def _enter_nb(
    st: FloatArray,
    rules: FloatArray,
    orders: FloatArray,
    trades: FloatArray,
    i: int,
    j: int,
    raw_price: float,
    at_open: bool,
    volume: float,
    reference: float,
) -> None:
    side = int(st[j, _PE])
    p = rules[j]
    if is_price_limited_nb(side, raw_price, reference, p[P_PRICE_LIMIT], p[P_TICK]):
        return  # stays pending
    price = slip_price_nb(raw_price, side, p[P_SLIPPAGE])
    lot = p[P_LOT]
    if np.isnan(st[j, _PE_QTY]):  # sized at the first fill, at the fill price
        size_type = int(rules[-1, C_SIZE_TYPE])
        st[j, _PE_QTY] = target_quantity_nb(size_type, st[j, _PE_SIZE], price, _equity_nb(st), lot)
    qty = min(st[j, _PE_QTY], _volume_cap_nb(rules, volume, st[j, _VOL_USED], lot))
    if side > 0:
        affordable = affordable_quantity_nb(st[-1, _CASH], price, p, lot)
        if affordable < qty:  # cash, not volume, limits the order: drop the rest
            qty = affordable
            st[j, _PE_QTY] = affordable
    if st[j, _PE_QTY] <= 0.0:
        _cancel_entry_nb(st, j)
        return
    if qty <= 0.0:
        return
    is_first = st[j, _DIR] == 0.0
    order_type = int(st[j, _PE_TYPE])
    _fill_nb(st, rules, orders, trades, i, j, side, qty, price, _AS_ENTRY, order_type)
    if is_first:
        st[j, _LIVE] = 1.0 if at_open else 0.0
    left = st[j, _PE_QTY] - qty
    st[j, _PE_QTY] = left
    if left <= lot * _QTY_EPS:
        _cancel_entry_nb(st, j)


@njit(cache=True)
def _stop_levels_nb(st: FloatArray, rules: FloatArray, j: int) -> tuple[float, float, float]:
    direction = st[j, _DIR]
    entry = st[j, _ENTRY_VALUE] / st[j, _ENTRY_QTY]
    stop = entry * (1.0 - direction * rules[-1, C_STOP_LOSS])
    target = entry * (1.0 + direction * rules[-1, C_TAKE_PROFIT])
    trailing = st[j, _PEAK] * (1.0 - direction * rules[-1, C_TRAILING_STOP])
    return stop, target, trailing


@njit(cache=True)
def _stops_nb(
    st: FloatArray,
    rules: FloatArray,
    orders: FloatArray,
    trades: FloatArray,
    i: int,
    j: int,
    open_: float,
    high: float,
    low: float,
    volume: float,
    reference: float,
) -> None:
    stop, target, trailing = _stop_levels_nb(st, rules, j)
    direction = int(st[j, _DIR])
    price, reason = stop_exit_nb(direction, open_, high, low, stop, target, trailing)
    if reason >= 0:
        order_type = LIMIT if reason == REASON_TAKE_PROFIT else STOP
        _exit_nb(
            st, rules, orders, trades, i, j, price, reason, order_type, volume,
            reference,
        )  # fmt: skip
    elif direction > 0:
        st[j, _PEAK] = max(st[j, _PEAK], high)
    else:
        st[j, _PEAK] = min(st[j, _PEAK], low)


@njit(cache=True)
def _has_stops_nb(rules: FloatArray) -> bool:
    return not (
        np.isnan(rules[-1, C_STOP_LOSS])
        and np.isnan(rules[-1, C_TAKE_PROFIT])
        and np.isnan(rules[-1, C_TRAILING_STOP])
    )


@njit(cache=True)
def _pending_exit_nb(
    st: FloatArray,
    rules: FloatArray,
    orders: FloatArray,
    trades: FloatArray,
    i: int,
    j: int,
    open_: float,
    high: float,
    low: float,
    volume: float,
    reference: float,
) -> None:
    reason = int(st[j, _PX_REASON])
    is_signal = reason in (REASON_SIGNAL, REASON_MAX_HOLDING)
    if is_signal and rules[-1, C_STOPS_FIRST] > 0.0 and _has_stops_nb(rules):
        stop, target, trailing = _stop_levels_nb(st, rules, j)
        price, stop_reason = stop_exit_nb(
            int(st[j, _DIR]), open_, high, low, stop, target, trailing
        )
        if stop_reason >= 0:  # a stop inside the bar wins over the exit pending at the open
            st[j, _PX] = 0.0
            order_type = LIMIT if stop_reason == REASON_TAKE_PROFIT else STOP
            _exit_nb(
                st, rules, orders, trades, i, j, price, stop_reason, order_type,
                volume, reference,
            )  # fmt: skip
            return
    _exit_nb(st, rules, orders, trades, i, j, open_, reason, _AS_MARKET, volume, reference)


@njit(cache=True)
def _pending_entry_nb(
    st: FloatArray,
    rules: FloatArray,
    orders: FloatArray,
    trades: FloatArray,
    i: int,
    j: int,
    open_: float,
    high: float,
    low: float,
    volume: float,
    reference: float,
) -> None:
    side = int(st[j, _PE])
    order_type = int(st[j, _PE_TYPE])
    limit, stop = st[j, _PE_LIMIT], st[j, _PE_STOP]
    raw = fill_price_nb(order_type, side, limit, stop, open_, high, low)
    if np.isnan(raw):
        if order_type == STOP_LIMIT and stop_triggered_nb(side, stop, high, low):
            st[j, _PE_TYPE] = LIMIT
        return
    _enter_nb(st, rules, orders, trades, i, j, raw, raw == open_, volume, reference)


@njit(cache=True)
def _resolve_signals_nb(le: bool, lx: bool, se: bool, sx: bool) -> tuple[bool, bool, bool, bool]:
    if le and lx:  # conflicting signals on one bar are ignored (as vectorbt does)
        le, lx = False, False
    if se and sx:
        se, sx = False, False
    if le and se:
        le, se = False, False
    return le, lx, se, sx


@njit(cache=True)
def _is_held_too_long_nb(st: FloatArray, rules: FloatArray, j: int) -> bool:
    limit = rules[-1, C_MAX_HOLDING]
    if np.isnan(limit) or st[j, _POS] == 0.0:
        return False
    held_at_fill = st[j, _COUNT] - st[j, _ENTRY_COUNT] + (0.0 if rules[-1, C_FILL_CLOSE] else 1.0)
    return bool(held_at_fill >= limit)


@njit(cache=True)
def _signal_exit_nb(
    st: FloatArray,
    rules: FloatArray,
    orders: FloatArray,
    trades: FloatArray,
    i: int,
    j: int,
    le: bool,
    lx: bool,
    se: bool,
    sx: bool,
    close: float,
    volume: float,
    reference: float,
) -> int:
    le, lx, se, sx = _resolve_signals_nb(le, lx, se, sx)
    current = st[j, _DIR] if st[j, _DIR] != 0.0 else st[j, _PE]
    wants_close = (current > 0.0 and (lx or se)) or (current < 0.0 and (sx or le))
    reason = -1
    if wants_close:
        _cancel_entry_nb(st, j)
        reason = REASON_SIGNAL
    elif _is_held_too_long_nb(st, rules, j):
        reason = REASON_MAX_HOLDING
    if reason >= 0 and st[j, _POS] != 0.0 and st[j, _PX] == 0.0:
        if rules[-1, C_FILL_CLOSE] > 0.0:
            _exit_nb(
                st, rules, orders, trades, i, j, close, reason, _AS_MARKET, volume,
                reference,
            )  # fmt: skip
        else:
            st[j, _PX] = 1.0
            st[j, _PX_REASON] = reason
    if current != 0.0 and not wants_close:
        return 0
    return 1 if le else (-1 if se else 0)


@njit(cache=True)
def _signal_entry_nb(
    st: FloatArray,
    rules: FloatArray,
    orders: FloatArray,
    trades: FloatArray,
    i: int,
    j: int,
    side: int,
    size: float,
    close: float,
    volume: float,
    reference: float,
) -> None:
    if not size > 0.0 or st[j, _PE] != 0.0:
        return
    order_type = int(rules[-1, C_ORDER_TYPE])
    stop = close * (1.0 + side * rules[-1, C_STOP_OFFSET])
    limit = close * (1.0 - side * rules[-1, C_LIMIT_OFFSET])
    if order_type == STOP_LIMIT:  # the limit sits `limit_offset` beyond the stop
        limit = stop * (1.0 + side * rules[-1, C_LIMIT_OFFSET])
    st[j, _PE] = side
    st[j, _PE_TYPE] = order_type
    st[j, _PE_LIMIT] = limit
    st[j, _PE_STOP] = stop
    st[j, _PE_SIZE] = size
    st[j, _PE_QTY] = np.nan
    is_flat = st[j, _POS] == 0.0 and st[j, _PX] == 0.0
    if rules[-1, C_FILL_CLOSE] > 0.0 and order_type == MARKET and is_flat:
        _enter_nb(st, rules, orders, trades, i, j, close, _AT_CLOSE, volume, reference)


@njit(cache=True)
def _finish_nb(st: FloatArray, trades: FloatArray) -> None:
    for j in range(st.shape[0] - 1):
        position = st[j, _POS]
        if position == 0.0:
            continue
        # Valued at the last close, without costs: the equity curve already shows this value.
        st[j, _EXIT_VALUE] += abs(position) * st[j, _MARK]
        st[j, _EXIT_QTY] += abs(position)
        if np.isnan(st[j, _EXIT_REASON]):
            st[j, _EXIT_REASON] = REASON_END
        _close_trade_nb(st, trades, int(st[j, _LAST_BAR]), j)


@njit(cache=True)
def _head_nb(records: FloatArray, rows: int) -> FloatArray:
    # Explicit loops: numba's slice copies cost seconds of compilation.
    out = np.empty((rows, records.shape[1]))
    for r in range(rows):
        for c in range(records.shape[1]):
            out[r, c] = records[r, c]
    return out


@njit(cache=True)
def _rules_nb(params: FloatArray, config: FloatArray) -> FloatArray:
    # The symbols' rules, then the run options as the last row: one array for the helpers.
    m = params.shape[0]
    rules = np.full((m + 1, max(N_PARAMS, N_CONFIG)), np.nan)
    for j in range(m):
        for c in range(N_PARAMS):
            rules[j, c] = params[j, c]
    for c in range(N_CONFIG):
        rules[m, c] = config[c]
    return rules


@njit(cache=True)
def _new_state_nb(m: int, cash: float) -> FloatArray:
    st = np.zeros((m + 1, _N_STATE))  # one row per symbol, then the account
    st[m, _CASH] = cash
    for j in range(m):
        st[j, _MARK] = np.nan
        st[j, _SESSION] = -(2.0**62)
        st[j, _EXIT_REASON] = np.nan
        st[j, _PX_REASON] = np.nan
        st[j, _PE_QTY] = np.nan
    return st


@njit(cache=True)
def simulate_nb(  # noqa: C901 - the one pass over the bars; see the comment inside
    open_: FloatArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    has_bar: BoolArray,
    session: IntArray,
    limit_ref: FloatArray,
    long_entries: BoolArray,
    long_exits: BoolArray,
    short_entries: BoolArray,
    short_exits: BoolArray,
    size: FloatArray,
    params: FloatArray,
    config: FloatArray,
    order_capacity: int,
    trade_capacity: int,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, bool]:
    """Simulate signal trading of m symbols over n bars sharing one cash account.

    Every 2-D input is (n, m) and C-ordered: float64 prices and volume, bool `has_bar` (False
    where a symbol has no bar at that timestamp: it is valued at its last close but never
    traded), int64 `session` ids (for T+1), float64 `limit_ref` (the previous session's
    close, for price limits), four bool signal arrays and the float64 entry `size` known at
    each close (NaN or <= 0: no entry). `has_bar`, `session`, `limit_ref` and `size` may
    have a single row, which then holds for every bar. `params` is (m, N_PARAMS), `config`
    (N_CONFIG,).

    Each bar, in this order: (1) pending exits, then pending entries, fill at the open;
    (2) stops and targets are checked against the bar's range; (3) signals at the close
    create the next orders (or fill at the close). Returns (equity (n,), cash (n,),
    positions (n, m), orders (k, N_ORDER_FIELDS), trades (t, N_TRADE_FIELDS), is_complete).
    A position still open after the last bar is closed at its last close, without costs,
    with reason "end".

    The record arrays hold `order_capacity` fills and `trade_capacity` trades. Each entry
    signal makes at most two fills and one trade, unless ``C_MAX_VOLUME_SHARE`` splits
    orders; a bar may add 5 fills and 4 trades per symbol. When a bar could overflow the
    records the run stops with is_complete False: call again with larger capacities.
    """
    # Quiet bars (no pending order, no signal, no position to watch) are the common case:
    # their checks stay inline, and the helpers, which take the state arrays, run on events
    # only. The record arrays are never reassigned inside the loop: a reassigned array costs
    # reference counting on every bar.
    n, m = close.shape
    st = _new_state_nb(m, config[C_INIT_CASH])
    rules = _rules_nb(params, config)
    orders = np.empty((max(order_capacity, 5 * m), N_ORDER_FIELDS))
    trades = np.empty((max(trade_capacity, 4 * m), N_TRADE_FIELDS))
    equity = np.empty(n)
    cash = np.empty(n)
    positions = np.empty((n, m))
    new_side = np.zeros(m, dtype=np.int64)
    has_stops = _has_stops_nb(rules)
    has_max_holding = not np.isnan(config[C_MAX_HOLDING])
    for i in range(n):
        if st[m, _N_ORDERS] + 5 * m > orders.shape[0] or st[m, _N_TRADES] + 4 * m > trades.shape[0]:
            return (
                equity,
                cash,
                positions,
                _head_nb(orders, _NO_ROWS),
                _head_nb(trades, _NO_ROWS),
                False,
            )
        # Arrays of one row hold the same values for every bar.
        hb = i if has_bar.shape[0] > 1 else 0
        si = i if session.shape[0] > 1 else 0
        ri = i if limit_ref.shape[0] > 1 else 0
        zi = i if size.shape[0] > 1 else 0
        for j in range(m):
            if not has_bar[hb, j]:
                continue
            st[j, _COUNT] += 1.0
            st[j, _VOL_USED] = 0.0
            st[j, _MARK] = open_[i, j]
            st[j, _LAST_BAR] = i
            if session[si, j] != st[j, _SESSION]:
                st[j, _SESSION] = session[si, j]
                st[j, _LOCKED] = 0.0
            if st[j, _PX] > 0.0:  # (1) exits pending from the previous close, at the open
                _pending_exit_nb(
                    st, rules, orders, trades, i, j, open_[i, j], high[i, j], low[i, j],
                    volume[i, j], limit_ref[ri, j],
                )  # fmt: skip
        for j in range(m):  # ... then entries, with the cash the exits freed
            pending = st[j, _PE]
            if pending == 0.0 or not has_bar[hb, j] or st[j, _PX] > 0.0:
                continue
            if st[j, _DIR] == 0.0 or st[j, _DIR] == pending:
                _pending_entry_nb(
                    st, rules, orders, trades, i, j, open_[i, j], high[i, j], low[i, j],
                    volume[i, j], limit_ref[ri, j],
                )  # fmt: skip
        if has_stops:
            for j in range(m):  # (2) stops and targets against the bar's range
                if has_bar[hb, j] and st[j, _LIVE] > 0.0 and st[j, _PX] == 0.0:
                    _stops_nb(
                        st, rules, orders, trades, i, j, open_[i, j], high[i, j], low[i, j],
                        volume[i, j], limit_ref[ri, j],
                    )  # fmt: skip
        for j in range(m):
            if has_bar[hb, j]:
                st[j, _MARK] = close[i, j]
        for j in range(m):  # (3) signals at the close: exits first, to free cash for entries
            new_side[j] = 0
            if not has_bar[hb, j]:
                continue
            le, lx = long_entries[i, j], long_exits[i, j]
            se, sx = short_entries[i, j], short_exits[i, j]
            if le or lx or se or sx or (has_max_holding and st[j, _POS] != 0.0):
                new_side[j] = _signal_exit_nb(
                    st, rules, orders, trades, i, j, le, lx, se, sx, close[i, j], volume[i, j],
                    limit_ref[ri, j],
                )  # fmt: skip
        for j in range(m):
            if new_side[j] != 0:
                _signal_entry_nb(
                    st, rules, orders, trades, i, j, new_side[j], size[zi, j], close[i, j],
                    volume[i, j], limit_ref[ri, j],
                )  # fmt: skip
        value = st[m, _CASH]
        for j in range(m):
            position = st[j, _POS]
            positions[i, j] = position
            if position != 0.0:
                value += position * st[j, _MARK]
            st[j, _LIVE] = 1.0 if position != 0.0 else 0.0  # stops watch positions held overnight
        equity[i] = value
        cash[i] = st[m, _CASH]
    _finish_nb(st, trades)
    orders = _head_nb(orders, int(st[m, _N_ORDERS]))
    return equity, cash, positions, orders, _head_nb(trades, int(st[m, _N_TRADES])), True
