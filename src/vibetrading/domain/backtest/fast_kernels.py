"""The lean simulation kernel: one symbol, market orders, every fill complete.

``simulate_one_nb`` gives exactly what ``simulate_nb`` gives (the same float operations in
the same order) on the runs it accepts, which ``engine.py`` routes to it on its own: one
symbol with a bar at every timestamp, market entries, no volume cap, no T+1 and no price
limits. Under those rules an order always fills whole at its first try: an entry is filled
or dropped where it is sent, an exit closes the trade, and the state reduces to a dozen
scalars in registers.

Two things make it fast. Between events (an order pending at the open, a stop reached, a
signal) a tight loop only values the position. And no helper that runs per event takes
the state as an array: numba reference-counts every array argument of every call, which
costs more than the event itself. The run options and the symbol's costs come as tuples,
the state lives in local variables, and only the record writers take arrays.

The helpers are plain functions that numba compiles inline (``register_jitable``), like
the fill rules they call, so ``simulate_one_nb.py_func`` runs as plain Python: on a few
thousand bars that takes milliseconds, where the first compiled call of a process spends
half a second starting numba (``engine.py`` picks).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vibetrading.domain.backtest.fill_kernels import (
    C_FILL_CLOSE,
    C_INIT_CASH,
    C_MAX_HOLDING,
    C_SIZE_TYPE,
    C_STOP_LOSS,
    C_STOPS_FIRST,
    C_TAKE_PROFIT,
    C_TRAILING_STOP,
    LIMIT,
    MARKET,
    N_ORDER_FIELDS,
    N_TRADE_FIELDS,
    O_BAR,
    O_CASH_AFTER,
    O_FEES,
    O_ORDER_TYPE,
    O_POSITION_AFTER,
    O_PRICE,
    O_QUANTITY,
    O_REASON,
    O_SIDE,
    O_SYMBOL,
    P_LOT,
    P_SLIPPAGE,
    QTY_EPS,
    REASON_END,
    REASON_ENTRY,
    REASON_MAX_HOLDING,
    REASON_SIGNAL,
    REASON_TAKE_PROFIT,
    STOP,
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
    BoolArray,
    FloatArray,
    affordable_quantity,
    head_rows,
    njit,
    order_cost,
    register_jitable,
    slip_price,
    stop_exit,
    target_quantity,
)

__all__ = ["simulate_one_nb"]

Row = tuple[float, ...]  # the symbol's P_* values, or the run's C_* values

# Arguments typed as plain int64: a Python literal argument makes numba compile one more
# specialisation of the callee (seconds of first-call time).
_AS_MARKET: Any = np.int64(MARKET)
_NO_ROWS: Any = np.int64(0)
_NO_SIGNAL: Any = np.int64(-1)

# The open trade, as the tuple the helpers pass around (all floats).
_DIRECTION = 0  # +1 long, -1 short
_ENTRY_BAR = 1
_ENTRY_COUNT = 2  # bars seen (the bar number + 1) at the entry fill
_ENTRY_VALUE = 3
_ENTRY_QTY = 4
_ENTRY_FEES = 5
_STOP = 6  # stop-loss and take-profit prices, NaN = off
_TARGET = 7


@register_jitable
def _fill_cash(cash: float, side: int, qty: float, price: float, params: Row) -> Row:
    # The account after one fill: (cash, cost, notional), as event_kernels._fill_nb.
    notional = qty * price
    cost = order_cost(notional, qty, side > 0, params)
    cash = cash - side * notional - cost
    if 0.0 > cash >= -QTY_EPS * (notional + cost):
        cash = 0.0  # a float-rounding residue of the sizing, not a short squeeze
    return cash, cost, notional


@register_jitable
def _record_order(orders: FloatArray, k: int, i: int, fill: Row, reason: int) -> None:
    # fill: (side, quantity, price, cost, order type, cash after, position after)
    orders[k, O_BAR] = i
    orders[k, O_SYMBOL] = 0.0
    orders[k, O_SIDE] = fill[0]
    orders[k, O_QUANTITY] = fill[1]
    orders[k, O_PRICE] = fill[2]
    orders[k, O_FEES] = fill[3]
    orders[k, O_REASON] = reason
    orders[k, O_ORDER_TYPE] = fill[4]
    orders[k, O_CASH_AFTER] = fill[5]
    orders[k, O_POSITION_AFTER] = fill[6]


@register_jitable
def _record_trade(
    trades: FloatArray, t: int, i: int, trade: Row, exit_fill: Row, reason: int
) -> None:
    # exit_fill: (value, quantity, fees) of the exit
    direction = trade[_DIRECTION]
    entry_value, exit_value = trade[_ENTRY_VALUE], exit_fill[0]
    fees = trade[_ENTRY_FEES] + exit_fill[2]
    pnl = direction * (exit_value - entry_value) - fees
    trades[t, T_SYMBOL] = 0.0
    trades[t, T_DIRECTION] = direction
    trades[t, T_ENTRY_BAR] = trade[_ENTRY_BAR]
    trades[t, T_ENTRY_PRICE] = entry_value / trade[_ENTRY_QTY]
    trades[t, T_EXIT_BAR] = i
    trades[t, T_EXIT_PRICE] = exit_value / exit_fill[1]
    trades[t, T_QUANTITY] = trade[_ENTRY_QTY]
    trades[t, T_PNL] = pnl
    trades[t, T_RETURN] = pnl / entry_value
    trades[t, T_BARS_HELD] = float(i + 1) - trade[_ENTRY_COUNT]
    trades[t, T_REASON] = reason
    trades[t, T_FEES] = fees


@register_jitable
def _exit(
    orders: FloatArray,
    trades: FloatArray,
    k: int,
    t: int,
    i: int,
    position: float,
    cash: float,
    trade: Row,
    raw_price: float,
    reason: int,
    order_type: int,
    params: Row,
) -> float:
    # Close the whole position at `raw_price`: one order row, one trade row; return the cash.
    side = -1 if position > 0.0 else 1
    qty = abs(position) - 0.0  # (no units locked by T+1)
    price = slip_price(raw_price, side, params[P_SLIPPAGE])
    cash, cost, notional = _fill_cash(cash, side, qty, price, params)
    remaining = position + side * qty
    left = 0.0 if abs(remaining) <= qty * QTY_EPS else remaining  # 0: the whole position
    _record_order(orders, k, i, (side, qty, price, cost, order_type, cash, left), reason)
    _record_trade(trades, t, i, trade, (0.0 + notional, 0.0 + qty, 0.0 + cost), reason)
    return cash


@register_jitable
def _entry_quantity(
    side: int, size: float, price: float, cash: float, params: Row, config: Row
) -> float:
    # Sized at the fill price on the equity of a flat account; a buy never spends more
    # than the cash. 0 drops the order.
    lot = params[P_LOT]
    qty = target_quantity(int(config[C_SIZE_TYPE]), size, price, cash, lot)
    qty = min(qty, np.inf)  # (no volume cap)
    if side > 0:
        affordable = affordable_quantity(cash, price, params, lot)
        if affordable < qty:
            qty = affordable
    return qty


@register_jitable
def _enter(
    orders: FloatArray,
    k: int,
    i: int,
    cash: float,
    side: int,
    size: float,
    raw_price: float,
    params: Row,
    config: Row,
) -> tuple[Row, float, float, float]:
    # Fill an entry of a flat account at `raw_price`. Returns the open trade (entry
    # quantity 0 when the order is dropped), the cash, fill price and position after it.
    price = slip_price(raw_price, side, params[P_SLIPPAGE])
    qty = _entry_quantity(side, size, price, cash, params, config)
    if qty <= 0.0:
        return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, np.nan, np.nan), cash, np.nan, 0.0
    cash, cost, notional = _fill_cash(cash, side, qty, price, params)
    position = 0.0 + side * qty
    _record_order(orders, k, i, (side, qty, price, cost, MARKET, cash, position), REASON_ENTRY)
    entry = notional / qty
    stop = entry * (1.0 - side * config[C_STOP_LOSS])
    target = entry * (1.0 + side * config[C_TAKE_PROFIT])
    trade = (float(side), float(i), float(i + 1), notional, qty, 0.0 + cost, stop, target)
    return trade, cash, price, position


@register_jitable
def _resolve_signals(le: bool, lx: bool, se: bool, sx: bool) -> tuple[bool, bool, bool, bool]:
    if le and lx:  # conflicting signals on one bar are ignored (as vectorbt does)
        le, lx = False, False
    if se and sx:
        se, sx = False, False
    if le and se:
        le, se = False, False
    return le, lx, se, sx


@register_jitable
def _signal(
    le: bool, lx: bool, se: bool, sx: bool, direction: float, pending: int, held: float
) -> tuple[int, int]:
    # What the signals at a close ask for: (exit reason or -1, side of a new entry or 0).
    # `held` is the bars the position will have been held at its exit fill (-1: no limit).
    le, lx, se, sx = _resolve_signals(le, lx, se, sx)
    current = direction if direction != 0.0 else float(pending)
    wants_close = (current > 0.0 and (lx or se)) or (current < 0.0 and (sx or le))
    reason = REASON_SIGNAL if wants_close else (REASON_MAX_HOLDING if held >= 0.0 else -1)
    if current != 0.0 and not wants_close:
        return reason, 0
    return reason, 1 if le else (-1 if se else 0)


@register_jitable
def _stop(trade: Row, peak: float, config: Row, open_: float, high: float, low: float) -> Row:
    # (price, reason) of the stop or target the bar reaches, (NaN, -1) when none.
    direction = trade[_DIRECTION]
    trailing = peak * (1.0 - direction * config[C_TRAILING_STOP])
    stop, target = trade[_STOP], trade[_TARGET]
    price, reason = stop_exit(int(direction), open_, high, low, stop, target, trailing)
    return price, float(reason)


@register_jitable
def _skip_flat(le: BoolArray, se: BoolArray, equity: FloatArray, cash: float, i: int) -> int:
    # From bar i on, value a flat account until a bar with an entry signal.
    n = equity.shape[0]
    has_le, has_se = le.shape[0] > 0, se.shape[0] > 0
    while i < n and not ((has_le and le[i]) or (has_se and se[i])):
        equity[i] = cash
        i += 1
    return i


@register_jitable
def _skip_holding(
    signals: tuple[BoolArray, BoolArray, BoolArray, BoolArray],
    close: FloatArray,
    equity: FloatArray,
    cash: float,
    position: float,
    i: int,
) -> int:
    # From bar i on, value a position without stops until a bar with a signal.
    le, lx, se, sx = signals
    has_le, has_lx = le.shape[0] > 0, lx.shape[0] > 0
    has_se, has_sx = se.shape[0] > 0, sx.shape[0] > 0
    n = equity.shape[0]
    while i < n and not (
        (has_le and le[i]) or (has_lx and lx[i]) or (has_se and se[i]) or (has_sx and sx[i])
    ):
        equity[i] = cash + position * close[i]
        i += 1
    return i


@register_jitable
def _skip_watching(
    signals: tuple[BoolArray, BoolArray, BoolArray, BoolArray],
    bars: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    equity: FloatArray,
    account: Row,
    trade: Row,
    config: Row,
    i: int,
) -> Row:
    # From bar i on, value a position with stops until a signal or a stop; the trailing
    # peak follows the bars. account: (cash, position, peak); returns (bar, peak).
    le, lx, se, sx = signals
    open_, high, low, close = bars
    has_le, has_lx = le.shape[0] > 0, lx.shape[0] > 0
    has_se, has_sx = se.shape[0] > 0, sx.shape[0] > 0
    cash, position, peak = account
    is_long = trade[_DIRECTION] > 0.0
    n = equity.shape[0]
    while i < n and not (
        (has_le and le[i]) or (has_lx and lx[i]) or (has_se and se[i]) or (has_sx and sx[i])
    ):
        if _stop(trade, peak, config, open_[i], high[i], low[i])[1] >= 0.0:
            break
        peak = max(peak, high[i]) if is_long else min(peak, low[i])
        equity[i] = cash + position * close[i]
        i += 1
    return float(i), peak


@njit(cache=True)
def simulate_one_nb(  # noqa: C901 - one pass over the bars, the state in locals
    open_: FloatArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    long_entries: BoolArray,
    long_exits: BoolArray,
    short_entries: BoolArray,
    short_exits: BoolArray,
    size: FloatArray,
    params: Row,
    config: Row,
    order_capacity: int,
    trade_capacity: int,
) -> tuple[FloatArray, FloatArray, FloatArray, bool]:
    """Simulate signal trading of one symbol over n bars, as ``simulate_nb`` does for m = 1.

    Inputs are 1-D and C-ordered: float64 prices (n,), bool signals (n,) or (0,) for a side
    that never trades, the entry `size` (n,) or (1,) for every bar. `params` is the
    symbol's ``P_*`` row and `config` the ``C_*`` options, both as tuples of floats: no
    T+1, no price limits, market entries, no volume cap. Returns (equity (n,), orders
    (k, N_ORDER_FIELDS + 2), trades, is_complete) with the capacity protocol of
    ``simulate_nb``. Cash and position change only at fills, so instead of two more arrays
    of n values, the last two columns of each order row (``O_CASH_AFTER``,
    ``O_POSITION_AFTER``) hold them after that fill.
    """
    n = close.shape[0]
    orders = np.empty((max(order_capacity, 5), N_ORDER_FIELDS + 2))
    trades = np.empty((max(trade_capacity, 4), N_TRADE_FIELDS))
    equity = np.empty(n)
    signals = (long_entries, long_exits, short_entries, short_exits)
    bars = (open_, high, low, close)
    has_le, has_lx = long_entries.shape[0] > 0, long_exits.shape[0] > 0
    has_se, has_sx = short_entries.shape[0] > 0, short_exits.shape[0] > 0
    has_stops = not (
        np.isnan(config[C_STOP_LOSS])
        and np.isnan(config[C_TAKE_PROFIT])
        and np.isnan(config[C_TRAILING_STOP])
    )
    max_holding = config[C_MAX_HOLDING]
    at_close = config[C_FILL_CLOSE] > 0.0
    stops_first = config[C_STOPS_FIRST] > 0.0 and has_stops
    cash, position, peak = config[C_INIT_CASH], 0.0, 0.0
    trade: Row = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, np.nan, np.nan)
    is_live = False  # stops watch the position in this bar
    exit_reason = _NO_SIGNAL  # of the exit pending for the next open
    entry_side, entry_size = 0, 0.0  # of the entry pending for the next open
    k = 0  # orders and trades recorded
    t = 0
    i = _skip_flat(long_entries, short_entries, equity, cash, _NO_ROWS)
    while i < n:
        # (1) at the open: the pending exit, then the pending entry
        exit_price, exit_type, reason = open_[i], _AS_MARKET, exit_reason
        if exit_reason in (REASON_SIGNAL, REASON_MAX_HOLDING) and stops_first:
            stop_price, stop_reason = _stop(trade, peak, config, open_[i], high[i], low[i])
            if stop_reason >= 0.0:  # a stop inside the bar wins over the pending exit
                exit_price, reason = stop_price, int(stop_reason)
                exit_type = LIMIT if reason == REASON_TAKE_PROFIT else STOP
        if entry_side != 0 or exit_reason >= 0:
            if exit_reason >= 0:
                cash = _exit(
                    orders, trades, k, t, i, position, cash, trade, exit_price, reason,
                    exit_type, params,
                )  # fmt: skip
                k, t, position, exit_reason, is_live = k + 1, t + 1, 0.0, _NO_SIGNAL, False
                entry_side = 0 if entry_side == trade[_DIRECTION] else entry_side
            if entry_side != 0:
                trade, cash, peak, position = _enter(
                    orders, k, i, cash, entry_side, entry_size, open_[i], params, config
                )
                k, is_live, entry_side = k + (position != 0.0), position != 0.0, 0
        # (2) stops and targets against the bar's range
        if has_stops and is_live and exit_reason < 0:
            stop_price, stop_reason = _stop(trade, peak, config, open_[i], high[i], low[i])
            if stop_reason >= 0.0:
                reason = int(stop_reason)
                exit_type = LIMIT if reason == REASON_TAKE_PROFIT else STOP
                cash = _exit(
                    orders, trades, k, t, i, position, cash, trade, stop_price, reason,
                    exit_type, params,
                )  # fmt: skip
                k, t, position = k + 1, t + 1, 0.0
                entry_side = 0 if entry_side == trade[_DIRECTION] else entry_side
            elif trade[_DIRECTION] > 0.0:
                peak = max(peak, high[i])
            else:
                peak = min(peak, low[i])
        # (3) signals at the close: the exit first, to free cash for the entry
        le, lx = has_le and long_entries[i], has_lx and long_exits[i]
        se, sx = has_se and short_entries[i], has_sx and short_exits[i]
        holds = position != 0.0
        watched = holds and not np.isnan(max_holding)
        if le or lx or se or sx or watched:
            held = -1.0
            if watched:
                held = float(i + 1) - trade[_ENTRY_COUNT] + (0.0 if at_close else 1.0)
                held = held if held >= max_holding else -1.0
            direction = trade[_DIRECTION] if holds else 0.0
            reason, side = _signal(le, lx, se, sx, direction, entry_side, held)
            if reason == REASON_SIGNAL:
                entry_side = 0
            if reason >= 0 and holds and exit_reason < 0 and at_close:
                cash = _exit(
                    orders, trades, k, t, i, position, cash, trade, close[i], reason,
                    _AS_MARKET, params,
                )  # fmt: skip
                k, t, position = k + 1, t + 1, 0.0
                entry_side = 0 if entry_side == trade[_DIRECTION] else entry_side
            elif reason >= 0 and holds and exit_reason < 0:
                exit_reason = reason
            entry = size[i] if size.shape[0] > 1 else size[0]
            if side != 0 and entry > 0.0 and entry_side == 0:
                entry_side, entry_size = side, entry
                if at_close and position == 0.0 and exit_reason < 0:
                    trade, cash, peak, position = _enter(
                        orders, k, i, cash, side, entry, close[i], params, config
                    )
                    k, entry_side = k + (position != 0.0), 0
        equity[i] = cash + position * close[i] if position != 0.0 else cash
        is_live = position != 0.0  # stops watch positions held overnight
        i += 1
        if i < n and (k + 5 > orders.shape[0] or t + 4 > trades.shape[0]):
            # simulate_nb's test at the top of each bar (a bar records up to 5 fills): quiet
            # bars record nothing, so the test after each event bar gives the same answer
            return equity, head_rows(orders, _NO_ROWS), head_rows(trades, _NO_ROWS), False
        if exit_reason >= 0 or entry_side != 0:
            continue
        if position == 0.0:
            i = _skip_flat(long_entries, short_entries, equity, cash, i)
        elif not np.isnan(max_holding):
            continue
        elif not has_stops:
            i = _skip_holding(signals, close, equity, cash, position, i)
        else:
            skipped, peak = _skip_watching(
                signals, bars, equity, (cash, position, peak), trade, config, i
            )
            i = int(skipped)
    if position != 0.0:  # valued at the last close, without costs, as the equity shows it
        exit_fill = (0.0 + abs(position) * close[n - 1], 0.0 + abs(position), 0.0)
        _record_trade(trades, t, n - 1, trade, exit_fill, REASON_END)
        t += 1
    return equity, head_rows(orders, k), head_rows(trades, t), True
