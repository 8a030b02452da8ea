"""The result of a backtest: equity curve, cash, positions, trades and orders."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from vibetrading.domain.backtest import fill_kernels as nb

__all__ = [
    "ORDER_COLUMNS",
    "TRADE_COLUMNS",
    "BacktestResult",
    "KernelRecords",
    "build_orders",
    "build_trades",
    "expand_fills",
    "result_from_records",
]

TRADE_COLUMNS: tuple[str, ...] = (
    "symbol",
    "direction",
    "entry_time",
    "entry_price",
    "exit_time",
    "exit_price",
    "quantity",
    "pnl",
    "return",
    "bars_held",
    "exit_reason",
    "fees",
)
ORDER_COLUMNS: tuple[str, ...] = (
    "timestamp",
    "symbol",
    "side",
    "quantity",
    "price",
    "fees",
    "reason",
    "order_type",
)


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """What a backtest produced, indexed by the bars' UTC timestamps.

    * ``equity``: account value per bar (cash plus positions at the close), quote currency.
    * ``cash``: cash per bar; ``positions``: signed units held per bar, one column per symbol.
    * ``trades``: one row per round trip (``TRADE_COLUMNS``); prices are averages over the
      fills including slippage, ``pnl`` is net of all fees, ``return`` is pnl divided by
      the entry value, ``bars_held`` counts the symbol's bars from entry to exit fill.
    * ``orders``: one row per fill (``ORDER_COLUMNS``); ``side`` is buy or sell, ``reason``
      is entry or the exit reason.
    * ``settings``: the options of the run, JSON-ready (``cash``, ``periods_per_year``, ...).
    * ``benchmark``: the benchmark prices given to the run, or None.

    ``returns``, ``drawdown`` and ``stats`` are computed on first use.
    """

    equity: pd.Series
    cash: pd.Series
    positions: pd.DataFrame
    trades: pd.DataFrame
    orders: pd.DataFrame
    settings: dict[str, Any]
    symbols: tuple[str, ...]
    benchmark: pd.Series | None = field(default=None)

    @property
    def symbol(self) -> str:
        """Return the code of the (first) symbol traded."""
        return self.symbols[0]

    @property
    def initial_cash(self) -> float:
        """Return the starting cash."""
        return float(self.settings["cash"])

    @property
    def final_equity(self) -> float:
        """Return the account value at the last bar."""
        return float(self.equity.iloc[-1])

    @property
    def periods_per_year(self) -> float:
        """Return the number of bars per year used to annualise the statistics."""
        return float(self.settings["periods_per_year"])

    @cached_property
    def returns(self) -> pd.Series:
        """Return the simple return of each bar; the first is measured from the starting cash."""
        previous = self.equity.shift(1)
        previous.iloc[0] = self.initial_cash
        return (self.equity / previous - 1.0).rename("returns")

    @cached_property
    def drawdown(self) -> pd.Series:
        """Return equity / running peak - 1 per bar (a fraction <= 0; the cash is a peak)."""
        peak = np.maximum.accumulate(np.maximum(self.equity.to_numpy(), self.initial_cash))
        return pd.Series(self.equity.to_numpy() / peak - 1.0, index=self.equity.index).rename(
            "drawdown"
        )

    @cached_property
    def stats(self) -> dict[str, Any]:
        """Return the summary statistics (``vibetrading.domain.backtest.stats.compute_stats``)."""
        from vibetrading.domain.backtest.stats import compute_stats

        return dict(compute_stats(self))

    def to_dict(self, *, include_stats: bool = False) -> dict[str, Any]:
        """Return the result as JSON-ready data: timestamps as ISO strings, NaN as None.

        Keys: ``symbols``, ``settings``, ``final_equity``, ``trades`` (records with the
        ``TRADE_COLUMNS`` fields), ``orders`` (records) and ``equity``
        ([{timestamp, equity}]); ``stats`` too when `include_stats`.
        """
        stamps = [t.isoformat() for t in self.equity.index]
        data: dict[str, Any] = {
            "symbols": list(self.symbols),
            "settings": _json_ready(self.settings),
            "final_equity": _number(self.final_equity),
            "trades": _records(self.trades),
            "orders": _records(self.orders),
            "equity": [
                {"timestamp": t, "equity": _number(v)}
                for t, v in zip(stamps, self.equity.to_numpy().tolist(), strict=True)
            ],
        }
        if include_stats:
            data["stats"] = _json_ready(self.stats)
        return data

    def to_json(self, *, include_stats: bool = False, indent: int | None = None) -> str:
        """Return ``to_dict()`` as a JSON string."""
        return json.dumps(self.to_dict(include_stats=include_stats), indent=indent)


@dataclass(frozen=True, eq=False)
class KernelRecords:
    """What a simulation kernel returned, before it becomes frames.

    `orders` and `trades` are the kernel's record arrays (``O_*`` and ``T_*`` columns).
    `cash` (n,) and `positions` (n, m) are per bar, or None when the kernel wrote the
    account after each fill instead (``O_CASH_AFTER`` and ``O_POSITION_AFTER``
    columns of `orders`, one symbol).
    """

    index: pd.DatetimeIndex
    codes: tuple[str, ...]
    orders: npt.NDArray[np.float64]
    trades: npt.NDArray[np.float64]
    initial_cash: float
    cash: npt.NDArray[np.float64] | None = None
    positions: npt.NDArray[np.float64] | None = None


class _RecordedResult(BacktestResult):
    # A BacktestResult whose cash, positions, trades and orders are built on first access
    # from the kernel's records (result_from_records): frames nobody reads cost nothing.
    # Built through the dataclass __init__ (dataclasses.replace) it holds frames as usual.
    _records: KernelRecords

    @cached_property
    def cash(self) -> pd.Series:
        records = self._records
        values, n = records.cash, len(records.index)
        if values is None:
            values = expand_fills(records.orders, nb.O_CASH_AFTER, records.initial_cash, n)
        return pd.Series(values, index=records.index, name="cash", copy=False)

    @cached_property
    def positions(self) -> pd.DataFrame:
        records = self._records
        values, n = records.positions, len(records.index)
        if values is None:
            values = expand_fills(records.orders, nb.O_POSITION_AFTER, 0.0, n).reshape(-1, 1)
        return pd.DataFrame(values, index=records.index, columns=list(records.codes), copy=False)

    @cached_property
    def trades(self) -> pd.DataFrame:
        return build_trades(self._records.trades, self._records.index, self._records.codes)

    @cached_property
    def orders(self) -> pd.DataFrame:
        return build_orders(self._records.orders, self._records.index, self._records.codes)


def result_from_records(
    equity: npt.NDArray[np.float64],
    records: KernelRecords,
    *,
    settings: dict[str, Any],
    benchmark: pd.Series | None = None,
) -> BacktestResult:
    """Return the BacktestResult of a kernel run; its frames are built on first access."""
    result = object.__new__(_RecordedResult)
    for name, value in (
        ("equity", pd.Series(equity, index=records.index, name="equity", copy=False)),
        ("settings", settings),
        ("symbols", records.codes),
        ("benchmark", benchmark),
        ("_records", records),
    ):
        object.__setattr__(result, name, value)
    return result


def expand_fills(
    orders: npt.NDArray[np.float64], column: int, before: float, n: int
) -> npt.NDArray[np.float64]:
    """Return per bar the value of `column` at the last fill up to that bar (n values).

    `orders` rows are in bar order; bars before the first fill hold `before`.
    """
    out = np.empty(n)
    if len(orders) == 0:
        out.fill(before)
        return out
    bars = orders[:, nb.O_BAR].astype(np.int64)
    is_last = np.empty(len(bars), dtype=np.bool_)  # the last fill of each bar
    np.not_equal(bars[1:], bars[:-1], out=is_last[:-1])
    is_last[-1] = True
    changes = bars[is_last]
    out[: changes[0]] = before
    out[changes[0] :] = np.repeat(orders[is_last, column], np.diff(changes, append=n))
    return out


def build_trades(
    records: npt.NDArray[np.float64], index: pd.DatetimeIndex, codes: Sequence[str]
) -> pd.DataFrame:
    """Turn the kernel's trade records into the ``trades`` frame."""
    entry_bar = records[:, nb.T_ENTRY_BAR].astype(np.int64)
    exit_bar = records[:, nb.T_EXIT_BAR].astype(np.int64)
    return pd.DataFrame(
        {
            "symbol": _labels(codes, records[:, nb.T_SYMBOL]),
            "direction": _labels(("short", "long"), records[:, nb.T_DIRECTION] > 0),
            "entry_time": index[entry_bar],
            "entry_price": records[:, nb.T_ENTRY_PRICE],
            "exit_time": index[exit_bar],
            "exit_price": records[:, nb.T_EXIT_PRICE],
            "quantity": records[:, nb.T_QUANTITY],
            "pnl": records[:, nb.T_PNL],
            "return": records[:, nb.T_RETURN],
            "bars_held": records[:, nb.T_BARS_HELD].astype(np.int64),
            "exit_reason": _labels(nb.REASONS, records[:, nb.T_REASON]),
            "fees": records[:, nb.T_FEES],
        },
        columns=list(TRADE_COLUMNS),
    )


def build_orders(
    records: npt.NDArray[np.float64], index: pd.DatetimeIndex, codes: Sequence[str]
) -> pd.DataFrame:
    """Turn the kernel's order records (one per fill) into the ``orders`` frame."""
    return pd.DataFrame(
        {
            "timestamp": index[records[:, nb.O_BAR].astype(np.int64)],
            "symbol": _labels(codes, records[:, nb.O_SYMBOL]),
            "side": _labels(("sell", "buy"), records[:, nb.O_SIDE] > 0),
            "quantity": records[:, nb.O_QUANTITY],
            "price": records[:, nb.O_PRICE],
            "fees": records[:, nb.O_FEES],
            "reason": _labels(nb.REASONS, records[:, nb.O_REASON]),
            "order_type": _labels(nb.ORDER_TYPES, records[:, nb.O_ORDER_TYPE]),
        },
        columns=list(ORDER_COLUMNS),
    )


def _labels(names: Sequence[str], codes: npt.NDArray[Any]) -> pd.Categorical:
    dtype = _DTYPES.get(tuple(names)) or pd.CategoricalDtype(list(names))
    return pd.Categorical.from_codes(codes.astype(np.int64), dtype=dtype, validate=False)


# Categories built once: checking them again costs more than labelling thousands of fills.
_DTYPES = {
    tuple(names): pd.CategoricalDtype(list(names))
    for names in (nb.REASONS, nb.ORDER_TYPES, ("sell", "buy"), ("short", "long"))
}


def _number(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return _number(value)
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = {c: frame[c].tolist() for c in frame.columns}
    return [{c: _json_ready(columns[c][row]) for c in frame.columns} for row in range(len(frame))]
