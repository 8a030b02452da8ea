"""Fixtures of the paper-trading tests: market data with bundled and demo symbols."""

from __future__ import annotations

import pytest

from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.adapters.providers.demo import DemoProvider
from vibetrading.bootstrap_paper import build_simulated_broker
from vibetrading.services.backtests import BacktestService
from vibetrading.services.market_data import MarketDataService
from vibetrading.services.paper import PaperTradingService
from vibetrading.testing import InMemoryBarStore
from vibetrading.testing.paper_fakes import InMemoryPaperRunnerRepository


@pytest.fixture(scope="module")
def market_data():
    service = MarketDataService(
        store=InMemoryBarStore(), providers={"sample": SampleProvider, "demo": DemoProvider}
    )
    for code in ("0700.HK", "000001.SZ"):
        service.fetch(code, provider="demo", start="2019-06-01", end="2021-12-31")
    return service


@pytest.fixture
def paper(market_data):
    return PaperTradingService(market_data, InMemoryPaperRunnerRepository(), build_simulated_broker)


@pytest.fixture
def backtests(market_data):
    return BacktestService(market_data)
