"""The checked inputs of a signal backtest: its options, and the bars and signals as arrays.

``run_signals`` (``engine.py``) validates here, once, what the caller passed: the option
values, the bars of each symbol (the Bars contract), the signals (boolean, aligned), the
market rules that forbid a request (shorting), the currencies; and lays the bars and
signals of m symbols out as (n, m) arrays on the union of their timestamps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from vibetrading.domain.backtest import kernels as nb
from vibetrading.domain.data.bars import BAR_COLUMNS, check_bars
from vibetrading.domain.trading.costs import CostModel
from vibetrading.domain.trading.symbols import Symbol
from vibetrading.errors import ConfigError, DataError

__all__ = [
    "SIGNAL_KINDS",
    "Book",
    "Direction",
    "Fill",
    "OrderType",
    "RunOptions",
    "SignalInput",
    "SizeType",
    "SymbolInput",
    "check_benchmark",
    "check_shorting",
    "convert_currencies",
    "load_inputs",
    "resolve_costs",
]

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
_NS_PER_DAY = 86_400 * 10**9
_DEFAULT_CODE = "ASSET"


@dataclass(frozen=True)
class RunOptions:
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

    def settings(self, book: Book, periods_per_year: float) -> dict[str, Any]:
        settings = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "costs"}
        pairs = list(zip(book.codes, book.symbols, strict=True))
        settings.update(
            cash=float(self.cash),
            periods_per_year=float(periods_per_year),
            symbols=list(book.codes),
            markets={code: symbol.market.value for code, symbol in pairs},
            currency=book.currency,
            costs={code: resolve_costs(symbol, self).model_dump() for code, symbol in pairs},
        )
        return settings


def _positive(name: str, value: Any) -> None:
    if not (isinstance(value, int | float | np.number) and np.isfinite(value) and value > 0):
        raise ConfigError(f"{name} must be a positive number, not {value!r}.")


class Book:
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
        self.index: pd.DatetimeIndex = (
            index if index.name == "timestamp" else index.rename("timestamp")
        )
        n, m = len(self.index), len(codes)
        self.counts = [len(f) for f in frames]
        # Where each symbol's bars sit in the index; every row when there is one symbol.
        self.rows: list[slice | npt.NDArray[np.intp]] = (
            [self.index.get_indexer(f.index) for f in frames] if m > 1 else [slice(None)]
        )
        self.prices: dict[str, FloatArray] = {}
        for column in ("open", "high", "low", "close", "volume"):
            self.prices[column] = self._stack([f[column].to_numpy() for f in frames], np.nan)
        self.has_bar = np.ones((1, 1), dtype=np.bool_)
        if m > 1:
            self.has_bar = np.zeros((n, m), dtype=np.bool_)
            for j, rows in enumerate(self.rows):
                self.has_bar[rows, j] = True
        self.signals: dict[str, BoolArray | None] = dict.fromkeys(SIGNAL_KINDS)

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
            return
        signal = self.signals[kind]
        if signal is None:
            signal = np.zeros((len(self.index), len(self.codes)), dtype=np.bool_)
            self.signals[kind] = signal
        signal[self.rows[j], j] = values

    def price_arrays(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        p = self.prices
        return p["open"], p["high"], p["low"], p["close"], p["volume"]

    def signal_arrays(self) -> tuple[BoolArray, BoolArray, BoolArray, BoolArray]:
        shape = (len(self.index), len(self.codes))
        long_entries, long_exits, short_entries, short_exits = (
            np.zeros(shape, dtype=np.bool_) if values is None else values
            for values in (self.signals[kind] for kind in SIGNAL_KINDS)
        )
        return long_entries, long_exits, short_entries, short_exits

    def entry_count(self) -> int:
        counts = (self.signals["long_entries"], self.signals["short_entries"])
        return sum(int(np.count_nonzero(c)) for c in counts if c is not None)

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
            else np.zeros(self.counts[j], dtype=np.int64)
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
            else np.full(self.counts[j], np.nan)
            for j, (s, used) in enumerate(zip(self.symbols, uses, strict=True))
        ]
        return np.asarray(self._stack(refs, np.nan), dtype=np.float64)


SIGNAL_KINDS = ("long_entries", "long_exits", "short_entries", "short_exits")


def load_inputs(
    bars: pd.DataFrame | Mapping[str, pd.DataFrame],
    entries: SignalInput,
    exits: SignalInput,
    short_entries: SignalInput | None,
    short_exits: SignalInput | None,
    symbol: SymbolInput | Mapping[str, Symbol | str],
    options: RunOptions,
) -> Book:
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
    book = Book(codes, [frames[c] for c in codes], [symbols[c] for c in codes])
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


def _check_volume(code: str, frame: pd.DataFrame, options: RunOptions) -> None:
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


def check_shorting(symbols: list[Symbol], options: RunOptions) -> None:
    if options.direction == "long":
        return
    for symbol in symbols:
        if not symbol.rules.allows_shorting:
            raise ConfigError(
                f"{symbol.code} cannot be sold short ({symbol.market.value} market rules): "
                "use direction='long'."
            )


def convert_currencies(
    book: Book, fx: Mapping[str, pd.Series] | None, base_currency: str | None
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


def resolve_costs(symbol: Symbol, options: RunOptions) -> CostModel:
    costs: CostModel = options.costs or symbol.costs
    update: dict[str, float] = {}
    if options.fee_rate > 0:
        update["commission_rate"] = float(options.fee_rate)
    if options.slippage_bps > 0:
        update["slippage_bps"] = float(options.slippage_bps)
    return costs.model_copy(update=update) if update else costs


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


def check_benchmark(benchmark: pd.Series | None) -> pd.Series | None:
    if benchmark is None:
        return None
    if not isinstance(benchmark, pd.Series) or not isinstance(benchmark.index, pd.DatetimeIndex):
        raise DataError("benchmark must be a Series of prices with a DatetimeIndex.")
    index = benchmark.index
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return pd.Series(benchmark.to_numpy(dtype=np.float64), index=index, name="benchmark")
