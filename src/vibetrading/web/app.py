"""Mount the NiceGUI web UI on a FastAPI app, next to the API, on the same port.

``mount_ui(app, services=container)`` registers the pages and mounts NiceGUI at ``/``;
routes added to `app` before the call (the API under ``/api/v1``) keep priority. NiceGUI
holds one global app, so a process mounts the UI once. ``create_ui_app()`` builds a
minimal FastAPI app with the offline services and the UI, for tests and for a quick look::

    uvicorn --factory vibetrading.web.app:create_ui_app --port 8000
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request

from vibetrading.web.state import UiState, WebServices

__all__ = ["build_web_services", "create_ui_app", "mount_ui", "register_pages"]

ACCESS_COOKIE = "vt_access"


def _guard(services: WebServices, request: Any, build: Callable[[str], None]) -> Any:
    from urllib.parse import quote

    from fastapi.responses import RedirectResponse
    from nicegui import app

    owner = services.owner(request.cookies.get(ACCESS_COOKIE))
    if owner is None:
        # The login page first tries a silent refresh of the expired access token.
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}")
    app.storage.client["owner"] = owner
    build(owner)
    return None


def _register_user_pages(services: WebServices, state: UiState) -> None:
    from nicegui import ui

    from vibetrading.web.pages import chat, dashboard, editor, paper, settings
    from vibetrading.web.pages import strategies as strategies_page

    @ui.page("/", title="VibeTrading")
    def chat_route(request: Request, c: str | None = None) -> Any:
        return _guard(
            services,
            request,
            lambda owner: chat.build_chat_page(services, state, owner=owner, conversation=c),
        )

    @ui.page("/backtest", title="VibeTrading · Backtest")
    def dashboard_route(
        request: Request, run: str | None = None, window: str = "All", symbol: str | None = None
    ) -> Any:
        return _guard(
            services,
            request,
            lambda owner: dashboard.build_dashboard_page(
                services, state, owner=owner, run=run, window=window, symbol=symbol
            ),
        )

    @ui.page("/editor", title="VibeTrading · Editor")
    def editor_route(request: Request, proposal: str | None = None) -> Any:
        return _guard(
            services,
            request,
            lambda owner: editor.build_editor_page(services, state, owner=owner, proposal=proposal),
        )

    @ui.page("/strategies", title="VibeTrading · Strategies")
    def strategies_route(request: Request, id: str | None = None) -> Any:
        return _guard(
            services,
            request,
            lambda owner: strategies_page.build_strategies_page(
                services, state, owner=owner, strategy_id=id
            ),
        )

    @ui.page("/paper", title="VibeTrading · Paper trading")
    def paper_route(request: Request) -> Any:
        return _guard(
            services, request, lambda owner: paper.build_paper_page(services, owner=owner)
        )

    @ui.page("/settings", title="VibeTrading · Settings")
    def settings_route(request: Request) -> Any:
        return _guard(
            services, request, lambda owner: settings.build_settings_page(services, owner=owner)
        )


def _register_open_pages(services: WebServices) -> None:
    from nicegui import app, ui

    from vibetrading.web.pages import login, market

    @ui.page("/market", title="VibeTrading · Market")
    def market_route(request: Request, symbol: str | None = None) -> None:
        app.storage.client["owner"] = services.owner(request.cookies.get(ACCESS_COOKIE))
        market.build_market_page(services, symbol=symbol)

    @ui.page("/login", title="VibeTrading · Log in")
    def login_route(next: str = "/") -> None:
        login.build_login_page(services, next_path=next)


def register_pages(services: WebServices, state: UiState) -> None:
    """Register every page of the UI on NiceGUI's app, bound to `services` and `state`.

    In multi-user mode a page with user data redirects to ``/login?next=<page>`` when the
    request carries no valid access cookie (``vt_access``, set by the API's login); the
    login page refreshes an expired token silently and comes back.
    """
    _register_user_pages(services, state)
    _register_open_pages(services)


def _use_storage_dir(path: Path) -> str:
    from nicegui import app
    from nicegui.storage import Storage

    path.mkdir(parents=True, exist_ok=True)
    Storage.path = path.resolve()
    app.storage = Storage()  # rebuilt so its persistent dicts use the new path
    secret_file = path / "session-secret"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        secret_file.chmod(0o600)
    return secret_file.read_text(encoding="utf-8").strip()


def mount_ui(
    app: Any,
    *,
    services: Any,
    storage_secret: str | None = None,
    storage_dir: Path | None = None,
) -> None:
    """Register the pages and mount the UI at ``/`` of the FastAPI `app`.

    `services` is the API's services container (or a ``WebServices``): it must have
    ``market_data`` and ``backtests``; copilot, strategies, conversations, paper, auth and
    research are used when present. `storage_dir` (default: ``<VIBETRADING_HOME>/ui``)
    holds the per-browser UI choices (language, theme) and the secret that signs the
    session cookie, unless `storage_secret` is given.
    """
    from nicegui import ui

    from vibetrading.settings import get_settings

    settings = get_settings()
    stored_secret = _use_storage_dir(storage_dir or settings.data_dir / "ui")
    register_pages(_with_user_settings(WebServices.from_container(services), services), UiState())
    ui.run_with(
        app,
        mount_path="/",
        title="VibeTrading",
        storage_secret=storage_secret or stored_secret,
        show_welcome_message=False,
        favicon="📈",
    )


def _with_user_settings(web: WebServices, container: Any) -> WebServices:
    """Add per-user settings over the container's store, and the LLM client builder."""
    from vibetrading import bootstrap
    from vibetrading.settings import get_settings

    settings = get_settings()
    store: Any = getattr(container, "store", None)
    if web.user_settings is None and getattr(store, "database", None) is not None:
        web.user_settings = bootstrap.build_user_settings(settings, store)
    if web.llm_factory is None:
        web.llm_factory = functools.partial(bootstrap.build_llm_client, settings)
    if not web.llm_providers:
        web.llm_providers = tuple(bootstrap.llm_provider_names())
    return web


def build_web_services(settings: Any = None) -> WebServices:
    """Build the UI's services from `settings` with the composition root's builders."""
    from vibetrading import bootstrap

    market_data = bootstrap.build_market_data(settings)
    from vibetrading.services.backtests import BacktestService

    return WebServices(market_data=market_data, backtests=BacktestService(market_data))


def create_ui_app(
    services: Any = None, *, storage_secret: str | None = None, storage_dir: Path | None = None
) -> Any:
    """Return a FastAPI app serving only the UI (and ``/healthz``) over `services`."""
    from fastapi import FastAPI

    app = FastAPI(title="VibeTrading UI", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    mount_ui(
        app,
        services=services or build_web_services(),
        storage_secret=storage_secret,
        storage_dir=storage_dir,
    )
    return app
