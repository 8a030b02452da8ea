"""The wire format between the server and a sandbox worker: length-prefixed frames.

A frame is a 4-byte big-endian length and that many bytes. The request is a JSON frame
(source, params, limits, columns, row count) then the index as int64 nanoseconds and the
bar values as float64. The reply is a JSON frame (status, checks, message, output) then,
on success, the entries and the exits as one byte per bar. Nothing coming back from a
worker is ever unpickled.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import IO, Any

import numpy as np
import pandas as pd

__all__ = [
    "FrameError",
    "decode_bars",
    "dumps",
    "encode_bars",
    "read_frame",
    "read_frame_before",
    "write_frame",
]

_LENGTH = struct.Struct(">I")


class FrameError(Exception):
    """The other side closed the pipe, sent too much, or did not answer in time."""


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    """Write one frame and flush it."""
    stream.write(_LENGTH.pack(len(payload)) + payload)
    stream.flush()


def read_frame(stream: IO[bytes], *, limit: int) -> bytes:
    """Read one frame from a blocking stream; raise FrameError on EOF or an oversize frame."""
    head = _read_exactly(stream, _LENGTH.size)
    (size,) = _LENGTH.unpack(head)
    if size > limit:
        raise FrameError(f"a frame of {size} bytes is over the limit of {limit}")
    return _read_exactly(stream, size)


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            raise FrameError("the pipe was closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame_before(fd: int, deadline: float, *, limit: int) -> bytes:
    """Read one frame from file descriptor `fd` before the monotonic `deadline`."""
    (size,) = _LENGTH.unpack(_read_fd(fd, _LENGTH.size, deadline))
    if size > limit:
        raise FrameError(f"a frame of {size} bytes is over the limit of {limit}")
    return _read_fd(fd, size, deadline)


def _read_fd(fd: int, size: int, deadline: float) -> bytes:
    chunks, remaining = [], size
    while remaining:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            raise TimeoutError
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise FrameError("the worker closed its pipe")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def encode_bars(bars: pd.DataFrame) -> tuple[dict[str, Any], bytes, bytes]:
    """Return the header fields, index bytes and value bytes of a bars frame."""
    index = pd.DatetimeIndex(bars.index).as_unit("ns")
    columns = [str(c) for c in bars.columns]
    values = np.ascontiguousarray(bars.to_numpy(dtype=np.float64))
    header = {
        "columns": columns,
        "rows": len(bars),
        "tz": str(index.tz) if index.tz is not None else None,
        "name": index.name if isinstance(index.name, str) else None,
    }
    return header, index.asi8.astype(np.int64).tobytes(), values.tobytes()


def decode_bars(header: dict[str, Any], index: bytes, values: bytes) -> pd.DataFrame:
    """Rebuild the bars frame that ``encode_bars`` took apart."""
    rows, columns = int(header["rows"]), list(header["columns"])
    stamps = pd.DatetimeIndex(np.frombuffer(index, dtype=np.int64).astype("datetime64[ns]"))
    if header.get("tz"):
        stamps = stamps.tz_localize("UTC").tz_convert(header["tz"])
    matrix = np.frombuffer(values, dtype=np.float64).reshape(rows, len(columns)).copy()
    stamps.name = header.get("name")
    return pd.DataFrame(matrix, index=stamps, columns=columns)


def dumps(document: dict[str, Any]) -> bytes:
    """Return `document` as compact UTF-8 JSON."""
    return json.dumps(document, separators=(",", ":"), default=str).encode("utf-8")
