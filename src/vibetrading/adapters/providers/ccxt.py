"""The ``ccxt`` provider: crypto candles from any exchange ccxt supports (Binance by default).

Pages through ``fetch_ohlcv`` with ``since`` advancing past the last candle until the range
is covered. Only spot markets are loaded. Crypto has no splits or dividends, so there is no
``adj_factor``; candles are labelled by their opening time in UTC, daily and longer ones by
their UTC date.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import pandas as pd

from vibetrading.adapters.providers._common import network_cause, period_start, short_error
from vibetrading.domain.data import FetchedBars, Timeframe, check_bars
from vibetrading.domain.trading import Market, Symbol
from vibetrading.errors import (
    ConfigError,
    EmptyData,
    ProviderError,
    TemporaryProviderError,
    UnknownSymbol,
    VibeTradingError,
)
from vibetrading.services.ports import ProgressCallback, SymbolListing

__all__ = ["CcxtProvider"]

_COLUMNS = ["timestamp", "open", "high", "low", "close", "volume"]
_HALF_DAY_MS = 43_200_000
_MAX_PAGES = 100_000  # a guard against an exchange that ignores `since`


class CcxtProvider:
    """Fetch crypto bars (``BTC/USDT``) from an exchange through ccxt's ``fetch_ohlcv``.

    `exchange_id` is a ccxt exchange id (``binance``, ``okx``, ``kraken``, ...). `api_url`
    replaces the scheme and host of every REST URL of the exchange (a mirror, a proxy or a
    stand-in server). `timeout_s` bounds each HTTP request; `page_size` is the number of
    candles asked for per request. Example (needs the network)::

        provider = CcxtProvider("binance")
        fetched = provider.fetch_bars(
            Symbol.parse("BTC/USDT"), timeframe=Timeframe.H1, start=pd.Timestamp("2024-01-01")
        )
    """

    name = "ccxt"

    def __init__(
        self,
        exchange_id: str = "binance",
        *,
        api_url: str | None = None,
        timeout_s: float = 10.0,
        page_size: int = 1000,
    ) -> None:
        self.exchange_id = exchange_id
        self.api_url = api_url.rstrip("/") if api_url else None
        self.timeout_s = timeout_s
        self.page_size = page_size
        self._exchange: Any = None

    def fetch_bars(
        self,
        symbol: Symbol,
        *,
        timeframe: Timeframe,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        progress: ProgressCallback | None = None,
    ) -> FetchedBars:
        """Return bars for the crypto pair `symbol` between `start` and `end` (inclusive, UTC).

        Without `start` the exchange's whole history is fetched, without `end` up to now.
        Raises UnknownSymbol for a symbol that is not a crypto pair or that the exchange
        does not list, ConfigError for a timeframe the exchange does not offer, EmptyData
        for a range without candles and TemporaryProviderError when the exchange cannot be
        reached, times out or rate-limits us.
        """
        if symbol.market is not Market.CRYPTO:
            raise UnknownSymbol(
                f"The {self.name} provider serves crypto pairs such as BTC/USDT; "
                f"{symbol.code} is a {symbol.market.value} symbol."
            )
        exchange = self._get_exchange()
        if not exchange.has.get("fetchOHLCV") or not exchange.timeframes:
            raise ConfigError(f"{self.exchange_id} offers no candles through ccxt.")
        if timeframe.value not in exchange.timeframes:
            offered = ", ".join(tf.value for tf in Timeframe if tf.value in exchange.timeframes)
            raise ConfigError(
                f"{self.exchange_id} has no {timeframe.value} candles; use one of {offered}."
            )
        since = _ms(period_start(start, timeframe)) if start is not None else 0
        until = _ms(end) if end is not None else _ms(pd.Timestamp.now(tz="UTC"))
        try:
            exchange.load_markets()
            self._check_listed(exchange, symbol)
            rows = self._fetch_pages(exchange, symbol, timeframe, since, until, progress)
        except _ccxt().BaseError as e:
            raise self._translate(e, symbol) from e
        bars = _to_bars(rows, timeframe, since, until)
        if len(bars) == 0:
            raise EmptyData(
                f"{self.exchange_id} has no {timeframe.value} candles for {symbol.code} "
                f"between {pd.Timestamp(since, unit='ms', tz='UTC')} and "
                f"{pd.Timestamp(until, unit='ms', tz='UTC')}."
            )
        return FetchedBars(bars=check_bars(bars), source=f"{self.name}:{self.exchange_id}")

    def list_symbols(self) -> list[SymbolListing]:
        """Return no listings: an exchange's markets are only known online."""
        return []

    def _get_exchange(self) -> Any:
        if self._exchange is not None:
            return self._exchange
        ccxt = _ccxt()
        if self.exchange_id not in ccxt.exchanges:
            close = difflib.get_close_matches(self.exchange_id, ccxt.exchanges, n=3)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise ConfigError(f"ccxt has no exchange {self.exchange_id!r}.{hint}")
        exchange = getattr(ccxt, self.exchange_id)(
            {"timeout": int(self.timeout_s * 1000), "enableRateLimit": True}
        )
        _load_spot_only(exchange)
        if self.api_url:
            exchange.urls["api"] = _rebase(exchange.urls.get("api"), self.api_url)
        self._exchange = exchange
        return exchange

    def _check_listed(self, exchange: Any, symbol: Symbol) -> None:
        markets = exchange.markets or {}
        if symbol.code not in markets:
            raise UnknownSymbol(
                f"{self.exchange_id} does not list {symbol.code}.",
                suggestions=difflib.get_close_matches(symbol.code, list(markets), n=3),
            )

    def _fetch_pages(
        self,
        exchange: Any,
        symbol: Symbol,
        timeframe: Timeframe,
        since: int,
        until: int,
        progress: ProgressCallback | None,
    ) -> list[list[Any]]:
        bar_ms = int(exchange.parse_timeframe(timeframe.value) * 1000)
        rows: list[list[Any]] = []
        cursor = since
        for _ in range(_MAX_PAGES):
            page = exchange.fetch_ohlcv(symbol.code, timeframe.value, cursor, self.page_size)
            if not page or page[-1][0] < cursor:
                break
            rows.extend(page)
            last = int(page[-1][0])
            if last + bar_ms > until:
                break
            if progress is not None:
                first = int(rows[0][0])
                done = min(max((last - first) / (until - first), 0.0), 0.99)
                progress(done, f"{symbol.code}: {len(rows)} candles")
            cursor = last + 1
        if progress is not None:
            progress(1.0, f"{symbol.code}: {len(rows)} candles")
        return rows

    def _translate(self, error: Exception, symbol: Symbol) -> VibeTradingError:
        ccxt = _ccxt()
        exchange = self.exchange_id
        if isinstance(error, ccxt.BadSymbol):
            return UnknownSymbol(f"{exchange} does not list {symbol.code}.")
        status = _http_status(error)
        if isinstance(error, ccxt.DDoSProtection | ccxt.RateLimitExceeded) or status in (418, 429):
            return TemporaryProviderError(
                self.name,
                f"{exchange} is rate-limiting requests (HTTP {status or 429}); retry in a minute.",
            )
        if isinstance(error, ccxt.RequestTimeout):
            return TemporaryProviderError(
                self.name, f"{exchange} did not answer within {self.timeout_s:g} s."
            )
        if isinstance(error, ccxt.NetworkError) or (status is not None and status >= 500):
            if status is None and _has_os_error(error):
                return TemporaryProviderError(
                    self.name,
                    f"cannot reach {exchange} at {self._host(error)} ({network_cause(error)}).",
                )
            answer = f"HTTP {status}" if status is not None else short_error(error)
            return TemporaryProviderError(
                self.name, f"{exchange} is unavailable ({answer}); retry later."
            )
        if isinstance(error, ccxt.AuthenticationError):
            return ProviderError(self.name, f"{exchange} refused the request: {short_error(error)}")
        return ProviderError(self.name, f"{exchange} request failed: {short_error(error)}")

    def _host(self, error: BaseException) -> str:
        failed = re.search(r"https?://[^/\s]+", str(error))  # ccxt names the failed URL
        if failed:
            return failed.group(0)
        if self.api_url:
            return self.api_url
        api = self._exchange.urls.get("api") if self._exchange is not None else None
        url = next(iter(api.values()), "") if isinstance(api, dict) else str(api or "")
        match = re.match(r"^(https?://[^/]+)", str(url))
        return match.group(1) if match else self.exchange_id


def _ccxt() -> Any:
    try:
        import ccxt
    except ImportError as e:
        raise ConfigError(
            "The ccxt provider needs the package 'ccxt': pip install 'vibetrading[providers]'."
        ) from e
    return ccxt


def _load_spot_only(exchange: Any) -> None:
    # Bars come from spot markets; loading futures, options and margin pairs would cost
    # extra requests (some of them signed) for nothing.
    options = exchange.options
    fetch_markets = options.get("fetchMarkets")
    if isinstance(fetch_markets, dict):
        options["fetchMarkets"] = {**fetch_markets, "types": ["spot"]}
    elif isinstance(fetch_markets, list):
        options["fetchMarkets"] = ["spot"]
    options["defaultType"] = "spot"
    options["fetchMargins"] = False
    exchange.has["fetchCurrencies"] = False


def _rebase(api: Any, base: str) -> Any:
    if isinstance(api, dict):
        return {key: _rebase(value, base) for key, value in api.items()}
    if isinstance(api, str):
        return re.sub(r"^https?://[^/]+", base, api)
    return api


def _ms(value: pd.Timestamp) -> int:
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return int(stamp.value // 1_000_000)


def _to_bars(rows: list[list[Any]], timeframe: Timeframe, since: int, until: int) -> pd.DataFrame:
    frame = pd.DataFrame([row[:6] for row in rows], columns=_COLUMNS)
    stamps = frame["timestamp"].astype("int64")
    if not timeframe.is_intraday:
        # Label by UTC date; exchanges that open the day at 00:00 UTC+8 (16:00 UTC) round up.
        stamps = (stamps + _HALF_DAY_MS) // 86_400_000 * 86_400_000
    frame["timestamp"] = stamps
    frame = frame.drop_duplicates("timestamp", keep="last").sort_values("timestamp")
    frame = frame[(frame["timestamp"] >= since) & (frame["timestamp"] <= until)]
    index = pd.to_datetime(frame["timestamp"].to_numpy(), unit="ms", utc=True)
    values = {
        c: pd.to_numeric(frame[c]).fillna(0.0).to_numpy(dtype="float64") for c in _COLUMNS[1:]
    }
    return pd.DataFrame(values, index=index)


def _http_status(error: BaseException) -> int | None:
    # ccxt maps an error body to its own exception while handling the HTTP error, so the
    # status code of a 5xx answer is only on the requests exception in the chain.
    current: BaseException | None = error
    for _ in range(8):
        if current is None:
            return None
        status = getattr(getattr(current, "response", None), "status_code", None)
        if isinstance(status, int):
            return status
        current = current.__cause__ or current.__context__
    return None


def _has_os_error(error: BaseException) -> bool:
    current: BaseException | None = error
    for _ in range(8):
        if current is None:
            return False
        if isinstance(current, OSError):
            return True
        current = current.__cause__ or current.__context__
    return False
