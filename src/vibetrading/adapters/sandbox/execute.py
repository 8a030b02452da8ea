"""Run a code strategy through layers 1, 2 and 4 in the current process.

The worker process calls ``execute_strategy`` after it has applied the process limits
and the audit hook (layer 3); nothing else should call it on untrusted code outside a
worker. Unsafe code raises SandboxViolation, ordinary bugs StrategyError, each with the
user's line number when known.
"""

from __future__ import annotations

import os
import sys
import tempfile
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from vibetrading.adapters.sandbox.output import validate_signals
from vibetrading.adapters.sandbox.policy import MAX_SOURCE_BYTES, static_checks
from vibetrading.adapters.sandbox.report import SafetyCheck, SafetyReport, failed
from vibetrading.adapters.sandbox.restricted import (
    USER_FILENAME,
    GuardState,
    SandboxAccessError,
    compile_strategy,
    restricted_globals,
)
from vibetrading.errors import SandboxViolation, StrategyError

__all__ = ["Execution", "check_source", "clean_message", "execute_strategy"]

_MAX_MESSAGE = 400


@dataclass
class Execution:
    """The signals of one run, what it printed and the checks it passed."""

    entries: np.ndarray[Any, np.dtype[np.bool_]]
    exits: np.ndarray[Any, np.dtype[np.bool_]]
    output: str
    checks: list[SafetyCheck] = field(default_factory=list)


def check_source(source: str) -> tuple[types.CodeType | None, list[SafetyCheck]]:
    """Return the restricted code of `source` (None when unsafe) and the layer 1-2 checks."""
    checks = static_checks(source)
    # unreadable or oversized sources stop at layer 1: the compiler would choke on them too
    if any(check.name == "syntax" for check in checks) or len(source) > MAX_SOURCE_BYTES:
        return None, checks
    code, compiled = compile_strategy(source)
    checks += compiled
    if any(not check.passed for check in checks):
        return None, checks
    return code, checks


def clean_message(text: str) -> str:
    """Return `text` without server paths, shortened to one readable line."""
    for path in _HIDDEN_PATHS:
        text = text.replace(path, "<hidden>")
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


_HIDDEN_PATHS = sorted(
    {
        path
        for path in (
            sys.prefix,
            sys.base_prefix,
            sys.exec_prefix,
            tempfile.gettempdir(),
            os.path.expanduser("~"),
            os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )
        if path and len(path) > 1
    },
    key=len,
    reverse=True,
)


def execute_strategy(
    source: str,
    bars: pd.DataFrame,
    params: Mapping[str, Any] | None = None,
    *,
    state: GuardState | None = None,
    process_checks: list[SafetyCheck] | None = None,
) -> Execution:
    """Check, compile and run `source` on `bars`; return the validated signals.

    Raises SandboxViolation (with ``report``) for unsafe code or a refused access, even
    when the code caught the refusal, and StrategyError for bugs in the code or its output.
    """
    code, checks = check_source(source)
    checks += process_checks or []
    if code is None:
        report = SafetyReport(tuple(checks))
        raise SandboxViolation(f"Unsafe code: {report.summary()}", report=report)
    state = state or GuardState()
    try:
        result = _call(code, state, bars, params)
    except SandboxAccessError as e:
        _raise_breach(state, checks, str(e))
    except MemoryError as e:
        state.breach = state.breach or ("the memory limit was reached", _error_line(e))
        _raise_breach(state, checks, "memory")
    except Exception as e:
        if state.breach is not None:
            _raise_breach(state, checks, str(e))
        _raise_bug(e, checks)
    if state.breach is not None:
        _raise_breach(state, checks, "")
    try:
        entries, exits, check = validate_signals(result, bars.index)
    except StrategyError as e:
        report = SafetyReport((*checks, failed("output", "output", str(e))))
        raise StrategyError(str(e), report=report) from None
    return Execution(entries, exits, state.printed, [*checks, check])


def _call(
    code: types.CodeType, state: GuardState, bars: pd.DataFrame, params: Mapping[str, Any] | None
) -> Any:
    namespace = restricted_globals(state)
    exec(code, namespace)  # noqa: S102 - restricted code with guarded globals
    function = namespace.get("signals")
    if not callable(function):
        raise StrategyError("The code defines no function signals(data, params).")
    return function(bars.copy(), dict(params or {}))


def _raise_breach(state: GuardState, checks: list[SafetyCheck], fallback: str) -> None:
    message, line = state.breach or (fallback, None)
    name = "process access" if state.breach_layer == "process" else "restricted access"
    check = failed(name, state.breach_layer, clean_message(message), line)
    report = SafetyReport((*checks, check))
    where = f" at line {line}" if line else ""
    raise SandboxViolation(f"Sandbox violation{where}: {check.message}", report=report)


def _error_line(error: BaseException) -> int | None:
    line = None
    trace = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == USER_FILENAME:
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def _raise_bug(error: Exception, checks: list[SafetyCheck]) -> None:
    line = _error_line(error)
    where = f"line {line}: " if line else ""
    message = clean_message(f"{where}{type(error).__name__}: {error}")
    report = SafetyReport(tuple(checks))
    raise StrategyError(f"The code strategy failed: {message}", report=report) from None
