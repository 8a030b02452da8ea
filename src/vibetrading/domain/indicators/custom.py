"""Indicator calculators TA-Lib lacks, built on the numba kernels.

Same shape as ``talib.py``: bar fields and resolved parameters in, one float64 array per
output out. KDJ follows Chinese software, Donchian channels exclude the current bar
(SEMANTICS.md), VWAP restarts every UTC day, the z-score uses the population std.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from vibetrading.domain.indicators import kernels
from vibetrading.domain.indicators.info import FloatArray

__all__ = ["donchian", "kdj", "vwap", "zscore"]

Data = Mapping[str, np.ndarray]
Params = Mapping[str, float]
_NS_PER_DAY = 86_400_000_000_000


def _field(data: Data, name: str) -> FloatArray:
    return np.ascontiguousarray(data[name], dtype=np.float64)


def kdj(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return K, D and J of the Chinese KDJ (9/3/3 by default; K and D seeded at 50)."""
    k, d, j = kernels.kdj_nb(
        _field(data, "high"),
        _field(data, "low"),
        _field(data, "close"),
        int(params["period"]),
        int(params["k_smooth"]),
        int(params["d_smooth"]),
    )
    return {"k": k, "d": d, "j": j}


def donchian(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return the highest high and lowest low of the `period` bars before this bar, and their mean.

    The current bar is excluded (SEMANTICS.md), so NaN for the first `period` bars.
    """
    period = int(params["period"])
    upper = kernels.rolling_max_before_nb(_field(data, "high"), period)
    lower = kernels.rolling_min_before_nb(_field(data, "low"), period)
    return {"upper": upper, "middle": (upper + lower) / 2.0, "lower": lower}


def vwap(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return the intraday VWAP of the typical price (high + low + close) / 3.

    Price times volume and volume are summed from the first bar of each UTC day, so the
    VWAP restarts daily (on daily bars it equals the typical price). Without a
    ``timestamp`` field the whole series is one day.
    """
    typical = (_field(data, "high") + _field(data, "low") + _field(data, "close")) / 3.0
    if "timestamp" in data:
        day = np.asarray(data["timestamp"], dtype=np.int64) // _NS_PER_DAY
    else:
        day = np.zeros(typical.shape[0], dtype=np.int64)
    return {"value": kernels.vwap_nb(typical, _field(data, "volume"), day)}


def zscore(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return the rolling z-score of the input (close by default) over `period` bars."""
    return {"value": kernels.rolling_zscore_nb(_field(data, "close"), int(params["period"]))}
