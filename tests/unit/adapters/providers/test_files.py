import pandas as pd
import pytest

from vibetrading.adapters.providers.files import BarFileReader, read_bar_file, read_signal_file
from vibetrading.errors import DataError, EmptyData, NotFound


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_read_bar_file_exchange_format_read_exactly(tmp_path):
    path = write(
        tmp_path,
        "bars.csv",
        "timestamp,open,high,low,close,volume\n"
        "2024-01-02,1,2,0.5,1.5,100\n2024-01-03,1.5,2.5,1,2,200\n",
    )

    frame, detection = read_bar_file(path)

    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert frame.index[0] == pd.Timestamp("2024-01-02", tz="UTC")
    assert frame["close"].tolist() == [1.5, 2.0]
    assert detection.ignored_columns == []


def test_read_bar_file_yahoo_style_columns_detected(tmp_path):
    path = write(
        tmp_path,
        "yahoo.csv",
        "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,2,0.5,1.5,1.4,100\n",
    )

    frame, detection = read_bar_file(path)

    assert detection.columns["close"] == "Close"
    assert detection.ignored_columns == ["Adj Close"]
    assert frame["close"].iloc[0] == 1.5


def test_read_bar_file_chinese_columns_semicolons_detected(tmp_path):
    path = write(
        tmp_path, "a.csv", "日期;开盘;最高;最低;收盘;成交量\n2024-01-02;10;11;9;10.5;1000\n"
    )

    frame, detection = read_bar_file(path)

    assert detection.columns == {
        "timestamp": "日期",
        "open": "开盘",
        "high": "最高",
        "low": "最低",
        "close": "收盘",
        "volume": "成交量",
    }
    assert frame["high"].iloc[0] == 11.0


@pytest.mark.parametrize(
    ("stamp", "unit"),
    [(1704153600, "s"), (1704153600000, "ms"), (1704153600000000, "us")],
    ids=["seconds", "milliseconds", "microseconds"],
)
def test_read_bar_file_epoch_units_detected(tmp_path, stamp, unit):
    path = write(tmp_path, "e.csv", f"open_time,o,h,l,c,v\n{stamp},1,2,0.5,1.5,10\n")

    frame, detection = read_bar_file(path)

    assert frame.index[0] == pd.Timestamp("2024-01-02", tz="UTC")
    assert detection.timestamp_format == f"Unix epoch in {unit}"


def test_read_bar_file_close_only_fills_and_reports(tmp_path):
    path = write(tmp_path, "c.csv", "date,price\n20240102,5\n20240103,6\n")

    frame, detection = read_bar_file(path)

    assert frame["open"].tolist() == [5.0, 6.0]
    assert frame["volume"].tolist() == [0.0, 0.0]
    assert "no volume column: volume set to 0" in detection.lines()
    assert detection.timestamp_format == "dates written as YYYYMMDD"


def test_read_bar_file_timezone_for_naive_times(tmp_path):
    path = write(tmp_path, "t.csv", "datetime,close\n2024-01-02 09:30,1\n")

    frame, _ = read_bar_file(path, timezone="America/New_York")

    assert frame.index[0] == pd.Timestamp("2024-01-02 14:30", tz="UTC")


def test_read_bar_file_parquet_supported(tmp_path):
    source = pd.DataFrame({"Date": pd.to_datetime(["2024-01-02"]), "Close": [3.0]})
    path = tmp_path / "p.parquet"
    source.to_parquet(path)

    frame, _ = read_bar_file(path)

    assert frame["close"].iloc[0] == 3.0


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("a,b\n1,2\n", DataError, "could not find"),
        ("timestamp,close\n", EmptyData, "no rows"),
        ("timestamp,close\nnot-a-date,1\n", DataError, "unreadable timestamps"),
    ],
    ids=["no-columns", "empty", "bad-dates"],
)
def test_read_bar_file_bad_files_clear_errors(tmp_path, text, error, message):
    with pytest.raises(error, match=message):
        read_bar_file(write(tmp_path, "bad.csv", text))


def test_read_bar_file_missing_file_not_found(tmp_path):
    with pytest.raises(NotFound):
        read_bar_file(tmp_path / "nope.csv")


def test_bar_file_reader_provider_shape(tmp_path):
    path = write(tmp_path, "x.csv", "timestamp,close\n2024-01-02,1\n")

    fetched = BarFileReader(path).fetch_bars(None, timeframe=None)

    assert fetched.source == "csv:x.csv"
    assert BarFileReader(path).list_symbols() == []


def test_read_signal_file_zero_one_and_words_read_as_bool(tmp_path):
    path = write(tmp_path, "s.csv", "timestamp,entry,exit\n2024-01-03,0,true\n2024-01-02,1,0\n")

    frame = read_signal_file(path)

    assert frame.index[0] == pd.Timestamp("2024-01-02", tz="UTC")
    assert frame["entry"].tolist() == [True, False]
    assert frame["exit"].tolist() == [False, True]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("timestamp,entry\n2024-01-02,1\n", "missing: exit"),
        ("timestamp,entry,exit\n2024-01-02,yes,0\n", "use 0/1"),
    ],
    ids=["missing-column", "bad-value"],
)
def test_read_signal_file_bad_input_clear_error(tmp_path, text, message):
    with pytest.raises(DataError, match=message):
        read_signal_file(write(tmp_path, "s.csv", text))


def test_read_signal_file_missing_file_not_found(tmp_path):
    with pytest.raises(NotFound):
        read_signal_file(tmp_path / "none.csv")
