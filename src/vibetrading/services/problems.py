"""Problem types: the one mapping from errors to RFC 9457 ``type``, status and title.

The HTTP API (``api/problems.py``), failed jobs and WebSocket error events all name an
error with the same ``type`` URI under `PROBLEM_BASE`, so a client handles a refused
strategy the same way whether it came back from ``POST /backtest/run``, from a job's
``error`` or from a chat stream::

    >>> problem_document(ConfigError("give a symbol"))["type"]
    'https://vibetrading.dev/problems/bad-request'

A `StrategyError` that carries the sandbox's safety report keeps it under ``report``.
"""

from __future__ import annotations

from typing import Any

from vibetrading.errors import (
    ConfigError,
    Conflict,
    DataError,
    NotFound,
    OrderRejected,
    PermissionDenied,
    ProviderError,
    StrategyError,
    TemporaryProviderError,
    UnknownSymbol,
    VibeTradingError,
)

__all__ = [
    "ERROR_TYPES",
    "INTERNAL_ERROR",
    "JOB_CRASHED",
    "JOB_INTERRUPTED",
    "PROBLEM_BASE",
    "classify_error",
    "problem",
    "problem_document",
]

PROBLEM_BASE = "https://vibetrading.dev/problems/"

ERROR_TYPES: list[tuple[type[VibeTradingError], int, str, str]] = [
    (NotFound, 404, "not-found", "Not found"),
    (PermissionDenied, 403, "permission-denied", "Permission denied"),
    (Conflict, 409, "conflict", "Conflict"),
    (UnknownSymbol, 404, "unknown-symbol", "Unknown symbol"),
    (DataError, 422, "data-error", "Unusable market data"),
    (StrategyError, 422, "strategy-error", "Invalid strategy"),
    (OrderRejected, 422, "order-rejected", "Order rejected"),
    (ConfigError, 400, "bad-request", "Bad request"),
    (TemporaryProviderError, 503, "provider-unavailable", "Provider temporarily unavailable"),
    (ProviderError, 502, "provider-error", "Provider failed"),
]
"""(error class, HTTP status, slug, title), most specific first: the first match wins."""

INTERNAL_ERROR = ("internal-error", "Internal server error")
JOB_CRASHED = ("job-crashed", "Job crashed")
JOB_INTERRUPTED = ("job-interrupted", "The job was interrupted too many times")
"""(slug, title) of the problems that name no exception: an unexpected failure, a
worker process that died, a job whose server stopped under it too often."""


def classify_error(error: VibeTradingError) -> tuple[int, str, str]:
    """Return (status, slug, title) of a VibeTrading error."""
    for kind, status, slug, title in ERROR_TYPES:
        if isinstance(error, kind):
            return status, slug, title
    return 400, "bad-request", "Bad request"


def problem(slug: str, title: str, detail: str, *, status: int = 500) -> dict[str, Any]:
    """Return a problem document (``type``, ``title``, ``status``, ``detail``)."""
    return {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}


def problem_document(error: BaseException) -> dict[str, Any]:
    """Return the problem document of `error`, as stored in a failed job's ``error``.

    An unexpected error (not a VibeTradingError) is an ``internal-error`` naming the
    exception's class and message, never its traceback. A StrategyError's safety
    report, when it has one, is kept under ``report``.
    """
    if not isinstance(error, VibeTradingError):
        return problem(*INTERNAL_ERROR, f"{type(error).__name__}: {error}"[:500])
    status, slug, title = classify_error(error)
    document = problem(slug, title, str(error), status=status)
    report = getattr(error, "report", None)
    if isinstance(error, StrategyError) and report is not None:
        as_dict = getattr(report, "as_dict", None)
        document["report"] = as_dict() if callable(as_dict) else report
    return document
