"""The sweep kernels run as plain Python give what the compiled ones give.

numba code is invisible to coverage; running the same functions interpreted (their
``py_func``) lets coverage see them and cross-checks the compilation.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import pytest

from vibetrading.domain.backtest import kernels, sweep_kernels
from vibetrading.domain.backtest.sweep import sweep_crossover
from vibetrading.domain.backtest.sweep_spec import sweep_spec
from vibetrading.domain.strategy import Risk, StrategySpec
from vibetrading.domain.strategy.expr import crosses_above, crosses_below, indicator
from vibetrading.testing import make_bars


@contextmanager
def interpreted_kernels() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for module in (kernels, sweep_kernels):
            for name in dir(module):
                kernel = getattr(module, name)
                if name.endswith("_nb") and hasattr(kernel, "py_func"):
                    patch.setattr(module, name, kernel.py_func)
        yield


@pytest.fixture(scope="module")
def bars():
    return make_bars(260, seed=5)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"fee_rate": 0.001, "stop_loss": 0.03, "take_profit": 0.06, "indicator": "ema"},
        {"fill": "close", "trailing_stop": 0.03, "slippage_bps": 5.0},
        {"direction": "short", "symbol": "AAPL"},
    ],
    ids=["plain", "fees-stops-ema", "close-trailing", "short-us"],
)
def test_sweep_crossover_interpreted_matches_compiled(bars, options):
    grid = {"fast": [3, 5, 8], "slow": [10, 20]}

    compiled = sweep_crossover(bars, **grid, **options).table
    with interpreted_kernels():
        python = sweep_crossover(bars, **grid, **options).table

    pd.testing.assert_frame_equal(compiled, python)


def test_sweep_spec_interpreted_matches_compiled(bars):
    fast, slow = indicator("sma", period=5), indicator("sma", period=20)
    spec = StrategySpec(
        entry=crosses_above(fast, slow), exit=crosses_below(fast, slow), risk=Risk(stop_loss=0.04)
    )
    grid = {"entry.left.params.period": [3, 5, 8], "risk.stop_loss": [0.02, 0.05]}

    compiled = sweep_spec(spec, bars, grid).table
    with interpreted_kernels():
        python = sweep_spec(spec, bars, grid).table

    pd.testing.assert_frame_equal(compiled, python)
