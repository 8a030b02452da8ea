"""Events of the general simulation: fills, exits, entries, stops and signals of one symbol.

The helpers of ``kernels.simulate_nb``: each takes the state array ``st`` (one row per
symbol in the private ``_*`` layout below, then the account row) and the ``rules`` array
(the symbols' ``P_*`` rows, then the ``C_*`` run options), and runs only when something
happens to a symbol: an order pending at the open, a position to watch, a signal.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vibetrading.domain.backtest.fill_kernels import (
    C_FILL_CLOSE,
    C_LIMIT_OFFSET,
    C_MAX_HOLDING,
    C_MAX_VOLUME_SHARE,
    C_ORDER_TYPE,
    C_SIZE_TYPE,
    C_STOP_LOSS,
    C_STOP_OFFSET,
    C_STOPS_FIRST,
    C_TAKE_PROFIT,
    C_TRAILING_STOP,
    LIMIT,
    MARKET,
    O_BAR,
    O_FEES,
    O_ORDER_TYPE,
    O_PRICE,
    O_QUANTITY,
    O_REASON,
    O_SIDE,
    O_SYMBOL,
    P_LOT,
    P_PRICE_LIMIT,
    P_SELL_LOT,
    P_SLIPPAGE,
    P_T_PLUS,
    P_TICK,
    QTY_EPS,
    REASON_END,
    REASON_ENTRY,
    REASON_MAX_HOLDING,
    REASON_SIGNAL,
    REASON_TAKE_PROFIT,
    STOP,
    STOP_LIMIT,
    T_BARS_HELD,
    T_DIRECTION,
    T_ENTRY_BAR,
    T_ENTRY_PRICE,
    T_EXIT_BAR,
    T_EXIT_PRICE,
    T_FEES,
    T_PNL,
    T_QUANTITY,
    T_REASON,
    T_RETURN,
    T_SYMBOL,
    FloatArray,
    affordable_quantity_nb,
    fill_price_nb,
    is_price_limited_nb,
    njit,
    order_cost_nb,
    round_quantity_nb,
    slip_price_nb,
    stop_exit_nb,
    stop_triggered_nb,
    target_quantity_nb,
)

__all__: list[str] = []  # private to kernels.py

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
    if 0.0 > cash >= -QTY_EPS * (notional + cost):
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
    st[j, _POS] = 0.0 if abs(remaining) <= qty * QTY_EPS else remaining
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
    if left <= lot * QTY_EPS:
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
