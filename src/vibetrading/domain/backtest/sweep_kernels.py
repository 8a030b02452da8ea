"""Compiled kernels of parameter sweeps: many backtests in one parallel pass, metrics only.

A sweep runs one single-symbol, one-position backtest per column and never materialises an
equity curve: each column keeps a few scalars of state and accumulates its metrics as it
goes. Columns are independent, so the kernels spread them over the cores with ``prange``.

The fill, cost, sizing and stop rules are the engine's own public helpers from
``kernels.py`` (``fill_price_nb``, ``order_cost_nb``, ``affordable_quantity_nb``,
``target_quantity_nb``, ``slip_price_nb``, ``stop_exit_nb``), applied in the engine's order
inside each bar: the order pending from the previous close fills at the open, then the
stop-loss, take-profit and trailing stop are checked against the bar's range, then the
signals at the close create the next order (or fill at the close with ``C_FILL_CLOSE``).
Each column therefore gives exactly the equity and trades of ``run_signals`` on the same
signals, for what a sweep models: one symbol, one direction, market orders, costs, lots
and slippage. T+1, price limits, volume caps and holding limits are not modelled here.

Layouts: ``params`` is one row of the ``P_*`` layout of ``kernels.py``; ``config`` rows
use its ``C_*`` layout (``C_INIT_CASH``, ``C_SIZE_TYPE``, ``C_FILL_CLOSE``, ``C_STOP_LOSS``,
``C_TAKE_PROFIT``, ``C_TRAILING_STOP``); the metrics of a column are one row of the
``M_*`` layout below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt

from vibetrading.domain.backtest.kernels import (
    C_FILL_CLOSE,
    C_INIT_CASH,
    C_SIZE_TYPE,
    C_STOP_LOSS,
    C_TAKE_PROFIT,
    C_TRAILING_STOP,
    MARKET,
    P_LOT,
    P_SLIPPAGE,
    affordable_quantity_nb,
    fill_price_nb,
    order_cost_nb,
    slip_price_nb,
    stop_exit_nb,
    target_quantity_nb,
)

if TYPE_CHECKING:
    _F = TypeVar("_F", bound=Callable[..., Any])

    def njit(*args: Any, **kwargs: Any) -> Callable[[_F], _F]: ...

    prange = range
else:
    from numba import njit, prange

from numba import get_num_threads, set_num_threads

__all__ = [
    "EMA",
    "METRIC_NAMES",
    "M_CAGR",
    "M_CALMAR",
    "M_EXPOSURE",
    "M_FINAL_EQUITY",
    "M_MAX_DRAWDOWN",
    "M_NUM_TRADES",
    "M_PROFIT_FACTOR",
    "M_SHARPE",
    "M_SORTINO",
    "M_TOTAL_RETURN",
    "M_VOLATILITY",
    "M_WIN_RATE",
    "N_METRICS",
    "SMA",
    "limited_threads",
    "moving_average_nb",
    "moving_averages_nb",
    "sweep_crossover_nb",
    "sweep_signals_nb",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

# Moving-average kinds.
SMA = 0
EMA = 1

# metrics[k]: the summary of column k, with the formulas of stats.compute_metrics.
M_TOTAL_RETURN = 0
M_CAGR = 1
M_VOLATILITY = 2
M_SHARPE = 3
M_SORTINO = 4
M_MAX_DRAWDOWN = 5
M_CALMAR = 6
M_WIN_RATE = 7
M_PROFIT_FACTOR = 8
M_NUM_TRADES = 9
M_EXPOSURE = 10
M_FINAL_EQUITY = 11
N_METRICS = 12
METRIC_NAMES: tuple[str, ...] = (
    "total_return",
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "win_rate",
    "profit_factor",
    "num_trades",
    "exposure",
    "final_equity",
)

# Trade tally of a column (private layout).
_T_TRADES = 0
_T_WINS = 1
_T_GROSS_WIN = 2
_T_GROSS_LOSS = 3

_CASH_RESIDUE = 1e-9  # relative rounding residue of a fill that counts as zero cash
_DRAWDOWN_SLACK = 1e-12  # relative margin of the multiply-first new-worst-drawdown test


@contextmanager
def limited_threads(jobs: int) -> Iterator[None]:
    """Run the parallel kernels inside on at most `jobs` threads, then restore the count.

    A thread without a job still joins the kernel's final barrier: on a busy machine one
    column on two threads takes twice as long as on one.
    """
    threads = get_num_threads()
    set_num_threads(max(1, min(threads, jobs)))
    try:
        yield
    finally:
        set_num_threads(threads)


@njit(cache=True)
def moving_average_nb(close: FloatArray, window: int, kind: int) -> FloatArray:
    """Return the `window`-bar moving average of `close` as TA-Lib computes it, bit for bit.

    ``kind`` SMA: a running sum that adds the new value, divides by `window`, then drops
    the oldest (TA-Lib's order of operations). EMA: seeded by the mean of the first
    `window` values, then prev + (x - prev) * 2 / (window + 1). The first window - 1 values
    are NaN; a series shorter than `window` is all NaN.
    """
    out = np.empty(close.shape[0])
    _moving_average_into_nb(close, window, kind, out)
    return out


@njit(cache=True)
def _moving_average_into_nb(close: FloatArray, window: int, kind: int, out: FloatArray) -> None:
    n = close.shape[0]
    warmup = window - 1 if 1 <= window <= n else n  # bars without a value: NaN
    for i in range(warmup):
        out[i] = np.nan
    if window < 1 or n < window:
        return
    if kind == SMA:
        total = 0.0
        for i in range(window - 1):
            total += close[i]
        for i in range(window - 1, n):
            total += close[i]
            out[i] = total / window
            total -= close[i - window + 1]
        return
    k = 2.0 / (window + 1.0)
    total = 0.0
    for i in range(window):
        total += close[i]
    previous = total / window
    out[window - 1] = previous
    for i in range(window, n):
        previous = ((close[i] - previous) * k) + previous
        out[i] = previous


@njit(cache=True, parallel=True)
def moving_averages_nb(
    close: FloatArray, lengths: IntArray, windows: IntArray, kind: int
) -> FloatArray:
    """Return the moving averages (m, w, n) of m padded series (m, n) for each of w windows.

    Series j holds `lengths[j]` bars from its start; the rest of its row is padding, NaN in
    the output. See ``moving_average_nb`` for `kind`.
    """
    m, n = close.shape
    w = windows.shape[0]
    out = np.empty((m, w, n))
    for job in prange(m * w):
        j = job // w
        v = job % w
        length = lengths[j]
        row = out[j, v]
        for i in range(length, n):
            row[i] = np.nan
        _moving_average_into_nb(close[j, :length], windows[v], kind, row[:length])
    return out


@njit(cache=True)
def _settle_nb(cash: float, traded: float) -> float:
    # As the engine's fills: a float-rounding residue of the sizing is no debt, but covering
    # a short that more than doubled may leave the cash negative.
    if 0.0 > cash >= -_CASH_RESIDUE * traded:
        return 0.0
    return cash


@njit(cache=True)
def _enter_nb(
    cash: float,
    raw_price: float,
    side: int,
    size_type: int,
    size: float,
    params: FloatArray,
) -> tuple[float, float, float, float, float]:
    # Returns (cash, units, notional, fees, fill price); units 0 when nothing fills.
    price = slip_price_nb(raw_price, side, params[P_SLIPPAGE])
    lot = params[P_LOT]
    quantity = target_quantity_nb(size_type, size, price, cash, lot)  # flat: equity = cash
    if side > 0:
        affordable = affordable_quantity_nb(cash, price, params, lot)
        if affordable < quantity:
            quantity = affordable
    if quantity <= 0.0:
        return cash, 0.0, 0.0, 0.0, price
    notional = quantity * price
    fees = order_cost_nb(notional, quantity, side > 0, params)
    return (
        _settle_nb(cash - side * notional - fees, notional + fees),
        quantity,
        notional,
        fees,
        price,
    )


@njit(cache=True)
def _exit_nb(
    cash: float, raw_price: float, position: float, params: FloatArray
) -> tuple[float, float, float]:
    # Returns (cash, notional, fees) of closing the whole `position` at `raw_price`.
    side = -1 if position > 0.0 else 1
    price = slip_price_nb(raw_price, side, params[P_SLIPPAGE])
    quantity = abs(position)
    notional = quantity * price
    fees = order_cost_nb(notional, quantity, side > 0, params)
    return _settle_nb(cash - side * notional - fees, notional + fees), notional, fees


@njit(cache=True)
def _tally_trade_nb(tally: FloatArray, pnl: float) -> None:
    tally[_T_TRADES] += 1.0
    if pnl > 0.0:
        tally[_T_WINS] += 1.0
        tally[_T_GROSS_WIN] += pnl
    elif pnl < 0.0:
        tally[_T_GROSS_LOSS] -= pnl


@njit(cache=True)
def _finish_metrics_nb(
    returns: FloatArray,
    tally: FloatArray,
    initial: float,
    final: float,
    periods_per_year: float,
    out: FloatArray,
) -> None:
    # The formulas of stats.compute_metrics on N returns anchored at the starting cash.
    # returns = (count, sum, sum of squares, min, max, sum of squared losses, max drawdown,
    # bars exposed)
    count, total, squares, lowest, highest, down, drawdown, exposed = returns
    out[:] = np.nan
    if count < 1.0:
        return
    growth = final / initial
    out[M_TOTAL_RETURN] = growth - 1.0
    if growth >= 0.0:
        out[M_CAGR] = growth ** (1.0 / (count / periods_per_year)) - 1.0
    if count >= 2.0:
        mean = total / count
        std = np.sqrt(max(squares - total * mean, 0.0) / (count - 1.0))
        out[M_VOLATILITY] = std * np.sqrt(periods_per_year)
        if highest != lowest:
            out[M_SHARPE] = mean / std * np.sqrt(periods_per_year)
        downside = np.sqrt(down / count) * np.sqrt(periods_per_year)
        if downside > 0.0:
            out[M_SORTINO] = mean * periods_per_year / downside
    out[M_MAX_DRAWDOWN] = drawdown
    if np.isfinite(out[M_CAGR]) and drawdown < 0.0:
        out[M_CALMAR] = out[M_CAGR] / abs(drawdown)
    trades = tally[_T_TRADES]
    if trades > 0.0:
        out[M_WIN_RATE] = tally[_T_WINS] / trades
    if tally[_T_GROSS_LOSS] > 0.0:
        out[M_PROFIT_FACTOR] = tally[_T_GROSS_WIN] / tally[_T_GROSS_LOSS]
    out[M_NUM_TRADES] = trades
    out[M_EXPOSURE] = exposed / count
    out[M_FINAL_EQUITY] = final


@njit(cache=True)
def _simulate_column_nb(  # noqa: C901 - the one pass over a column's bars, events inline
    open_: FloatArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    start: int,
    stop: int,
    fast: FloatArray,
    slow: FloatArray,
    entries: BoolArray,
    exits: BoolArray,
    is_crossover: bool,
    params: FloatArray,
    config: FloatArray,
    size: float,
    direction: int,
    periods_per_year: float,
    out: FloatArray,
    returns: FloatArray,
    has_returns: bool,
) -> None:
    # Quiet bars (no order, no stop to watch) are the common case: their work stays in
    # registers, with one division at most. Events call the shared fill helpers.
    initial = config[C_INIT_CASH]
    cash = initial
    size_type = int(config[C_SIZE_TYPE])
    fill_close = config[C_FILL_CLOSE] > 0.0
    stop_loss = config[C_STOP_LOSS]
    take_profit = config[C_TAKE_PROFIT]
    trailing_stop = config[C_TRAILING_STOP]
    has_stops = not (np.isnan(stop_loss) and np.isnan(take_profit) and np.isnan(trailing_stop))
    tally = np.zeros(4)
    position = 0.0
    entry_value = entry_quantity = entry_fees = peak = 0.0
    pending_entry = pending_exit = False
    previous = initial
    last_close = np.nan
    total = squares = down = drawdown = exposed = 0.0
    lowest, highest = np.inf, -np.inf
    equity_peak = initial
    threshold = initial * (1.0 + _DRAWDOWN_SLACK)  # below it a bar may be the worst so far
    before_fast = fast[start - 1] if is_crossover and start > 0 else np.nan
    before_slow = slow[start - 1] if is_crossover and start > 0 else np.nan
    for t in range(start, stop):
        c = close[t]
        # (1) the order pending from the previous close fills at the open.
        if pending_exit:
            raw = fill_price_nb(MARKET, -direction, np.nan, np.nan, open_[t], high[t], low[t])
            cash, notional, fees = _exit_nb(cash, raw, position, params)
            _tally_trade_nb(tally, direction * (notional - entry_value) - (entry_fees + fees))
            position = 0.0
            pending_exit = False
        elif pending_entry:
            raw = fill_price_nb(MARKET, direction, np.nan, np.nan, open_[t], high[t], low[t])
            cash, units, entry_value, entry_fees, peak = _enter_nb(
                cash, raw, direction, size_type, size, params
            )
            entry_quantity = units
            position = direction * units
            pending_entry = False
        # (2) stops and targets against the bar's range.
        if has_stops and position != 0.0:
            h, lo = high[t], low[t]
            entry = entry_value / entry_quantity
            stop_level = entry * (1.0 - direction * stop_loss)
            target = entry * (1.0 + direction * take_profit)
            trailing = peak * (1.0 - direction * trailing_stop)
            price, reason = stop_exit_nb(direction, open_[t], h, lo, stop_level, target, trailing)
            if reason >= 0:
                cash, notional, fees = _exit_nb(cash, price, position, params)
                _tally_trade_nb(tally, direction * (notional - entry_value) - (entry_fees + fees))
                position = 0.0
            elif direction > 0:
                peak = max(peak, h)
            else:
                peak = min(peak, lo)
        # (3) signals at the close.
        if is_crossover:
            f, s = fast[t], slow[t]
            enter = (before_fast <= before_slow) & (f > s)  # no branches: NaN reads false
            leave = (before_fast >= before_slow) & (f < s)
            before_fast, before_slow = f, s
        else:
            enter, leave = entries[t], exits[t]
        if enter and leave:  # conflicting signals on one bar are ignored
            enter = leave = False
        if position != 0.0:
            if leave and fill_close:
                cash, notional, fees = _exit_nb(cash, c, position, params)
                _tally_trade_nb(tally, direction * (notional - entry_value) - (entry_fees + fees))
                position = 0.0
            elif leave:
                pending_exit = True
        elif enter and fill_close:
            cash, units, entry_value, entry_fees, peak = _enter_nb(
                cash, c, direction, size_type, size, params
            )
            entry_quantity = units
            position = direction * units
        elif enter:
            pending_entry = True
        # The bar's return and the running statistics of compute_metrics.
        equity = cash
        r = 0.0
        if position != 0.0:
            equity += position * c
            exposed += 1.0
        if equity != previous:  # x / x - 1 is exactly 0: skip the division on flat bars
            r = equity / previous - 1.0
        total += r
        squares += r * r
        lowest = min(lowest, r)
        highest = max(highest, r)
        loss = min(r, 0.0)  # branch-free: the sign of a return is a coin toss
        down += loss * loss
        if equity > equity_peak:
            equity_peak = equity
            threshold = equity * (1.0 + drawdown) * (1.0 + _DRAWDOWN_SLACK)
        elif equity < threshold:
            worst = equity / equity_peak - 1.0
            if worst < drawdown:
                drawdown = worst
                threshold = equity_peak * (1.0 + drawdown) * (1.0 + _DRAWDOWN_SLACK)
        if has_returns:
            returns[t] = r
        previous = equity
        last_close = c
    if position != 0.0:  # still open: valued at the last close, without exit costs
        _tally_trade_nb(tally, direction * (abs(position) * last_close - entry_value) - entry_fees)
    count = float(max(stop - start, 0))
    summary = (count, total, squares, lowest, highest, down, drawdown, exposed)
    _finish_metrics_nb(np.array(summary), tally, initial, previous, periods_per_year, out)


@njit(cache=True, parallel=True)
def sweep_crossover_nb(
    open_: FloatArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    starts: IntArray,
    stops: IntArray,
    averages: FloatArray,
    column_symbol: IntArray,
    column_fast: IntArray,
    column_slow: IntArray,
    params: FloatArray,
    config: FloatArray,
    size: float,
    direction: int,
    periods_per_year: float,
    returns: FloatArray,
) -> FloatArray:
    """Backtest moving-average crossovers, one column per (symbol, fast, slow); return metrics.

    Prices are (m, n) padded rows, one per symbol; symbol j is simulated over its bars
    ``starts[j]`` to ``stops[j]`` (exclusive), reading averages before `starts[j]` for the
    first crossover. `averages` is (m, w, n) (``moving_averages_nb``); column k trades symbol
    ``column_symbol[k]`` and enters when average ``column_fast[k]`` crosses above average
    ``column_slow[k]`` (a[t-1] <= b[t-1] and a[t] > b[t]), exits when it crosses below.
    `params` is (m, N_PARAMS), `config` (N_CONFIG,); `size` is the entry size in the unit
    of ``config[C_SIZE_TYPE]`` and `direction` +1 (long) or -1 (short). `returns` is
    (k, n) to receive each column's bar returns (zeros outside its bars), or (1, 0) to
    skip them. Returns metrics (k, N_METRICS), NaN where undefined.
    """
    k = column_symbol.shape[0]
    out = np.empty((k, N_METRICS))
    has_returns = returns.shape[1] > 0
    no_signal = np.zeros(0, dtype=np.bool_)
    for col in prange(k):
        j = column_symbol[col]
        row = returns[col] if has_returns else returns[0]
        _simulate_column_nb(
            open_[j], high[j], low[j], close[j], starts[j], stops[j],
            averages[j, column_fast[col]], averages[j, column_slow[col]], no_signal, no_signal,
            True, params[j], config, size, direction, periods_per_year, out[col], row,
            has_returns,
        )  # fmt: skip
    return out


@njit(cache=True, parallel=True)
def sweep_signals_nb(
    open_: FloatArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    start: int,
    stop: int,
    entries: BoolArray,
    exits: BoolArray,
    params: FloatArray,
    config: FloatArray,
    size: float,
    direction: int,
    periods_per_year: float,
    returns: FloatArray,
) -> FloatArray:
    """Backtest k signal columns on one symbol's bars; return metrics (k, N_METRICS).

    Prices are (n,); `entries` and `exits` are (k, n) bool, one row per column, simulated
    over bars `start` to `stop` (exclusive). `config` is (k, N_CONFIG): one row of run
    options per column (so stops and targets can vary too). `params`, `size`, `direction`
    and `returns` as in ``sweep_crossover_nb``.
    """
    k = entries.shape[0]
    out = np.empty((k, N_METRICS))
    has_returns = returns.shape[1] > 0
    no_average = np.zeros(0)
    for col in prange(k):
        row = returns[col] if has_returns else returns[0]
        _simulate_column_nb(
            open_, high, low, close, start, stop, no_average, no_average, entries[col],
            exits[col], False, params, config[col], size, direction, periods_per_year,
            out[col], row, has_returns,
        )  # fmt: skip
    return out
