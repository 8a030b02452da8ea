"""Fixtures of the paper-trading tests: market data with bundled, demo and recorded symbols."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from vibetrading.adapters.providers.akshare import AkshareProvider
from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.adapters.providers.demo import DemoProvider
from vibetrading.adapters.providers.yfinance import YFinanceProvider
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


PAYLOADS = Path(__file__).parents[2] / "fixtures" / "payloads"


def _yfinance(name: str, timezone: str) -> YFinanceProvider:
    frame = pd.read_csv(PAYLOADS / name, comment="#", index_col=0)
    frame.index = pd.to_datetime(frame.index, utc=True).tz_convert(timezone)
    return YFinanceProvider(lambda ticker, **options: frame.copy())


def _akshare(name: str) -> AkshareProvider:
    frame = pd.read_csv(PAYLOADS / name, comment="#", dtype={"股票代码": str})
    frame["日期"] = pd.to_datetime(frame["日期"]).dt.date  # akshare returns datetime.date
    dates = pd.to_datetime(frame["日期"])

    def history(**request):  # answers as Eastmoney does: the rows in the asked range
        first, last = pd.Timestamp(request["start_date"]), pd.Timestamp(request["end_date"])
        return frame[(dates >= first) & (dates <= last)].reset_index(drop=True)

    return AkshareProvider(history)


@pytest.fixture(scope="module")
def recorded():
    """Market data holding real recorded provider payloads: AAPL, 0700.HK (hourly), 600519."""
    service = MarketDataService(
        store=InMemoryBarStore(),
        providers={
            "aapl": lambda: _yfinance("yfinance_aapl_1d.csv", "America/New_York"),
            "tencent": lambda: _yfinance("yfinance_0700hk_1h.csv", "Asia/Hong_Kong"),
            "moutai": lambda: _akshare("akshare_600519_daily.csv"),
        },
    )
    service.fetch("AAPL", provider="aapl", start="2020-08-01", end="2020-09-30")
    service.fetch(
        "0700.HK", provider="tencent", start="2024-03-01", end="2024-03-01", timeframe="1h"
    )
    service.fetch("600519.SH", provider="moutai", start="2023-06-01", end="2023-07-31")
    return service


@pytest.fixture
def paper(market_data):
    return PaperTradingService(market_data, InMemoryPaperRunnerRepository(), build_simulated_broker)


@pytest.fixture
def backtests(market_data):
    return BacktestService(market_data)
