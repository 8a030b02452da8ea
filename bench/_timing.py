"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Case", "measure", "print_cases"]


@dataclass
class Case:
    """One benchmark case: ours against a peer, in milliseconds."""

    name: str
    ours_ms: float
    peer: str
    peer_ms: float
    target: str = ""

    @property
    def ratio(self) -> float:
        return self.peer_ms / self.ours_ms if self.ours_ms else float("inf")

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ours_ms": self.ours_ms,
            "peer": self.peer,
            "peer_ms": self.peer_ms,
            "speedup": self.ratio,
            "target": self.target,
        }


def measure(function: Callable[[], object], *, repeat: int = 7, warmup: int = 1) -> float:
    """Return the median wall time of `function` in milliseconds."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def print_cases(title: str, cases: list[Case]) -> None:
    print(f"\n{title}")
    print(f"{'case':<46} {'ours':>10} {'peer':>28} {'speedup':>8}  target")
    for c in cases:
        peer = f"{c.peer} {c.peer_ms:,.1f} ms"
        print(f"{c.name:<46} {c.ours_ms:>7,.1f} ms {peer:>28} {c.ratio:>7.1f}x  {c.target}")
