import pytest

from vibetrading.adapters.store.cache import MemoryBarCache, RedisBarCache
from vibetrading.testing import make_bars


def test_memory_cache_returns_copies_and_evicts_oldest():
    cache = MemoryBarCache(max_items=2)
    bars = make_bars(5)
    bars.attrs["symbol"] = "X"
    cache.set("a", bars)
    cache.set("b", bars)
    cache.get("a")
    cache.set("c", bars)

    hit = cache.get("a")
    hit.iloc[0, 0] = -1.0

    assert cache.get("b") is None
    assert cache.get("a").iloc[0, 0] == bars.iloc[0, 0]
    assert hit.attrs["symbol"] == "X"


def test_redis_cache_unreachable_server_behaves_as_empty():
    cache = RedisBarCache("redis://127.0.0.1:1/0")

    cache.set("k", make_bars(3))

    assert cache.get("k") is None
    assert cache.errors == 2
    with pytest.raises(Exception, match="redis"):
        cache.ping()
