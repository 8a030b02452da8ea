import os
import uuid

import pandas as pd
import pytest

from vibetrading.adapters.store.cache import RedisBarCache
from vibetrading.testing import make_bars

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("VIBETRADING_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def cache():
    cache = RedisBarCache(REDIS_URL, ttl_s=60)
    cache.ping()
    return cache


def test_redis_cache_round_trip_keeps_frame_and_attrs(cache):
    bars = make_bars(500)
    bars.attrs.update(symbol="SPX", timeframe="1d", source="sample", synthetic=False, adjusted=True)
    key = f"test-{uuid.uuid4()}"

    cache.set(key, bars)
    hit = cache.get(key)

    pd.testing.assert_frame_equal(hit, bars, check_freq=False)
    assert hit.attrs["symbol"] == "SPX"
    assert hit.attrs["synthetic"] is False
    assert hit.attrs["adjusted"] is True
    assert cache.errors == 0


def test_redis_cache_entries_expire(cache):
    key = f"test-{uuid.uuid4()}"
    cache.set(key, make_bars(3))

    ttl = cache._client.ttl(cache.prefix + key)

    assert 0 < ttl <= 60
