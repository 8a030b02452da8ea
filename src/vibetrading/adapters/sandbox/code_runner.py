"""The ``CodeRunner`` port over the sandbox, and the process-wide sandbox the entry points share.

The server and the CLI both get their runner from ``bootstrap.build_backtests``; the
sandbox behind it starts when the first code strategy arrives, or earlier when the
server calls ``SandboxCodeRunner.warm_up`` at start-up, and stops its workers when the
process exits.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from vibetrading.adapters.sandbox.runner import CodeSandbox, SandboxLimits, check_code
from vibetrading.errors import SandboxViolation

__all__ = ["SandboxCodeRunner", "close_shared_sandbox", "shared_sandbox"]

_lock = threading.Lock()
_shared: dict[str, CodeSandbox] = {}
_owners: dict[str, int] = {}


def shared_sandbox(limits: SandboxLimits | None = None) -> CodeSandbox:
    """Return the process-wide sandbox, starting it on first use (stopped at exit).

    A forked child never reuses its parent's sandbox (its zygote and threads belong to
    the parent); it starts its own.
    """
    with _lock:
        sandbox = _shared.get("sandbox")
        if sandbox is None or _owners.get("pid") != os.getpid():
            sandbox = CodeSandbox(limits=limits)
            _shared["sandbox"] = sandbox
            _owners["pid"] = os.getpid()
            atexit.register(sandbox.close)
        return sandbox


def close_shared_sandbox() -> None:
    """Stop the process-wide sandbox's workers; the next use starts a fresh one."""
    with _lock:
        sandbox = _shared.pop("sandbox", None)
    if sandbox is not None:
        sandbox.close()


class SandboxCodeRunner:
    """Run code strategies in a CodeSandbox (built lazily by `sandbox`) for the services."""

    def __init__(self, sandbox: CodeSandbox | Callable[[], CodeSandbox] = shared_sandbox) -> None:
        self._sandbox = sandbox

    def _get(self) -> CodeSandbox:
        return self._sandbox if isinstance(self._sandbox, CodeSandbox) else self._sandbox()

    def warm_up(self, *, wait: bool = False, timeout_s: float | None = None) -> bool:
        """Start the sandbox now, e.g. when a server starts, so the first run is warm.

        The sandbox warms up in its own process (a second or two); by default this returns
        at once. With `wait`, block until its workers are ready and return whether they
        are (False on timeout; `timeout_s` defaults to the sandbox's start-up limit).
        """
        sandbox = self._get()
        return sandbox.warm_up(timeout_s) if wait else True

    def run(
        self, source: str, bars: pd.DataFrame, params: Mapping[str, Any] | None = None
    ) -> tuple[pd.Series, pd.Series, dict[str, Any]]:
        """Return the entries, exits and safety report (with the printed ``output``).

        Unsafe code is refused before any worker process is started.
        """
        report = check_code(source)
        if not report.is_safe:
            raise SandboxViolation(f"Unsafe code: {report.summary()}", report=report)
        result = self._get().run(source, bars, params)
        return result.entries, result.exits, {**result.report.as_dict(), "output": result.output}

    def check(self, source: str) -> dict[str, Any]:
        """Return the static and RestrictedPython safety report of `source` as a dict."""
        return check_code(source).as_dict()
