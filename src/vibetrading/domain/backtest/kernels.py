"""Compiled execution kernels of the backtester: one pass over the bars, arrays in and out.

Everything here is numba ``@njit(cache=True)`` code on plain numpy arrays; ``engine.py`` owns
the pandas conversion, the input checks and the meaning of the options. The kernels live in
four modules, and this one re-exports the public names of all of them:

* ``fill_kernels``: the array layouts (``P_*``, ``C_*``, ``O_*``, ``T_*``) and the fill rules
  that paper trading and the sweeps share (``fill_price_nb``, ``order_cost_nb``, ...).
* ``event_kernels``: what happens to one symbol on an event (a fill, an exit, a stop, a
  signal), on the state arrays of the general simulation.
* ``kernels`` (here): ``simulate_nb``, the general loop over m symbols with every rule.
* ``fast_kernels``: ``simulate_one_nb``, the lean loop for one symbol and market orders.

Sides are +1 (buy) and -1 (sell); directions +1 (long) and -1 (short).
"""

from __future__ import annotations

import numpy as np

from vibetrading.domain.backtest.event_kernels import (
    _CASH,
    _COUNT,
    _DIR,
    _EXIT_REASON,
    _LAST_BAR,
    _LIVE,
    _LOCKED,
    _MARK,
    _N_ORDERS,
    _N_STATE,
    _N_TRADES,
    _NO_ROWS,
    _PE,
    _PE_QTY,
    _POS,
    _PX,
    _PX_REASON,
    _SESSION,
    _VOL_USED,
    _finish_nb,
    _has_stops_nb,
    _pending_entry_nb,
    _pending_exit_nb,
    _signal_entry_nb,
    _signal_exit_nb,
    _stops_nb,
)
from vibetrading.domain.backtest.fast_kernels import simulate_one_nb
from vibetrading.domain.backtest.fill_kernels import (
    C_FILL_CLOSE,
    C_INIT_CASH,
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
    N_CONFIG,
    N_ORDER_FIELDS,
    N_PARAMS,
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
    ORDER_TYPES,
    P_COMMISSION_MIN,
    P_COMMISSION_PER_UNIT,
    P_COMMISSION_RATE,
    P_LEVY,
    P_LOT,
    P_PRICE_LIMIT,
    P_SELL_FEE,
    P_SELL_LOT,
    P_SLIPPAGE,
    P_STAMP_DUTY_BUY,
    P_STAMP_DUTY_SELL,
    P_T_PLUS,
    P_TICK,
    REASON_END,
    REASON_ENTRY,
    REASON_MAX_HOLDING,
    REASON_SIGNAL,
    REASON_STOP_LOSS,
    REASON_TAKE_PROFIT,
    REASON_TRAILING_STOP,
    REASONS,
    SIZE_CASH,
    SIZE_PERCENT,
    SIZE_QUANTITY,
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
    BoolArray,
    FloatArray,
    IntArray,
    affordable_quantity_nb,
    fill_price_nb,
    head_rows_nb,
    is_price_limited_nb,
    njit,
    order_cost_nb,
    round_quantity_nb,
    slip_price_nb,
    stop_exit_nb,
    stop_triggered_nb,
    target_quantity_nb,
)

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
    "head_rows_nb",
    "is_price_limited_nb",
    "order_cost_nb",
    "round_quantity_nb",
    "simulate_nb",
    "simulate_one_nb",
    "slip_price_nb",
    "stop_exit_nb",
    "stop_triggered_nb",
    "target_quantity_nb",
]


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
                head_rows_nb(orders, _NO_ROWS),
                head_rows_nb(trades, _NO_ROWS),
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
    orders = head_rows_nb(orders, int(st[m, _N_ORDERS]))
    return equity, cash, positions, orders, head_rows_nb(trades, int(st[m, _N_TRADES])), True
