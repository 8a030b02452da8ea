"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# CI gates on a fixed set of examples (derandomized); local runs explore new ones.
settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Give every test its own empty VIBETRADING_HOME and fresh settings."""
    home = tmp_path_factory.mktemp("vibetrading-home")
    monkeypatch.setenv("VIBETRADING_HOME", str(home))
    monkeypatch.delenv("VIBETRADING_REDIS_URL", raising=False)
    from vibetrading import data
    from vibetrading.settings import get_settings

    get_settings.cache_clear()
    data.service.cache_clear()
    yield home
    get_settings.cache_clear()
    data.service.cache_clear()
