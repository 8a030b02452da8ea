"""RFC 9457 problem details: every error leaves the API as ``application/problem+json``.

Errors are mapped exactly once, here, with the mapping of ``services.problems`` that
failed jobs and WebSocket events use too. Each VibeTrading error branch has a stable
``type`` URI under ``https://vibetrading.dev/problems/``; validation errors become 422
``validation-error`` problems with the offending fields, and anything unexpected a 500
``internal-error`` problem that is logged with its traceback and never shows it.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from vibetrading.errors import VibeTradingError
from vibetrading.services.problems import PROBLEM_BASE, classify_error, problem_document

__all__ = [
    "PROBLEM_BASE",
    "Problem",
    "ProblemError",
    "install_problem_handlers",
    "problem_response",
]

MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger("vibetrading.api")

_HTTP = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("permission-denied", "Permission denied"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-error", "Invalid request"),
    429: ("rate-limited", "Too many requests"),
}


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(description="Stable URI naming the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="HTTP status code.")
    detail: str = Field(default="", description="What happened and what to do about it.")
    instance: str = Field(default="", description="The request path.")
    request_id: str | None = Field(default=None, description="Correlation id of the request.")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="The invalid fields of a validation error."
    )
    report: dict[str, Any] | None = Field(
        default=None, description="The sandbox's safety report of a refused code strategy."
    )


class ProblemError(Exception):
    """An HTTP-level problem raised inside the API layer (authentication, limits, conflicts)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug
        self.headers = headers or {}


def problem_response(
    request: Request | None,
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
    report: dict[str, Any] | None = None,
) -> JSONResponse:
    """Return a problem+json response for `status`, naming the request path and id."""
    default_slug, default_title = _HTTP.get(status, ("error", "Error"))
    if status >= 500 and slug is None:
        default_slug, default_title = "internal-error", "Internal server error"
    request_id = getattr(request.state, "request_id", None) if request is not None else None
    body = Problem(
        type=PROBLEM_BASE + (slug or default_slug),
        title=title or default_title,
        status=status,
        detail=detail,
        instance=request.url.path if request is not None else "",
        request_id=request_id,
        errors=errors,
        report=report,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


async def _vibetrading_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, VibeTradingError):  # pragma: no cover - registered for that type
        raise exc
    status, slug, title = classify_error(exc)
    report = problem_document(exc).get("report")
    return problem_response(request, status, str(exc), slug=slug, title=title, report=report)


async def _problem_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, ProblemError):  # pragma: no cover - registered for that type
        raise exc
    return problem_response(request, exc.status, exc.detail, slug=exc.slug, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):  # pragma: no cover
        raise exc
    errors = [
        {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors) or "Invalid request."
    return problem_response(request, 422, detail, errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):  # pragma: no cover
        raise exc
    return problem_response(
        request, exc.status_code, str(exc.detail), headers=dict(exc.headers or {})
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem_response(
        request, 500, "The server failed unexpectedly; the error was logged with the request id."
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json on `app`."""
    app.add_exception_handler(VibeTradingError, _vibetrading_error)
    app.add_exception_handler(ProblemError, _problem_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
