"""Sandbox speed: a warm sandboxed run of a code strategy against calling it directly.

Ten years of daily SPX bars; the same ``signals`` function from
``examples/code_strategies``. "Warm" means the worker process was started and had
imported numpy, pandas and TA-Lib before the run; each run uses a fresh worker, started
in the background after the previous run (not timed here, as in a server between runs).
"""

from __future__ import annotations

import gc
import statistics
import time
from pathlib import Path
from typing import Any

from _timing import Case, measure, print_cases
from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.adapters.sandbox import CodeSandbox
from vibetrading.adapters.sandbox.execute import execute_strategy
from vibetrading.domain.data import Timeframe
from vibetrading.domain.trading import Symbol

EXAMPLES = Path(__file__).parents[1] / "examples" / "code_strategies"


def _direct(source: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(source, "strategy.py", "exec"), namespace)  # noqa: S102 - our own example
    return namespace["signals"]


def _warm_runs(sandbox: CodeSandbox, source: str, bars: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        sandbox.warm_up()
        gc.collect()
        start = time.perf_counter()
        sandbox.run(source, bars, {})
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run() -> list[Case]:
    bars = SampleProvider().fetch_bars(Symbol.parse("SPX"), timeframe=Timeframe.D1).bars
    bars = bars.loc["2009-01-01":"2018-12-31"]
    cases = []
    with CodeSandbox() as sandbox:
        for name in ("sma_cross", "bollinger_breakout"):
            source = (EXAMPLES / f"{name}.py").read_text()
            function = _direct(source)
            peer = measure(lambda f=function: f(bars.copy(), {}), repeat=21)
            ours = _warm_runs(sandbox, source, bars, repeat=9)
            label = f"{name} in a warm worker ({len(bars)} bars)"
            target = f"overhead {ours - peer:.0f} ms, target < 300 ms"
            cases.append(Case(label, ours, "direct call", peer, target))
        source = (EXAMPLES / "sma_cross.py").read_text()
        ours = measure(lambda: execute_strategy(source, bars, {}), repeat=21)
        peer = measure(lambda: _direct(source)(bars.copy(), {}), repeat=21)
        cases.append(
            Case("sma_cross, checks + RestrictedPython only", ours, "direct call", peer, "")
        )
    print_cases("Sandbox", cases)
    return cases


if __name__ == "__main__":
    run()
