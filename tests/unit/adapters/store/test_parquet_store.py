import pandas as pd
import pytest

from vibetrading.adapters.store.parquet_store import ParquetBarStore
from vibetrading.domain.data import FetchedBars, Timeframe
from vibetrading.errors import CorruptData
from vibetrading.testing import make_bars


@pytest.fixture
def store(tmp_path):
    return ParquetBarStore(tmp_path / "bars")


def test_parquet_store_round_trip_keeps_bars_factor_and_metadata(store):
    bars = make_bars(50)
    factor = pd.Series(0.9, index=bars.index)

    info = store.write("AAPL", Timeframe.D1, FetchedBars(bars, "yfinance", factor), fetched_at="t0")
    read = store.read("AAPL", Timeframe.D1)

    pd.testing.assert_frame_equal(read.bars, bars, check_freq=False)
    pd.testing.assert_series_equal(read.adj_factor, factor, check_names=False, check_freq=False)
    assert read.source == "yfinance"
    assert info.rows == 50
    assert info.adjustment == "raw+factor"
    assert info.fetched_at == "t0"
    assert len(info.sha256) == 64
    assert store.list()[0].symbol == "AAPL"


def test_parquet_store_range_read_filters_inclusive(store):
    bars = make_bars(30)
    store.write("X", Timeframe.D1, FetchedBars(bars, "csv"), fetched_at="t")

    read = store.read("X", Timeframe.D1, start=bars.index[5], end=bars.index[9])

    assert list(read.bars.index) == list(bars.index[5:10])


def test_parquet_store_crypto_symbol_uses_safe_folder(store, tmp_path):
    store.write("BTC/USDT", Timeframe.H1, FetchedBars(make_bars(3), "ccxt"), fetched_at="t")

    assert (tmp_path / "bars" / "BTC_USDT" / "1h.parquet").exists()
    assert store.info("BTC/USDT", Timeframe.H1).symbol == "BTC/USDT"


def test_parquet_store_missing_series_is_none(store):
    assert store.read("NOPE", Timeframe.D1) is None
    assert store.info("NOPE", Timeframe.D1) is None


def test_parquet_store_truncated_file_detected(store, tmp_path):
    store.write("X", Timeframe.D1, FetchedBars(make_bars(200), "csv"), fetched_at="t")
    path = tmp_path / "bars" / "X" / "1d.parquet"
    path.write_bytes(path.read_bytes()[:-100])

    with pytest.raises(CorruptData, match="size"):
        store.read("X", Timeframe.D1)


def test_parquet_store_flipped_byte_same_size_detected(store, tmp_path):
    store.write("X", Timeframe.D1, FetchedBars(make_bars(200), "csv"), fetched_at="t")
    path = tmp_path / "bars" / "X" / "1d.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    with pytest.raises(CorruptData, match="checksum"):
        store.read("X", Timeframe.D1)
    with pytest.raises(CorruptData):
        store.verify("X", Timeframe.D1)


def test_parquet_store_unreadable_sidecar_is_corrupt(store, tmp_path):
    store.write("X", Timeframe.D1, FetchedBars(make_bars(5), "csv"), fetched_at="t")
    (tmp_path / "bars" / "X" / "1d.meta.json").write_text("{not json")

    with pytest.raises(CorruptData, match="metadata"):
        store.read("X", Timeframe.D1)
    assert store.list() == []


def test_parquet_store_delete_removes_series(store):
    store.write("X", Timeframe.D1, FetchedBars(make_bars(5), "csv"), fetched_at="t")

    store.delete("X", Timeframe.D1)

    assert store.read("X", Timeframe.D1) is None
