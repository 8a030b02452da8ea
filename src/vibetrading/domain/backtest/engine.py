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
from dataclasses import dataclass, fields
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from vibetrading.domain.backtest import kernels as nb
from vibetrading.domain.backtest.result import BacktestResult, build_orders, build_trades
from vibetrading.domain.backtest.stats import periods_per_year_for
from vibetrading.domain.data.bars import BAR_COLUMNS, check_bars
from vibetrading.domain.trading.costs import CostModel
from vibetrading.domain.trading.markets import Market, MarketRules
from vibetrading.domain.trading.symbols import Symbol
from vibetrading.errors import ConfigError, DataError

__all__ = ["Direction", "Fill", "OrderType", "SizeType", "run_signals", "write_cost_params"]

Fill = Literal["next_open", "close"]
SizeType = Literal["percent", "cash", "quantity", "equal_weight", "volatility_target"]
Direction = Literal["long", "short", "both"]
OrderType = Literal["market", "limit", "stop", "stop_limit"]
SymbolInput: TypeAlias = Symbol | str | None
SignalInput: TypeAlias = "pd.Series | Mapping[str, pd.Series]"
FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]

_FILLS = ("next_open", "close")
_SIZE_TYPES = ("percent", "cash", "quantity", "equal_weight", "volatility_target")
_DIRECTIONS = ("long", "short", "both")
_PRICE_TICKS = {Market.SH: 0.01, Market.SZ: 0.01}
_NS_PER_DAY = 86_400 * 10**9
_DEFAULT_CODE = "ASSET"


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
    options = _Options(
        fill=fill, cash=cash, fee_rate=fee_rate, stop_loss=stop_loss, take_profit=take_profit,
        trailing_stop=trailing_stop, slippage_bps=slippage_bps, size=size, size_type=size_type,
        direction=direction, stops_first=stops_first, max_volume_share=max_volume_share,
        max_holding_bars=max_holding_bars, periods_per_year=periods_per_year,
        order_type=order_type, limit_offset=limit_offset, stop_offset=stop_offset,
        vol_lookback=vol_lookback, costs=costs,
    )  # fmt: skip
    options.check()
    book = _load_inputs(bars, entries, exits, short_entries, short_exits, symbol, options)
    _check_shorting(book.symbols, options)
    _convert_currencies(book, fx, base_currency)
    ppy = periods_per_year or periods_per_year_for(book.index, book.symbols[0].rules.annualisation)
    sizes = _entry_sizes(book, options, ppy)
    equity, cash_values, positions, orders, trades = _simulate(book, options, sizes)
    settings = options.settings(book, ppy)
    return BacktestResult(
        equity=pd.Series(equity, index=book.index, name="equity", copy=False),
        cash=pd.Series(cash_values, index=book.index, name="cash", copy=False),
        positions=pd.DataFrame(positions, index=book.index, columns=list(book.codes), copy=False),
        trades=build_trades(trades, book.index, book.codes),
        orders=build_orders(orders, book.index, book.codes),
        settings=settings,
        symbols=book.codes,
        benchmark=_check_benchmark(benchmark),
    )


def _simulate(book: _Book, options: _Options, sizes: FloatArray) -> tuple[FloatArray, ...]:
    m = len(book.codes)
    entries = book.entry_count()
    orders, trades = 2 * entries + 5 * m + 8, entries + 4 * m + 8
    if options.max_volume_share is not None:  # split orders: a guess, raised when too small
        orders, trades = 4 * orders, 2 * trades
    open_, high, low, close, volume = book.price_arrays()
    long_entries, long_exits, short_entries, short_exits = book.signal_arrays()
    sessions, limit_refs = book.sessions(), book.limit_refs()
    params, config = _params(book.symbols, options), options.config()
    while True:
        *out, is_complete = nb.simulate_nb(
            open_,
            high,
            low,
            close,
            volume,
            book.has_bar,
            sessions,
            limit_refs,
            long_entries,
            long_exits,
            short_entries,
            short_exits,
            sizes,
            params,
            config,
            orders,
            trades,
        )
        if is_complete:
            return tuple(out)
        orders, trades = 4 * orders, 4 * trades


@dataclass(frozen=True)
class _Options:
    """The scalar options of a run."""

    fill: str
    cash: float
    fee_rate: float
    stop_loss: float | None
    take_profit: float | None
    trailing_stop: float | None
    slippage_bps: float
    size: float
    size_type: str
    direction: str
    stops_first: bool
    max_volume_share: float | None
    max_holding_bars: int | None
    periods_per_year: float | None
    order_type: str
    limit_offset: float
    stop_offset: float
    vol_lookback: int
    costs: CostModel | None

    def check(self) -> None:
        self._check_choices()
        self._check_amounts()
        self._check_stops()

    def _check_choices(self) -> None:
        for name, allowed in (
            ("fill", _FILLS),
            ("size_type", _SIZE_TYPES),
            ("direction", _DIRECTIONS),
            ("order_type", nb.ORDER_TYPES),
        ):
            value = getattr(self, name)
            if value not in allowed:
                choices = ", ".join(repr(a) for a in allowed)
                raise ConfigError(f"{name}={value!r} is not one of {choices}.")

    def _check_amounts(self) -> None:
        _positive("cash", self.cash)
        _positive("size", self.size)
        if self.size_type == "percent" and self.size > 1:
            raise ConfigError(f"size={self.size} is over 100% of equity; there is no margin.")
        for name in ("fee_rate", "slippage_bps", "limit_offset", "stop_offset"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and np.isfinite(value) and value >= 0):
                raise ConfigError(f"{name} must be a number >= 0, not {value!r}.")
        if self.fee_rate >= 1:
            raise ConfigError(f"fee_rate={self.fee_rate} is a fraction of notional: use < 1.")
        share = self.max_volume_share
        if share is not None and not 0 < share <= 1:
            raise ConfigError(f"max_volume_share must be in (0, 1], not {share!r}.")
        for name in ("max_holding_bars", "vol_lookback"):
            count = getattr(self, name)
            if count is not None and (not isinstance(count, int) or count < 1):
                raise ConfigError(f"{name} must be a whole number of bars >= 1, not {count!r}.")
        if self.periods_per_year is not None:
            _positive("periods_per_year", self.periods_per_year)

    def _check_stops(self) -> None:
        for name in ("stop_loss", "trailing_stop"):
            value = getattr(self, name)
            if value is not None and not 0 < value < 1:
                raise ConfigError(
                    f"{name}={value!r} must be a fraction of the entry price in (0, 1): "
                    "0.05 means 5%."
                )
        target = self.take_profit
        if target is not None and not (np.isfinite(target) and target > 0):
            raise ConfigError(f"take_profit={target!r} must be a fraction > 0: 0.1 means 10%.")
        if target is not None and self.direction != "long" and target >= 1:
            raise ConfigError(f"take_profit={target} can never be reached by a short (< 1).")

    def config(self) -> FloatArray:
        config = np.full(nb.N_CONFIG, np.nan)
        config[nb.C_INIT_CASH] = self.cash
        size_codes = {"cash": nb.SIZE_CASH, "quantity": nb.SIZE_QUANTITY}
        config[nb.C_SIZE_TYPE] = size_codes.get(self.size_type, nb.SIZE_PERCENT)
        config[nb.C_FILL_CLOSE] = 1.0 if self.fill == "close" else 0.0
        config[nb.C_STOPS_FIRST] = 1.0 if self.stops_first else 0.0
        config[nb.C_ORDER_TYPE] = nb.ORDER_TYPES.index(self.order_type)
        config[nb.C_LIMIT_OFFSET] = self.limit_offset
        config[nb.C_STOP_OFFSET] = self.stop_offset
        for index, value in (
            (nb.C_STOP_LOSS, self.stop_loss),
            (nb.C_TAKE_PROFIT, self.take_profit),
            (nb.C_TRAILING_STOP, self.trailing_stop),
            (nb.C_MAX_VOLUME_SHARE, self.max_volume_share),
            (nb.C_MAX_HOLDING, self.max_holding_bars),
        ):
            if value is not None:
                config[index] = value
        return config

    def settings(self, book: _Book, periods_per_year: float) -> dict[str, Any]:
        settings = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "costs"}
        pairs = list(zip(book.codes, book.symbols, strict=True))
        settings.update(
            cash=float(self.cash),
            periods_per_year=float(periods_per_year),
            symbols=list(book.codes),
            markets={code: symbol.market.value for code, symbol in pairs},
            currency=book.currency,
            costs={code: _costs(symbol, self).model_dump() for code, symbol in pairs},
        )
        return settings


def _positive(name: str, value: Any) -> None:
    if not (isinstance(value, int | float | np.number) and np.isfinite(value) and value > 0):
        raise ConfigError(f"{name} must be a positive number, not {value!r}.")


class _Book:
    """Bars and signals of every symbol, aligned on one index as (n, m) arrays.

    One symbol uses its bar columns as they are (no copy); arrays of one row stand for the
    same values on every bar (the kernel broadcasts them).
    """

    def __init__(
        self, codes: tuple[str, ...], frames: list[pd.DataFrame], symbols: list[Symbol]
    ) -> None:
        self.codes = codes
        self.symbols = symbols
        self.currency = symbols[0].currency
        index = frames[0].index
        for frame in frames[1:]:
            index = index.union(frame.index)
        self.index = pd.DatetimeIndex(index, name="timestamp")
        n, m = len(self.index), len(codes)
        self.rows = [self.index.get_indexer(f.index) for f in frames] if m > 1 else [np.arange(n)]
        self.prices: dict[str, FloatArray] = {}
        for column in ("open", "high", "low", "close", "volume"):
            self.prices[column] = self._stack([f[column].to_numpy() for f in frames], np.nan)
        self.has_bar = np.ones((1, 1), dtype=np.bool_)
        if m > 1:
            self.has_bar = np.zeros((n, m), dtype=np.bool_)
            for j, rows in enumerate(self.rows):
                self.has_bar[rows, j] = True
        self.signals = {k: np.zeros((n, m), dtype=np.bool_) for k in _SIGNAL_KINDS}

    def _stack(self, columns: list[Any], fill: float) -> Any:
        if len(columns) == 1:
            return np.ascontiguousarray(columns[0]).reshape(-1, 1)
        out = np.full((len(self.index), len(columns)), fill, dtype=columns[0].dtype)
        for j, values in enumerate(columns):
            out[self.rows[j], j] = values
        return out

    def set_signal(self, kind: str, j: int, values: BoolArray) -> None:
        if len(self.codes) == 1:
            self.signals[kind] = values.reshape(-1, 1)
        else:
            self.signals[kind][self.rows[j], j] = values

    def price_arrays(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        p = self.prices
        return p["open"], p["high"], p["low"], p["close"], p["volume"]

    def signal_arrays(self) -> tuple[BoolArray, BoolArray, BoolArray, BoolArray]:
        s = self.signals
        return s["long_entries"], s["long_exits"], s["short_entries"], s["short_exits"]

    def entry_count(self) -> int:
        s = self.signals
        return int(np.count_nonzero(s["long_entries"]) + np.count_nonzero(s["short_entries"]))

    def own_index(self, j: int) -> pd.DatetimeIndex:
        return self.index[self.rows[j]]

    def own_close(self, j: int) -> FloatArray:
        return np.asarray(self.prices["close"][self.rows[j], j], dtype=np.float64)

    def sessions(self) -> npt.NDArray[np.int64]:
        uses = [s.rules.t_plus > 0 for s in self.symbols]
        if not any(uses):
            return np.zeros((1, len(self.codes)), dtype=np.int64)
        ids = [
            _session_ids(self.own_index(j), s.rules.timezone)
            if used
            else np.zeros(len(self.rows[j]), dtype=np.int64)
            for j, (s, used) in enumerate(zip(self.symbols, uses, strict=True))
        ]
        return np.asarray(self._stack(ids, 0), dtype=np.int64)

    def limit_refs(self) -> FloatArray:
        uses = [s.rules.price_limit_rate is not None for s in self.symbols]
        if not any(uses):
            return np.zeros((1, len(self.codes)))
        refs = [
            _previous_session_close(self.own_close(j), _session_ids(self.own_index(j), s.timezone))
            if used
            else np.full(len(self.rows[j]), np.nan)
            for j, (s, used) in enumerate(zip(self.symbols, uses, strict=True))
        ]
        return np.asarray(self._stack(refs, np.nan), dtype=np.float64)


_SIGNAL_KINDS = ("long_entries", "long_exits", "short_entries", "short_exits")


def _load_inputs(
    bars: pd.DataFrame | Mapping[str, pd.DataFrame],
    entries: SignalInput,
    exits: SignalInput,
    short_entries: SignalInput | None,
    short_exits: SignalInput | None,
    symbol: SymbolInput | Mapping[str, Symbol | str],
    options: _Options,
) -> _Book:
    if options.direction != "both" and (short_entries is not None or short_exits is not None):
        raise ConfigError("short_entries and short_exits need direction='both'.")
    frames, symbols = _frames_and_symbols(bars, symbol)
    codes = tuple(frames)
    for code, frame in frames.items():
        _check_volume(code, frame, options)
    signals = {
        "entries": _per_code("entries", entries, codes),
        "exits": _per_code("exits", exits, codes),
        "short_entries": _per_code("short_entries", short_entries, codes),
        "short_exits": _per_code("short_exits", short_exits, codes),
    }
    book = _Book(codes, [frames[c] for c in codes], [symbols[c] for c in codes])
    for source, kind in _signal_routing(options.direction):
        for j, code in enumerate(codes):
            signal = signals[source][code]
            if signal is not None:
                name = source if len(codes) == 1 else f"{source}[{code!r}]"
                book.set_signal(kind, j, _check_signal(name, signal, frames[code].index))
    return book


def _signal_routing(direction: str) -> tuple[tuple[str, str], ...]:
    if direction == "short":
        return (("entries", "short_entries"), ("exits", "short_exits"))
    routes: tuple[tuple[str, str], ...] = (("entries", "long_entries"), ("exits", "long_exits"))
    if direction == "both":
        routes += (("short_entries", "short_entries"), ("short_exits", "short_exits"))
    return routes


def _frames_and_symbols(
    bars: pd.DataFrame | Mapping[str, pd.DataFrame],
    symbol: SymbolInput | Mapping[str, Symbol | str],
) -> tuple[dict[str, pd.DataFrame], dict[str, Symbol]]:
    if isinstance(bars, pd.DataFrame):
        if isinstance(symbol, Mapping):
            raise ConfigError("Pass one symbol (or None) with one bars frame, not a dict.")
        resolved = _resolve_symbol(symbol, str(bars.attrs.get("symbol", _DEFAULT_CODE)))
        return {resolved.code: _check_frame(resolved.code, bars)}, {resolved.code: resolved}
    if not isinstance(bars, Mapping) or not bars:
        raise DataError("bars must be a Bars DataFrame or a non-empty dict {code: bars}.")
    if symbol is not None and not isinstance(symbol, Mapping):
        raise ConfigError("With a dict of bars, pass symbol as a dict {code: symbol} or None.")
    unknown = set(symbol or {}) - set(bars)
    if unknown:
        raise ConfigError(f"symbol names codes without bars: {', '.join(sorted(unknown))}.")
    frames = {str(code): _check_frame(str(code), frame) for code, frame in bars.items()}
    symbols = {
        code: _resolve_symbol((symbol or {}).get(code), code, keep_code=True) for code in frames
    }
    return frames, symbols


def _resolve_symbol(symbol: SymbolInput, code: str, *, keep_code: bool = False) -> Symbol:
    if isinstance(symbol, Symbol):
        return symbol
    if isinstance(symbol, str):
        return Symbol.parse(symbol)
    if symbol is not None:
        raise ConfigError(f"symbol must be a Symbol, a code or None, not {type(symbol).__name__}.")
    return (
        Symbol.generic(code)
        if not keep_code
        else Symbol.generic(code).model_copy(update={"code": code})
    )


def _check_frame(code: str, frame: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"The bars of {code} must be a DataFrame, not {type(frame).__name__}.")
    bars = frame if _is_canonical(frame) else check_bars(frame)
    for column in ("open", "high", "low", "close"):
        values = bars[column].to_numpy()
        if not values.min() > 0:  # NaN and non-positive prices alike
            raise DataError(
                f"The bars of {code} have missing or non-positive {column} prices: drop or "
                "fill those rows (vibetrading.domain.data.clean_bars) before backtesting."
            )
    return bars


def _is_canonical(frame: pd.DataFrame) -> bool:
    # Bars from a provider already meet the contract; checking that is cheaper than check_bars.
    index = frame.index
    if not (isinstance(index, pd.DatetimeIndex) and str(index.tz) == "UTC" and len(index) > 0):
        return False
    if index.unit != "ns" or any(
        c not in frame.columns or frame[c].dtype != np.float64 for c in BAR_COLUMNS
    ):
        return False
    return bool(index.is_monotonic_increasing and index.is_unique)  # cached by pandas


def _check_volume(code: str, frame: pd.DataFrame, options: _Options) -> None:
    if options.max_volume_share is not None and frame["volume"].isna().any():
        raise DataError(f"The bars of {code} lack volume on some bars; max_volume_share needs it.")


def _per_code(name: str, signal: SignalInput | None, codes: tuple[str, ...]) -> dict[str, Any]:
    if signal is None:
        return dict.fromkeys(codes)
    if len(codes) == 1 and not isinstance(signal, Mapping):
        return {codes[0]: signal}
    if not isinstance(signal, Mapping):
        raise DataError(f"With a dict of bars, {name} must be a dict {{code: Series}} too.")
    missing = [c for c in codes if c not in signal]
    extra = [str(c) for c in signal if c not in codes]
    if missing or extra:
        raise DataError(
            f"{name} must have one Series per code of the bars; "
            f"missing: {', '.join(missing) or 'none'}, unknown: {', '.join(extra) or 'none'}."
        )
    return {c: signal[c] for c in codes}


def _check_signal(name: str, signal: Any, index: pd.DatetimeIndex) -> BoolArray:
    if isinstance(signal, pd.DataFrame):
        raise DataError(f"{name} must be a boolean Series; pass several symbols as a dict.")
    if isinstance(signal, pd.Series):
        signal_index = signal.index
        if isinstance(signal_index, pd.DatetimeIndex) and signal_index.tz is None:
            signal_index = signal_index.tz_localize("UTC")
        if not (isinstance(signal_index, pd.DatetimeIndex) and signal_index.equals(index)):
            raise DataError(
                f"{name} is not aligned with the bars ({len(signal)} values, bars have "
                f"{len(index)}): build it from the bars or use "
                ".reindex(bars.index, fill_value=False)."
            )
        values = signal.to_numpy()
    else:
        values = np.asarray(signal)
        if values.shape != (len(index),):
            raise DataError(f"{name} must hold one value per bar ({len(index)}).")
    return _as_bool(name, values)


def _as_bool(name: str, values: Any) -> BoolArray:
    if values.dtype == np.bool_:
        return np.asarray(values)
    if pd.isna(values).any():
        raise DataError(f"{name} has missing values: use .fillna(False) (NaN reads as false).")
    if values.dtype == object and all(isinstance(v, bool | np.bool_) for v in values):
        return np.asarray(values, dtype=np.bool_)
    raise DataError(
        f"{name} must be boolean, not {values.dtype}: compare the values (e.g. x > 0) first."
    )


def _check_shorting(symbols: list[Symbol], options: _Options) -> None:
    if options.direction == "long":
        return
    for symbol in symbols:
        if not symbol.rules.allows_shorting:
            raise ConfigError(
                f"{symbol.code} cannot be sold short ({symbol.market.value} market rules): "
                "use direction='long'."
            )


def _convert_currencies(
    book: _Book, fx: Mapping[str, pd.Series] | None, base_currency: str | None
) -> None:
    base = base_currency or book.symbols[0].currency
    book.currency = base
    for j, symbol in enumerate(book.symbols):
        if symbol.currency == base:
            continue
        if fx is None or symbol.currency not in fx:
            raise ConfigError(
                f"{symbol.code} is quoted in {symbol.currency} and the account in {base}: "
                f"pass fx={{'{symbol.currency}': <price of 1 {symbol.currency} in {base}>}}."
            )
        rate = _fx_rate(fx[symbol.currency], book.own_index(j), symbol.currency)
        for column in ("open", "high", "low", "close"):
            values = book.prices[column].copy()  # never scale the caller's bars in place
            values[book.rows[j], j] *= rate
            book.prices[column] = values


def _fx_rate(series: pd.Series, index: pd.DatetimeIndex, currency: str) -> FloatArray:
    if not isinstance(series, pd.Series) or not isinstance(series.index, pd.DatetimeIndex):
        raise DataError(f"fx[{currency!r}] must be a Series with a DatetimeIndex.")
    stamps = series.index
    stamps = stamps.tz_localize("UTC") if stamps.tz is None else stamps.tz_convert("UTC")
    rates = pd.Series(series.to_numpy(dtype=np.float64), index=stamps).sort_index()
    aligned = rates.reindex(index, method="ffill").to_numpy()
    if np.isnan(aligned).any() or (aligned <= 0).any():
        raise DataError(f"fx[{currency!r}] has no positive rate for some bars; extend it.")
    return np.asarray(aligned, dtype=np.float64)


def _costs(symbol: Symbol, options: _Options) -> CostModel:
    costs: CostModel = options.costs or symbol.costs
    update: dict[str, float] = {}
    if options.fee_rate > 0:
        update["commission_rate"] = float(options.fee_rate)
    if options.slippage_bps > 0:
        update["slippage_bps"] = float(options.slippage_bps)
    return costs.model_copy(update=update) if update else costs


def _params(symbols: list[Symbol], options: _Options) -> FloatArray:
    params = np.zeros((len(symbols), nb.N_PARAMS))
    for j, symbol in enumerate(symbols):
        costs = _costs(symbol, options)
        rules = symbol.rules
        row = params[j]
        write_cost_params(row, costs, rules)
        row[nb.P_T_PLUS] = rules.t_plus
        limit = rules.price_limit_rate
        row[nb.P_PRICE_LIMIT] = np.nan if limit is None else limit
        row[nb.P_TICK] = _PRICE_TICKS.get(symbol.market, 0.0)
    return params


def _entry_sizes(book: _Book, options: _Options, periods_per_year: float) -> FloatArray:
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


def _session_ids(index: pd.DatetimeIndex, timezone: str) -> npt.NDArray[np.int64]:
    local = index if timezone == "UTC" else index.tz_convert(timezone).tz_localize(None)
    return np.asarray(local.as_unit("ns").asi8 // _NS_PER_DAY, dtype=np.int64)


def _previous_session_close(close: FloatArray, sessions: npt.NDArray[np.int64]) -> FloatArray:
    is_new = np.r_[True, sessions[1:] != sessions[:-1]]
    number = np.cumsum(is_new) - 1
    starts = np.flatnonzero(is_new)
    last_close = close[np.r_[starts[1:] - 1, len(close) - 1]]
    previous = np.r_[np.nan, last_close]
    return np.asarray(previous[number], dtype=np.float64)


def _check_benchmark(benchmark: pd.Series | None) -> pd.Series | None:
    if benchmark is None:
        return None
    if not isinstance(benchmark, pd.Series) or not isinstance(benchmark.index, pd.DatetimeIndex):
        raise DataError("benchmark must be a Series of prices with a DatetimeIndex.")
    index = benchmark.index
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return pd.Series(benchmark.to_numpy(dtype=np.float64), index=index, name="benchmark")
