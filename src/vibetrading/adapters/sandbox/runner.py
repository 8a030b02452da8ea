"""Layer 3, outside: a pool of pre-started sandbox workers and the limits they run under.

``CodeSandbox.run`` takes a warm worker, sends it the source, bars and params, waits at
most ``wall_time_s`` and always ends the worker's whole process group afterwards; a
fresh worker is started right away so the next run is warm. A crash, a limit breach or
a hang in the worker never reaches the calling process: it becomes SandboxViolation or
StrategyError with the safety report attached.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
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
from vibetrading.adapters.sandbox.protocol import (
    FrameError,
    dumps,
    encode_bars,
    read_frame_before,
    write_frame,
)
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
        default=60.0, gt=0, le=600, description="Seconds a fresh worker may take to warm up."
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


def _minimal_env(home: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": home,
        "TMPDIR": home,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMBA_NUM_THREADS": "1",
        "NUMBA_CACHE_DIR": home,
        "PYTHONHASHSEED": "0",
    }


class _Worker:
    def __init__(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="vt-sandbox-")
        os.chmod(self.directory, 0o711)  # noqa: S103 - the worker may drop root and still enter it
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-m", "vibetrading.adapters.sandbox.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=self.directory,
            env=_minimal_env(self.directory),
            start_new_session=True,
            close_fds=True,
        )
        self.is_ready = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout_s: float) -> None:
        if self.is_ready:
            return
        frame = self._read(time.monotonic() + timeout_s, 4096)
        if json.loads(frame).get("status") != "ready":
            raise FrameError("the worker did not start")
        self.is_ready = True

    def send(self, document: dict[str, Any], *blobs: bytes) -> None:
        stream = self.process.stdin
        if stream is None:
            raise FrameError("no pipe to the worker")
        write_frame(stream, dumps(document))
        for blob in blobs:
            write_frame(stream, blob)
        stream.close()

    def _read(self, deadline: float, limit: int) -> bytes:
        stream = self.process.stdout
        if stream is None:
            raise FrameError("no pipe from the worker")
        return read_frame_before(stream.fileno(), deadline, limit=limit)

    def receive(self, deadline: float, limit: int) -> bytes:
        return self._read(deadline, limit)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def stop(self) -> int | None:
        self.kill()
        try:
            code = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                with contextlib.suppress(OSError):
                    stream.close()
        shutil.rmtree(self.directory, ignore_errors=True)
        return code

    def exit_signal(self) -> int | None:
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return None
        return -code if code < 0 else None


class CodeSandbox:
    """Run code strategies in pre-started, single-use worker processes.

    Example::

        with CodeSandbox() as sandbox:
            result = sandbox.run(source, bars, {"fast": 20})
            result.entries, result.exits, result.report.is_safe

    `workers` warm workers wait for runs; each serves one run and is replaced at once.
    Raises SandboxViolation for unsafe code and any limit breach, StrategyError for bugs.
    """

    def __init__(self, *, limits: SandboxLimits | None = None, workers: int = 1) -> None:
        if workers < 1:
            raise ConfigError("A sandbox needs at least one worker.")
        self.limits = limits or SandboxLimits()
        self.workers = workers
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        with self._lock:
            self._fill()

    def __enter__(self) -> CodeSandbox:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _fill(self) -> None:
        while len(self._idle) < self.workers:
            self._idle.append(_Worker())

    def _take(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise ConfigError("The sandbox is closed.")
            return self._idle.pop(0) if self._idle else _Worker()

    def _recycle(self, worker: _Worker) -> None:
        with self._lock:
            if not self._closed:
                self._fill()
        worker.stop()

    @property
    def worker_pids(self) -> list[int]:
        """Return the process ids of the idle warm workers."""
        with self._lock:
            return [worker.pid for worker in self._idle]

    def close(self) -> None:
        """Stop every idle worker and refuse further runs."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()

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
            # the group dies now; the replacement starts and the reaping happens off the clock
            worker.kill()
            threading.Thread(
                target=self._recycle, args=(worker,), name="sandbox-recycler", daemon=True
            ).start()

    def warm_up(self) -> None:
        """Wait until every idle worker is warm (imports done), e.g. when a server starts."""
        with self._lock:
            idle = list(self._idle)
        for worker in idle:
            try:
                worker.wait_ready(self.limits.startup_timeout_s)
            except (FrameError, TimeoutError, OSError, ValueError):
                with self._lock:
                    if worker in self._idle:
                        self._idle.remove(worker)
                    self._fill()
                worker.stop()

    def _started(
        self, request: dict[str, Any], index: bytes, values: bytes, report: SafetyReport
    ) -> _Worker:
        for _ in range(2):  # an idle worker may have died; a fresh one gets one more chance
            worker = self._take()
            try:
                worker.wait_ready(self.limits.startup_timeout_s)
                if worker.process.poll() is not None:
                    raise FrameError("the worker is gone")
                worker.send(request, index, values)
            except (FrameError, TimeoutError, OSError, ValueError):
                self._recycle(worker)
                continue
            return worker
        raise SandboxViolation(
            "The sandbox worker could not start; try again.",
            report=report.extend(failed("process limits", "process", "the worker did not start")),
        )

    def _exchange(
        self, worker: _Worker, bars_index: pd.Index, report: SafetyReport
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


def _death(worker: _Worker) -> str:
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
