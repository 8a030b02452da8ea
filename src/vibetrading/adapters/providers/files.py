"""The ``csv`` and ``parquet`` providers: read a user's own bar file.

Column names are detected in English and Chinese and in the usual spellings of data
vendors (``Date``, ``datetime``, ``open_time``, ``Adj Close``, ``vol``, ``日期``, ``收盘``, ...);
timestamps may be dates, date-times or Unix epochs in seconds, milliseconds, microseconds
or nanoseconds. Naive times are read as UTC unless a timezone is given.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vibetrading.domain.data import FetchedBars, Timeframe
from vibetrading.errors import DataError, EmptyData, NotFound

__all__ = [
    "BarFileReader",
    "FileDetection",
    "read_bar_file",
    "read_bar_file_lines",
    "read_signal_file",
]

_ALIASES: dict[str, tuple[str, ...]] = {
    "timestamp": (
        "timestamp",
        "time",
        "date",
        "datetime",
        "date_time",
        "dt",
        "trade_date",
        "open_time",
        "opentime",
        "t",
        "ts",
        "日期",
        "时间",
        "交易日期",
        "日期时间",
    ),
    "open": ("open", "o", "open_price", "开盘", "开盘价", "今开"),
    "high": ("high", "h", "high_price", "最高", "最高价"),
    "low": ("low", "l", "low_price", "最低", "最低价"),
    "close": ("close", "c", "close_price", "last", "price", "收盘", "收盘价", "最新价"),
    "volume": ("volume", "vol", "v", "qty", "成交量", "volume_traded", "base_volume"),
}
_FALLBACK_CLOSE = ("adj close", "adj_close", "adjclose", "adjusted_close")


@dataclass
class FileDetection:
    """How a file was read: the column mapping, what was ignored and what was assumed."""

    path: str
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    timestamp_format: str = ""
    assumptions: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Return one human sentence per detection fact."""
        mapping = ", ".join(f"{source!r} -> {target}" for target, source in self.columns.items())
        out = [f"columns: {mapping}", f"timestamps: {self.timestamp_format}"]
        if self.ignored_columns:
            out.append(f"ignored columns: {', '.join(map(repr, self.ignored_columns))}")
        return out + self.assumptions


def _normalise(name: object) -> str:
    return str(name).strip().strip("\ufeff").lower().replace(" ", "_")


def _detect_columns(names: list[object], detection: FileDetection) -> dict[str, object]:
    by_key = {_normalise(n): n for n in names}
    found: dict[str, object] = {}
    for target, aliases in _ALIASES.items():
        for alias in aliases:
            if _normalise(alias) in by_key:
                found[target] = by_key[_normalise(alias)]
                break
    if "close" not in found:
        for alias in _FALLBACK_CLOSE:
            if _normalise(alias) in by_key:
                found["close"] = by_key[_normalise(alias)]
                detection.assumptions.append(f"no close column: used {found['close']!r}")
                break
    if "timestamp" not in found and names and _normalise(names[0]) in {"", "unnamed:_0", "index"}:
        found["timestamp"] = names[0]
    missing = [c for c in ("timestamp", "close") if c not in found]
    if missing:
        raise DataError(
            f"{detection.path}: could not find a {' or '.join(missing)} column among "
            f"{', '.join(map(str, names))}. Name them timestamp,open,high,low,close,volume."
        )
    detection.columns = {target: str(source) for target, source in found.items()}
    used = set(found.values())
    detection.ignored_columns = [str(n) for n in names if n not in used]
    return found


def _parse_timestamps(
    values: pd.Series, timezone: str | None, detection: FileDetection
) -> pd.DatetimeIndex:
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.to_numpy(dtype=np.float64)
        magnitude = np.nanmedian(np.abs(numbers)) if len(numbers) else 0.0
        unit = next(
            u
            for limit, u in ((1e11, "s"), (1e14, "ms"), (1e17, "us"), (np.inf, "ns"))
            if magnitude < limit
        )
        if unit == "s" and magnitude < 1e8 and np.all(numbers >= 19000101):
            index = pd.DatetimeIndex(
                pd.to_datetime(values.astype("int64").astype(str), format="%Y%m%d")
            )
            detection.timestamp_format = "dates written as YYYYMMDD"
        else:
            index = pd.DatetimeIndex(pd.to_datetime(values.to_numpy(), unit=unit, utc=True))
            detection.timestamp_format = f"Unix epoch in {unit}"
            return index
    else:
        try:
            index = pd.DatetimeIndex(pd.to_datetime(values, format="mixed", utc=False))
        except (ValueError, TypeError) as e:
            raise DataError(f"{detection.path}: unreadable timestamps ({e}).") from e
        detection.timestamp_format = "ISO dates/times"
    if index.tz is not None:
        detection.timestamp_format += f" with offset ({index.tz})"
        return index.tz_convert("UTC")
    zone = timezone or "UTC"
    if len(index) and (index.dropna() == index.dropna().normalize()).all():
        detection.assumptions.append("dates without times taken as session dates")
        return index.tz_localize("UTC")
    detection.assumptions.append(f"naive timestamps read as {zone}")
    return index.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").tz_convert("UTC")


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        return pd.read_parquet(path).reset_index()
    with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
        sample = handle.read(4096)
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    return pd.read_csv(path, sep=delimiter, encoding="utf-8-sig")


def read_bar_file(
    path: Path | str, *, timezone: str | None = None
) -> tuple[pd.DataFrame, FileDetection]:
    """Read a CSV or Parquet bar file into an (uncleaned) OHLCV frame with a UTC index.

    Missing open, high or low columns are taken from the close, a missing volume is 0;
    each such assumption is listed in the returned detection. Raises NotFound for a
    missing file, DataError for a file without recognisable columns, EmptyData for no rows.
    """
    path = Path(path)
    detection = FileDetection(path=str(path))
    if not path.is_file():
        raise NotFound(f"No such file: {path}")
    try:
        raw = _read_table(path)
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: not a readable CSV or Parquet file ({e}).") from e
    if raw.empty:
        raise EmptyData(f"{path}: the file holds no rows.")
    found = _detect_columns(list(raw.columns), detection)
    index = _parse_timestamps(raw[found["timestamp"]], timezone, detection)
    frame = pd.DataFrame(index=pd.DatetimeIndex(index, name="timestamp"))
    for column in ("open", "high", "low", "close", "volume"):
        if column in found:
            frame[column] = pd.to_numeric(raw[found[column]], errors="coerce").to_numpy(np.float64)
    for column in ("open", "high", "low"):
        if column not in frame:
            frame[column] = frame["close"]
            detection.assumptions.append(f"no {column} column: used the close")
    if "volume" not in frame:
        frame["volume"] = 0.0
        detection.assumptions.append("no volume column: volume set to 0")
    valid_time = ~pd.isna(frame.index)
    if not valid_time.all():
        detection.assumptions.append(
            f"dropped {int((~valid_time).sum())} row(s) without a valid time"
        )
        frame = frame[valid_time]
    return frame.loc[:, ["open", "high", "low", "close", "volume"]], detection


def read_bar_file_lines(path: Path, timezone: str | None) -> tuple[pd.DataFrame, list[str]]:
    """Read a bar file for the market-data service (the ``BarFileReader`` port)."""
    frame, detection = read_bar_file(path, timezone=timezone)
    return frame, detection.lines()


class BarFileReader:
    """A provider over one file (the ``csv`` and ``parquet`` sources); the symbol is ignored."""

    def __init__(self, path: Path | str, *, timezone: str | None = None) -> None:
        self.path = Path(path)
        self.timezone = timezone
        self.name = "parquet" if self.path.suffix.lower() in {".parquet", ".pq"} else "csv"
        self.detection: FileDetection | None = None

    def fetch_bars(
        self,
        symbol: Any,
        *,
        timeframe: Timeframe,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        progress: Any = None,
    ) -> FetchedBars:
        """Read the file; cleaning and session checks are the caller's (see clean_bars)."""
        frame, self.detection = read_bar_file(self.path, timezone=self.timezone)
        return FetchedBars(
            bars=frame, source=f"{self.name}:{self.path.name}", notes=self.detection.lines()
        )

    def list_symbols(self) -> list[Any]:
        """Return nothing: a file holds one unnamed series."""
        return []


def read_signal_file(path: Path | str) -> pd.DataFrame:
    """Read a ``timestamp,entry,exit`` CSV of 0/1 (or true/false) values into a bool frame.

    The index is UTC (dates are session dates). Raises NotFound for a missing file and
    DataError for missing columns or values other than 0/1/true/false.
    """
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"No such file: {path}")
    try:
        raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: not a readable CSV file ({e}).") from e
    columns = {_normalise(c): c for c in raw.columns}
    missing = [c for c in ("timestamp", "entry", "exit") if c not in columns]
    if missing:
        raise DataError(
            f"{path}: a signals file needs the columns timestamp,entry,exit; "
            f"missing: {', '.join(missing)}."
        )
    detection = FileDetection(path=str(path))
    index = _parse_timestamps(raw[columns["timestamp"]], None, detection)
    frame = pd.DataFrame(index=pd.DatetimeIndex(index, name="timestamp"))
    for name in ("entry", "exit"):
        values = raw[columns[name]].str.strip().str.lower()
        unknown = sorted(set(values) - set(_TRUTH))
        if unknown:
            raise DataError(f"{path}: column {name} holds {unknown[:3]}; use 0/1 or true/false.")
        frame[name] = values.map(_TRUTH).to_numpy(dtype=bool)
    return frame.sort_index()


_TRUTH = {"1": True, "0": False, "true": True, "false": False, "1.0": True, "0.0": False}
