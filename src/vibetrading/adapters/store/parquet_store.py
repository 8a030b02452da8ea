"""The local bar store: one Parquet file per symbol and timeframe, with a JSON sidecar.

Layout under the data directory::

    bars/<SYMBOL>/<timeframe>.parquet      timestamp, open, high, low, close, volume[, adj_factor]
    bars/<SYMBOL>/<timeframe>.meta.json    source, fetched_at, adjustment, rows, range, sha256

Parquet pages carry CRC checksums that are verified on every read, and the sidecar holds the
file's size, modification time and SHA-256: a file whose size differs, or whose content hash
no longer matches after a modification, is reported as CorruptData and never used.
Writes go to a temporary file first and are moved into place atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from vibetrading.domain.data import BAR_COLUMNS, FetchedBars, Timeframe, check_bars
from vibetrading.errors import CorruptData
from vibetrading.services.ports import StoredBarsInfo

__all__ = ["ParquetBarStore"]


def _file_key(symbol: str) -> str:
    return symbol.replace("/", "_")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ParquetBarStore:
    """Persist bars as Parquet under ``root`` (usually ``$VIBETRADING_HOME/bars``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _paths(self, symbol: str, timeframe: Timeframe) -> tuple[Path, Path]:
        folder = self.root / _file_key(symbol)
        return folder / f"{timeframe.value}.parquet", folder / f"{timeframe.value}.meta.json"

    def info(self, symbol: str, timeframe: Timeframe) -> StoredBarsInfo | None:
        """Return the metadata of a stored series, or None when nothing is stored."""
        _, meta_path = self._paths(symbol, timeframe)
        try:
            raw = json.loads(meta_path.read_text(encoding="utf-8"))
            return StoredBarsInfo(**raw)
        except FileNotFoundError:
            return None
        except (ValueError, TypeError) as e:
            raise CorruptData(
                f"The metadata of {symbol} {timeframe.value} is unreadable: {e}"
            ) from e

    def list(self) -> list[StoredBarsInfo]:
        """Return the metadata of every stored series, sorted by symbol and timeframe."""
        infos = []
        for meta_path in sorted(self.root.glob("*/*.meta.json")):
            try:
                infos.append(StoredBarsInfo(**json.loads(meta_path.read_text(encoding="utf-8"))))
            except (ValueError, TypeError):
                continue  # a broken sidecar is reported when the series is read
        return infos

    def read(
        self,
        symbol: str,
        timeframe: Timeframe,
        *,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> FetchedBars | None:
        """Return the stored bars (raw, with the adjustment factor when stored), or None.

        Raises CorruptData when the file fails its checks.
        """
        info = self.info(symbol, timeframe)
        if info is None:
            return None
        data_path, _ = self._paths(symbol, timeframe)
        self._verify(data_path, info, full=False)
        filters = []
        if start is not None:
            filters.append(("timestamp", ">=", start))
        if end is not None:
            filters.append(("timestamp", "<=", end))
        try:
            table = pq.read_table(
                data_path, filters=filters or None, page_checksum_verification=True
            )
        except (OSError, pa.ArrowException) as e:
            raise CorruptData(f"The stored {symbol} {timeframe.value} bars are corrupt: {e}") from e
        return self._to_fetched(table, info)

    def verify(self, symbol: str, timeframe: Timeframe) -> None:
        """Check the stored file in full (size, SHA-256 and page checksums)."""
        info = self.info(symbol, timeframe)
        if info is None:
            return
        data_path, _ = self._paths(symbol, timeframe)
        self._verify(data_path, info, full=True)

    def write(
        self, symbol: str, timeframe: Timeframe, fetched: FetchedBars, *, fetched_at: str
    ) -> StoredBarsInfo:
        """Store `fetched` for `symbol`, replacing what was there, and return its metadata."""
        bars = check_bars(fetched.bars, allow_empty=True)
        data_path, meta_path = self._paths(symbol, timeframe)
        data_path.parent.mkdir(parents=True, exist_ok=True)
        columns: dict[str, Any] = {
            "timestamp": pa.array(bars.index.asi8, pa.timestamp("ns", "UTC"))
        }
        for name in BAR_COLUMNS:
            columns[name] = pa.array(bars[name].to_numpy(), pa.float64())
        if fetched.adj_factor is not None:
            factor = fetched.adj_factor.reindex(bars.index).fillna(1.0).to_numpy(np.float64)
            columns["adj_factor"] = pa.array(factor, pa.float64())
        table = pa.table(columns)
        self._atomic_write(
            data_path,
            lambda p: pq.write_table(
                table, p, compression="lz4", write_page_checksum=True, row_group_size=1 << 20
            ),
        )
        stat = data_path.stat()
        info = StoredBarsInfo(
            symbol=symbol,
            timeframe=timeframe.value,
            source=fetched.source,
            fetched_at=fetched_at,
            adjustment="raw+factor" if fetched.adj_factor is not None else "raw",
            is_synthetic=fetched.is_synthetic,
            rows=len(bars),
            start=bars.index[0].isoformat() if len(bars) else None,
            end=bars.index[-1].isoformat() if len(bars) else None,
            sha256=_sha256(data_path),
            size=stat.st_size,
            mtime_ns=stat.st_mtime_ns,
            notes=list(fetched.notes),
        )
        payload = json.dumps(asdict(info), indent=2, ensure_ascii=False)
        self._atomic_write(meta_path, lambda p: Path(p).write_text(payload, encoding="utf-8"))
        return info

    def delete(self, symbol: str, timeframe: Timeframe) -> None:
        """Remove a stored series and its metadata, if present."""
        for path in self._paths(symbol, timeframe):
            path.unlink(missing_ok=True)

    @staticmethod
    def _atomic_write(path: Path, write: Any) -> None:
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
        os.close(handle)
        try:
            write(temporary)
            os.replace(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)

    @staticmethod
    def _verify(data_path: Path, info: StoredBarsInfo, *, full: bool) -> None:
        label = f"{info.symbol} {info.timeframe}"
        try:
            stat = data_path.stat()
        except FileNotFoundError as e:
            raise CorruptData(f"The stored {label} bars are missing their data file.") from e
        if stat.st_size != info.size:
            raise CorruptData(
                f"The stored {label} bars are corrupt: size {stat.st_size} bytes, "
                f"expected {info.size}."
            )
        if (full or stat.st_mtime_ns != info.mtime_ns) and _sha256(data_path) != info.sha256:
            raise CorruptData(
                f"The stored {label} bars are corrupt: their checksum does not match."
            )

    @staticmethod
    def _to_fetched(table: pa.Table, info: StoredBarsInfo) -> FetchedBars:
        stamps = table.column("timestamp").combine_chunks().cast(pa.int64()).to_numpy()
        index = pd.DatetimeIndex(stamps.view("datetime64[ns]"), name="timestamp").tz_localize("UTC")
        frame = pd.DataFrame(
            {name: table.column(name).to_numpy() for name in BAR_COLUMNS}, index=index
        )
        factor = None
        if "adj_factor" in table.column_names:
            factor = pd.Series(
                table.column("adj_factor").to_numpy(), index=index, name="adj_factor"
            )
        return FetchedBars(
            bars=frame,
            source=info.source,
            adj_factor=factor,
            is_synthetic=info.is_synthetic,
            notes=list(info.notes),
        )
