"""The ``yfinance`` provider: Yahoo Finance history through the ``yfinance`` package.

Serves US stocks and indices (``AAPL``, ``SPX`` as ``^GSPC``), Hong Kong (``0700.HK``),
China A-shares (``600519.SH`` as ``600519.SS``, ``000001.SZ``), FX (``EURUSD`` as
``EURUSD=X``) and crypto (``BTC/USD`` as ``BTC-USD``), in every timeframe but ``4h``.

Yahoo's ``Close`` is already adjusted for splits and its ``Adj Close`` for splits and
dividends. The provider undoes the splits listed in the ``Stock Splits`` column, so the
bars hold the prices and volumes actually traded, and returns
``adj_factor = Adj Close / raw close``. Daily and longer bars are fetched up to today so
that splits after ``end`` are undone as well; intraday requests only see splits inside
the range.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from vibetrading.adapters.providers._common import network_cause, period_start, session_labels, utc
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

__all__ = ["YFinanceProvider", "YahooHistory", "yahoo_ticker"]

YahooHistory = Callable[..., pd.DataFrame]
"""Fetch history as ``yfinance.Ticker(ticker).history(**options)`` does: ``(ticker, **options)``.

The frame has the columns Open, High, Low, Close, Adj Close, Volume, Dividends and Stock
Splits, and a timezone-aware index in the exchange's timezone.
"""

_HOST = "query2.finance.yahoo.com"
_INTERVALS = {
    Timeframe.M1: "1m",
    Timeframe.M5: "5m",
    Timeframe.M15: "15m",
    Timeframe.H1: "1h",
    Timeframe.D1: "1d",
    Timeframe.W1: "1wk",
    Timeframe.MN1: "1mo",
}
_INDEX_TICKERS = {"SPX": "^GSPC", "IXIC": "^IXIC", "VIX": "^VIX"}
_PRICES = ("Open", "High", "Low", "Close")


def yahoo_ticker(symbol: Symbol) -> str:
    """Return Yahoo's ticker for `symbol` (``600519.SH`` is ``600519.SS`` on Yahoo)."""
    if symbol.market is Market.SH:
        return symbol.code.removesuffix(".SH") + ".SS"
    if symbol.market in (Market.SZ, Market.HK):
        return symbol.code
    if symbol.market is Market.CRYPTO:
        return symbol.code.replace("/", "-")
    if symbol.market is Market.FX:
        return f"{symbol.code}=X"
    if symbol.market is Market.US:
        if symbol.code in _INDEX_TICKERS:
            return _INDEX_TICKERS[symbol.code]
        return symbol.code.replace(".", "-")  # BRK.B is BRK-B on Yahoo
    raise UnknownSymbol(f"yfinance: Yahoo Finance does not serve {symbol.code}.")


class YFinanceProvider:
    """Fetch bars from Yahoo Finance with the ``yfinance`` package.

    `history` replaces the network call (tests pass a function returning a recorded
    frame); by default it calls ``yfinance.Ticker(ticker).history``. `timeout_s` bounds
    each HTTP request. Example (needs the network)::

        provider = YFinanceProvider()
        fetched = provider.fetch_bars(
            Symbol.parse("AAPL"), timeframe=Timeframe.D1, start=pd.Timestamp("2024-01-02")
        )
        adjusted = adjust_bars(fetched.bars, fetched.adj_factor)
    """

    name = "yfinance"

    def __init__(self, history: YahooHistory | None = None, *, timeout_s: float = 10.0) -> None:
        self._history = history or _yahoo_history
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

        Raises ConfigError for ``4h`` bars, which Yahoo does not offer; UnknownSymbol for a
        ticker Yahoo does not know; EmptyData for a range without bars;
        TemporaryProviderError when Yahoo cannot be reached or rate-limits us.
        """
        interval = _INTERVALS.get(timeframe)
        if interval is None:
            offered = ", ".join(tf.value for tf in _INTERVALS)
            raise ConfigError(f"yfinance has no {timeframe.value} bars; use one of {offered}.")
        ticker = yahoo_ticker(symbol)
        start, end = utc(start), utc(end)
        options = _request(interval, timeframe, start, end, self.timeout_s)
        try:
            frame = self._history(ticker, **options)
        except (_yfinance().exceptions.YFException, OSError, ValueError, KeyError, TypeError) as e:
            raise _translate(e, symbol, ticker) from e
        empty = EmptyData(
            f"Yahoo Finance has no {timeframe.value} bars for {ticker}{_span(start, end)}."
        )
        if frame is None or len(frame) == 0:
            raise empty
        bars, adj_factor = _to_bars(frame, timeframe, symbol)
        keep = _in_window(bars.index, timeframe, start, end)
        if not keep.any():
            raise empty
        bars, adj_factor = bars[keep], adj_factor[keep]
        if progress is not None:
            progress(1.0, f"{symbol.code}: {len(bars)} bars")
        return FetchedBars(bars=check_bars(bars), source=self.name, adj_factor=adj_factor)

    def list_symbols(self) -> list[SymbolListing]:
        """Return no listings: Yahoo's symbols are only known online."""
        return []


def _yfinance() -> Any:
    try:
        import yfinance
    except ImportError as e:
        raise ConfigError(
            "The yfinance provider needs the package 'yfinance': "
            "pip install 'vibetrading[providers]'."
        ) from e
    return yfinance


def _yahoo_history(ticker: str, **options: Any) -> pd.DataFrame:
    yfinance = _yfinance()
    # By default yfinance logs failures and returns an empty frame; we need the exception
    # to tell a missing network from an unknown ticker.
    yfinance.config.debug.hide_exceptions = False
    # yfinance logs transient failures as warnings before raising them; we report them
    # ourselves, so keep them off stderr unless the application configured logging.
    logger = logging.getLogger("yfinance")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return yfinance.Ticker(ticker).history(**options)


def _request(
    interval: str,
    timeframe: Timeframe,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    timeout_s: float,
) -> dict[str, Any]:
    options: dict[str, Any] = {
        "interval": interval,
        "auto_adjust": False,
        "actions": True,
        "timeout": timeout_s,
    }
    if start is None:
        options["period"] = "max"
    elif timeframe.is_intraday:
        options["start"] = start
    else:  # a date: Yahoo reads it as midnight in the exchange's timezone
        options["start"] = period_start(start.tz_localize(None), timeframe).strftime("%Y-%m-%d")
    if end is not None and timeframe.is_intraday:
        options["end"] = end + pd.Timedelta(seconds=1)  # Yahoo's end is exclusive
    return options


def _to_bars(
    frame: pd.DataFrame, timeframe: Timeframe, symbol: Symbol
) -> tuple[pd.DataFrame, pd.Series]:
    frame = frame.dropna(subset=list(_PRICES))
    index = pd.DatetimeIndex(frame.index)
    if timeframe.is_intraday:
        labels = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    else:  # the exchange's local date is the session date
        local = index if index.tz is None else index.tz_localize(None)
        labels = session_labels(local.normalize(), timeframe, symbol)
    later_splits = _later_splits(frame)
    close = frame["Close"].to_numpy(dtype=np.float64) * later_splits
    bars = pd.DataFrame(
        {
            "open": frame["Open"].to_numpy(dtype=np.float64) * later_splits,
            "high": frame["High"].to_numpy(dtype=np.float64) * later_splits,
            "low": frame["Low"].to_numpy(dtype=np.float64) * later_splits,
            "close": close,
            "volume": frame["Volume"].fillna(0).to_numpy(dtype=np.float64) / later_splits,
        },
        index=labels,
    )
    adjusted = frame["Adj Close"] if "Adj Close" in frame.columns else frame["Close"]
    factor = pd.Series(adjusted.to_numpy(dtype=np.float64) / close, index=labels)
    last = ~labels.duplicated(keep="last")  # Yahoo may repeat the live bar
    return bars[last], factor[last].rename("adj_factor")


def _later_splits(frame: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
    # Product of the split ratios after each bar: a 4:1 split on day d multiplies the
    # prices of every earlier bar by 4 and divides their volumes by 4.
    if "Stock Splits" not in frame.columns:
        return np.ones(len(frame))
    ratios = frame["Stock Splits"].fillna(0.0).to_numpy(dtype=np.float64)
    ratios = np.where(ratios > 0, ratios, 1.0)
    from_here = np.cumprod(ratios[::-1])[::-1]
    return np.append(from_here[1:], 1.0)


def _in_window(
    labels: pd.DatetimeIndex,
    timeframe: Timeframe,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    keep = np.ones(len(labels), dtype=bool)
    if start is not None:
        if not timeframe.is_intraday:
            start = period_start(start, timeframe)
        keep &= labels >= start
    if end is not None:
        keep &= labels <= end
    return keep


def _span(start: pd.Timestamp | None, end: pd.Timestamp | None) -> str:
    text = f" from {start}" if start is not None else ""
    return text + (f" to {end}" if end is not None else "")


def _translate(error: Exception, symbol: Symbol, ticker: str) -> VibeTradingError:
    errors = _yfinance().exceptions
    name = YFinanceProvider.name
    if isinstance(error, errors.YFRateLimitError):
        return TemporaryProviderError(
            name, "Yahoo Finance is rate-limiting requests (HTTP 429); retry in a few minutes."
        )
    if isinstance(error, errors.YFTzMissingError):
        return UnknownSymbol(f"Yahoo Finance does not know {ticker} ({symbol.code}).")
    if isinstance(error, errors.YFPricesMissingError):
        reason = str(error.yahoo_reason or "")
        if "delisted" in reason.lower() or "not found" in reason.lower():
            return UnknownSymbol(f"Yahoo Finance does not know {ticker} ({symbol.code}).")
        return EmptyData(f"Yahoo Finance has no bars for {ticker} in that range. {reason}".strip())
    if isinstance(error, errors.YFDataException) and "DOWN" in str(error):
        return TemporaryProviderError(name, "Yahoo Finance is down; retry later.")
    if isinstance(error, ValueError) and "json" in type(error).__name__.lower():
        return TemporaryProviderError(name, "Yahoo Finance sent a reply that is not JSON.")
    if isinstance(error, OSError):  # curl_cffi's and requests' errors are OSErrors
        return TemporaryProviderError(name, f"cannot reach {_HOST} ({network_cause(error)}).")
    return ProviderError(name, f"Yahoo Finance request for {ticker} failed: {error}")
