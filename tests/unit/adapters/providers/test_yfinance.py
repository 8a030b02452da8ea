"""YFinanceProvider on recorded frames in yfinance's ``Ticker.history`` format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from curl_cffi.const import CurlECode
from curl_cffi.requests.exceptions import DNSError
from yfinance import exceptions as yf_errors

from vibetrading.adapters.providers.yfinance import YFinanceProvider, yahoo_ticker
from vibetrading.domain.data import Timeframe, adjust_bars
from vibetrading.domain.trading import Symbol
from vibetrading.errors import (
    ConfigError,
    EmptyData,
    ProviderError,
    TemporaryProviderError,
    UnknownSymbol,
)

PAYLOADS = Path(__file__).parents[3] / "fixtures" / "payloads"


def load_history(name: str, tz: str) -> pd.DataFrame:
    frame = pd.read_csv(PAYLOADS / name, comment="#", index_col=0)
    frame.index = pd.to_datetime(frame.index, utc=True).tz_convert(tz)
    return frame


class RecordedHistory:
    """Answer every call with one recorded frame, and remember the calls."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, ticker: str, **options: Any) -> pd.DataFrame:
        self.calls.append((ticker, options))
        return self.frame.copy()


def failing_history(error: Exception) -> Any:
    def history(ticker: str, **options: Any) -> pd.DataFrame:
        raise error

    return history


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_yfinance_provider_split_in_range_returns_raw_prices() -> None:
    provider = YFinanceProvider(
        RecordedHistory(load_history("yfinance_aapl_1d.csv", "America/New_York"))
    )

    fetched = provider.fetch_bars(Symbol.parse("AAPL"), timeframe=Timeframe.D1)

    bars = fetched.bars
    assert bars.loc[utc("2020-08-28"), "close"] == pytest.approx(124.81 * 4)
    assert bars.loc[utc("2020-08-28"), "volume"] == pytest.approx(187630000 / 4)
    assert bars.loc[utc("2020-08-31"), "close"] == pytest.approx(129.04)
    assert bars.loc[utc("2020-08-31"), "volume"] == pytest.approx(225702700)
    assert fetched.source == "yfinance"


def test_yfinance_provider_adj_factor_reproduces_adj_close() -> None:
    frame = load_history("yfinance_aapl_1d.csv", "America/New_York")
    provider = YFinanceProvider(RecordedHistory(frame))

    fetched = provider.fetch_bars(Symbol.parse("AAPL"), timeframe=Timeframe.D1)

    adjusted = adjust_bars(fetched.bars, fetched.adj_factor)
    np.testing.assert_allclose(adjusted["close"].to_numpy(), frame["Adj Close"].to_numpy())
    np.testing.assert_allclose(
        adjusted["volume"].to_numpy(), frame["Volume"].to_numpy() / 0.9712, rtol=1e-5
    )
    assert fetched.adj_factor is not None
    assert fetched.adj_factor.index.equals(fetched.bars.index)


def test_yfinance_provider_daily_hong_kong_bars_labels_local_session_date() -> None:
    history = RecordedHistory(load_history("yfinance_0700hk_1d.csv", "Asia/Hong_Kong"))
    provider = YFinanceProvider(history)

    bars = provider.fetch_bars(Symbol.parse("0700.HK"), timeframe=Timeframe.D1).bars

    assert list(bars.index) == [utc("2024-03-27"), utc("2024-03-28"), utc("2024-04-02")]
    assert str(bars.index.tz) == "UTC"
    assert bars.index.name == "timestamp"


def test_yfinance_provider_hourly_bars_labels_open_time_in_utc() -> None:
    history = RecordedHistory(load_history("yfinance_0700hk_1h.csv", "Asia/Hong_Kong"))
    provider = YFinanceProvider(history)

    bars = provider.fetch_bars(Symbol.parse("0700.HK"), timeframe=Timeframe.H1).bars

    assert bars.index[0] == utc("2024-03-01 01:30")
    assert bars.index[-1] == utc("2024-03-01 05:00")
    assert bars["volume"].iloc[0] == 3968422.0


def test_yfinance_provider_weekly_bars_labels_first_session_of_week() -> None:
    history = RecordedHistory(load_history("yfinance_0700hk_1wk.csv", "Asia/Hong_Kong"))
    provider = YFinanceProvider(history)

    bars = provider.fetch_bars(Symbol.parse("0700.HK"), timeframe=Timeframe.W1).bars

    assert list(bars.index) == [utc("2024-03-25"), utc("2024-04-02")]


def test_yfinance_provider_daily_range_fetches_to_today_and_keeps_range() -> None:
    history = RecordedHistory(load_history("yfinance_aapl_1d.csv", "America/New_York"))
    provider = YFinanceProvider(history, timeout_s=3.0)

    fetched = provider.fetch_bars(
        Symbol.parse("AAPL"), timeframe=Timeframe.D1, start=utc("2020-08-26"), end=utc("2020-08-28")
    )

    ticker, options = history.calls[0]
    assert ticker == "AAPL"
    assert options == {
        "interval": "1d",
        "auto_adjust": False,
        "actions": True,
        "timeout": 3.0,
        "start": "2020-08-26",
    }
    assert list(fetched.bars.index) == [utc("2020-08-26"), utc("2020-08-27"), utc("2020-08-28")]
    assert fetched.bars["close"].iloc[-1] == pytest.approx(124.81 * 4)


def test_yfinance_provider_intraday_range_passes_exclusive_end() -> None:
    history = RecordedHistory(load_history("yfinance_0700hk_1h.csv", "Asia/Hong_Kong"))
    provider = YFinanceProvider(history)

    bars = provider.fetch_bars(
        Symbol.parse("0700.HK"),
        timeframe=Timeframe.H1,
        start=utc("2024-03-01 02:30"),
        end=utc("2024-03-01 03:30"),
    ).bars

    options = history.calls[0][1]
    assert options["start"] == utc("2024-03-01 02:30")
    assert options["end"] == utc("2024-03-01 03:30:01")
    assert list(bars.index) == [utc("2024-03-01 02:30"), utc("2024-03-01 03:30")]


def test_yfinance_provider_no_start_asks_for_full_history() -> None:
    history = RecordedHistory(load_history("yfinance_aapl_1d.csv", "America/New_York"))
    provider = YFinanceProvider(history)

    provider.fetch_bars(Symbol.parse("AAPL"), timeframe=Timeframe.D1)

    assert history.calls[0][1]["period"] == "max"


@pytest.mark.parametrize(
    ("text", "ticker"),
    [
        ("AAPL", "AAPL"),
        ("BRK.B", "BRK-B"),
        ("SPX", "^GSPC"),
        ("0700.HK", "0700.HK"),
        ("600519.SH", "600519.SS"),
        ("000001.SZ", "000001.SZ"),
        ("BTC/USD", "BTC-USD"),
        ("EURUSD", "EURUSD=X"),
    ],
    ids=["us", "us-class-share", "index", "hong-kong", "shanghai", "shenzhen", "crypto", "fx"],
)
def test_yahoo_ticker_canonical_symbol_maps_to_yahoo_code(text: str, ticker: str) -> None:
    symbol = Symbol.parse(text)

    result = yahoo_ticker(symbol)

    assert result == ticker


def test_yfinance_provider_four_hour_timeframe_raises_config_error() -> None:
    history = RecordedHistory(load_history("yfinance_0700hk_1h.csv", "Asia/Hong_Kong"))
    provider = YFinanceProvider(history)

    with pytest.raises(ConfigError, match="4h"):
        provider.fetch_bars(Symbol.parse("0700.HK"), timeframe=Timeframe.H4)

    assert history.calls == []


def test_yfinance_provider_offline_raises_temporary_provider_error() -> None:
    # What yfinance raises without a network: curl cannot resolve Yahoo's host.
    error = DNSError(
        "Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com.",
        CurlECode.COULDNT_RESOLVE_HOST,
    )
    provider = YFinanceProvider(failing_history(error))

    with pytest.raises(TemporaryProviderError) as caught:
        provider.fetch_bars(Symbol.parse("AAPL"), timeframe=Timeframe.D1)

    assert caught.value.provider == "yfinance"
    assert "cannot reach query2.finance.yahoo.com" in str(caught.value)
    assert "network unreachable" in str(caught.value)
    assert caught.value.__cause__ is error


def test_yfinance_provider_rate_limited_raises_temporary_provider_error() -> None:
    provider = YFinanceProvider(failing_history(yf_errors.YFRateLimitError()))

    with pytest.raises(TemporaryProviderError, match="429"):
        provider.fetch_bars(Symbol.parse("AAPL"), timeframe=Timeframe.D1)


def test_yfinance_provider_ticker_without_timezone_raises_unknown_symbol() -> None:
    provider = YFinanceProvider(failing_history(yf_errors.YFTzMissingError("NOSUCH")))

    with pytest.raises(UnknownSymbol, match="NOSUCH"):
        provider.fetch_bars(Symbol.parse("NOSUCH"), timeframe=Timeframe.D1)


def test_yfinance_provider_prices_missing_raises_empty_data() -> None:
    error = yf_errors.YFPricesMissingError("AAPL", "(1d 2030-01-01 -> 2030-02-01)")
    provider = YFinanceProvider(failing_history(error))

    with pytest.raises(EmptyData):
        provider.fetch_bars(Symbol.parse("AAPL"), timeframe=Timeframe.D1, start=utc("2030-01-01"))


def test_yfinance_provider_range_without_bars_raises_empty_data() -> None:
    history = RecordedHistory(load_history("yfinance_aapl_1d.csv", "America/New_York"))
    provider = YFinanceProvider(history)

    with pytest.raises(EmptyData, match="AAPL"):
        provider.fetch_bars(
            Symbol.parse("AAPL"),
            timeframe=Timeframe.D1,
            start=utc("2021-01-04"),
            end=utc("2021-01-08"),
        )


def test_yfinance_provider_other_library_error_raises_provider_error() -> None:
    provider = YFinanceProvider(failing_history(KeyError("chart")))

    with pytest.raises(ProviderError) as caught:
        provider.fetch_bars(Symbol.parse("AAPL"), timeframe=Timeframe.D1)

    assert not isinstance(caught.value, TemporaryProviderError)


def test_yfinance_provider_progress_reports_completion() -> None:
    provider = YFinanceProvider(
        RecordedHistory(load_history("yfinance_aapl_1d.csv", "America/New_York"))
    )
    reports: list[tuple[float, str]] = []

    provider.fetch_bars(
        Symbol.parse("AAPL"), timeframe=Timeframe.D1, progress=lambda f, t: reports.append((f, t))
    )

    assert reports == [(1.0, "AAPL: 8 bars")]


def test_yfinance_provider_list_symbols_returns_empty() -> None:
    provider = YFinanceProvider(RecordedHistory(pd.DataFrame()))

    listings = provider.list_symbols()

    assert listings == []
