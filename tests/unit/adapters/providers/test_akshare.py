"""AkshareProvider on recorded frames in ``akshare.stock_zh_a_hist``'s format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import requests

from vibetrading.adapters.providers.akshare import AkshareProvider
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
MOUTAI = Symbol.parse("600519.SH")


def load_history(name: str) -> pd.DataFrame:
    frame = pd.read_csv(PAYLOADS / name, comment="#", dtype={"股票代码": str})
    frame["日期"] = pd.to_datetime(frame["日期"]).dt.date  # akshare returns datetime.date
    return frame


class RecordedEastmoney:
    """Answer like stock_zh_a_hist from recorded frames keyed by (period, adjust).

    Rows are filtered by start_date and end_date as Eastmoney does; any other code than the
    recorded one gets the empty frame akshare returns for a code Eastmoney does not know.
    """

    def __init__(self, code: str, frames: dict[tuple[str, str], pd.DataFrame]) -> None:
        self.code = code
        self.frames = frames
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **request: Any) -> pd.DataFrame:
        self.calls.append(request)
        frame = self.frames.get((request["period"], request["adjust"]))
        if request["symbol"] != self.code or frame is None:
            return pd.DataFrame()
        dates = pd.to_datetime(frame["日期"])
        first = pd.Timestamp(request["start_date"])
        last = pd.Timestamp(request["end_date"])
        return frame[(dates >= first) & (dates <= last)].reset_index(drop=True)


def recorded_moutai() -> RecordedEastmoney:
    raw = load_history("akshare_600519_daily.csv")
    return RecordedEastmoney(
        "600519",
        {
            ("daily", ""): raw,
            ("daily", "hfq"): load_history("akshare_600519_daily_hfq.csv"),
            ("monthly", ""): raw.iloc[[-2]],
        },
    )


def failing_fetch(error: Exception) -> Any:
    def fetch(**request: Any) -> pd.DataFrame:
        raise error

    return fetch


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_akshare_provider_daily_bars_convert_lots_to_shares() -> None:
    provider = AkshareProvider(recorded_moutai())

    bars = provider.fetch_bars(MOUTAI, timeframe=Timeframe.D1).bars

    assert bars.loc[utc("2023-06-26")].tolist() == [1700.0, 1708.0, 1680.0, 1683.0, 2_450_100.0]
    assert len(bars) == 6


def test_akshare_provider_daily_bars_labels_session_date_utc() -> None:
    provider = AkshareProvider(recorded_moutai())

    bars = provider.fetch_bars(MOUTAI, timeframe=Timeframe.D1).bars

    assert bars.index[0] == utc("2023-06-26")
    assert bars.index[-1] == utc("2023-07-03")
    assert bars.index.name == "timestamp"


def test_akshare_provider_adj_factor_reproduces_back_adjusted_close() -> None:
    provider = AkshareProvider(recorded_moutai())
    hfq = load_history("akshare_600519_daily_hfq.csv")

    fetched = provider.fetch_bars(MOUTAI, timeframe=Timeframe.D1)

    adjusted = adjust_bars(fetched.bars, fetched.adj_factor)
    np.testing.assert_allclose(adjusted["close"].to_numpy(), hfq["收盘"].to_numpy())
    assert fetched.adj_factor is not None
    assert fetched.adj_factor[utc("2023-06-29")] == pytest.approx(8.0)
    assert fetched.adj_factor[utc("2023-06-30")] == pytest.approx(8.123, rel=1e-5)


def test_akshare_provider_range_requests_raw_then_back_adjusted_prices() -> None:
    eastmoney = recorded_moutai()
    provider = AkshareProvider(eastmoney, timeout_s=4.0)

    bars = provider.fetch_bars(
        MOUTAI, timeframe=Timeframe.D1, start=utc("2023-06-27"), end=utc("2023-06-29")
    ).bars

    request = {
        "symbol": "600519",
        "period": "daily",
        "start_date": "20230627",
        "end_date": "20230629",
        "timeout": 4.0,
    }
    assert eastmoney.calls == [{**request, "adjust": ""}, {**request, "adjust": "hfq"}]
    assert list(bars.index) == [utc("2023-06-27"), utc("2023-06-28"), utc("2023-06-29")]


def test_akshare_provider_weekly_bars_labels_first_session_of_week() -> None:
    weekly = load_history("akshare_600519_weekly.csv")
    eastmoney = RecordedEastmoney("600519", {("weekly", ""): weekly, ("weekly", "hfq"): weekly})
    provider = AkshareProvider(eastmoney)

    fetched = provider.fetch_bars(
        MOUTAI, timeframe=Timeframe.W1, start=utc("2024-06-05"), end=utc("2024-06-12")
    )

    assert list(fetched.bars.index) == [utc("2024-06-03"), utc("2024-06-11")]
    assert eastmoney.calls[0]["start_date"] == "20240603"
    assert eastmoney.calls[0]["end_date"] == "20240616"


def test_akshare_provider_progress_reports_both_requests() -> None:
    provider = AkshareProvider(recorded_moutai())
    reports: list[tuple[float, str]] = []

    provider.fetch_bars(
        MOUTAI,
        timeframe=Timeframe.D1,
        progress=lambda fraction, text: reports.append((fraction, text)),
    )

    assert [fraction for fraction, _ in reports] == [0.5, 1.0]
    assert reports[-1][1] == "600519.SH: 6 bars"


def test_akshare_provider_intraday_timeframe_raises_config_error() -> None:
    eastmoney = recorded_moutai()
    provider = AkshareProvider(eastmoney)

    with pytest.raises(ConfigError, match="1h"):
        provider.fetch_bars(MOUTAI, timeframe=Timeframe.H1)

    assert eastmoney.calls == []


def test_akshare_provider_hong_kong_symbol_raises_unknown_symbol() -> None:
    provider = AkshareProvider(recorded_moutai())

    with pytest.raises(UnknownSymbol, match="akshare provider serves China A-shares"):
        provider.fetch_bars(Symbol.parse("0700.HK"), timeframe=Timeframe.D1)


def test_akshare_provider_code_eastmoney_lacks_raises_unknown_symbol() -> None:
    provider = AkshareProvider(recorded_moutai())

    with pytest.raises(UnknownSymbol, match=r"601999\.SH"):
        provider.fetch_bars(Symbol.parse("601999.SH"), timeframe=Timeframe.D1)


def test_akshare_provider_range_without_bars_raises_empty_data() -> None:
    provider = AkshareProvider(recorded_moutai())

    with pytest.raises(EmptyData, match="20300101"):
        provider.fetch_bars(
            MOUTAI, timeframe=Timeframe.D1, start=utc("2030-01-01"), end=utc("2030-01-31")
        )


def test_akshare_provider_offline_raises_temporary_provider_error() -> None:
    # What stock_zh_a_hist raises without a network: requests cannot resolve Eastmoney.
    error = requests.exceptions.ConnectionError(
        "HTTPSConnectionPool(host='push2his.eastmoney.com', port=443): Max retries exceeded "
        "(Caused by NameResolutionError(\"Failed to resolve 'push2his.eastmoney.com' "
        '([Errno -2] Name or service not known)"))'
    )
    provider = AkshareProvider(failing_fetch(error))

    with pytest.raises(TemporaryProviderError) as caught:
        provider.fetch_bars(MOUTAI, timeframe=Timeframe.D1)

    assert str(caught.value) == (
        "akshare: cannot reach push2his.eastmoney.com "
        "(network unreachable: the host name does not resolve)."
    )
    assert caught.value.__cause__ is error


def test_akshare_provider_timeout_raises_temporary_provider_error() -> None:
    provider = AkshareProvider(failing_fetch(requests.exceptions.ReadTimeout("read timed out")))

    with pytest.raises(TemporaryProviderError, match="did not answer within 10 s"):
        provider.fetch_bars(MOUTAI, timeframe=Timeframe.D1)


def test_akshare_provider_reply_not_json_raises_temporary_provider_error() -> None:
    error = requests.exceptions.JSONDecodeError("Expecting value", "<html>busy</html>", 0)
    provider = AkshareProvider(failing_fetch(error))

    with pytest.raises(TemporaryProviderError, match="not JSON"):
        provider.fetch_bars(MOUTAI, timeframe=Timeframe.D1)


def test_akshare_provider_unexpected_payload_raises_provider_error() -> None:
    provider = AkshareProvider(failing_fetch(KeyError("klines")))

    with pytest.raises(ProviderError, match="akshare may need an update") as caught:
        provider.fetch_bars(MOUTAI, timeframe=Timeframe.D1)

    assert not isinstance(caught.value, TemporaryProviderError)


def test_akshare_provider_list_symbols_returns_empty() -> None:
    provider = AkshareProvider(recorded_moutai())

    listings = provider.list_symbols()

    assert listings == []
