"""bench/bench_load.py: a load that saw errors fails `make bench`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).parents[2] / "bench"


def _bench_load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_load", BENCH / "bench_load.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_load"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _case(module: ModuleType, database: str, errors: int) -> object:
    return module.LoadCase(
        database=database,
        users=1,
        duration_s=1.0,
        requests=10,
        errors=errors,
        backtests=1,
        chats=1,
        endpoints={},
    )


def test_require_no_errors_with_errors_raises_naming_the_database() -> None:
    module = _bench_load()
    cases = [_case(module, "sqlite", 0), _case(module, "postgresql", 3)]

    with pytest.raises(RuntimeError, match="postgresql 3"):
        module.require_no_errors(cases)


def test_require_no_errors_without_errors_passes() -> None:
    module = _bench_load()

    module.require_no_errors([_case(module, "sqlite", 0)])
