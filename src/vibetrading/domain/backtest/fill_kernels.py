"""Fill rules of the execution model, and the array layouts every kernel shares.

numba ``@njit(cache=True)`` code on plain numpy arrays. The fill rules are small public
functions (``fill_price_nb``, ``order_cost_nb``, ``affordable_quantity_nb``,
``round_quantity_nb``, ``is_price_limited_nb``, ``slip_price_nb``, ``stop_exit_nb``) so that
the backtester (``kernels.py``, ``fast_kernels.py``), the sweeps and paper trading fill
orders the same way.

The rules the lean kernel uses are written once as plain functions (``order_cost``,
``stop_exit``, ...; numba's ``register_jitable``), and their ``*_nb`` kernels are compiled
from them. Compiled code inlines a plain function; Python runs it as it is, which lets
``fast_kernels.simulate_one_nb`` run interpreted, without starting numba, on small inputs.

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
        signatures: list[Any]  # the compiled specialisations loaded in this process

        def __call__(self, *args: _P.args, **kwargs: _P.kwargs) -> _R: ...

    def njit(*args: Any, **kwargs: Any) -> Callable[[Callable[_P, _R]], _Kernel[_P, _R]]: ...

    def register_jitable(function: Callable[_P, _R]) -> Callable[_P, _R]: ...
else:
    from numba import njit
    from numba.extending import register_jitable

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
ParamRow = FloatArray | tuple[float, ...]  # one row of P_* values: an array row or a tuple


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
    "O_CASH_AFTER",
    "O_FEES",
    "O_ORDER_TYPE",
    "O_POSITION_AFTER",
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
    "QTY_EPS",
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
    "BoolArray",
    "FloatArray",
    "IntArray",
    "ParamRow",
    "affordable_quantity",
    "affordable_quantity_nb",
    "fill_price_nb",
    "head_rows",
    "head_rows_nb",
    "is_price_limited_nb",
    "njit",
    "order_cost",
    "order_cost_nb",
    "register_jitable",
    "round_quantity",
    "round_quantity_nb",
    "slip_price",
    "slip_price_nb",
    "stop_exit",
    "stop_exit_nb",
    "stop_triggered_nb",
    "target_quantity",
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
# simulate_one_nb adds two columns to each order row: the account after that fill.
O_CASH_AFTER = 8
O_POSITION_AFTER = 9

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

QTY_EPS = 1e-9  # relative tolerance when comparing quantities to lot multiples


@register_jitable
def head_rows(records: FloatArray, rows: int) -> FloatArray:
    """Return a copy of the first `rows` rows of `records` (the filled part of a record array)."""
    # Explicit loops: numba's slice copies cost seconds of compilation.
    out = np.empty((rows, records.shape[1]))
    for r in range(rows):
        for c in range(records.shape[1]):
            out[r, c] = records[r, c]
    return out


head_rows_nb = njit(cache=True)(head_rows)


@register_jitable
def round_quantity(quantity: float, lot: float) -> float:
    """Round `quantity` down to a whole number of `lot` units (0 for NaN or negatives)."""
    if not quantity > 0.0:
        return 0.0
    return float(np.floor(quantity / lot + QTY_EPS) * lot)


round_quantity_nb = njit(cache=True)(round_quantity)


@register_jitable
def slip_price(price: float, side: int, slippage: float) -> float:
    """Move `price` against the trader by the fraction `slippage` (buys up, sells down)."""
    return price * (1.0 + slippage) if side > 0 else price * (1.0 - slippage)


slip_price_nb = njit(cache=True)(slip_price)


@register_jitable
def order_cost(notional: float, quantity: float, is_buy: bool, params: ParamRow) -> float:
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


order_cost_nb = njit(cache=True)(order_cost)


@register_jitable
def affordable_quantity(cash: float, price: float, params: ParamRow, lot: float) -> float:
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


affordable_quantity_nb = njit(cache=True)(affordable_quantity)


@register_jitable
def target_quantity(size_type: int, size: float, price: float, equity: float, lot: float) -> float:
    """Return the units an entry of `size` asks for, rounded down to `lot` (0 when NaN)."""
    if size_type == SIZE_PERCENT:
        raw = size * equity / price
    elif size_type == SIZE_CASH:
        raw = size / price
    else:
        raw = size
    return round_quantity(raw, lot)


target_quantity_nb = njit(cache=True)(target_quantity)


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


@register_jitable
def stop_exit(
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


stop_exit_nb = njit(cache=True)(stop_exit)
