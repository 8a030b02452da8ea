"""The numba kernels: compiled and pure-Python versions agree, and the edge cases hold."""

from __future__ import annotations

import numpy as np
import pytest

from vibetrading.domain.indicators import kernels

NAN = np.nan


def _random(seed: int = 0, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(0, 1, n))
    high = close + rng.uniform(0, 1, n)
    low = close - rng.uniform(0, 1, n)
    return high, low, close


def _arguments(name: str) -> tuple:
    high, low, close = _random()
    high[50] = NAN
    up = close > close.mean()
    day = (np.arange(len(close)) // 7).astype(np.int64)
    table = {
        "kdj_nb": (high, low, close, 9, 3, 3),
        "rolling_max_before_nb": (high, 20),
        "rolling_min_before_nb": (low, 20),
        "rolling_zscore_nb": (close, 20),
        "vwap_nb": (close, high - low, day),
        "bars_since_nb": (up,),
        "window_count_nb": (up, 5),
    }
    return table[name]


@pytest.mark.parametrize("name", kernels.__all__)
def test_kernel_compiled_equals_python(name):
    kernel = getattr(kernels, name)
    arguments = _arguments(name)

    compiled = kernel(*arguments)
    python = kernel.py_func(*arguments)

    for ours, reference in zip(np.atleast_2d(compiled), np.atleast_2d(python), strict=True):
        np.testing.assert_allclose(ours, reference, equal_nan=True)


def test_kdj_py_func_flat_window_gives_rsv_50():
    flat = np.full(12, 10.0)

    k, _, j = kernels.kdj_nb.py_func(flat, flat, flat, 9, 3, 3)

    assert np.isnan(k[:8]).all()
    np.testing.assert_allclose(k[8:], 50.0)
    np.testing.assert_allclose(j[8:], 50.0)


def test_kdj_py_func_nan_in_window_leaves_the_bar_undefined():
    high, low, close = _random(n=30)
    high[12] = NAN

    k, _, _ = kernels.kdj_nb.py_func(high, low, close, 9, 3, 3)

    assert np.isnan(k[12:21]).all()
    assert not np.isnan(k[21])


def test_rolling_max_before_py_func_excludes_the_current_value():
    values = np.array([1.0, 3.0, 2.0, 5.0, 4.0])

    out = kernels.rolling_max_before_nb.py_func(values, 2)
    low = kernels.rolling_min_before_nb.py_func(values, 2)

    np.testing.assert_array_equal(out, [NAN, NAN, 3.0, 3.0, 5.0])
    np.testing.assert_array_equal(low, [NAN, NAN, 1.0, 2.0, 2.0])


def test_rolling_max_before_py_func_nan_in_window_is_nan():
    values = np.array([1.0, NAN, 2.0, 5.0, 4.0])

    out = kernels.rolling_max_before_nb.py_func(values, 2)
    low = kernels.rolling_min_before_nb.py_func(values, 2)

    np.testing.assert_array_equal(out, [NAN, NAN, NAN, NAN, 5.0])
    np.testing.assert_array_equal(low, [NAN, NAN, NAN, NAN, 2.0])


def test_vwap_py_func_restarts_each_day_and_skips_nan():
    price = np.array([10.0, 20.0, NAN, 30.0, 40.0])
    volume = np.array([1.0, 1.0, 5.0, 0.0, 3.0])
    day = np.array([0, 0, 0, 1, 1], dtype=np.int64)

    out = kernels.vwap_nb.py_func(price, volume, day)

    np.testing.assert_array_equal(out, [10.0, 15.0, 15.0, NAN, 40.0])


def test_rolling_zscore_py_func_matches_the_definition():
    values = np.array([1.0, 2.0, 3.0, 4.0, 4.0, 4.0])

    out = kernels.rolling_zscore_nb.py_func(values, 3)

    window = values[1:4]
    assert out[3] == pytest.approx((4 - window.mean()) / window.std())
    assert np.isnan(out[5])


def test_bars_since_and_window_count_py_func_follow_the_condition():
    condition = np.array([False, True, False, False, True, False])

    since = kernels.bars_since_nb.py_func(condition)
    count = kernels.window_count_nb.py_func(condition, 3)

    np.testing.assert_array_equal(since, [NAN, 0, 1, 2, 0, 1])
    np.testing.assert_array_equal(count, [0, 1, 1, 1, 1, 1])
