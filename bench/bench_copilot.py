"""Copilot speed: an idea in words to the first backtest result in the chat stream, offline.

Two cases: the copilot over stores in memory (the CLI), and the copilot of the HTTP
server, whose backtest is a persisted job (with its run) in a SQLite store, run on the
job service's in-process thread pool. The target of both is a median under 1000 ms on
ten years of daily SPX; a case that misses it makes the benchmark exit non-zero, after
the table is printed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _timing import Case, measure, print_cases
from vibetrading.adapters.llm.offline import OfflineDrafter
from vibetrading.adapters.store.db import SqlStore, upgrade
from vibetrading.bootstrap import build_backtests
from vibetrading.services.backtests import BacktestRequest, BacktestService
from vibetrading.services.copilot import CopilotService
from vibetrading.services.copilot_runs import (
    COPILOT_BACKTEST_JOB,
    run_backtests_as_jobs,
    run_copilot_backtest_job,
)
from vibetrading.services.jobs import JobService
from vibetrading.testing.memory_store import (
    MemoryConversationRepository,
    MemoryStrategyRepository,
)
from vibetrading.workers import WorkerResources, in_process_runner

IDEA = "Buy when RSI crosses below 30, sell when it rises above 70, stop loss 5%"
TARGET_MS = 1000.0
START, END = "2009-01-01", "2018-12-31"


def _first_result(copilot: CopilotService, user_id: str) -> Callable[[], None]:
    def first_result() -> None:
        for event in copilot.chat(user_id, IDEA):
            if event.type == "backtest_result":
                return
        raise RuntimeError("no backtest result")

    return first_result


def _job_case(backtests: BacktestService, folder: Path) -> float:
    url = f"sqlite:///{(folder / 'bench.db').as_posix()}"
    upgrade(url)
    store = SqlStore(url)
    here = WorkerResources(settings=None, store=store, _cache={"backtests": backtests})  # type: ignore[arg-type]
    jobs = JobService(
        store.jobs,
        runner=in_process_runner(here),
        handlers={},
        executor_factory=lambda: ThreadPoolExecutor(1),
        in_process={COPILOT_BACKTEST_JOB: run_copilot_backtest_job},
        in_process_runner=in_process_runner(here),
    )
    copilot = CopilotService(
        llm=None,
        backtests=backtests,
        conversations=store.conversations,
        strategies=store.strategies,
        runs=store.backtests,
        drafter=OfflineDrafter(),
        start=START,
        end=END,
    )
    if not run_backtests_as_jobs(copilot, jobs, store):
        raise RuntimeError("the copilot has no backtest runner to make jobs of")
    user_id = store.users.create(email="bench@example.com", password_hash="!no-login").id  # noqa: S106 - no login
    try:
        return measure(_first_result(copilot, user_id), repeat=21)
    finally:
        jobs.shutdown(wait=True)
        store.close()


def run() -> list[Case]:
    backtests = build_backtests()
    copilot = CopilotService(
        llm=None,
        backtests=backtests,
        conversations=MemoryConversationRepository(),
        strategies=MemoryStrategyRepository(),
        drafter=OfflineDrafter(),
        start=START,
        end=END,
    )

    def backtest_only() -> None:
        backtests.run(BacktestRequest(strategy=IDEA, start=START, end=END))

    ours = measure(_first_result(copilot, "bench"), repeat=21)
    peer = measure(backtest_only, repeat=21)
    with tempfile.TemporaryDirectory(prefix="vt-bench-") as folder:
        as_job = _job_case(backtests, Path(folder))
    cases = [
        Case(
            "chat idea -> first backtest_result (SPX 10y daily)",
            ours,
            "backtest of the same text",
            peer,
            f"< {TARGET_MS:.0f} ms",
        ),
        Case(
            "same, backtest as a job in SQLite (server)",
            as_job,
            "backtest of the same text",
            peer,
            f"< {TARGET_MS:.0f} ms",
        ),
    ]
    print_cases("Copilot (offline)", cases)
    missed = [case for case in cases if case.ours_ms >= TARGET_MS]
    if missed:
        raise SystemExit(
            "bench_copilot: missed the < {:.0f} ms target: {}".format(
                TARGET_MS, "; ".join(f"{c.name} took {c.ours_ms:,.1f} ms" for c in missed)
            )
        )
    return cases


if __name__ == "__main__":
    run()
