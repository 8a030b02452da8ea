"""The ``polygon`` provider: aggregates (bars) from the Polygon.io REST API.

Serves US stocks (``AAPL``), indices (``SPX`` as ``I:SPX``), crypto (``BTC/USD`` as
``X:BTCUSD``) and FX (``EURUSD`` as ``C:EURUSD``) through
``GET /v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}``, following
``next_url`` until the range is covered. Stocks are fetched twice, with ``adjusted=false``
for the bars and ``adjusted=true`` for ``adj_factor``; Polygon adjusts for splits only,
so the factor holds no dividends.

It speaks HTTP with httpx rather than through ``polygon-api-client``, whose errors carry
no status code and whose retries hide rate limits.
"""

from __future__ import annotations

from typing import Any, NoReturn
from urllib.parse import quote, urlsplit

import httpx
import numpy as np
import pandas as pd
from pydantic import SecretStr

from vibetrading.adapters.providers._common import network_cause, period_start, session_labels, utc
from vibetrading.domain.data import FetchedBars, Timeframe, check_bars
from vibetrading.domain.trading import AssetClass, Market, Symbol
from vibetrading.errors import (
    ConfigError,
    EmptyData,
    ProviderError,
    TemporaryProviderError,
    UnknownSymbol,
)
from vibetrading.services.ports import ProgressCallback, SymbolListing

__all__ = ["PolygonProvider", "polygon_ticker"]

_SPANS = {
    Timeframe.M1: (1, "minute"),
    Timeframe.M5: (5, "minute"),
    Timeframe.M15: (15, "minute"),
    Timeframe.H1: (1, "hour"),
    Timeframe.H4: (4, "hour"),
    Timeframe.D1: (1, "day"),
    Timeframe.W1: (1, "week"),
    Timeframe.MN1: (1, "month"),
}
_INDEX_TICKERS = {"SPX": "I:SPX", "IXIC": "I:COMP", "VIX": "I:VIX"}
_PAGE_LIMIT = 50_000
_MAX_PAGES = 10_000  # a guard against a next_url that never ends
_KEY_HINT = "set POLYGON_API_KEY or VIBETRADING_POLYGON_API_KEY"
_SPLITS_ONLY = "Polygon adjusts for splits only: adj_factor holds no dividends."


def polygon_ticker(symbol: Symbol) -> str:
    """Return Polygon's ticker for `symbol` (``BTC/USD`` is ``X:BTCUSD`` on Polygon)."""
    if symbol.market is Market.US:
        return _INDEX_TICKERS.get(symbol.code, symbol.code)
    if symbol.market is Market.CRYPTO:
        return "X:" + symbol.code.replace("/", "")
    if symbol.market is Market.FX:
        return "C:" + symbol.code
    raise UnknownSymbol(
        f"The polygon provider serves US stocks, crypto and FX; {symbol.code} is a "
        f"{symbol.market.value} symbol."
    )


class PolygonProvider:
    """Fetch bars from Polygon.io's aggregates endpoint.

    `api_key` is the Polygon key (the entry point reads ``POLYGON_API_KEY`` or
    ``VIBETRADING_POLYGON_API_KEY``); without one, fetching raises ConfigError. `base_url`
    points at another server speaking the same API; `timeout_s` bounds each request.
    Example (needs the network and a key)::

        provider = PolygonProvider(api_key)
        fetched = provider.fetch_bars(
            Symbol.parse("AAPL"), timeframe=Timeframe.D1, start=pd.Timestamp("2024-01-02")
        )
    """

    name = "polygon"

    def __init__(
        self,
        api_key: str | SecretStr | None,
        *,
        base_url: str = "https://api.polygon.io",
        timeout_s: float = 10.0,
    ) -> None:
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        self._api_key = (key or "").strip()
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def fetch_bars(
        self,
        symbol: Symbol,
        *,
        timeframe: Timeframe,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        progress: ProgressCallback | None = None,
    ) -> FetchedBars:
        """Return raw bars for `symbol` between `start` and `end` (inclusive, UTC).

        Raises ConfigError without an API key, UnknownSymbol for a symbol Polygon does not
        know, EmptyData for a range without bars, ProviderError for an invalid key and
        TemporaryProviderError for rate limits, server errors and a missing network.
        """
        if not self._api_key:
            raise ConfigError(f"The polygon provider needs an API key: {_KEY_HINT}.")
        ticker = polygon_ticker(symbol)
        first = period_start(utc(start), timeframe)
        last = utc(end) if end is not None else pd.Timestamp.now(tz="UTC")
        path = _aggs_path(ticker, timeframe, first, last)
        has_splits = symbol.asset_class is AssetClass.EQUITY
        passes = (False, True) if has_splits else (False,)
        fetched: list[list[dict[str, Any]]] = []
        with self._client() as client:
            for number, adjusted in enumerate(passes):
                span = (number / len(passes), (number + 1) / len(passes))
                fetched.append(
                    self._fetch_all(client, path, adjusted, _Progress(progress, symbol, span))
                )
                if not fetched[0]:
                    self._raise_no_bars(client, ticker, timeframe)
        bars = _to_bars(fetched[0], timeframe, symbol)
        adj_factor = (
            _adj_factor(bars, _to_bars(fetched[1], timeframe, symbol)) if has_splits else None
        )
        keep = (bars.index >= first if first is not None else True) & (bars.index <= last)
        if not keep.any():
            raise EmptyData(f"Polygon has no {timeframe.value} bars for {ticker} in that range.")
        return FetchedBars(
            bars=check_bars(bars[keep]),
            source=self.name,
            adj_factor=adj_factor[keep] if adj_factor is not None else None,
            notes=[_SPLITS_ONLY] if has_splits else [],
        )

    def list_symbols(self) -> list[SymbolListing]:
        """Return no listings: Polygon's tickers are only known online."""
        return []

    def _client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(self.timeout_s),
            headers={"Authorization": f"Bearer {self._api_key}"},
            follow_redirects=False,
        )

    def _fetch_all(
        self, client: httpx.Client, path: str, adjusted: bool, progress: _Progress
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] | None = {
            "adjusted": "true" if adjusted else "false",
            "sort": "asc",
            "limit": _PAGE_LIMIT,
        }
        url = path
        results: list[dict[str, Any]] = []
        for page in range(_MAX_PAGES):
            payload = self._get(client, url, params)
            results.extend(payload.get("results") or [])
            next_url = payload.get("next_url")
            progress.report(page, is_last=not next_url, bars=len(results))
            if not next_url:
                break
            url, params = self._same_origin(str(next_url)), None
        return results

    def _same_origin(self, url: str) -> str:
        # next_url is absolute; never send the key to another host.
        expected, actual = urlsplit(self.base_url), urlsplit(url)
        if (actual.scheme, actual.netloc) != (expected.scheme, expected.netloc):
            raise ProviderError(self.name, f"refusing to follow next_url to {actual.netloc}.")
        return url

    def _get(self, client: httpx.Client, url: str, params: dict[str, Any] | None) -> dict[str, Any]:
        response = self._send(client, url, params)
        if response.status_code != 200:
            raise self._status_error(response)
        try:
            payload = response.json()
        except ValueError as e:
            raise ProviderError(self.name, "Polygon sent a reply that is not JSON.") from e
        if not isinstance(payload, dict):
            raise ProviderError(self.name, "Polygon sent an unexpected reply.")
        if payload.get("status") == "ERROR":
            raise ProviderError(self.name, _message(payload) or "Polygon reported an error.")
        return payload

    def _send(
        self, client: httpx.Client, url: str, params: dict[str, Any] | None
    ) -> httpx.Response:
        host = urlsplit(self.base_url).netloc
        try:
            return client.get(url, params=params)
        except httpx.TimeoutException as e:
            raise TemporaryProviderError(
                self.name, f"{host} did not answer within {self.timeout_s:g} s."
            ) from e
        except httpx.TransportError as e:
            raise TemporaryProviderError(
                self.name, f"cannot reach {host} ({network_cause(e)})."
            ) from e

    def _status_error(self, response: httpx.Response) -> ProviderError:
        status = response.status_code
        detail = _message(_json_or_empty(response))
        if status == 401 or (status == 403 and "NOT_AUTHORIZED" not in response.text):
            return ProviderError(
                self.name, f"invalid or expired API key (HTTP {status}); {_KEY_HINT}."
            )
        if status == 403:
            return ProviderError(self.name, f"your Polygon plan does not include this: {detail}")
        if status == 429:
            return TemporaryProviderError(
                self.name, "rate limit reached (HTTP 429); wait a minute and retry."
            )
        if status >= 500:
            return TemporaryProviderError(self.name, f"server error (HTTP {status}); retry later.")
        return ProviderError(
            self.name, f"request failed (HTTP {status}): {detail or response.reason_phrase}"
        )

    def _raise_no_bars(self, client: httpx.Client, ticker: str, timeframe: Timeframe) -> NoReturn:
        # Polygon answers an unknown ticker and an empty range alike; ask the reference API.
        response = self._send(client, f"/v3/reference/tickers/{quote(ticker, safe=':')}", None)
        if response.status_code == 404:
            raise UnknownSymbol(f"Polygon does not know the ticker {ticker}.")
        if response.status_code != 200:
            raise self._status_error(response)
        raise EmptyData(f"Polygon has no {timeframe.value} bars for {ticker} in that range.")


class _Progress:
    # Reports one pass over the pages within its share of the whole fetch; the number of
    # pages is unknown in advance, so each page covers half of what is left.
    def __init__(
        self, callback: ProgressCallback | None, symbol: Symbol, span: tuple[float, float]
    ) -> None:
        self.callback = callback
        self.symbol = symbol
        self.low, self.high = span

    def report(self, page: int, *, is_last: bool, bars: int) -> None:
        if self.callback is None:
            return
        done = 1.0 if is_last else 1.0 - 0.5 ** (page + 1)
        self.callback(self.low + (self.high - self.low) * done, f"{self.symbol.code}: {bars} bars")


def _aggs_path(
    ticker: str, timeframe: Timeframe, first: pd.Timestamp | None, last: pd.Timestamp
) -> str:
    multiplier, timespan = _SPANS[timeframe]
    if timeframe is Timeframe.W1 and first is not None:
        first -= pd.Timedelta(days=1)  # Polygon's weeks open on Sunday
    if timeframe.is_intraday:  # Unix milliseconds
        start = str(first.value // 1_000_000) if first is not None else "0"
        stop = str(last.value // 1_000_000)
    else:
        start = first.strftime("%Y-%m-%d") if first is not None else "1970-01-01"
        stop = last.strftime("%Y-%m-%d")
    return f"/v2/aggs/ticker/{quote(ticker, safe=':')}/range/{multiplier}/{timespan}/{start}/{stop}"


def _to_bars(results: list[dict[str, Any]], timeframe: Timeframe, symbol: Symbol) -> pd.DataFrame:
    frame = pd.DataFrame(results, columns=["t", "o", "h", "l", "c", "v"])
    stamps = pd.to_datetime(frame["t"].to_numpy(dtype=np.int64), unit="ms", utc=True)
    if timeframe.is_intraday:
        labels = stamps
    else:  # t opens the day at midnight in the market's timezone
        local = stamps.tz_convert(symbol.timezone).tz_localize(None).normalize()
        labels = session_labels(local, timeframe, symbol, is_week_from_sunday=True)
    bars = pd.DataFrame(
        {
            "open": frame["o"].to_numpy(dtype=np.float64),
            "high": frame["h"].to_numpy(dtype=np.float64),
            "low": frame["l"].to_numpy(dtype=np.float64),
            "close": frame["c"].to_numpy(dtype=np.float64),
            "volume": frame["v"].fillna(0.0).to_numpy(dtype=np.float64),  # indices have none
        },
        index=labels,
    )
    bars = bars[~bars.index.duplicated(keep="last")]
    return bars.sort_index()


def _adj_factor(bars: pd.DataFrame, adjusted: pd.DataFrame) -> pd.Series:
    factor = adjusted["close"].reindex(bars.index) / bars["close"]
    return factor.ffill().fillna(1.0).rename("adj_factor")


def _json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _message(payload: dict[str, Any]) -> str:
    return str(payload.get("message") or payload.get("error") or "")
