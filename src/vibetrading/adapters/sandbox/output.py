"""Layer 4: check what ``signals`` returned before the backtester sees it.

Two boolean pandas Series aligned to ``data.index``, no NaN: anything else is a
StrategyError that says what was wrong and how to fix it, never a crash.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vibetrading.adapters.sandbox.report import SafetyCheck, passed
from vibetrading.errors import StrategyError

__all__ = ["validate_signals"]


def validate_signals(
    result: Any, index: pd.Index
) -> tuple[np.ndarray[Any, np.dtype[np.bool_]], np.ndarray[Any, np.dtype[np.bool_]], SafetyCheck]:
    """Return the entries and exits of `result` as bool arrays, with the passing check.

    Raises StrategyError when `result` is not a pair of boolean Series aligned to `index`
    without NaN.
    """
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise StrategyError(
            "signals must return two boolean Series: (entries, exits); "
            f"it returned {_describe(result)}."
        )
    entries = _series("entries", result[0], index)
    exits = _series("exits", result[1], index)
    check = passed(
        "output",
        "output",
        f"two boolean Series of {len(index)} values aligned to data.index, no NaN",
    )
    return entries, exits, check


def _describe(value: Any) -> str:
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__name__}"


def _series(name: str, value: Any, index: pd.Index) -> np.ndarray[Any, np.dtype[np.bool_]]:
    if isinstance(value, np.ndarray):
        raise StrategyError(
            f"{name} is a numpy array; return a Series aligned to the bars: "
            "pd.Series(values, index=data.index)."
        )
    if not isinstance(value, pd.Series):
        raise StrategyError(f"{name} must be a boolean pandas Series, not {_describe(value)}.")
    if len(value) != len(index):
        raise StrategyError(f"{name} has {len(value)} values for {len(index)} bars.")
    if not value.index.equals(index):
        raise StrategyError(
            f"{name} is not aligned to data.index; build it from data or use .reindex(data.index)."
        )
    missing = value.isna().to_numpy()
    if missing.any():
        first = index[int(np.argmax(missing))]
        raise StrategyError(
            f"{name} holds {int(missing.sum())} NaN values (first at {first}); "
            "fill them, e.g. .fillna(False)."
        )
    if not (pd.api.types.is_bool_dtype(value.dtype)):
        raise StrategyError(
            f"{name} must be boolean, not {value.dtype}; compare values or use .astype(bool)."
        )
    return np.ascontiguousarray(value.to_numpy(dtype=bool))
