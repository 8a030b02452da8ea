"""ASGI middleware: request ids, JSON access logs, body-size limits and per-IP rate limits.

`RequestContextMiddleware` is the outermost layer: it takes ``X-Request-ID`` from the
request (or makes one), echoes it on the response, writes one JSON log line per request
to stdout and turns anything that escaped the app into a 500 problem. The per-user rate
limit is applied after authentication, in `api.deps`.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from typing import Any, Protocol

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vibetrading.api.problems import problem_response

__all__ = [
    "BodyLimitMiddleware",
    "JsonLogFormatter",
    "RateLimitMiddleware",
    "RateLimiter",
    "RequestContextMiddleware",
    "configure_logging",
]

access_log = logging.getLogger("vibetrading.api.access")
logger = logging.getLogger("vibetrading.api")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")


class RateLimiter(Protocol):
    """Counts requests per key; see adapters.store.rate_limit."""

    async def hit(self, key: str) -> tuple[bool, int]:
        """Count a request; return (allowed, seconds until the window ends)."""
        ...


class JsonLogFormatter(logging.Formatter):
    """Format log records as one JSON object per line, with any ``extra`` fields."""

    _skip = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON line."""
        document: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        document.update({k: v for k, v in record.__dict__.items() if k not in self._skip})
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    """Send the ``vibetrading`` loggers to stdout as JSON lines (once per process)."""
    root = logging.getLogger("vibetrading")
    if any(getattr(h, "_vibetrading_json", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLogFormatter())
    handler._vibetrading_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


class RequestContextMiddleware:
    """Give every request an id, log it as JSON and never let an exception escape."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request with its id in ``scope['state']``."""
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = {"code": 0, "sent": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["sent"] = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error", extra={"request_id": request_id})
            if scope["type"] == "http" and not status["sent"]:
                response = problem_response(
                    Request(scope),
                    500,
                    "The server failed unexpectedly; the error was logged with the request id.",
                )
                await response(scope, receive, send_with_id)
        finally:
            state = scope.get("state", {})
            access_log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope.get("method", "WS"),
                    "path": scope.get("path"),
                    "status": status["code"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "user": state.get("user_id"),
                    "client": (scope.get("client") or ("", 0))[0],
                },
            )


class BodyLimitMiddleware:
    """Refuse request bodies above `max_bytes` with a 413 problem.

    A declared ``Content-Length`` is checked at once. A body without one (chunked) is
    read here, up to the limit, before the app sees it: past the limit the answer is
    the 413 problem, never a 400 from a half-read body.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, or buffer an undeclared body up to the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit():
            if int(declared) > self.max_bytes:
                await self._refuse(scope, receive, send)
            else:  # the server reads exactly the declared length
                await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    def _detail(self) -> str:
        return f"The request body is larger than the {self.max_bytes} bytes this server accepts."

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(Request(scope), 413, self._detail())
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class RateLimitMiddleware:
    """Limit requests per client IP; over the limit answer 429 with ``Retry-After``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: RateLimiter,
    ) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the request under its client address."""
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith("/api/"):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        allowed, retry_after = await self.limiter.hit(f"ip:{client}")
        if allowed:
            await self.app(scope, receive, send)
            return
        response = problem_response(
            Request(scope),
            429,
            f"Too many requests from {client}; retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )
        await response(scope, receive, send)
