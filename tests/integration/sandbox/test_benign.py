"""Realistic code strategies run in the sandbox exactly as they run in plain Python.

Each file in benign/ states its params as JSON on a ``params:`` line of its docstring.
The sandbox's entries and exits on the bundled S&P 500 bars must equal, bar for bar,
those of the same ``signals`` function executed directly.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from vibetrading.adapters.sandbox import CodeSandbox, SandboxLimits, check_code

pytestmark = pytest.mark.integration

BENIGN = sorted((Path(__file__).parent / "benign").glob("[0-9]*.py"))


def _params(path: Path) -> dict[str, Any]:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    line = next(line for line in docstring.splitlines() if line.startswith("params: "))
    return dict(json.loads(line.removeprefix("params: ")))


def _plain_signals(
    source: str, bars: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.Series, pd.Series]:
    namespace: dict[str, Any] = {"__name__": "benign"}
    exec(compile(source, "benign", "exec"), namespace)  # noqa: S102 - our own benign file
    entries, exits = namespace["signals"](bars.copy(), params)
    return pd.Series(entries, index=bars.index), pd.Series(exits, index=bars.index)


@pytest.fixture(scope="module")
def box() -> Iterator[CodeSandbox]:
    """Start one sandbox shared by the benign strategies."""
    with CodeSandbox(limits=SandboxLimits(), workers=1) as sandbox:
        yield sandbox


@pytest.mark.parametrize("path", BENIGN, ids=[path.stem for path in BENIGN])
def test_sandbox_benign_strategy_matches_plain_python(
    path: Path, box: CodeSandbox, spx_bars: pd.DataFrame
) -> None:
    source = path.read_text(encoding="utf-8")
    params = _params(path)
    expected_entries, expected_exits = _plain_signals(source, spx_bars, params)

    result = box.run(source, spx_bars, params)

    assert check_code(source).is_safe, check_code(source).summary()
    assert result.report.is_safe
    pd.testing.assert_series_equal(result.entries, expected_entries.astype(bool), check_names=False)
    pd.testing.assert_series_equal(result.exits, expected_exits.astype(bool), check_names=False)
    assert result.entries.any()
    assert result.exits.any()


def test_benign_suite_has_ten_distinct_strategies() -> None:
    assert len(BENIGN) >= 10
    assert len({path.read_text(encoding="utf-8") for path in BENIGN}) == len(BENIGN)
