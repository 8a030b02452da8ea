"""Layer 3, outside: a pool of warm sandbox workers and the limits they run under.

``CodeSandbox.run`` takes a warm worker, sends it the source, bars and params, waits at
most ``wall_time_s`` and always kills the worker's whole process group afterwards. The
workers are forked by a zygote the sandbox started fresh (see ``forkserver``); a
background thread keeps ``workers`` of them idle and ready, so back-to-back runs stay
warm. A crash, a limit breach or a hang in the worker never reaches the calling
process: it becomes SandboxViolation or StrategyError with the safety report attached.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from vibetrading.adapters.sandbox.execute import check_source
from vibetrading.adapters.sandbox.forkserver import Worker
from vibetrading.adapters.sandbox.pool import FAILURES, WorkerPool
from vibetrading.adapters.sandbox.protocol import FrameError, dumps, encode_bars
from vibetrading.adapters.sandbox.report import SafetyReport, failed
from vibetrading.errors import ConfigError, SandboxViolation, StrategyError

__all__ = ["CodeSandbox", "SandboxLimits", "SandboxResult", "check_code"]

_SIGNAL_MESSAGES: dict[int, str] = {
    signal.SIGXCPU: "the CPU time limit was reached",
    signal.SIGXFSZ: "the code tried to write a file",
    signal.SIGSEGV: "the worker crashed (segmentation fault)",
    signal.SIGABRT: "the worker aborted",
    signal.SIGKILL: "the worker was killed (CPU or memory limit)",
}


class SandboxLimits(BaseModel):
    """The limits one code-strategy run lives under."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cpu_time_s: float = Field(
        default=5.0, gt=0, le=600, description="CPU seconds the code may use."
    )
    wall_time_s: float = Field(
        default=10.0, gt=0, le=3600, description="Wall-clock seconds before the worker is killed."
    )
    memory_mb: int = Field(
        default=512,
        ge=16,
        le=65_536,
        description="Memory in MB the code may allocate beyond the warm worker.",
    )
    max_output_bytes: int = Field(
        default=65_536,
        ge=0,
        le=16 << 20,
        description="Bytes of print output kept; more is a violation.",
    )
    startup_timeout_s: float = Field(
        default=60.0,
        gt=0,
        le=600,
        description="Seconds the sandbox may take to start and warm up its worker processes.",
    )


@dataclass(frozen=True)
class SandboxResult:
    """The signals of a sandbox run, its safety report and what it printed (truncated)."""

    entries: pd.Series
    exits: pd.Series
    report: SafetyReport
    output: str


def check_code(source: str, *, filename: str = "strategy.py") -> SafetyReport:
    """Return the static and RestrictedPython checks of `source`; never run it.

    Example: ``check_code("import os").is_safe`` is False, with a failed "imports" check
    at line 1. `filename` only labels the report.
    """
    _, checks = check_source(source)
    return SafetyReport(tuple(checks))


class CodeSandbox:
    """Run code strategies in warm, single-use worker processes.

    Example::

        with CodeSandbox() as sandbox:
            sandbox.warm_up()  # optional: wait for the first workers (a second or two)
            result = sandbox.run(source, bars, {"fast": 20})
            result.entries, result.exits, result.report.is_safe

    `workers` idle workers wait for runs; each serves one run and is replaced in the
    background at once. Raises SandboxViolation for unsafe code and any limit breach,
    StrategyError for bugs.
    """

    def __init__(self, *, limits: SandboxLimits | None = None, workers: int = 2) -> None:
        self.limits = limits or SandboxLimits()
        self.workers = workers
        self._pool = WorkerPool(size=workers, startup_timeout_s=self.limits.startup_timeout_s)

    def __enter__(self) -> CodeSandbox:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def worker_pids(self) -> list[int]:
        """Return the process ids of the idle warm workers."""
        return self._pool.worker_pids

    @property
    def zygote_pid(self) -> int:
        """Return the process id of the zygote that forks the workers."""
        return self._pool.server.pid

    @property
    def cold_starts(self) -> int:
        """Return how many runs found no idle warm worker and waited for a new one."""
        return self._pool.cold_starts

    def close(self) -> None:
        """Stop every idle worker and the zygote, and refuse further runs."""
        self._pool.close()

    def warm_up(self, timeout_s: float | None = None) -> bool:
        """Wait until `workers` warm workers are idle; return False on timeout or close.

        The sandbox starts warming up as soon as it is built (a second or two); call this
        when a server starts to wait for it. `timeout_s` defaults to
        ``limits.startup_timeout_s``.
        """
        return self._pool.wait_full(
            self.limits.startup_timeout_s if timeout_s is None else timeout_s
        )

    def run(
        self, source: str, bars: pd.DataFrame, params: Mapping[str, Any] | None = None
    ) -> SandboxResult:
        """Run `source`'s ``signals(bars, params)`` in a worker; return the checked signals.

        Static and RestrictedPython checks run here first, so unsafe code never reaches a
        worker. Raises SandboxViolation (with ``report``) or StrategyError.
        """
        _, checks = check_source(source)
        report = SafetyReport(tuple(checks))
        if not report.is_safe:
            raise SandboxViolation(f"Unsafe code: {report.summary()}", report=report)
        try:
            request = {"source": source, "params": json.loads(dumps(dict(params or {})))}
        except (TypeError, ValueError) as e:
            raise ConfigError(f"Strategy params must be JSON values: {e}") from None
        header, index, values = encode_bars(bars)
        request.update(bars=header, limits=self.limits.model_dump())
        worker = self._started(request, index, values, report)
        try:
            return self._exchange(worker, bars.index, report)
        finally:
            # the group dies now; the reaping and the clean-up happen off the clock
            worker.kill()
            threading.Thread(target=worker.stop, name="sandbox-reaper", daemon=True).start()

    def _started(
        self, request: dict[str, Any], index: bytes, values: bytes, report: SafetyReport
    ) -> Worker:
        for attempt in range(3):  # idle workers may have died; a fresh one gets the last chance
            server = self._pool.server
            try:
                worker = self._pool.take(is_fresh=attempt == 2)
            except FAILURES:
                self._pool.revive(server)
                continue
            try:
                worker.wait_ready(self.limits.startup_timeout_s)
                worker.send(request, index, values)
            except FAILURES:
                worker.stop()
                self._pool.revive(worker.server)
                continue
            return worker
        raise SandboxViolation(
            "The sandbox worker could not start; try again.",
            report=report.extend(failed("process limits", "process", "the worker did not start")),
        )

    def _exchange(
        self, worker: Worker, bars_index: pd.Index, report: SafetyReport
    ) -> SandboxResult:
        deadline = time.monotonic() + self.limits.wall_time_s
        limit = self.limits.max_output_bytes * 4 + (1 << 20)
        try:
            reply = json.loads(worker.receive(deadline, limit))
            if reply.get("status") != "ok":
                raise _failure(reply, report)
            rows = len(bars_index)
            entries = worker.receive(deadline, rows)
            exits = worker.receive(deadline, rows)
        except TimeoutError:
            message = f"the wall-clock limit of {self.limits.wall_time_s:g} s was reached"
            raise _violation(report, message) from None
        except (FrameError, ValueError):
            raise _violation(report, _death(worker)) from None
        if len(entries) != len(bars_index) or len(exits) != len(bars_index):
            raise _violation(report, "the worker sent signals of the wrong length", "output")
        final = SafetyReport.from_dict(reply)
        return SandboxResult(
            entries=pd.Series(np.frombuffer(entries, dtype=np.uint8) != 0, index=bars_index),
            exits=pd.Series(np.frombuffer(exits, dtype=np.uint8) != 0, index=bars_index),
            report=final,
            output=str(reply.get("output", ""))[: self.limits.max_output_bytes],
        )


def _death(worker: Worker) -> str:
    number = worker.exit_signal()
    if number is None:
        return "the worker stopped without an answer (a limit was reached)"
    return _SIGNAL_MESSAGES.get(number, f"the worker was stopped by signal {number}")


def _violation(report: SafetyReport, message: str, layer: str = "process") -> SandboxViolation:
    check = failed("process limits" if layer == "process" else "output", "process", message)
    if layer == "output":
        check = failed("output", "output", message)
    return SandboxViolation(f"Sandbox violation: {message}", report=report.extend(check))


def _failure(reply: dict[str, Any], report: SafetyReport) -> StrategyError:
    worker_report = SafetyReport.from_dict(reply)
    final = worker_report if worker_report.checks else report
    message = str(reply.get("message", "the code strategy failed"))
    if reply.get("status") == "violation":
        return SandboxViolation(message, report=final)
    return StrategyError(message, report=final)
