"""Fixed-window request counters for rate limiting: in process, or Redis when configured.

Each `hit(key)` counts one request in the current window (60 s by default) and says
whether it is still within `limit`, and if not how many seconds until the window ends.
A Redis outage never blocks requests: the Redis limiter then lets them through and
counts the failure in ``errors``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["MemoryRateLimiter", "RedisRateLimiter"]


class MemoryRateLimiter:
    """Count requests per key and window in this process."""

    def __init__(
        self,
        *,
        limit: int,
        window_s: int = 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    async def hit(self, key: str) -> tuple[bool, int]:
        """Count a request under `key`; return (allowed, seconds until the window ends)."""
        now = self.clock()
        window = int(now // self.window_s)
        with self._lock:
            if len(self._counts) > 100_000:  # forget old windows; bounded memory
                self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
            seen_window, count = self._counts.get(key, (window, 0))
            count = count + 1 if seen_window == window else 1
            self._counts[key] = (window, count)
        retry_after = max(1, math.ceil((window + 1) * self.window_s - now))
        return count <= self.limit, retry_after


class RedisRateLimiter:
    """Count requests per key and window in Redis (INCR then EXPIRE on the first hit)."""

    prefix = "vibetrading:rate:"

    def __init__(
        self,
        url: str,
        *,
        limit: int,
        window_s: int = 60,
        client: Any | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        import redis.asyncio

        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self.errors = 0
        self._client = client or redis.asyncio.Redis.from_url(url, socket_timeout=1.0)

    async def hit(self, key: str) -> tuple[bool, int]:
        """Count a request under `key`; return (allowed, seconds until the window ends)."""
        import redis

        now = self.clock()
        window = int(now // self.window_s)
        retry_after = max(1, math.ceil((window + 1) * self.window_s - now))
        name = f"{self.prefix}{key}:{window}"
        try:
            count = int(await self._client.incr(name))
            if count == 1:
                await self._client.expire(name, self.window_s + 1)
        except (redis.RedisError, OSError):
            self.errors += 1
            return True, retry_after
        return count <= self.limit, retry_after

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
