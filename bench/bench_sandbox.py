"""Sandbox speed: warm sandboxed runs of code strategies against calling them directly.

Ten years of daily SPX bars; the same ``signals`` functions from
``examples/code_strategies``. Two ways to be warm, both on the clock:

- one run after the pool has settled (a server between requests): the worker was
  forked from the warm zygote, isolated and ready before the run;
- ten runs back to back, with no pause for the pool to refill: the per-run figure is
  the total divided by ten, and the bench reports how many runs found no idle worker.

The target is an overhead (sandboxed minus direct) well under 300 ms per run, in both
cases; the bench prints every figure, then fails when a case misses it. It also prints
the start-up time, from building the sandbox to its first warm workers (paid once, when
a server starts).
"""

from __future__ import annotations

import gc
import statistics
import time
from functools import partial
from pathlib import Path
from typing import Any

from _timing import Case, measure, print_cases
from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.adapters.sandbox import CodeSandbox
from vibetrading.adapters.sandbox.execute import execute_strategy
from vibetrading.domain.data import Timeframe
from vibetrading.domain.trading import Symbol

EXAMPLES = Path(__file__).parents[1] / "examples" / "code_strategies"
TARGET_OVERHEAD_MS = 300.0
BACK_TO_BACK = 10


def _direct(source: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(source, "strategy.py", "exec"), namespace)  # noqa: S102 - our own example
    return namespace["signals"]


def _call(function: Any, bars: Any) -> Any:
    return function(bars.copy(), {})


def _single_warm_run_ms(sandbox: CodeSandbox, source: str, bars: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        if not sandbox.warm_up():
            raise SystemExit("the sandbox did not warm up")
        gc.collect()
        start = time.perf_counter()
        sandbox.run(source, bars, {})
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _back_to_back_ms(
    sandbox: CodeSandbox, source: str, bars: Any, repeat: int
) -> tuple[float, int]:
    per_run, cold = [], 0
    for _ in range(repeat):
        if not sandbox.warm_up():
            raise SystemExit("the sandbox did not warm up")
        gc.collect()
        before = sandbox.cold_starts
        start = time.perf_counter()
        for _ in range(BACK_TO_BACK):
            sandbox.run(source, bars, {})
        per_run.append((time.perf_counter() - start) * 1000 / BACK_TO_BACK)
        cold += sandbox.cold_starts - before
    return statistics.median(per_run), cold


def _verdict(ours_ms: float, direct_ms: float) -> tuple[str, bool]:
    overhead = ours_ms - direct_ms
    text = (
        f"overhead {overhead:.0f} ms ({ours_ms / direct_ms:.1f}x direct), "
        f"target < {TARGET_OVERHEAD_MS:.0f} ms"
    )
    return text, overhead < TARGET_OVERHEAD_MS


def run() -> list[Case]:
    bars = SampleProvider().fetch_bars(Symbol.parse("SPX"), timeframe=Timeframe.D1).bars
    bars = bars.loc["2009-01-01":"2018-12-31"]
    cases, missed = [], []
    start = time.perf_counter()
    with CodeSandbox() as sandbox:
        if not sandbox.warm_up():
            raise SystemExit("the sandbox did not warm up")
        startup_s = time.perf_counter() - start
        for name in ("sma_cross", "bollinger_breakout"):
            source = (EXAMPLES / f"{name}.py").read_text()
            function = _direct(source)
            direct = measure(partial(_call, function, bars), repeat=21)
            single = _single_warm_run_ms(sandbox, source, bars, repeat=9)
            text, is_met = _verdict(single, direct)
            cases.append(
                Case(f"{name}, one warm run ({len(bars)} bars)", single, "direct", direct, text)
            )
            missed += [] if is_met else [cases[-1].name]
            each, cold = _back_to_back_ms(sandbox, source, bars, repeat=3)
            text, is_met = _verdict(each, direct)
            label = f"{name}, {BACK_TO_BACK} back to back, per run"
            cases.append(Case(label, each, "direct", direct, f"{text}; {cold} cold"))
            missed += [] if is_met else [label]
        source = (EXAMPLES / "sma_cross.py").read_text()
        ours = measure(lambda: execute_strategy(source, bars, {}), repeat=21)
        peer = measure(lambda: _direct(source)(bars.copy(), {}), repeat=21)
        cases.append(
            Case("sma_cross, checks + RestrictedPython only", ours, "direct call", peer, "")
        )
    print_cases("Sandbox", cases)
    print(f"start-up: {startup_s:.2f} s from CodeSandbox() to {sandbox.workers} warm workers")
    if missed:
        raise SystemExit(f"sandbox overhead target of {TARGET_OVERHEAD_MS:.0f} ms missed: {missed}")
    return cases


if __name__ == "__main__":
    run()
