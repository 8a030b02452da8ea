"""The ``akshare`` provider: China A-share history from Eastmoney through ``akshare``.

Calls ``akshare.stock_zh_a_hist`` twice: unadjusted (``adjust=""``) for the bars and
back-adjusted (``adjust="hfq"``) for ``adj_factor = hfq close / raw close``. Back-adjusted
prices are anchored at the listing date, so the factor of a past bar never changes when a
later dividend is paid and the factor stays positive (forward-adjusted prices of old bars
can turn negative). Volumes arrive in lots of 100 shares and are returned in shares.
Weekly and monthly bars, dated by Eastmoney at their last session, are labelled by their
first session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

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

__all__ = ["AkshareHistory", "AkshareProvider"]

AkshareHistory = Callable[..., pd.DataFrame]
"""Fetch history as ``akshare.stock_zh_a_hist`` does, called with the keywords ``symbol``,
``period``, ``start_date``, ``end_date``, ``adjust`` and ``timeout``.

The frame has the Chinese columns 日期 (date), 开盘 (open), 收盘 (close), 最高 (high),
最低 (low), 成交量 (volume in lots of 100 shares), 成交额 (turnover), ...
"""

_HOST = "push2his.eastmoney.com"
_PERIODS = {Timeframe.D1: "daily", Timeframe.W1: "weekly", Timeframe.MN1: "monthly"}
_COLUMNS = {"开盘": "open", "最高": "high", "最低": "low", "收盘": "close", "成交量": "volume"}
_SHARES_PER_LOT = 100.0
_FIRST_DAY = "19700101"
_LAST_DAY = "20500101"


class AkshareProvider:
    """Fetch daily, weekly and monthly A-share bars (``600519.SH``, ``000001.SZ``) via akshare.

    `fetch` replaces the network call (tests pass a function returning recorded frames); by
    default it is ``akshare.stock_zh_a_hist``, imported on first use because importing
    akshare takes seconds. `timeout_s` bounds each HTTP request. Example (needs the
    network)::

        provider = AkshareProvider()
        fetched = provider.fetch_bars(
            Symbol.parse("600519.SH"), timeframe=Timeframe.D1, start=pd.Timestamp("2024-01-02")
        )
    """

    name = "akshare"

    def __init__(self, fetch: AkshareHistory | None = None, *, timeout_s: float = 10.0) -> None:
        self._fetch = fetch
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
        """Return raw bars for the A-share `symbol` between `start` and `end` (inclusive, UTC).

        Raises UnknownSymbol for a symbol outside Shanghai and Shenzhen or unknown to
        Eastmoney, ConfigError for intraday timeframes, EmptyData for a range without bars
        and TemporaryProviderError when Eastmoney cannot be reached.
        """
        if symbol.market not in (Market.SH, Market.SZ):
            raise UnknownSymbol(
                f"The {self.name} provider serves China A-shares such as 600519.SH and "
                f"000001.SZ; {symbol.code} is a {symbol.market.value} symbol."
            )
        period = _PERIODS.get(timeframe)
        if period is None:
            raise ConfigError(f"akshare has no {timeframe.value} bars; use one of 1d, 1w or 1M.")
        code = symbol.code.split(".")[0]
        first = period_start(utc(start), timeframe)
        last = utc(end)
        request = {
            "symbol": code,
            "period": period,
            "start_date": first.strftime("%Y%m%d") if first is not None else _FIRST_DAY,
            # Eastmoney dates a week or month by its last session: ask to the period's end.
            "end_date": _period_end(last, timeframe).strftime("%Y%m%d") if last else _LAST_DAY,
            "timeout": self.timeout_s,
        }
        raw = self._call(request, adjust="")
        if len(raw) == 0:
            self._raise_no_bars(symbol, request, timeframe)
        if progress is not None:
            progress(0.5, f"{symbol.code}: {len(raw)} bars, fetching adjustments")
        adjusted = self._call(request, adjust="hfq")
        bars, adj_factor = _to_bars(raw, adjusted, timeframe, symbol)
        keep = np.ones(len(bars), dtype=bool)
        if first is not None:
            keep &= bars.index >= first
        if last is not None:
            keep &= bars.index <= last
        bars, adj_factor = bars[keep], adj_factor[keep]
        if len(bars) == 0:
            raise EmptyData(
                f"Eastmoney has no {timeframe.value} bars for {symbol.code} in that range."
            )
        if progress is not None:
            progress(1.0, f"{symbol.code}: {len(bars)} bars")
        return FetchedBars(bars=check_bars(bars), source=self.name, adj_factor=adj_factor)

    def list_symbols(self) -> list[SymbolListing]:
        """Return no listings: Eastmoney's symbols are only known online."""
        return []

    def _call(self, request: dict[str, Any], *, adjust: str) -> pd.DataFrame:
        fetch = self._fetch or _akshare().stock_zh_a_hist
        try:
            frame = fetch(**request, adjust=adjust)
        except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
            raise _translate(e, self.timeout_s) from e
        return frame if frame is not None else pd.DataFrame()

    def _raise_no_bars(
        self, symbol: Symbol, request: dict[str, Any], timeframe: Timeframe
    ) -> NoReturn:
        # Eastmoney answers an unknown code and an empty range alike; a listed code has
        # monthly bars over all time.
        probe = {**request, "period": "monthly", "start_date": _FIRST_DAY, "end_date": _LAST_DAY}
        if len(self._call(probe, adjust="")) == 0:
            raise UnknownSymbol(f"Eastmoney does not know the A-share {symbol.code}.")
        raise EmptyData(
            f"Eastmoney has no {timeframe.value} bars for {symbol.code} between "
            f"{request['start_date']} and {request['end_date']}."
        )


def _akshare() -> Any:
    try:
        import akshare
    except ImportError as e:
        raise ConfigError(
            "The akshare provider needs the package 'akshare': "
            "pip install 'vibetrading[providers]'."
        ) from e
    return akshare


def _period_end(value: pd.Timestamp, timeframe: Timeframe) -> pd.Timestamp:
    day = value.normalize()
    if timeframe is Timeframe.W1:
        return day + pd.Timedelta(days=6 - day.day_of_week)
    return day + pd.offsets.MonthEnd(0) if timeframe is Timeframe.MN1 else day


def _to_bars(
    raw: pd.DataFrame, adjusted: pd.DataFrame, timeframe: Timeframe, symbol: Symbol
) -> tuple[pd.DataFrame, pd.Series]:
    days = pd.DatetimeIndex(pd.to_datetime(raw["日期"])).normalize()
    labels = session_labels(days, timeframe, symbol)
    bars = pd.DataFrame(
        {
            name: pd.to_numeric(raw[column]).to_numpy(dtype=np.float64)
            for column, name in _COLUMNS.items()
        },
        index=labels,
    )
    bars["volume"] *= _SHARES_PER_LOT
    if len(adjusted) > 0:
        adjusted_close = pd.Series(
            pd.to_numeric(adjusted["收盘"]).to_numpy(dtype=np.float64),
            index=pd.DatetimeIndex(pd.to_datetime(adjusted["日期"])).normalize(),
        )
        adjusted_close = adjusted_close[~adjusted_close.index.duplicated(keep="last")]
        factor = adjusted_close.reindex(days).to_numpy() / bars["close"].to_numpy()
    else:
        factor = np.full(len(bars), np.nan)
    adj_factor = pd.Series(factor, index=labels, name="adj_factor").ffill().fillna(1.0)
    bars = bars.dropna(subset=["open", "high", "low", "close"])
    adj_factor = adj_factor.reindex(bars.index)
    keep = ~bars.index.duplicated(keep="last")
    return bars[keep].sort_index(), adj_factor[keep].sort_index()


def _translate(error: Exception, timeout_s: float) -> VibeTradingError:
    import requests

    name = AkshareProvider.name
    if isinstance(error, ValueError) and "json" in type(error).__name__.lower():
        return TemporaryProviderError(
            name,
            "Eastmoney sent a reply that is not JSON (down or limiting requests); retry later.",
        )
    if isinstance(error, requests.Timeout):
        return TemporaryProviderError(name, f"{_HOST} did not answer within {timeout_s:g} s.")
    if isinstance(error, requests.HTTPError) and error.response is not None:
        status = error.response.status_code
        if status == 429 or status >= 500:
            return TemporaryProviderError(name, f"{_HOST} answered HTTP {status}; retry later.")
        return ProviderError(name, f"{_HOST} answered HTTP {status}.")
    if isinstance(error, OSError):  # requests' connection errors are OSErrors
        return TemporaryProviderError(name, f"cannot reach {_HOST} ({network_cause(error)}).")
    return ProviderError(
        name,
        f"unexpected reply from Eastmoney ({type(error).__name__}: {error}); "
        "akshare may need an update.",
    )
