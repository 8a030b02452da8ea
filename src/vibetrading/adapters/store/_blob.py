"""Pack a backtest's series and frames into one compact archive of Parquet files."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["FORMAT", "pack_frames", "unpack_frames"]

FORMAT = "zip-parquet-v1"
_MANIFEST = "manifest.json"


def pack_frames(pieces: dict[str, pd.Series | pd.DataFrame | None]) -> bytes:
    """Return one zip of Parquet files (zstd) plus a manifest; skip None pieces.

    Series sharing one index go into one file as columns, so a timestamp is stored once
    per bar; timestamps and integers are delta-encoded, floats byte-stream-split. Series
    keep their name and index; frames keep their columns, dtypes and index.
    """
    manifest: dict[str, dict[str, Any]] = {}
    groups: list[tuple[pd.Index, dict[str, pd.Series]]] = []
    files: dict[str, pd.DataFrame] = {}
    for name, piece in pieces.items():
        if isinstance(piece, pd.Series):
            number = next((i for i, g in enumerate(groups) if g[0].equals(piece.index)), None)
            if number is None:
                number = len(groups)
                groups.append((piece.index, {}))
            groups[number][1][name] = piece
            file = f"series{number}"
            manifest[name] = {"file": file, "column": name, "name": piece.name}
        elif piece is not None:
            files[name] = piece
            manifest[name] = {"file": name, "column": None, "name": None}
    for number, (index, members) in enumerate(groups):
        files[f"series{number}"] = pd.DataFrame(
            {key: series.to_numpy() for key, series in members.items()}, index=index
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for file, frame in files.items():
            archive.writestr(f"{file}.parquet", _parquet(frame))
        archive.writestr(_MANIFEST, json.dumps(manifest))
    return buffer.getvalue()


def _parquet(frame: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(frame, preserve_index=True)
    encodings: dict[str, str] = {}
    dictionary: list[str] = []
    for column in table.schema:
        if pa.types.is_timestamp(column.type) or pa.types.is_integer(column.type):
            encodings[column.name] = "DELTA_BINARY_PACKED"
        elif pa.types.is_floating(column.type):
            encodings[column.name] = "BYTE_STREAM_SPLIT"
        else:
            dictionary.append(column.name)
    out = io.BytesIO()
    pq.write_table(
        table, out, compression="zstd", use_dictionary=dictionary, column_encoding=encodings
    )
    return out.getvalue()


def unpack_frames(data: bytes) -> dict[str, pd.Series | pd.DataFrame]:
    """Return the pieces packed by `pack_frames`."""
    out: dict[str, pd.Series | pd.DataFrame] = {}
    frames: dict[str, pd.DataFrame] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read(_MANIFEST))
        for name, info in manifest.items():
            file = info["file"]
            if file not in frames:
                frames[file] = pq.read_table(
                    io.BytesIO(archive.read(f"{file}.parquet"))
                ).to_pandas()
            if info["column"] is None:
                out[name] = frames[file]
            else:
                out[name] = frames[file][info["column"]].rename(info["name"])
    return out
