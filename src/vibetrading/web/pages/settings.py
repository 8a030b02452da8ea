"""Settings: LLM and data providers, default costs, language and theme."""

from __future__ import annotations

from typing import Any

from vibetrading.web.i18n import LANGUAGES, Lang, current_language, set_language, t
from vibetrading.web.state import WebServices
from vibetrading.web.theme import is_dark, page_frame

__all__ = ["build_settings_page", "mask_key"]


def mask_key(key: str | None) -> str:
    """Return a stored key as shown back: its last four characters only."""
    if not key:
        return ""
    return "••••" + key[-4:] if len(key) > 8 else "••••"


def _choose_language(lang: Lang) -> None:
    from nicegui import ui

    set_language(lang)
    ui.navigate.reload()


def _choose_dark(value: bool) -> None:
    from nicegui import app, ui

    app.storage.user["dark"] = bool(value)
    ui.navigate.reload()


def _appearance() -> None:
    from nicegui import ui

    with ui.card().classes("w-full").props("flat bordered"):
        ui.label(t("settings.appearance")).classes("font-semibold")
        with ui.row().classes("items-center gap-4"):
            ui.select(
                dict(LANGUAGES),
                value=current_language(),
                label=t("lang.switch"),
                on_change=lambda e: _choose_language(e.value),
            ).classes("w-40").mark("settings-lang")
            ui.switch(
                t("theme.dark"),
                value=is_dark(),
                on_change=lambda e: _choose_dark(e.value),
            ).mark("settings-dark")


def _costs() -> None:
    from nicegui import app, ui

    stored: dict[str, Any] = dict(app.storage.user.get("costs", {}))
    with ui.card().classes("w-full").props("flat bordered"):
        ui.label(t("settings.costs")).classes("font-semibold")
        with ui.row().classes("items-end gap-4"):
            fee = ui.number(t("bt.fee_rate"), value=stored.get("fee_rate"), min=0, max=0.1)
            slip = ui.number(t("bt.slippage"), value=stored.get("slippage_bps"), min=0, max=1000)

            def save() -> None:
                app.storage.user["costs"] = {"fee_rate": fee.value, "slippage_bps": slip.value}
                ui.notify(t("settings.saved"), type="positive")

            ui.button(t("card.save"), on_click=save).props("outline")


def _providers(services: WebServices) -> None:
    from nicegui import ui

    with ui.card().classes("w-full").props("flat bordered"):
        ui.label(t("settings.data")).classes("font-semibold")
        ui.label(", ".join(services.market_data.provider_names)).classes("text-sm")
    with ui.card().classes("w-full").props("flat bordered"):
        ui.label(t("settings.llm")).classes("font-semibold")
        keys = getattr(services.auth, "api_keys", None) if services.auth is not None else None
        if keys is None:
            ui.label(t("common.not_available", what=t("settings.llm"))).classes(
                "text-sm opacity-70"
            )
            return
        for row in keys.list():
            ui.label(f"{row.get('provider')} {mask_key(row.get('key'))}").classes("text-sm")


def build_settings_page(services: WebServices) -> None:
    """Render the settings page."""
    with page_frame("settings", show_login=services.is_multi_user):
        _appearance()
        _costs()
        _providers(services)
