"""Inputs shared by the sweeps: checked bars, symbols, their cost rows and the result table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from vibetrading.domain.backtest import kernels as nb
from vibetrading.domain.backtest import sweep_kernels as sk
from vibetrading.domain.backtest.engine import write_cost_params
from vibetrading.domain.data.bars import check_bars
from vibetrading.domain.trading.symbols import Symbol
from vibetrading.errors import ConfigError, DataError

__all__ = [
    "OHLC",
    "SymbolInput",
    "check_frame",
    "frames_of",
    "metrics_table",
    "resolve_symbol",
    "stack_rows",
    "sweep_notes",
    "symbol_params",
    "symbols_for",
]

SymbolInput: TypeAlias = "Symbol | str | Mapping[str, Symbol | str] | None"
FloatArray: TypeAlias = npt.NDArray[np.float64]
OHLC = ("open", "high", "low", "close")
_DEFAULT_CODE = "ASSET"


def check_frame(code: str, frame: Any) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"The bars of {code} must be a DataFrame, not {type(frame).__name__}.")
    index = frame.index
    is_canonical = (
        isinstance(index, pd.DatetimeIndex)
        and str(index.tz) == "UTC"
        and len(index) > 0
        and all(c in frame.columns and frame[c].dtype == np.float64 for c in OHLC)
        and index.is_monotonic_increasing
        and not index.has_duplicates
    )
    bars = frame if is_canonical else check_bars(frame)
    for column in OHLC:
        if not (bars[column].to_numpy() > 0).all():
            raise DataError(
                f"The bars of {code} have missing or non-positive {column} prices: drop or "
                "fill those rows (vibetrading.domain.data.clean_bars) before sweeping."
            )
    return bars


def frames_of(bars: Mapping[str, pd.DataFrame] | pd.DataFrame) -> dict[str, pd.DataFrame]:
    if isinstance(bars, pd.DataFrame):
        code = str(bars.attrs.get("symbol") or _DEFAULT_CODE)
        return {code: check_frame(code, bars)}
    if not isinstance(bars, Mapping) or not bars:
        raise DataError("bars must be a Bars DataFrame or a non-empty dict {code: bars}.")
    return {str(code): check_frame(str(code), frame) for code, frame in bars.items()}


def resolve_symbol(symbol: Symbol | str | None, code: str) -> Symbol:
    if isinstance(symbol, Symbol):
        return symbol
    if isinstance(symbol, str):
        return Symbol.parse(symbol)
    if symbol is not None:
        raise ConfigError(f"symbol must be a Symbol, a code or None, not {type(symbol).__name__}.")
    return Symbol.generic(code).model_copy(update={"code": code})


def symbols_for(symbol: SymbolInput, codes: tuple[str, ...]) -> list[Symbol | None]:
    if isinstance(symbol, Mapping):
        unknown = set(symbol) - set(codes)
        if unknown:
            raise ConfigError(f"symbol names codes without bars: {', '.join(sorted(unknown))}.")
        return [resolve_symbol(symbol.get(code), code) for code in codes]
    if symbol is not None and len(codes) > 1:
        raise ConfigError("With several bars frames, pass symbol as a dict {code: symbol}.")
    return [resolve_symbol(symbol, code) for code in codes]


def symbol_params(
    symbols: Sequence[Symbol | None], *, fee_rate: float = 0.0, slippage_bps: float = 0.0
) -> FloatArray:
    """Return the ``P_*`` rows of `symbols`: their costs and lots (None: none, whole units).

    `fee_rate` > 0 replaces the commission rate and `slippage_bps` > 0 the slippage.
    """
    params = np.zeros((len(symbols), nb.N_PARAMS))
    params[:, nb.P_LOT] = 1.0
    params[:, nb.P_SELL_LOT] = 1.0
    params[:, nb.P_PRICE_LIMIT] = np.nan
    for j, symbol in enumerate(symbols):
        row = params[j]
        if symbol is not None:
            write_cost_params(row, symbol.costs, symbol.rules)
        if fee_rate > 0:
            row[nb.P_COMMISSION_RATE] = fee_rate
        if slippage_bps > 0:
            row[nb.P_SLIPPAGE] = slippage_bps / 10_000
    return params


def sweep_notes(symbols: Sequence[Symbol | None]) -> tuple[str, ...]:
    notes = []
    t_plus = [s.code for s in symbols if s is not None and s.rules.t_plus > 0]
    limits = [s.code for s in symbols if s is not None and s.rules.price_limit_rate is not None]
    if t_plus:
        notes.append(
            f"T+1 is not modelled in sweeps ({', '.join(t_plus[:5])}): a stop on the entry day "
            "exits at once; confirm the chosen parameters with a full backtest."
        )
    if limits:
        notes.append(
            f"Daily price limits are not modelled in sweeps ({', '.join(limits[:5])}); "
            "confirm the chosen parameters with a full backtest."
        )
    return tuple(notes)


def stack_rows(columns: Sequence[npt.NDArray[Any]], width: int) -> FloatArray:
    if len(columns) == 1:  # one series: a view of the caller's array, no copy
        return np.ascontiguousarray(columns[0], dtype=np.float64).reshape(1, -1)
    out = np.full((len(columns), width), np.nan)
    for j, values in enumerate(columns):
        out[j, : len(values)] = values
    return out


def metrics_table(
    symbols: Sequence[str], parameters: Mapping[str, Sequence[Any]], metrics: FloatArray
) -> pd.DataFrame:
    data: dict[str, Any] = {"symbol": list(symbols)}
    data.update({name: list(values) for name, values in parameters.items()})
    for position, name in enumerate(sk.METRIC_NAMES):
        data[name] = metrics[:, position]
    table = pd.DataFrame(data)
    table["num_trades"] = table["num_trades"].fillna(0).astype(np.int64)
    return table
