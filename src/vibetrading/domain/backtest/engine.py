"""Run signal backtests: check the inputs, call the compiled kernel, build the result.

Execution model (the same rules serve paper trading, through the ``*_nb`` fill functions of
``kernels.py``):

* Signals are boolean Series aligned to the bars and read at each bar's close. Orders fill
  at the next bar's open (``fill="next_open"``, the default) or at the signal bar's close
  (``fill="close"``). An order that cannot fill (price limit, T+1, volume cap) stays
  pending and tries again at the next bar's open.
* Inside a bar, in this fixed order: (1) orders pending from the previous close fill at
  the open, exits before entries (exits free cash); (2) stop-loss, take-profit and
  trailing stop are checked against the bar's range; (3) signals at the close create the
  next orders, exits before entries. ``stops_first=True`` lets a stop or target hit during
  the bar win over an exit order pending for its open (vectorbt's reading); by default the
  pending exit fills at the open first (backtesting.py and backtrader).
* Stops are fractions of the average entry price (``stop_loss=0.05``: a long exits when
  low <= entry * 0.95); ``trailing_stop`` is a fraction below the highest high since the
  entry (above the lowest low for shorts), updated after each bar's check. A gap through a
  level fills at the open, not at the level; a bar whose range holds both the stop and the
  target exits at the stop. Stops watch a position from its fill on: on the entry bar
  itself when the fill was at the open, from the next bar otherwise.
* Exit reasons: ``signal``, ``stop_loss``, ``take_profit``, ``trailing_stop``,
  ``max_holding`` (``max_holding_bars``: the exit fills once the position has been held
  that many of the symbol's bars) and ``end``: a position still open after the last bar
  is valued at the last close, without exit costs, and listed as a trade (no order).
* One position per symbol: an entry signal while holding is ignored (no pyramiding); an
  entry and an exit on the same bar cancel out (as in vectorbt). With
  ``direction="both"`` an opposite entry closes the position and opens the other side.
* Entries are sized at their fill price: ``size_type="percent"`` of equity (1.0 = all in),
  ``"cash"``, ``"quantity"``, ``"equal_weight"`` (size / number of symbols of equity) or
  ``"volatility_target"`` (``size`` is the annual volatility aimed at; weight =
  min(1, size / (std of the last ``vol_lookback`` bar returns * sqrt(periods per year)))).
  Quantities round down to the lot: whole units without a symbol, the board lot for buys
  (100 shares for A-shares, per symbol in Hong Kong), the sell lot for sells (A-share odd
  lots may be sold), the quantity step for crypto. There is no margin: a buy never spends
  more than the cash, costs included. A short sale adds its proceeds to the cash; covering
  a short that has more than doubled can leave the cash (and the equity) negative.
* Costs: the symbol's CostModel (commission with minimum, stamp duties, levies, sell-side
  fees); ``fee_rate`` > 0 replaces its commission rate; ``costs`` replaces the whole model;
  ``slippage_bps`` > 0 replaces its slippage, applied against the trader on every fill.
  Without a symbol there are no costs but those two.
* Market rules: T+1 (units bought in a session are sold from the next session on: an exit
  or stop on the entry day waits for the next bar's open), A-share price limits (no buy at
  or above the previous session's close * 1.10 - one tick, no sell at limit-down; the order
  waits), shorting only where the market allows it, partial fills with
  ``max_volume_share`` (at most that share of each bar's volume; the rest carries over to
  the following bars' opens).
* Several symbols share one cash account: pass dicts of bars and signals. They are aligned
  on the union of their timestamps; a symbol without a bar at a timestamp keeps its last
  close for valuation and is not traded there.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from vibetrading.domain.backtest import kernels as nb
from vibetrading.domain.backtest.result import BacktestResult, KernelRecords, result_from_records
from vibetrading.domain.backtest.run_inputs import (
    SIGNAL_KINDS,
    Book,
    Direction,
    Fill,
    OrderType,
    RunOptions,
    SignalInput,
    SizeType,
    SymbolInput,
    check_benchmark,
    check_shorting,
    convert_currencies,
    load_inputs,
    resolve_costs,
)
from vibetrading.domain.backtest.stats import periods_per_year_for
from vibetrading.domain.trading.costs import CostModel
from vibetrading.domain.trading.markets import Market, MarketRules
from vibetrading.domain.trading.symbols import Symbol

__all__ = ["Direction", "Fill", "OrderType", "SizeType", "run_signals", "write_cost_params"]

_PRICE_TICKS = {Market.SH: 0.01, Market.SZ: 0.01}
_NO_SIGNAL = np.zeros(0, dtype=np.bool_)  # a side that never trades, for simulate_one_nb
FloatArray = npt.NDArray[np.float64]
# Up to this many bars a first run interprets simulate_one_nb (~1-2 us a bar) rather than
# start numba's compiler and load the compiled kernel (~0.5 s once per process).
_INTERPRETED_BARS = 20_000


def run_signals(
    bars: pd.DataFrame | Mapping[str, pd.DataFrame],
    entries: SignalInput,
    exits: SignalInput,
    *,
    fill: Fill = "next_open",
    cash: float = 100_000,
    fee_rate: float = 0.0,
    stop_loss: float | None = None,
    take_profit: float | None = None,
    trailing_stop: float | None = None,
    slippage_bps: float = 0.0,
    symbol: SymbolInput | Mapping[str, Symbol | str] = None,
    size: float = 1.0,
    size_type: SizeType = "percent",
    direction: Direction = "long",
    stops_first: bool = False,
    max_volume_share: float | None = None,
    max_holding_bars: int | None = None,
    periods_per_year: float | None = None,
    benchmark: pd.Series | None = None,
    short_entries: SignalInput | None = None,
    short_exits: SignalInput | None = None,
    order_type: OrderType = "market",
    limit_offset: float = 0.0,
    stop_offset: float = 0.0,
    vol_lookback: int = 20,
    costs: CostModel | None = None,
    fx: Mapping[str, pd.Series] | None = None,
    base_currency: str | None = None,
) -> BacktestResult:
    """Backtest boolean entry and exit signals on bars; return equity, trades and orders.

    `bars` is one Bars frame (then `entries`/`exits` are Series on its index) or a dict
    {code: bars} with dicts of signals under the same codes, trading from one cash account.
    `symbol` (a Symbol, a code to parse, or a dict per code) brings the market's lots,
    costs and rules; None means a generic series: whole units, no costs. The module
    docstring states the execution model; options in brief:

    * `fill`: "next_open" or "close". `cash`: starting cash in the quote currency.
    * `fee_rate`, `slippage_bps`, `costs`: see Costs in the module docstring.
    * `stop_loss`, `trailing_stop` in (0, 1) and `take_profit` > 0: fractions of the entry.
    * `size`, `size_type`, `vol_lookback`: position sizing. `direction`: "long", "short" or
      "both" (then `short_entries`/`short_exits` give the short side).
    * `order_type`: entries as "market", "limit" (at close * (1 - limit_offset) for buys),
      "stop" (at close * (1 + stop_offset) for buys) or "stop_limit" (the limit
      `limit_offset` beyond the stop); mirrored for short entries. Exits are market orders.
    * `max_volume_share`, `max_holding_bars`, `stops_first`: see the module docstring.
    * `periods_per_year`: bars per year for the statistics (default: the market's sessions
      per year for daily bars, 52 weekly, 12 monthly, bars per day times sessions intraday).
    * `benchmark`: prices to compare with, kept on the result for the statistics.
    * `fx`: {currency: price of one unit in `base_currency`} to mix currencies; the base
      defaults to the first symbol's currency.

    Raises ConfigError for invalid options (or shorting where the market forbids it) and
    DataError for bars or signals that do not fit (misaligned, not boolean, missing values).

    >>> from vibetrading.testing.factories import make_bars
    >>> bars = make_bars(300)
    >>> fast, slow = bars.close.rolling(10).mean(), bars.close.rolling(50).mean()
    >>> entries = (fast > slow) & (fast.shift() <= slow.shift())
    >>> exits = (fast < slow) & (fast.shift() >= slow.shift())
    >>> result = run_signals(bars, entries, exits, fee_rate=0.001, stop_loss=0.05)
    >>> list(result.trades.columns[:4])
    ['symbol', 'direction', 'entry_time', 'entry_price']
    """
    options = RunOptions(
        fill=fill, cash=cash, fee_rate=fee_rate, stop_loss=stop_loss, take_profit=take_profit,
        trailing_stop=trailing_stop, slippage_bps=slippage_bps, size=size, size_type=size_type,
        direction=direction, stops_first=stops_first, max_volume_share=max_volume_share,
        max_holding_bars=max_holding_bars, periods_per_year=periods_per_year,
        order_type=order_type, limit_offset=limit_offset, stop_offset=stop_offset,
        vol_lookback=vol_lookback, costs=costs,
    )  # fmt: skip
    options.check()
    book = load_inputs(bars, entries, exits, short_entries, short_exits, symbol, options)
    check_shorting(book.symbols, options)
    convert_currencies(book, fx, base_currency)
    ppy = periods_per_year or periods_per_year_for(book.index, book.symbols[0].rules.annualisation)
    sizes = _entry_sizes(book, options, ppy)
    equity, records = _simulate(book, options, sizes)
    settings = options.settings(book, ppy)
    return result_from_records(
        equity, records, settings=settings, benchmark=check_benchmark(benchmark)
    )


def _simulate(
    book: Book, options: RunOptions, sizes: FloatArray
) -> tuple[FloatArray, KernelRecords]:
    m = len(book.codes)
    entries = book.entry_count()
    orders, trades = 2 * entries + 5 * m + 8, entries + 4 * m + 8
    if options.max_volume_share is not None:  # split orders: a guess, raised when too small
        orders, trades = 4 * orders, 2 * trades
    if _fits_one_kernel(book, options):
        return _simulate_one(book, options, sizes, orders, trades)
    open_, high, low, close, volume = book.price_arrays()
    long_entries, long_exits, short_entries, short_exits = book.signal_arrays()
    sessions, limit_refs = book.sessions(), book.limit_refs()
    params, config = _params(book.symbols, options), options.config()
    while True:
        equity, cash, positions, order_records, trade_records, is_complete = nb.simulate_nb(
            open_, high, low, close, volume, book.has_bar, sessions, limit_refs, long_entries,
            long_exits, short_entries, short_exits, sizes, params, config, orders, trades,
        )  # fmt: skip
        if is_complete:
            records = KernelRecords(
                book.index, book.codes, order_records, trade_records, float(options.cash),
                cash=cash, positions=positions,
            )  # fmt: skip
            return equity, records
        orders, trades = 4 * orders, 4 * trades


def _fits_one_kernel(book: Book, options: RunOptions) -> bool:
    # The rules simulate_one_nb leaves out: several symbols, orders that may wait or fill in
    # parts (limit and stop entries, volume caps, T+1, price limits).
    if len(book.codes) > 1 or options.order_type != "market" or options.max_volume_share:
        return False
    rules = book.symbols[0].rules
    return rules.t_plus == 0 and rules.price_limit_rate is None


def _simulate_one(
    book: Book, options: RunOptions, sizes: FloatArray, orders: int, trades: int
) -> tuple[FloatArray, KernelRecords]:
    open_, high, low, close, _ = (column[:, 0] for column in book.price_arrays())
    long_entries, long_exits, short_entries, short_exits = (
        _NO_SIGNAL if values is None else values[:, 0]
        for values in (book.signals[kind] for kind in SIGNAL_KINDS)
    )
    params, config = _params(book.symbols, options), options.config()
    kernel = nb.simulate_one_nb
    if len(close) <= _INTERPRETED_BARS and not getattr(kernel, "signatures", ()):
        kernel = getattr(kernel, "py_func", kernel)  # milliseconds, not numba's ~0.5 s start
    while True:
        equity, order_records, trade_records, is_complete = kernel(
            open_, high, low, close, long_entries, long_exits, short_entries, short_exits,
            sizes[:, 0], tuple(params[0].tolist()), tuple(config.tolist()), orders, trades,
        )  # fmt: skip
        if is_complete:
            records = KernelRecords(
                book.index, book.codes, order_records, trade_records, float(options.cash)
            )
            return equity, records
        orders, trades = 4 * orders, 4 * trades


def _params(symbols: list[Symbol], options: RunOptions) -> FloatArray:
    params = np.zeros((len(symbols), nb.N_PARAMS))
    for j, symbol in enumerate(symbols):
        costs = resolve_costs(symbol, options)
        rules = symbol.rules
        row = params[j]
        write_cost_params(row, costs, rules)
        row[nb.P_T_PLUS] = rules.t_plus
        limit = rules.price_limit_rate
        row[nb.P_PRICE_LIMIT] = np.nan if limit is None else limit
        row[nb.P_TICK] = _PRICE_TICKS.get(symbol.market, 0.0)
    return params


def _entry_sizes(book: Book, options: RunOptions, periods_per_year: float) -> FloatArray:
    n, m = len(book.index), len(book.codes)
    if options.size_type == "equal_weight":
        return np.full((1, m), options.size / m)
    if options.size_type != "volatility_target":
        return np.full((1, m), float(options.size))
    sizes = np.full((n, m), np.nan)
    for j in range(m):
        rows = book.rows[j]
        close = pd.Series(book.own_close(j))
        realised = close.pct_change().rolling(options.vol_lookback).std().to_numpy()
        with np.errstate(divide="ignore"):
            weight = options.size / (realised * np.sqrt(periods_per_year))
        sizes[rows, j] = np.minimum(weight, 1.0)
    return sizes


def write_cost_params(row: FloatArray, costs: CostModel, rules: MarketRules) -> None:
    """Write a symbol's costs and lot sizes into one row of the kernels' ``P_*`` parameters."""
    row[nb.P_COMMISSION_RATE] = costs.commission_rate
    row[nb.P_COMMISSION_PER_UNIT] = costs.commission_per_share
    row[nb.P_COMMISSION_MIN] = costs.commission_min
    row[nb.P_STAMP_DUTY_BUY] = costs.stamp_duty_buy_rate
    row[nb.P_STAMP_DUTY_SELL] = costs.stamp_duty_sell_rate
    row[nb.P_LEVY] = costs.levy_rate
    row[nb.P_SELL_FEE] = costs.sell_fee_rate
    row[nb.P_SLIPPAGE] = costs.slippage_bps / 10_000
    row[nb.P_LOT] = max(rules.lot_size, rules.quantity_step)
    row[nb.P_SELL_LOT] = max(rules.sell_lot_size, rules.quantity_step)
