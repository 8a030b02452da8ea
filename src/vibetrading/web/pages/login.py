"""Log in and registration in multi-user mode; a notice in local mode.

The form posts to the API (``/api/v1/auth/login`` or ``/register``) from the browser,
so the API sets its HttpOnly access and refresh cookies, which the pages then read.
Enter in the password field submits. A page whose access token has expired (15 minutes
by default) sends the browser here with ``?next=<page>``: the page first asks
``/api/v1/auth/refresh`` for a new token with the refresh cookie and, when that works,
goes straight back, so a user is not thrown out while the refresh token lasts.
"""

from __future__ import annotations

import json
from typing import Any

from vibetrading.web.i18n import Lang, t
from vibetrading.web.state import WebServices
from vibetrading.web.theme import page_frame

__all__ = ["REFRESH_SCRIPT", "build_login_page", "login_script", "safe_next"]

REFRESH_SCRIPT = (
    "const r = await fetch('/api/v1/auth/refresh', {method: 'POST', credentials: 'include'})"
    ".catch(() => null); return Boolean(r && r.ok);"
)


def login_script(path: str, email: str, password: str) -> str:
    """Return the browser script that posts the credentials to `path` and reports back."""
    body = json.dumps({"email": email, "password": password})
    return (
        f"const r = await fetch({json.dumps(path)}, {{method: 'POST', credentials: 'include', "
        f"headers: {{'Content-Type': 'application/json'}}, body: {json.dumps(body)}}});"
        "const b = await r.json().catch(() => ({}));"
        "return {ok: r.ok, detail: b.detail || b.title || String(r.status)};"
    )


def safe_next(path: str | None) -> str:
    """Return `path` when it is a page of this site, else ``/`` (no open redirects)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def _form(lang: Lang, next_path: str) -> Any:
    from nicegui import ui

    with ui.card().classes("w-full max-w-sm self-center").props("flat bordered") as card:
        ui.label(t("login.title", lang)).classes("text-lg font-semibold")
        email = (
            ui.input(t("login.email", lang))
            .props("autocomplete=username")
            .classes("w-full")
            .mark("login-email")
        )
        password = (
            ui.input(t("login.password", lang), password=True)
            .props("autocomplete=current-password")
            .classes("w-full")
            .mark("login-password")
        )
        error = ui.label("").classes("vt-error text-sm").mark("login-error")

        async def submit(register: bool) -> None:
            error.text = ""
            path = "/api/v1/auth/register" if register else "/api/v1/auth/login"
            script = login_script(path, email.value or "", password.value or "")
            result = await ui.run_javascript(script, timeout=15)
            if not result or not result.get("ok"):
                error.text = str((result or {}).get("detail") or t("common.error", lang))
                return
            ui.navigate.to(next_path)

        password.on("keydown.enter", lambda: submit(False))
        with ui.row().classes("gap-2"):
            ui.button(t("login.title", lang), on_click=lambda: submit(False)).props(
                "unelevated color=primary"
            ).mark("login-submit")
            ui.button(t("login.register", lang), on_click=lambda: submit(True)).props("flat").mark(
                "login-register"
            )
    return card


async def _refresh_then_return(card: Any, next_path: str) -> None:
    from nicegui import ui

    try:
        is_refreshed = await ui.run_javascript(REFRESH_SCRIPT, timeout=10)
    except TimeoutError:
        is_refreshed = False
    if is_refreshed:
        ui.navigate.to(next_path)
        return
    card.set_visibility(True)


def build_login_page(services: WebServices, *, next_path: str | None = None) -> None:
    """Render the login form (multi-user mode) or the local-mode notice."""
    from nicegui import ui

    with page_frame("login", show_login=services.is_multi_user) as lang:
        if not services.is_multi_user:
            ui.label(t("login.local_mode", lang)).mark("local-mode")
            return
        target = safe_next(next_path)
        card = _form(lang, target)
        if next_path:  # sent here by an expired token: try the refresh cookie first
            card.set_visibility(False)
            ui.label(t("login.checking", lang)).classes("text-sm opacity-70").bind_visibility_from(
                card, "visible", backward=lambda visible: not visible
            )
            ui.timer(0.1, lambda: _refresh_then_return(card, target), once=True)
