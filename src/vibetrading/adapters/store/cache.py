"""Caches of hot bar ranges: in process by default, Redis when configured."""

from __future__ import annotations

import io
from collections import OrderedDict
from typing import Any

import pandas as pd
import pyarrow as pa

from vibetrading.errors import TemporaryProviderError

__all__ = ["MemoryBarCache", "RedisBarCache"]


class MemoryBarCache:
    """A least-recently-used cache of frames in this process."""

    def __init__(self, *, max_items: int = 64) -> None:
        self.max_items = max_items
        self._items: OrderedDict[str, pd.DataFrame] = OrderedDict()

    def get(self, key: str) -> pd.DataFrame | None:
        """Return a copy of the cached frame, or None."""
        frame = self._items.get(key)
        if frame is None:
            return None
        self._items.move_to_end(key)
        return _copy(frame)

    def set(self, key: str, bars: pd.DataFrame) -> None:
        """Cache a copy of `bars`, evicting the least recently used beyond `max_items`."""
        self._items[key] = _copy(bars)
        self._items.move_to_end(key)
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)


def _copy(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.attrs = dict(frame.attrs)
    return out


class RedisBarCache:
    """Cache frames in Redis as Arrow IPC bytes with a time to live.

    A Redis outage never breaks a load: errors are counted in ``errors`` and the cache
    behaves as empty.
    """

    prefix = "vibetrading:bars:"

    def __init__(self, url: str, *, ttl_s: int = 3600, client: Any | None = None) -> None:
        import redis

        self.ttl_s = ttl_s
        self.errors = 0
        self._client = client or redis.Redis.from_url(
            url, socket_timeout=1.0, socket_connect_timeout=1.0
        )

    def get(self, key: str) -> pd.DataFrame | None:
        """Return the cached frame, or None when absent or when Redis fails."""
        import redis

        try:
            payload = self._client.get(self.prefix + key)
        except redis.RedisError:
            self.errors += 1
            return None
        if not isinstance(payload, bytes):
            return None
        with pa.ipc.open_stream(io.BytesIO(payload)) as reader:
            table = reader.read_all()
        frame = table.to_pandas()
        frame.attrs = {
            k.decode(): v.decode()
            for k, v in (table.schema.metadata or {}).items()
            if not k.startswith(b"pandas")
        }
        frame.attrs["synthetic"] = frame.attrs.get("synthetic") == "True"
        frame.attrs["adjusted"] = frame.attrs.get("adjusted") == "True"
        return frame

    def set(self, key: str, bars: pd.DataFrame) -> None:
        """Store `bars` for `ttl_s` seconds; a Redis failure is counted and ignored."""
        import redis

        table = pa.Table.from_pandas(bars, preserve_index=True)
        metadata = dict(table.schema.metadata or {})
        metadata.update({str(k).encode(): str(v).encode() for k, v in bars.attrs.items()})
        table = table.replace_schema_metadata(metadata)
        sink = io.BytesIO()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        try:
            self._client.set(self.prefix + key, sink.getvalue(), ex=self.ttl_s)
        except redis.RedisError:
            self.errors += 1

    def ping(self) -> None:
        """Raise TemporaryProviderError when Redis does not answer."""
        import redis

        try:
            self._client.ping()
        except redis.RedisError as e:
            raise TemporaryProviderError("redis", f"cannot reach the cache: {e}") from e
