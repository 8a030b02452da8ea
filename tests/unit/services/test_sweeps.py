import math

import pytest

from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.domain.backtest.sweep import sweep_crossover
from vibetrading.domain.strategy import StrategySpec
from vibetrading.domain.strategy.expr import crosses_above, crosses_below, indicator
from vibetrading.errors import ConfigError
from vibetrading.services.market_data import MarketDataService
from vibetrading.services.sweeps import SweepRequest, SweepService
from vibetrading.testing import InMemoryBarStore, make_bars


@pytest.fixture
def service():
    market_data = MarketDataService(store=InMemoryBarStore(), providers={"sample": SampleProvider})
    return SweepService(market_data)


def test_sweep_service_crossover_on_symbol_matches_the_domain_sweep(service):
    request = SweepRequest(
        crossover="sma", fast=(10, 20), slow=(50, 100), symbols=("SPX",),
        start="2009-01-01", end="2018-12-31",
    )  # fmt: skip
    steps = []

    outcome = service.run(request, progress=lambda fraction, text: steps.append(fraction))

    bars = service.market_data.load_bars("SPX", start="2009-01-01", end="2018-12-31")
    direct = sweep_crossover({"SPX": bars}, fast=[10, 20], slow=[50, 100], symbol={"SPX": "SPX"})
    assert outcome.result.table["sharpe"].tolist() == pytest.approx(
        direct.table["sharpe"].tolist(), rel=1e-12
    )
    assert outcome.best["sharpe"] == direct.table["sharpe"].max()
    assert outcome.overfitting is not None
    assert outcome.overfitting.deflated.trials == 4
    assert steps[-1] == 1.0


def test_sweep_service_bars_request_walks_forward(service):
    request = SweepRequest(
        crossover="ema", fast=(5, 10), slow=(30, 60), bars=make_bars(900, seed=2),
        walk_forward=(400, 150), metric="total_return",
    )  # fmt: skip

    outcome = service.run(request)

    assert outcome.walk_forward is not None
    assert len(outcome.walk_forward.windows) == 3
    assert outcome.result.symbols == ["DATA"]


def test_sweep_service_spec_fast_slow_keep_fast_below_slow(service):
    quick, slow = indicator("sma", period=10), indicator("sma", period=50)
    spec = StrategySpec(entry=crosses_above(quick, slow), exit=crosses_below(quick, slow))
    request = SweepRequest(spec=spec, fast=(5, 20), slow=(20, 60), bars=make_bars(700, seed=4))

    outcome = service.run(request)

    pairs = set(zip(outcome.result.table["fast"], outcome.result.table["slow"], strict=True))
    assert pairs == {(5, 20), (5, 60), (20, 60)}
    assert outcome.overfitting is not None
    assert math.isfinite(outcome.overfitting.deflated.sharpe)


@pytest.mark.parametrize(
    "request_",
    [
        SweepRequest(fast=(5,), slow=(20,), bars=make_bars(100)),
        SweepRequest(crossover="sma", bars=make_bars(100)),
        SweepRequest(crossover="sma", fast=(5,), slow=(20,)),
        SweepRequest(crossover="sma", fast=(5,), slow=(20,), grid={"risk.stop_loss": [0.1]}),
    ],
    ids=["no-strategy", "no-windows", "no-data", "grid-without-spec"],
)
def test_sweep_service_incomplete_request_raises_config_error(service, request_):
    with pytest.raises(ConfigError):
        service.run(request_)
