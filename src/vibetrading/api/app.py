"""The FastAPI application: routes under ``/api/v1``, OpenAPI at ``/docs``.

`create_app(settings, services=...)` builds the app over a services container (built
from the settings when not given: store migrated under a lock, jobs executor, auth).
At start-up the jobs a previous process left queued or running are recovered; at
shutdown the executor stops. Middleware, outermost first: request id and JSON access
log, per-IP rate limit, body-size limit, CORS.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from vibetrading.api.middleware import (
    BodyLimitMiddleware,
    RateLimiter,
    RateLimitMiddleware,
    RequestContextMiddleware,
    configure_logging,
)
from vibetrading.api.problems import Problem, install_problem_handlers
from vibetrading.api.routes import auth, backtests, chat, jobs, market, paper, strategies
from vibetrading.services.container import ApiServices
from vibetrading.settings import Settings, get_settings

__all__ = ["API_PREFIX", "HealthOut", "create_app"]

API_PREFIX = "/api/v1"
logger = logging.getLogger("vibetrading.api")


class HealthOut(BaseModel):
    """The server is up; whether it needs a login."""

    status: str
    multi_user: bool
    version: str


def _rate_limiter(settings: Settings) -> RateLimiter:
    if settings.redis_url:
        from vibetrading.adapters.store.rate_limit import RedisRateLimiter

        return RedisRateLimiter(settings.redis_url, limit=settings.rate_limit_per_minute)
    from vibetrading.adapters.store.rate_limit import MemoryRateLimiter

    return MemoryRateLimiter(limit=settings.rate_limit_per_minute)


def create_app(
    settings: Settings | None = None,
    *,
    services: ApiServices | None = None,
    recover_jobs: bool = True,
    close_services: bool | None = None,
) -> FastAPI:
    """Return the HTTP API over `services` (built from `settings` when None).

    The services are closed (executor stopped, store released) when the app shuts down
    if `close_services` is true; by default only when they were built here.
    """
    settings = settings or get_settings()
    owns_services = services is None if close_services is None else close_services
    container = services if services is not None else _build(settings)
    if container.paper is None:
        container.paper = _build_paper(settings, container)

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        configure_logging()
        if recover_jobs:
            recovered = container.jobs.recover()
            if recovered:
                logger.info("recovered %d job(s) left by a previous process", len(recovered))
        paper.start_scheduler(application)
        try:
            yield
        finally:
            paper.stop_scheduler(application)
            if owns_services:
                container.close()

    from vibetrading import __version__

    app = FastAPI(
        title="VibeTrading API",
        version=__version__,
        description="Describe a trading idea, backtest it honestly, paper-trade it.",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.services = container
    app.state.rate_limiter = _rate_limiter(settings)
    install_problem_handlers(app)
    for module in (auth, strategies, chat, backtests, jobs, market, paper):
        app.include_router(module.router, prefix=API_PREFIX)

    @app.get(f"{API_PREFIX}/health", response_model=HealthOut, tags=["meta"])
    async def health() -> HealthOut:
        """Say the server is up and whether it needs a login."""
        return HealthOut(status="ok", multi_user=container.multi_user, version=__version__)

    @app.api_route(
        f"{API_PREFIX}/{{path:path}}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    async def unknown_endpoint(path: str, request: Request) -> None:
        """Answer an unknown API path with a problem document, never the UI's HTML page."""
        allowed = _allowed_methods(app, request)
        if allowed:
            raise StarletteHTTPException(405, headers={"Allow": ", ".join(sorted(allowed))})
        raise StarletteHTTPException(404, f"No API endpoint at {API_PREFIX}/{path}; see /docs.")

    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_credentials=True,
        allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        expose_headers=["X-Request-ID", "Retry-After"],
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(RateLimitMiddleware, limiter=app.state.rate_limiter)
    app.add_middleware(RequestContextMiddleware)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _allowed_methods(app: FastAPI, request: Request) -> set[str]:
    """The methods the API documents for the request's path (so a wrong method is a 405)."""
    path = request.url.path
    allowed: set[str] = set()
    for template, operations in app.openapi()["paths"].items():
        regex, _, _ = compile_path(template)
        if regex.match(path):
            allowed |= {method.upper() for method in operations}
    return allowed


def _build(settings: Settings) -> ApiServices:
    from vibetrading.api.container import build_services

    return build_services(settings)


def _build_paper(settings: Settings, container: ApiServices) -> Any:
    if getattr(container.store, "database", None) is None:  # paper runners live in SQL
        return None
    from vibetrading.bootstrap_paper import build_paper_service

    return build_paper_service(settings, container.store)


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        app.openapi_schema = schema
    return app.openapi_schema
