"""The composition root: build services from settings, wiring adapters into ports.

Entry points (CLI, library API, and later HTTP, UI, MCP) call these builders; nothing
below them reads the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from vibetrading.adapters.providers.files import read_bar_file_lines
from vibetrading.adapters.store.cache import MemoryBarCache, RedisBarCache
from vibetrading.adapters.store.parquet_store import ParquetBarStore
from vibetrading.services.market_data import MarketDataService
from vibetrading.services.ports import BarCache, MarketDataProvider
from vibetrading.settings import Settings, get_settings

if TYPE_CHECKING:
    from vibetrading.services.backtests import BacktestService

__all__ = ["build_backtests", "build_market_data", "provider_factories"]


def provider_factories(settings: Settings) -> dict[str, Callable[[], MarketDataProvider]]:
    """Return a builder per provider name; each imports its library only when built."""

    def sample() -> MarketDataProvider:
        from vibetrading.adapters.providers.bundled import SampleProvider

        return SampleProvider()

    def demo() -> MarketDataProvider:
        from vibetrading.adapters.providers.demo import DemoProvider

        return DemoProvider()

    def yfinance() -> MarketDataProvider:
        from vibetrading.adapters.providers.yfinance import YFinanceProvider

        return YFinanceProvider()

    def ccxt() -> MarketDataProvider:
        from vibetrading.adapters.providers.ccxt import CcxtProvider

        return CcxtProvider(settings.ccxt_exchange, timeout_s=settings.provider_timeout_s)

    def akshare() -> MarketDataProvider:
        from vibetrading.adapters.providers.akshare import AkshareProvider

        return AkshareProvider()

    def polygon() -> MarketDataProvider:
        from vibetrading.adapters.providers.polygon import PolygonProvider

        key = settings.polygon_api_key.get_secret_value() if settings.polygon_api_key else None
        return PolygonProvider(key, timeout_s=settings.provider_timeout_s)

    return {
        "sample": sample,
        "demo": demo,
        "yfinance": yfinance,
        "ccxt": ccxt,
        "akshare": akshare,
        "polygon": polygon,
    }


def build_market_data(settings: Settings | None = None) -> MarketDataService:
    """Return the market-data service for `settings` (default: the process settings)."""
    settings = settings or get_settings()
    cache: BarCache = (
        RedisBarCache(settings.redis_url, ttl_s=settings.cache_ttl_s)
        if settings.redis_url
        else MemoryBarCache()
    )
    return MarketDataService(
        store=ParquetBarStore(settings.data_dir / "bars"),
        providers=provider_factories(settings),
        cache=cache,
        read_file=read_bar_file_lines,
    )


def build_backtests(settings: Settings | None = None) -> BacktestService:
    """Return the backtest service over the market data of `settings`."""
    from vibetrading.data import service
    from vibetrading.services.backtests import BacktestService

    return BacktestService(service() if settings is None else build_market_data(settings))
