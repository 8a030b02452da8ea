"""Log in and registration in multi-user mode; a notice in local mode.

The form posts to the API (``/api/v1/auth/login`` or ``/register``) from the browser,
so the API sets its HttpOnly access cookie, which the pages then read.
"""

from __future__ import annotations

import json

from vibetrading.web.i18n import Lang, t
from vibetrading.web.state import WebServices
from vibetrading.web.theme import page_frame

__all__ = ["build_login_page", "login_script"]


def login_script(path: str, email: str, password: str) -> str:
    """Return the browser script that posts the credentials to `path` and reports back."""
    body = json.dumps({"email": email, "password": password})
    return (
        f"const r = await fetch({json.dumps(path)}, {{method: 'POST', credentials: 'include', "
        f"headers: {{'Content-Type': 'application/json'}}, body: {json.dumps(body)}}});"
        "const b = await r.json().catch(() => ({}));"
        "return {ok: r.ok, detail: b.detail || b.title || String(r.status)};"
    )


def _form(lang: Lang) -> None:
    from nicegui import ui

    with ui.card().classes("w-full max-w-sm self-center").props("flat bordered"):
        ui.label(t("login.title", lang)).classes("text-lg font-semibold")
        email = ui.input(t("login.email", lang)).classes("w-full").mark("login-email")
        password = (
            ui.input(t("login.password", lang), password=True)
            .classes("w-full")
            .mark("login-password")
        )
        error = ui.label("").classes("vt-error text-sm").mark("login-error")

        async def submit(register: bool) -> None:
            path = "/api/v1/auth/register" if register else "/api/v1/auth/login"
            script = login_script(path, email.value or "", password.value or "")
            result = await ui.run_javascript(script, timeout=15)
            if not result or not result.get("ok"):
                error.text = str((result or {}).get("detail") or t("common.error", lang))
                return
            ui.navigate.to("/")

        with ui.row().classes("gap-2"):
            ui.button(t("login.title", lang), on_click=lambda: submit(False)).props(
                "unelevated color=primary"
            ).mark("login-submit")
            ui.button(t("login.register", lang), on_click=lambda: submit(True)).props("flat")


def build_login_page(services: WebServices) -> None:
    """Render the login form (multi-user mode) or the local-mode notice."""
    from nicegui import ui

    with page_frame("login", show_login=services.is_multi_user) as lang:
        if not services.is_multi_user:
            ui.label(t("login.local_mode", lang)).mark("local-mode")
            return
        _form(lang)
