"""The look of the UI: colours, light and dark, and the page frame with its navigation.

``page_frame("chat")`` opens a page: a header with the menu button, the language and
theme switches, and a left drawer with the navigation that collapses into the menu on
narrow screens (phones). The choice of language and theme is stored per browser; the
page's ``<title>``, ``<html lang>`` and Quasar's own texts follow the language. In
multi-user mode the drawer offers "Log in", or "Log out" to a logged-in user (the
page guard records who in ``app.storage.client["owner"]``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from vibetrading.web.i18n import LANGUAGES, Lang, current_language, set_language, t

__all__ = ["NAV_ITEMS", "QUASAR_LANGUAGES", "is_dark", "logout_script", "page_frame"]

QUASAR_LANGUAGES: dict[Lang, str] = {"en": "en-US", "zh": "zh-CN"}

NAV_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("chat", "/", "forum"),
    ("editor", "/editor", "tune"),
    ("dashboard", "/backtest", "insights"),
    ("strategies", "/strategies", "inventory_2"),
    ("market", "/market", "candlestick_chart"),
    ("paper", "/paper", "account_balance_wallet"),
    ("settings", "/settings", "settings"),
)

_CSS = """
:root { --vt-radius: 14px; }
body { font-family: Inter, system-ui, -apple-system, "Segoe UI", Roboto, "PingFang SC",
  "Noto Sans CJK SC", sans-serif; }
.body--light { background: #f4f6fb; }
.body--dark { background: #0b1220; }
.body--dark .q-card, .body--dark .q-table__card { background: #111a2e; }
.vt-header { backdrop-filter: blur(8px); }
.body--light .vt-header { background: rgba(255,255,255,.92); color: #0f172a;
  border-bottom: 1px solid #e5e7eb; }
.body--dark .vt-header { background: rgba(11,18,32,.92); color: #e2e8f0;
  border-bottom: 1px solid #1e293b; }
.body--dark .q-drawer { background: #0f172a; color: #e2e8f0; }
.body--dark .q-drawer--bordered { border-color: #1e293b; }
.vt-brand { font-weight: 700; letter-spacing: .01em; }
.vt-brand span { color: #6366f1; }
.vt-page { max-width: 1320px; margin: 0 auto; width: 100%; padding: 16px; }
.q-card { border-radius: var(--vt-radius); }
.vt-metrics { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr));
  gap: 10px; }
.vt-metric { padding: 10px 12px; }
.vt-metric-label { font-size: 11px; text-transform: uppercase; letter-spacing: .05em;
  opacity: .65; }
.vt-metric-value { font-size: 20px; font-weight: 650; font-variant-numeric: tabular-nums; }
.vt-chat-log { width: 100%; max-width: 880px; margin: 0 auto; }
.vt-composer { width: 100%; max-width: 880px; margin: 0 auto; }
.vt-bubble-user { background: #6366f1; color: white; border-radius: 16px 16px 4px 16px;
  padding: 8px 14px; max-width: 85%; white-space: pre-wrap; }
.vt-bubble-bot { border-radius: 16px 16px 16px 4px; padding: 10px 14px; max-width: 100%;
  white-space: pre-wrap; }
.body--light .vt-bubble-bot { background: white; border: 1px solid #e5e7eb; }
.body--dark .vt-bubble-bot { background: #111a2e; border: 1px solid #1e293b; }
.vt-error { color: #dc2626; white-space: pre-wrap; }
.vt-nav .q-item { border-radius: 10px; margin: 2px 8px; }
.vt-nav .q-item.vt-active { background: rgba(99,102,241,.14); color: #6366f1; }
.vt-field { min-width: 10rem; }
.vt-form .q-field--with-bottom { padding-bottom: 0; }
.vt-form .q-field__bottom { position: static; transform: none; padding-top: 4px; }
@media (max-width: 500px) { .vt-monthly .heatmap-label { display: none; } }
@media (max-width: 599px) { .vt-page { padding: 8px; } .vt-metric-value { font-size: 17px; }
  .vt-field { min-width: 0; width: 100%; } }
"""


def is_dark() -> bool:
    """Return True when this browser chose the dark theme."""
    try:
        from nicegui import app

        return bool(app.storage.user.get("dark", False))
    except (RuntimeError, AssertionError, KeyError):
        return False


def logout_script() -> str:
    """Return the browser script that logs out through the API (which clears the cookies)."""
    return (
        "await fetch('/api/v1/auth/logout', {method: 'POST', credentials: 'include'})"
        ".catch(() => null); return true;"
    )


def _switch_language(lang: Lang) -> None:
    from nicegui import ui

    set_language(lang)
    ui.navigate.reload()


def _switch_theme(value: bool, dark: Any) -> None:
    from nicegui import app, ui

    app.storage.user["dark"] = bool(value)
    dark.value = bool(value)
    ui.navigate.reload()  # charts are drawn for one theme: redraw them


async def _logout() -> None:
    from nicegui import ui

    # the API clears the cookies; go on to the login page whatever it answers
    with contextlib.suppress(TimeoutError):
        await ui.run_javascript(logout_script(), timeout=10)
    ui.navigate.to("/login")


def _header(drawer: Any, lang: Lang, dark: Any) -> None:
    from nicegui import ui

    with ui.header().classes("vt-header items-center gap-2 px-3 py-2"):
        ui.button(icon="menu", on_click=drawer.toggle).props(
            f'flat round dense aria-label="{t("nav.menu", lang)}"'
        ).mark("menu")
        ui.html('<div class="vt-brand text-lg">Vibe<span>Trading</span></div>')
        ui.space()
        ui.toggle(dict(LANGUAGES), value=lang, on_change=lambda e: _switch_language(e.value)).props(
            "dense no-caps unelevated toggle-color=primary"
        ).mark("lang-switch")
        action = t("theme.to_light" if dark.value else "theme.to_dark", lang)
        ui.button(
            icon="light_mode" if dark.value else "dark_mode",
            on_click=lambda: _switch_theme(not dark.value, dark),
        ).props(f'flat round dense aria-label="{action}"').tooltip(action).mark("theme-switch")


def _nav_items(show_login: bool) -> list[tuple[str, str, str]]:
    from nicegui import app

    items = list(NAV_ITEMS)
    if show_login:
        logged_in = bool(app.storage.client.get("owner"))
        items.append(("logout", "", "logout") if logged_in else ("login", "/login", "login"))
    return items


def _drawer(active: str, lang: Lang, show_login: bool) -> Any:
    from nicegui import ui

    drawer = ui.left_drawer(value=None, bordered=True).props("width=220 breakpoint=900")
    with drawer, ui.list().classes("vt-nav w-full pt-2"):
        for key, path, icon in _nav_items(show_login):
            action = _logout if key == "logout" else (lambda p=path: ui.navigate.to(p))
            with (
                ui.item(on_click=action)
                .classes("vt-active" if key == active else "")
                .mark(f"nav-{key}")
            ):
                with ui.item_section().props("avatar"):
                    ui.icon(icon)
                ui.item_section(t(f"nav.{key}", lang))
    return drawer


def _set_page_language(lang: Lang, active: str) -> None:
    import copy

    from nicegui import context, ui

    client = context.client
    # The page object is shared by every client of a route: give this one its own copy,
    # so <html lang> and Quasar's texts ("Records per page") follow this browser's choice.
    client.page = copy.copy(client.page)
    client.page.language = QUASAR_LANGUAGES[lang]  # type: ignore[assignment]
    title = t(f"nav.{active}", lang)
    ui.page_title(f"VibeTrading · {title}" if active != "chat" else "VibeTrading")


@contextmanager
def page_frame(active: str, *, show_login: bool = False) -> Iterator[Lang]:
    """Build the header and navigation of a page, then yield the language for its content.

    `show_login` (multi-user mode) adds "Log in", or "Log out" for a logged-in user.
    """
    from nicegui import ui

    lang = current_language()
    _set_page_language(lang, active)
    ui.add_css(_CSS)
    dark = ui.dark_mode(is_dark())
    ui.colors(
        primary="#6366f1",
        secondary="#0ea5e9",
        accent="#f59e0b",
        positive="#16a34a",
        negative="#dc2626",
    )
    drawer = _drawer(active, lang, show_login)
    _header(drawer, lang, dark)
    with ui.column().classes("vt-page gap-4"):
        yield lang
