"""Compiled kernels for what TA-Lib lacks: KDJ, windows that exclude the bar, VWAP, streaks.

All functions are numba ``@njit(cache=True)`` code on plain numpy arrays, float64 in and
float64 out (NaN where a value is not yet defined). The registry and the strategy compiler
own the pandas conversion and the meaning of the options.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    _F = TypeVar("_F", bound=Callable[..., Any])

    def njit(*args: Any, **kwargs: Any) -> Callable[[_F], _F]: ...
else:
    from numba import njit

__all__ = [
    "bars_since_nb",
    "kdj_nb",
    "rolling_max_before_nb",
    "rolling_min_before_nb",
    "rolling_zscore_nb",
    "vwap_nb",
    "window_count_nb",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@njit(cache=True)
def kdj_nb(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int, k_smooth: int, d_smooth: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return K, D and J of the KDJ as Chinese software computes it.

    RSV = (close - lowest low) / (highest high - lowest low) * 100 over the last `period`
    bars (this one included); K = ((k_smooth - 1) K_prev + RSV) / k_smooth, D likewise on
    K with `d_smooth`, J = 3K - 2D; K and D start from 50. A flat window (highest ==
    lowest) gives RSV 50. A window with a NaN leaves K and D unchanged and NaN on that bar.
    """
    n = close.shape[0]
    k_out = np.full(n, np.nan)
    d_out = np.full(n, np.nan)
    j_out = np.full(n, np.nan)
    k_prev = 50.0
    d_prev = 50.0
    for t in range(period - 1, n):
        highest = -np.inf
        lowest = np.inf
        has_nan = np.isnan(close[t])
        for i in range(t - period + 1, t + 1):
            has_nan = has_nan or np.isnan(high[i]) or np.isnan(low[i])
            highest = max(highest, high[i])
            lowest = min(lowest, low[i])
        if has_nan:
            continue
        span = highest - lowest
        rsv = 50.0 if span == 0.0 else (close[t] - lowest) / span * 100.0
        k_prev = ((k_smooth - 1) * k_prev + rsv) / k_smooth
        d_prev = ((d_smooth - 1) * d_prev + k_prev) / d_smooth
        k_out[t] = k_prev
        d_out[t] = d_prev
        j_out[t] = 3.0 * k_prev - 2.0 * d_prev
    return k_out, d_out, j_out


@njit(cache=True)
def rolling_max_before_nb(values: FloatArray, window: int) -> FloatArray:
    """Return the highest of the `window` values before each position (it is excluded).

    NaN for the first `window` positions and wherever the window holds a NaN.
    """
    n = values.shape[0]
    out = np.full(n, np.nan)
    for t in range(window, n):
        best = -np.inf
        for i in range(t - window, t):
            value = values[i]
            if np.isnan(value):
                best = np.nan
                break
            best = max(best, value)
        out[t] = best
    return out


@njit(cache=True)
def rolling_min_before_nb(values: FloatArray, window: int) -> FloatArray:
    """Return the lowest of the `window` values before each position (it is excluded).

    NaN for the first `window` positions and wherever the window holds a NaN.
    """
    n = values.shape[0]
    out = np.full(n, np.nan)
    for t in range(window, n):
        best = np.inf
        for i in range(t - window, t):
            value = values[i]
            if np.isnan(value):
                best = np.nan
                break
            best = min(best, value)
        out[t] = best
    return out


@njit(cache=True)
def vwap_nb(price: FloatArray, volume: FloatArray, day: npt.NDArray[np.int64]) -> FloatArray:
    """Return the volume-weighted average of `price`, cumulated within each `day` id.

    The sums restart whenever `day` changes. Bars with NaN price or volume are skipped;
    NaN until the day has traded some volume.
    """
    n = price.shape[0]
    out = np.full(n, np.nan)
    value_sum = 0.0
    volume_sum = 0.0
    for t in range(n):
        if t == 0 or day[t] != day[t - 1]:
            value_sum = 0.0
            volume_sum = 0.0
        if not (np.isnan(price[t]) or np.isnan(volume[t])):
            value_sum += price[t] * volume[t]
            volume_sum += volume[t]
        if volume_sum > 0.0:
            out[t] = value_sum / volume_sum
    return out


@njit(cache=True)
def bars_since_nb(condition: BoolArray) -> FloatArray:
    """Return bars since `condition` was last true: 0 where it holds, NaN before it ever did."""
    n = condition.shape[0]
    out = np.full(n, np.nan)
    last = -1
    for t in range(n):
        if condition[t]:
            last = t
        if last >= 0:
            out[t] = t - last
    return out


@njit(cache=True)
def window_count_nb(condition: BoolArray, window: int) -> npt.NDArray[np.int64]:
    """Return how many of the last `window` positions (this one included) are true."""
    n = condition.shape[0]
    out = np.zeros(n, dtype=np.int64)
    count = 0
    for t in range(n):
        if condition[t]:
            count += 1
        if t >= window and condition[t - window]:
            count -= 1
        out[t] = count
    return out


@njit(cache=True)
def rolling_zscore_nb(values: FloatArray, window: int) -> FloatArray:
    """Return (x - mean) / population std of the last `window` values, this one included.

    NaN for the first `window - 1` positions, wherever the window holds a NaN and where
    its standard deviation is zero.
    """
    n = values.shape[0]
    out = np.full(n, np.nan)
    for t in range(window - 1, n):
        total = 0.0
        for i in range(t - window + 1, t + 1):
            total += values[i]
        mean = total / window
        squares = 0.0
        for i in range(t - window + 1, t + 1):
            squares += (values[i] - mean) ** 2
        deviation = np.sqrt(squares / window)
        if deviation > 1e-12 * max(abs(mean), 1.0):
            out[t] = (values[t] - mean) / deviation
    return out
