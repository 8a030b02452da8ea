"""CcxtProvider against a stand-in Binance spot REST API on 127.0.0.1.

The stand-in speaks the two endpoints ccxt calls: ``GET /api/v3/exchangeInfo`` for
``load_markets`` and ``GET /api/v3/klines`` for ``fetch_ohlcv``, in Binance's documented
formats, and returns at most ``page_cap`` candles per request like a real exchange does.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from vibetrading.adapters.providers.ccxt import CcxtProvider
from vibetrading.domain.data import Timeframe
from vibetrading.domain.trading import Symbol
from vibetrading.errors import ConfigError, EmptyData, TemporaryProviderError, UnknownSymbol

pytestmark = pytest.mark.integration

FIRST_OPEN_MS = 1_704_067_200_000  # 2024-01-01 00:00 UTC
INTERVAL_MS = {"1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000}


def _market(base: str, quote: str) -> dict[str, Any]:
    return {
        "symbol": base + quote,
        "status": "TRADING",
        "baseAsset": base,
        "baseAssetPrecision": 8,
        "quoteAsset": quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "orderTypes": ["LIMIT", "MARKET"],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": "0.01",
                "maxPrice": "1000000.00",
                "tickSize": "0.01",
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": "0.00001",
                "maxQty": "9000.00000000",
                "stepSize": "0.00001",
            },
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_MAKER"],
    }


EXCHANGE_INFO = {
    "timezone": "UTC",
    "serverTime": FIRST_OPEN_MS,
    "rateLimits": [],
    "exchangeFilters": [],
    "symbols": [_market("BTC", "USDT"), _market("ETH", "USDT")],
}


def kline(open_ms: int, interval_ms: int, number: int) -> list[Any]:
    close = 42_000.0 + 100.0 * number
    return [
        open_ms, f"{close - 50:.2f}", f"{close + 200:.2f}", f"{close - 300:.2f}", f"{close:.2f}",
        f"{1000 + number}.50000000", open_ms + interval_ms - 1, "42000000.00", 1000 + number,
        "500.00000000", "21000000.00", "0",
    ]  # fmt: skip


@dataclass
class StandInBinance:
    """What the stand-in serves, and what it was asked."""

    url: str = ""
    page_cap: int = 4
    bars: int = 10
    failure: tuple[int, dict[str, Any]] | None = None
    paths: list[str] = field(default_factory=list)
    klines_queries: list[dict[str, str]] = field(default_factory=list)

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        self.paths.append(path)
        if path == "/api/v3/exchangeInfo":
            return 200, EXCHANGE_INFO
        if path != "/api/v3/klines":
            return 404, {"code": -1, "msg": "Unknown path."}
        self.klines_queries.append(query)
        if self.failure is not None:
            return self.failure
        if query["symbol"] != "BTCUSDT":
            return 200, []
        step = INTERVAL_MS[query["interval"]]
        start = int(query.get("startTime", FIRST_OPEN_MS))
        end = int(query.get("endTime", 2**62))
        limit = min(int(query.get("limit", 500)), self.page_cap)
        opens = [FIRST_OPEN_MS + i * step for i in range(self.bars)]
        rows = [kline(t, step, i) for i, t in enumerate(opens) if start <= t <= end]
        return 200, rows[:limit]


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        status, payload = self.server.stand_in.answer(url.path, query)
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def binance() -> Iterator[StandInBinance]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    stand_in = StandInBinance(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.stand_in = stand_in  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield stand_in
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


BTC = Symbol.parse("BTC/USDT")


def test_ccxt_provider_daily_range_pages_through_klines(binance: StandInBinance) -> None:
    provider = CcxtProvider(api_url=binance.url)

    fetched = provider.fetch_bars(
        BTC, timeframe=Timeframe.D1, start=utc("2024-01-01"), end=utc("2024-01-10")
    )

    bars = fetched.bars
    assert len(bars) == 10
    assert bars.index[0] == utc("2024-01-01")
    assert bars.index[-1] == utc("2024-01-10")
    assert bars.loc[utc("2024-01-03")].tolist() == [42_150.0, 42_400.0, 41_900.0, 42_200.0, 1002.5]
    starts = [int(q["startTime"]) for q in binance.klines_queries]
    assert starts == [
        FIRST_OPEN_MS,
        FIRST_OPEN_MS + 3 * 86_400_000 + 1,
        FIRST_OPEN_MS + 7 * 86_400_000 + 1,
    ]
    assert fetched.source == "ccxt:binance"
    assert fetched.adj_factor is None


def test_ccxt_provider_loads_only_spot_markets(binance: StandInBinance) -> None:
    provider = CcxtProvider(api_url=binance.url)

    provider.fetch_bars(BTC, timeframe=Timeframe.D1, start=utc("2024-01-01"), end=utc("2024-01-02"))

    assert binance.paths == ["/api/v3/exchangeInfo", "/api/v3/klines"]


def test_ccxt_provider_hourly_bars_labels_open_time(binance: StandInBinance) -> None:
    provider = CcxtProvider(api_url=binance.url)

    bars = provider.fetch_bars(
        BTC, timeframe=Timeframe.H1, start=utc("2024-01-01 02:00"), end=utc("2024-01-01 05:30")
    ).bars

    assert list(bars.index) == [utc(f"2024-01-01 0{h}:00") for h in range(2, 6)]


def test_ccxt_provider_pages_report_progress(binance: StandInBinance) -> None:
    provider = CcxtProvider(api_url=binance.url)
    reports: list[tuple[float, str]] = []

    provider.fetch_bars(
        BTC,
        timeframe=Timeframe.D1,
        start=utc("2024-01-01"),
        end=utc("2024-01-10"),
        progress=lambda fraction, text: reports.append((fraction, text)),
    )

    fractions = [fraction for fraction, _ in reports]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert reports[-1][1] == "BTC/USDT: 10 candles"


def test_ccxt_provider_unlisted_pair_raises_unknown_symbol(binance: StandInBinance) -> None:
    provider = CcxtProvider(api_url=binance.url)

    with pytest.raises(UnknownSymbol, match="binance does not list SOL/USDT") as caught:
        provider.fetch_bars(Symbol.parse("SOL/USDT"), timeframe=Timeframe.D1)

    assert binance.klines_queries == []
    assert caught.value.suggestions


def test_ccxt_provider_stock_symbol_raises_unknown_symbol_naming_provider() -> None:
    provider = CcxtProvider(api_url="http://127.0.0.1:9")

    with pytest.raises(UnknownSymbol, match="ccxt provider serves crypto pairs"):
        provider.fetch_bars(Symbol.parse("AAPL"), timeframe=Timeframe.D1)


def test_ccxt_provider_range_without_candles_raises_empty_data(binance: StandInBinance) -> None:
    provider = CcxtProvider(api_url=binance.url)

    with pytest.raises(EmptyData, match="BTC/USDT"):
        provider.fetch_bars(
            BTC, timeframe=Timeframe.D1, start=utc("2023-06-01"), end=utc("2023-06-30")
        )


def test_ccxt_provider_rate_limited_raises_temporary_provider_error(
    binance: StandInBinance,
) -> None:
    binance.failure = (429, {"code": -1003, "msg": "Too many requests; current limit is 6000."})
    provider = CcxtProvider(api_url=binance.url)

    with pytest.raises(TemporaryProviderError, match="429") as caught:
        provider.fetch_bars(BTC, timeframe=Timeframe.D1, start=utc("2024-01-01"))

    assert caught.value.provider == "ccxt"


def test_ccxt_provider_server_error_raises_temporary_provider_error(
    binance: StandInBinance,
) -> None:
    binance.failure = (503, {"code": -1001, "msg": "Internal error; unable to process."})
    provider = CcxtProvider(api_url=binance.url)

    with pytest.raises(TemporaryProviderError, match=r"binance is unavailable \(HTTP 503\)"):
        provider.fetch_bars(BTC, timeframe=Timeframe.D1, start=utc("2024-01-01"))


@pytest.mark.timeout(5)
def test_ccxt_provider_closed_port_raises_temporary_provider_error(closed_port_url: str) -> None:
    provider = CcxtProvider(api_url=closed_port_url, timeout_s=2.0)

    with pytest.raises(TemporaryProviderError) as caught:
        provider.fetch_bars(BTC, timeframe=Timeframe.D1, start=utc("2024-01-01"))

    assert (
        str(caught.value)
        == f"ccxt: cannot reach binance at {closed_port_url} (connection refused)."
    )


def test_ccxt_provider_unknown_exchange_raises_config_error() -> None:
    provider = CcxtProvider("binanse")

    with pytest.raises(ConfigError, match="Did you mean: binance"):
        provider.fetch_bars(BTC, timeframe=Timeframe.D1)


def test_ccxt_provider_timeframe_the_exchange_lacks_raises_config_error() -> None:
    provider = CcxtProvider("kraken", api_url="http://127.0.0.1:9")

    with pytest.raises(ConfigError, match="kraken has no 1M candles"):
        provider.fetch_bars(BTC, timeframe=Timeframe.MN1)


def test_ccxt_provider_list_symbols_returns_empty() -> None:
    provider = CcxtProvider()

    listings = provider.list_symbols()

    assert listings == []
