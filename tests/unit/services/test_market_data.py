import pandas as pd
import pytest

from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.adapters.providers.files import read_bar_file_lines
from vibetrading.adapters.store.cache import MemoryBarCache
from vibetrading.adapters.store.parquet_store import ParquetBarStore
from vibetrading.errors import ConfigError, CorruptData, EmptyData, UnknownSymbol
from vibetrading.services.market_data import MarketDataService
from vibetrading.testing import FakeProvider, InMemoryBarStore, make_bars

CLOCK = pd.Timestamp("2026-01-01", tz="UTC")


def build(store=None, frames=None, **kwargs):
    fake = FakeProvider(frames or {"AAPL": make_bars(300, start="2023-01-02")}, name="fake")
    service = MarketDataService(
        store=store or InMemoryBarStore(),
        providers={"sample": SampleProvider, "fake": lambda: fake},
        read_file=read_bar_file_lines,
        clock=lambda: CLOCK,
        **kwargs,
    )
    return service, fake


def test_load_bars_sample_spx_2008_matches_published_closes():
    service, _ = build()

    bars = service.load_bars("SPX", start="2008-01-01", end="2008-12-31")

    assert len(bars) == 253
    assert bars["close"].iloc[0] == 1447.160034
    assert bars["close"].iloc[-1] == 903.25
    assert bars.attrs == {
        "symbol": "SPX",
        "timeframe": "1d",
        "source": "sample",
        "synthetic": False,
        "adjusted": False,
    }


def test_load_bars_sample_hourly_resampled_to_daily():
    service, _ = build()

    daily = service.load_bars("EURUSD", timeframe="1d", start="2018-01-02", end="2018-01-02")
    hourly = service.load_bars("EURUSD", timeframe="1h", start="2018-01-02", end="2018-01-02")

    assert len(daily) == 1
    assert daily["high"].iloc[0] == hourly["high"].max()


def test_load_bars_finer_than_available_explains():
    service, _ = build()

    with pytest.raises(EmptyData, match="only available as 1d"):
        service.load_bars("SPX", timeframe="1h")


def test_load_bars_unknown_symbol_suggests_and_explains():
    service, _ = build()

    with pytest.raises(UnknownSymbol) as info:
        service.load_bars("APPL")

    assert "AAPL" in info.value.suggestions
    assert "data fetch APPL --provider yfinance" in str(info.value)


def test_load_bars_range_without_data_says_what_is_held():
    service, _ = build()

    with pytest.raises(EmptyData, match="sample holds 1999-01-04 to 2018-12-31"):
        service.load_bars("SPX", start="2020-01-01")


def test_fetch_stores_then_only_missing_ranges_requested():
    service, fake = build()
    service.fetch("AAPL", provider="fake", start="2023-03-01", end="2023-06-30")

    report = service.fetch("AAPL", provider="fake", start="2023-01-01", end="2023-08-31")

    assert len(fake.calls) == 3
    _, second_start, second_end = fake.calls[1]
    assert second_start == pd.Timestamp("2023-01-01", tz="UTC")
    assert second_end < pd.Timestamp("2023-03-01", tz="UTC")
    assert fake.calls[2][1] > pd.Timestamp("2023-06-30", tz="UTC")
    assert report.bars_added > 0
    assert report.bars_total == len(service.load_bars("AAPL"))


def test_fetch_held_range_fetches_nothing():
    service, fake = build()
    service.fetch("AAPL", provider="fake", start="2023-03-01", end="2023-06-30")

    report = service.fetch("AAPL", provider="fake", start="2023-03-01", end="2023-06-30")

    assert len(fake.calls) == 1
    assert report.notes == ["already stored: nothing to fetch"]


def test_load_bars_adjusted_by_default_raw_on_request():
    bars = make_bars(10, start="2023-01-02")
    factor = pd.Series(0.5, index=bars.index)
    service, fake = build(frames={"AAPL": bars})
    fake.adj_factors["AAPL"] = factor
    service.fetch("AAPL", provider="fake")

    adjusted = service.load_bars("AAPL")
    raw = service.load_bars("AAPL", adjusted=False)

    assert adjusted["close"].iloc[0] == pytest.approx(raw["close"].iloc[0] * 0.5)
    assert adjusted.attrs["adjusted"] is True
    assert raw.attrs["adjusted"] is False


def test_load_bars_provider_named_fetches_through_store():
    service, fake = build()

    bars = service.load_bars("AAPL", provider="fake", start="2023-02-01", end="2023-02-28")

    assert len(fake.calls) == 1
    assert bars.index[0] >= pd.Timestamp("2023-02-01", tz="UTC")
    assert service.store.info("AAPL", service_timeframe()) is not None


def service_timeframe():
    from vibetrading.domain.data import Timeframe

    return Timeframe.D1


def test_load_bars_corrupt_fetched_file_refetched(tmp_path):
    service, fake = build(store=ParquetBarStore(tmp_path))
    stored = service.fetch("AAPL", provider="fake").bars_total
    path = tmp_path / "AAPL" / "1d.parquet"
    path.write_bytes(path.read_bytes()[:-50])

    bars = service.load_bars("AAPL")

    assert len(bars) == stored == 287  # 300 business days less 13 NYSE holidays
    assert len(fake.calls) == 2


def test_load_bars_corrupt_import_reported_not_used(tmp_path):
    service, _ = build(store=ParquetBarStore(tmp_path / "bars"))
    csv = tmp_path / "mine.csv"
    make_bars(20).rename_axis("timestamp").to_csv(csv)
    service.import_file(csv, symbol="MYSERIES")
    path = tmp_path / "bars" / "MYSERIES" / "1d.parquet"
    path.write_bytes(b"garbage" + path.read_bytes()[7:])

    with pytest.raises(CorruptData, match="import the file again"):
        service.load_bars("MYSERIES")


def test_import_file_generic_name_cleaned_and_loadable(tmp_path):
    service, _ = build()
    bars = make_bars(20)
    bars.iloc[3, 3] = -5.0
    csv = tmp_path / "mine.csv"
    bars.rename_axis("Date").to_csv(csv)

    report = service.import_file(csv, symbol="my series")
    loaded = service.load_bars("my series")

    assert report.symbol == "MY SERIES"
    assert report.timeframe == "1d"
    assert report.cleaning.non_positive_dropped == 1
    assert len(loaded) == 19
    assert any(listing.symbol == "MY SERIES" for listing in service.list_symbols())


def test_import_file_market_symbol_sessions_enforced(tmp_path):
    service, _ = build()
    bars = make_bars(10, start="2024-12-20", freq="D")
    csv = tmp_path / "aapl.csv"
    bars.to_csv(csv)

    report = service.import_file(csv, symbol="aapl")

    assert report.symbol == "AAPL"
    assert report.cleaning.outside_sessions_dropped == 5  # two weekends and Christmas Day
    assert report.replaced is None


def test_load_bars_cache_serves_second_call():
    cache = MemoryBarCache()
    service, _ = build(cache=cache)

    first = service.load_bars("SPX", start="2010-01-01", end="2010-12-31")
    second = service.load_bars("SPX", start="2010-01-01", end="2010-12-31")

    assert len(cache._items) == 1
    pd.testing.assert_frame_equal(first, second)
    assert second.attrs["symbol"] == "SPX"


def test_provider_unknown_name_lists_choices():
    service, _ = build()

    with pytest.raises(ConfigError, match="sample, fake"):
        service.fetch("AAPL", provider="bloomberg")


def test_list_symbols_stored_before_samples():
    service, _ = build()
    service.fetch("AAPL", provider="fake")

    symbols = [listing.symbol for listing in service.list_symbols()]

    assert symbols[0] == "AAPL"
    assert {"SPX", "IXIC", "VIX", "GOOG", "EURUSD", "BTC/USD"} <= set(symbols)
