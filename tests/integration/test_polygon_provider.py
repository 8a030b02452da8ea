"""PolygonProvider against a stand-in Polygon.io REST API on 127.0.0.1.

The stand-in speaks the aggregates endpoint ``/v2/aggs/ticker/.../range/...`` with
``next_url`` pagination (``page_cap`` results per page), the ticker reference endpoint
``/v3/reference/tickers/{ticker}``, Bearer-key checks (401) and injected failures (429,
5xx), in Polygon's documented response formats.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import numpy as np
import pandas as pd
import pytest

from vibetrading.adapters.providers.polygon import PolygonProvider, polygon_ticker
from vibetrading.domain.data import Timeframe, adjust_bars
from vibetrading.domain.trading import Symbol
from vibetrading.errors import (
    ConfigError,
    EmptyData,
    ProviderError,
    TemporaryProviderError,
    UnknownSymbol,
)

pytestmark = pytest.mark.integration

API_KEY = "test-key"
AAPL_RAW = [  # session, open, high, low, close, volume: AAPL around its 2020-08-31 4:1 split
    ("2020-08-24", 514.79, 515.14, 495.75, 503.43, 86_484_442),
    ("2020-08-25", 498.79, 500.72, 492.21, 499.30, 52_873_947),
    ("2020-08-26", 504.72, 507.97, 500.33, 506.09, 40_755_567),
    ("2020-08-27", 508.57, 509.94, 495.33, 500.04, 38_888_096),
    ("2020-08-28", 504.05, 505.77, 498.31, 499.23, 46_907_479),
    ("2020-08-31", 127.58, 131.00, 126.00, 129.04, 225_702_700),
    ("2020-09-01", 132.76, 134.80, 130.53, 134.18, 151_948_100),
    ("2020-09-02", 137.59, 137.98, 127.00, 131.40, 200_119_000),
]
SPLIT_DAY = "2020-08-31"
AAPL_WEEKLY = [  # Polygon's weeks open on Sunday at midnight New York time
    ("2024-01-07", 182.09, 187.05, 180.17, 185.92, 246_912_000),
    ("2024-01-14", 182.16, 191.95, 180.30, 191.56, 223_860_000),
]


def aggregate(session: str, tz: str, row: Sequence[float], ratio: float) -> dict[str, Any]:
    start_ms = pd.Timestamp(session, tz=tz).value // 1_000_000
    o, h, low, c, v = row
    return {
        "v": v * ratio, "vw": round(c / ratio, 4), "o": o / ratio, "c": c / ratio,
        "h": h / ratio, "l": low / ratio, "t": start_ms, "n": 1000,
    }  # fmt: skip


def aapl_results(adjusted: bool) -> list[dict[str, Any]]:
    return [
        aggregate(day, "America/New_York", row, 4.0 if adjusted and day < SPLIT_DAY else 1.0)
        for day, *row in AAPL_RAW
    ]


def btc_results(timespan: str) -> list[dict[str, Any]]:
    step = pd.Timedelta(hours=1) if timespan == "hour" else pd.Timedelta(days=1)
    first = pd.Timestamp("2024-01-01", tz="UTC")
    rows = []
    for i in range(6):
        close = 42_000.0 + 100 * i
        rows.append(
            {
                "v": 1000.5 + i,
                "vw": close,
                "o": close - 50,
                "c": close,
                "h": close + 200,
                "l": close - 300,
                "t": (first + i * step).value // 1_000_000,
                "n": 5000,
            }
        )
    return rows


@dataclass
class StandInPolygon:
    """What the stand-in serves, and what it was asked."""

    url: str = ""
    page_cap: int = 3
    failure: tuple[int, dict[str, Any]] | None = None
    next_url_base: str | None = None
    requests: list[str] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)

    def answer(
        self, path: str, query: dict[str, str], authorization: str | None
    ) -> tuple[int, Any]:
        self.requests.append(
            path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        )
        self.authorizations.append(authorization)
        if authorization != f"Bearer {API_KEY}":
            return 401, {"status": "ERROR", "request_id": "r1", "error": "Unknown API Key"}
        if self.failure is not None:
            return self.failure
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[:3] == ["v3", "reference", "tickers"]:
            if parts[3] in ("AAPL", "X:BTCUSD"):
                return 200, {"status": "OK", "request_id": "r2", "results": {"ticker": parts[3]}}
            return 404, {"status": "NOT_FOUND", "request_id": "r3", "message": "Ticker not found."}
        if parts[:3] == ["v2", "aggs", "ticker"] and len(parts) == 9:
            return 200, self._aggregates(path, parts[3], parts[7], parts[8], parts[6], query)
        return 404, {"status": "NOT_FOUND", "request_id": "r4", "message": "Not found."}

    def _aggregates(
        self, path: str, ticker: str, first: str, last: str, timespan: str, query: dict[str, str]
    ) -> dict[str, Any]:
        offset, adjusted = 0, query.get("adjusted") == "true"
        if "cursor" in query:  # Polygon encodes the original query in its opaque cursor
            offset_text, adjusted_text = query["cursor"].split("-")
            offset, adjusted = int(offset_text), adjusted_text == "true"
        if ticker == "AAPL" and timespan == "week":
            results = [aggregate(day, "America/New_York", row, 1.0) for day, *row in AAPL_WEEKLY]
            tz = "America/New_York"
        elif ticker == "AAPL":
            results, tz = aapl_results(adjusted), "America/New_York"
        elif ticker == "X:BTCUSD":
            results, tz = btc_results(timespan), "UTC"
        else:
            results, tz = [], "UTC"
        results = [r for r in results if _within(r["t"], first, last, tz)]
        page = results[offset : offset + self.page_cap]
        payload: dict[str, Any] = {
            "ticker": ticker,
            "queryCount": len(page),
            "resultsCount": len(page),
            "adjusted": adjusted,
            "status": "OK",
            "request_id": "r5",
            "count": len(page),
        }
        if page:
            payload["results"] = page
        if offset + self.page_cap < len(results):
            cursor = f"{offset + self.page_cap}-{'true' if adjusted else 'false'}"
            payload["next_url"] = f"{self.next_url_base or self.url}{path}?cursor={cursor}"
        return payload


def _within(t_ms: int, first: str, last: str, tz: str) -> bool:
    if first.isdigit():
        return int(first) <= t_ms <= int(last)
    day = pd.Timestamp(t_ms, unit="ms", tz="UTC").tz_convert(tz).strftime("%Y-%m-%d")
    return bool(first <= day <= last)


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        auth = self.headers.get("Authorization")
        status, payload = self.server.stand_in.answer(url.path, query, auth)
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def polygon() -> Iterator[StandInPolygon]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    stand_in = StandInPolygon(url=f"http://127.0.0.1:{server.server_address[1]}")
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


AAPL = Symbol.parse("AAPL")
BTC = Symbol.parse("BTC/USD")


def test_polygon_provider_daily_stock_follows_next_url_pages(polygon: StandInPolygon) -> None:
    provider = PolygonProvider(API_KEY, base_url=polygon.url)

    fetched = provider.fetch_bars(
        AAPL, timeframe=Timeframe.D1, start=utc("2020-08-24"), end=utc("2020-09-02")
    )

    bars = fetched.bars
    assert list(bars.index) == [utc(day) for day, *_ in AAPL_RAW]
    assert bars.loc[utc("2020-08-28")].tolist() == [504.05, 505.77, 498.31, 499.23, 46_907_479.0]
    raw_pages = [r for r in polygon.requests if "adjusted=false" in r or "-false" in r]
    assert len(raw_pages) == 3
    assert polygon.requests[0] == (
        "/v2/aggs/ticker/AAPL/range/1/day/2020-08-24/2020-09-02?adjusted=false&sort=asc&limit=50000"
    )


def test_polygon_provider_split_gives_adj_factor(polygon: StandInPolygon) -> None:
    provider = PolygonProvider(API_KEY, base_url=polygon.url)

    fetched = provider.fetch_bars(
        AAPL, timeframe=Timeframe.D1, start=utc("2020-08-24"), end=utc("2020-09-02")
    )

    assert fetched.adj_factor is not None
    assert fetched.adj_factor[utc("2020-08-28")] == pytest.approx(0.25)
    assert fetched.adj_factor[utc("2020-08-31")] == pytest.approx(1.0)
    adjusted = adjust_bars(fetched.bars, fetched.adj_factor)
    expected = [r["c"] for r in aapl_results(adjusted=True)]
    np.testing.assert_allclose(adjusted["close"].to_numpy(), expected)
    assert any("splits only" in note for note in fetched.notes)


def test_polygon_provider_crypto_skips_adjusted_pass(polygon: StandInPolygon) -> None:
    provider = PolygonProvider(API_KEY, base_url=polygon.url)

    fetched = provider.fetch_bars(
        BTC, timeframe=Timeframe.D1, start=utc("2024-01-01"), end=utc("2024-01-06")
    )

    assert fetched.adj_factor is None
    assert list(fetched.bars.index) == list(pd.date_range("2024-01-01", periods=6, tz="UTC"))
    assert all("adjusted=true" not in r and "-true" not in r for r in polygon.requests)
    assert polygon.requests[0].startswith("/v2/aggs/ticker/X:BTCUSD/range/1/day/")


def test_polygon_provider_hourly_range_sends_milliseconds(polygon: StandInPolygon) -> None:
    provider = PolygonProvider(API_KEY, base_url=polygon.url)

    bars = provider.fetch_bars(
        BTC, timeframe=Timeframe.H1, start=utc("2024-01-01 01:00"), end=utc("2024-01-01 03:00")
    ).bars

    assert polygon.requests[0].startswith(
        "/v2/aggs/ticker/X:BTCUSD/range/1/hour/1704070800000/1704078000000?"
    )
    assert list(bars.index) == [
        utc("2024-01-01 01:00"),
        utc("2024-01-01 02:00"),
        utc("2024-01-01 03:00"),
    ]


def test_polygon_provider_weekly_bars_labels_first_session_of_week(
    polygon: StandInPolygon,
) -> None:
    provider = PolygonProvider(API_KEY, base_url=polygon.url)

    bars = provider.fetch_bars(
        AAPL, timeframe=Timeframe.W1, start=utc("2024-01-10"), end=utc("2024-01-19")
    ).bars

    assert polygon.requests[0].startswith(
        "/v2/aggs/ticker/AAPL/range/1/week/2024-01-07/2024-01-19?"
    )
    assert list(bars.index) == [utc("2024-01-08"), utc("2024-01-16")]  # 01-15 was a holiday


def test_polygon_provider_sends_key_only_as_bearer_header(polygon: StandInPolygon) -> None:
    provider = PolygonProvider(API_KEY, base_url=polygon.url)

    provider.fetch_bars(
        AAPL, timeframe=Timeframe.D1, start=utc("2020-08-24"), end=utc("2020-09-02")
    )

    assert set(polygon.authorizations) == {f"Bearer {API_KEY}"}
    assert all(API_KEY not in request for request in polygon.requests)


def test_polygon_provider_pages_report_progress(polygon: StandInPolygon) -> None:
    provider = PolygonProvider(API_KEY, base_url=polygon.url)
    reports: list[tuple[float, str]] = []

    provider.fetch_bars(
        AAPL,
        timeframe=Timeframe.D1,
        start=utc("2020-08-24"),
        end=utc("2020-09-02"),
        progress=lambda fraction, text: reports.append((fraction, text)),
    )

    fractions = [fraction for fraction, _ in reports]
    assert fractions == sorted(fractions)
    assert len(fractions) == 6
    assert fractions[2] == 0.5
    assert reports[-1] == (1.0, "AAPL: 8 bars")


def test_polygon_provider_bad_key_raises_provider_error(polygon: StandInPolygon) -> None:
    provider = PolygonProvider("wrong-key", base_url=polygon.url)

    with pytest.raises(ProviderError, match="invalid or expired API key") as caught:
        provider.fetch_bars(AAPL, timeframe=Timeframe.D1, start=utc("2020-08-24"))

    assert not isinstance(caught.value, TemporaryProviderError)
    assert caught.value.provider == "polygon"


def test_polygon_provider_plan_without_access_raises_provider_error(
    polygon: StandInPolygon,
) -> None:
    polygon.failure = (
        403,
        {
            "status": "NOT_AUTHORIZED",
            "request_id": "r6",
            "message": "You are not entitled to this data. Please upgrade your plan.",
        },
    )
    provider = PolygonProvider(API_KEY, base_url=polygon.url)

    with pytest.raises(ProviderError, match="not entitled"):
        provider.fetch_bars(AAPL, timeframe=Timeframe.M1, start=utc("2020-08-24"))


def test_polygon_provider_rate_limited_raises_temporary_provider_error(
    polygon: StandInPolygon,
) -> None:
    polygon.failure = (
        429,
        {
            "status": "ERROR",
            "request_id": "r7",
            "error": "You've exceeded the maximum requests per minute.",
        },
    )
    provider = PolygonProvider(API_KEY, base_url=polygon.url)

    with pytest.raises(TemporaryProviderError, match="429"):
        provider.fetch_bars(AAPL, timeframe=Timeframe.D1, start=utc("2020-08-24"))

    assert len(polygon.requests) == 1


def test_polygon_provider_server_error_raises_temporary_provider_error(
    polygon: StandInPolygon,
) -> None:
    polygon.failure = (502, {"status": "ERROR", "request_id": "r8", "error": "Bad gateway"})
    provider = PolygonProvider(API_KEY, base_url=polygon.url)

    with pytest.raises(TemporaryProviderError, match="HTTP 502"):
        provider.fetch_bars(AAPL, timeframe=Timeframe.D1, start=utc("2020-08-24"))


def test_polygon_provider_unknown_ticker_raises_unknown_symbol(polygon: StandInPolygon) -> None:
    provider = PolygonProvider(API_KEY, base_url=polygon.url)

    with pytest.raises(UnknownSymbol, match="NOSUCH"):
        provider.fetch_bars(Symbol.parse("NOSUCH"), timeframe=Timeframe.D1, start=utc("2020-08-24"))


def test_polygon_provider_range_without_bars_raises_empty_data(polygon: StandInPolygon) -> None:
    provider = PolygonProvider(API_KEY, base_url=polygon.url)

    with pytest.raises(EmptyData, match="AAPL"):
        provider.fetch_bars(
            AAPL, timeframe=Timeframe.D1, start=utc("2021-01-04"), end=utc("2021-01-08")
        )


def test_polygon_provider_next_url_to_other_host_raises_provider_error(
    polygon: StandInPolygon,
) -> None:
    polygon.next_url_base = "http://203.0.113.9"
    provider = PolygonProvider(API_KEY, base_url=polygon.url)

    with pytest.raises(ProviderError, match="refusing to follow next_url"):
        provider.fetch_bars(AAPL, timeframe=Timeframe.D1, start=utc("2020-08-24"))


@pytest.mark.timeout(5)
def test_polygon_provider_closed_port_raises_temporary_provider_error(
    closed_port_url: str,
) -> None:
    provider = PolygonProvider(API_KEY, base_url=closed_port_url, timeout_s=2.0)

    with pytest.raises(TemporaryProviderError) as caught:
        provider.fetch_bars(AAPL, timeframe=Timeframe.D1, start=utc("2020-08-24"))

    host = closed_port_url.removeprefix("http://")
    assert str(caught.value) == f"polygon: cannot reach {host} (connection refused)."


@pytest.mark.parametrize("api_key", [None, "", "  "], ids=["none", "empty", "blank"])
def test_polygon_provider_missing_key_raises_config_error(api_key: str | None) -> None:
    provider = PolygonProvider(api_key, base_url="http://127.0.0.1:9")

    with pytest.raises(ConfigError, match="POLYGON_API_KEY"):
        provider.fetch_bars(AAPL, timeframe=Timeframe.D1)


def test_polygon_provider_hong_kong_symbol_raises_unknown_symbol() -> None:
    provider = PolygonProvider(API_KEY, base_url="http://127.0.0.1:9")

    with pytest.raises(UnknownSymbol, match="polygon provider serves US stocks"):
        provider.fetch_bars(Symbol.parse("0700.HK"), timeframe=Timeframe.D1)


@pytest.mark.parametrize(
    ("text", "ticker"),
    [("AAPL", "AAPL"), ("SPX", "I:SPX"), ("BTC/USD", "X:BTCUSD"), ("EURUSD", "C:EURUSD")],
    ids=["stock", "index", "crypto", "fx"],
)
def test_polygon_ticker_canonical_symbol_maps_to_polygon_code(text: str, ticker: str) -> None:
    symbol = Symbol.parse(text)

    result = polygon_ticker(symbol)

    assert result == ticker


def test_polygon_provider_list_symbols_returns_empty() -> None:
    provider = PolygonProvider(API_KEY)

    listings = provider.list_symbols()

    assert listings == []
