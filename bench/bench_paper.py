"""Paper replay speed: the SPX history bar by bar, durably, against one backtest of it.

``paper start --speed max`` on the 50/200-day moving-average cross over the bundled SPX
history (5,031 daily bars), through the paper broker into a SQLite store in a temporary
home: every bar with an order or a fill in its own transaction, quiet bars batched. The
peer is the backtest of the same text (one vectorised pass, nothing stored). The target
is the whole replay under 5 s (1 ms a bar, numba's start included); the issue asked for
under 10 s, from about 70 s.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from _timing import Case, measure, print_cases
from vibetrading.bootstrap import build_backtests
from vibetrading.bootstrap_paper import build_paper
from vibetrading.services.backtests import BacktestRequest
from vibetrading.services.paper import PaperRequest
from vibetrading.settings import Settings

IDEA = (
    "buy when the 50-day moving average crosses above the 200-day moving average, "
    "sell when it crosses below"
)
TARGET_MS = 5_000.0


def _replay_ms(folder: Path, name: str) -> tuple[float, int]:
    service = build_paper(Settings(home=folder / name))
    record = service.start(PaperRequest(symbol="SPX", strategy=IDEA))
    start = time.perf_counter()
    summary = service.run(record.runner_id)
    return (time.perf_counter() - start) * 1000, summary.bars


def run() -> list[Case]:
    backtests = build_backtests()
    peer = measure(lambda: backtests.run(BacktestRequest(strategy=IDEA, symbols=("SPX",))))
    with tempfile.TemporaryDirectory(prefix="vt-bench-") as folder:
        first, bars = _replay_ms(Path(folder), "first")  # numba's start included
        again = min(_replay_ms(Path(folder), f"again-{i}")[0] for i in range(3))
    cases = [
        Case(
            f"paper replay, {bars:,} SPX bars, first in process",
            first,
            "backtest of the same text",
            peer,
            f"< {TARGET_MS:,.0f} ms",
        ),
        Case(
            f"same, warm ({again / bars * 1000:.0f} us a bar)",
            again,
            "backtest of the same text",
            peer,
            f"< {TARGET_MS:,.0f} ms",
        ),
    ]
    print_cases("Paper replay at max speed (SQLite)", cases)
    missed = [case for case in cases if case.ours_ms >= TARGET_MS]
    if missed:
        raise SystemExit(
            "bench_paper: missed the < {:,.0f} ms target: {}".format(
                TARGET_MS, "; ".join(f"{c.name} took {c.ours_ms:,.1f} ms" for c in missed)
            )
        )
    return cases
