"""Settings: language and theme, default costs, the user's LLM provider, data providers.

Default costs and the LLM provider are the logged-in user's (stored by the user settings
service; without one, the costs are kept per browser). An API key is stored encrypted and
only ever shown back masked (``sk-…abcd``); the chat then uses that provider and key.
The saved costs fill the dashboard's form and apply to every backtest run from the UI.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from vibetrading.errors import VibeTradingError
from vibetrading.services.user_settings import mask_key
from vibetrading.web.i18n import LANGUAGES, Lang, current_language, set_language, t
from vibetrading.web.preferences import cost_defaults, save_cost_defaults
from vibetrading.web.state import WebServices
from vibetrading.web.theme import is_dark, page_frame

__all__ = ["build_settings_page", "mask_key", "provider_status"]

# The Python library each online provider needs (the bundled ones need none).
_PROVIDER_LIBRARIES = {
    "yfinance": "yfinance",
    "ccxt": "ccxt",
    "akshare": "akshare",
    "polygon": "polygon",
}


def provider_status(name: str, *, has_polygon_key: bool) -> str:
    """Return whether data provider `name` can serve now: ``bundled``, ``ready``,
    ``needs_key`` or ``not_installed``."""
    library = _PROVIDER_LIBRARIES.get(name)
    if library is None:
        return "bundled"
    if importlib.util.find_spec(library) is None:
        return "not_installed"
    if name == "polygon" and not has_polygon_key:
        return "needs_key"
    return "ready"


def _choose_language(lang: Lang) -> None:
    from nicegui import ui

    set_language(lang)
    ui.navigate.reload()


def _choose_dark(value: bool) -> None:
    from nicegui import app, ui

    app.storage.user["dark"] = bool(value)
    ui.navigate.reload()


def _appearance(lang: Lang) -> None:
    from nicegui import ui

    with ui.card().classes("w-full").props("flat bordered"):
        ui.label(t("settings.appearance", lang)).classes("font-semibold")
        with ui.row().classes("items-center gap-4"):
            ui.select(
                dict(LANGUAGES),
                value=current_language(),
                label=t("lang.switch", lang),
                on_change=lambda e: _choose_language(e.value),
            ).classes("w-40").mark("settings-lang")
            ui.switch(
                t("theme.dark", lang),
                value=is_dark(),
                on_change=lambda e: _choose_dark(e.value),
            ).mark("settings-dark")


def _costs(services: WebServices, owner: str, lang: Lang) -> None:
    from nicegui import ui

    stored = cost_defaults(services, owner)
    with ui.card().classes("w-full").props("flat bordered"):
        ui.label(t("settings.costs", lang)).classes("font-semibold")
        ui.label(t("settings.costs_hint", lang)).classes("text-xs opacity-70")
        form = "vt-form grid grid-cols-1 sm:grid-cols-3 gap-3 w-full items-end"
        with ui.element("div").classes(form):
            fee = (
                ui.number(
                    t("bt.fee_rate", lang),
                    value=stored.get("fee_rate"),
                    min=0,
                    max=0.1,
                    step=0.0001,
                    format="%.4f",
                )
                .classes("w-full")
                .mark("costs-fee")
            )
            slip = (
                ui.number(t("bt.slippage", lang), value=stored.get("slippage_bps"), min=0, max=1000)
                .classes("w-full")
                .mark("costs-slippage")
            )

            def save() -> None:
                fee.error = slip.error = None
                try:
                    save_cost_defaults(services, owner, fee_rate=fee.value, slippage_bps=slip.value)
                except VibeTradingError as e:
                    (fee if "fee" in str(e).lower() else slip).error = str(e)
                    return
                ui.notify(t("settings.saved", lang), type="positive")

            ui.button(t("card.save", lang), icon="save", on_click=save).props("outline").mark(
                "costs-save"
            )


class _LLMForm:
    def __init__(self, services: WebServices, owner: str, lang: Lang) -> None:
        self.services, self.owner, self.lang = services, owner, lang
        self.provider: Any = None
        self.model: Any = None
        self.base_url: Any = None
        self.key: Any = None
        self.current: Any = None

    def show_current(self) -> None:
        choice = self.services.user_settings.llm(self.owner)
        if choice is None:
            self.current.text = t("settings.llm_none", self.lang)
            return
        parts = [choice.provider, choice.model or "", choice.base_url or ""]
        key = t("settings.key_stored", self.lang, hint=choice.key_hint) if choice.has_key else ""
        self.current.text = " · ".join(p for p in [*parts, key] if p)

    def save(self) -> None:
        from nicegui import ui

        for field in (self.provider, self.key, self.base_url):
            field.error = None
        service, lang = self.services.user_settings, self.lang
        previous = service.llm_credentials(self.owner)
        key = (self.key.value or "").strip() or (
            previous.api_key if previous and previous.provider == self.provider.value else None
        )
        try:
            if self.services.llm_factory is not None and self.provider.value:
                self.services.llm_factory(
                    provider=self.provider.value,
                    api_key=key,
                    base_url=(self.base_url.value or "").strip() or None,
                    model=(self.model.value or "").strip() or None,
                )
            service.save_llm(
                self.owner,
                provider=self.provider.value or "",
                api_key=self.key.value,
                base_url=self.base_url.value,
                model=self.model.value,
            )
        except VibeTradingError as e:
            message, lower = str(e), str(e).lower()
            field = self.base_url if "url" in lower else self.key if "key" in lower else None
            (field or self.provider).error = message
            return
        self.key.value = ""
        self.show_current()
        ui.notify(t("settings.saved", lang), type="positive")

    def remove(self) -> None:
        from nicegui import ui

        self.services.user_settings.clear_llm(self.owner)
        self.show_current()
        ui.notify(t("settings.removed", self.lang), type="info")

    def build(self) -> None:
        from nicegui import ui

        lang, choice = self.lang, self.services.user_settings.llm(self.owner)
        self.current = ui.label("").classes("text-sm").mark("llm-current")
        self.show_current()
        with ui.element("div").classes("vt-form grid grid-cols-1 sm:grid-cols-2 gap-3 w-full"):
            self.provider = (
                ui.select(
                    list(self.services.llm_providers),
                    value=choice.provider if choice else None,
                    label=t("settings.provider", lang),
                )
                .classes("w-full")
                .mark("llm-provider")
            )
            self.model = (
                ui.input(t("settings.model", lang), value=(choice.model or "") if choice else "")
                .classes("w-full")
                .mark("llm-model")
            )
            self.base_url = (
                ui.input(
                    t("settings.base_url", lang), value=(choice.base_url or "") if choice else ""
                )
                .classes("w-full")
                .mark("llm-base-url")
            )
            self.key = (
                ui.input(
                    t("settings.key", lang),
                    password=True,
                    password_toggle_button=True,
                    placeholder=choice.key_hint if choice and choice.has_key else "",
                )
                .props("autocomplete=off")
                .classes("w-full")
                .mark("llm-key")
            )
        with ui.row().classes("gap-2"):
            ui.button(t("card.save", lang), icon="save", on_click=self.save).props(
                "unelevated color=primary"
            ).mark("llm-save")
            ui.button(t("settings.remove", lang), icon="delete", on_click=self.remove).props(
                "flat color=negative"
            ).mark("llm-remove")


def _llm(services: WebServices, owner: str, lang: Lang) -> None:
    from nicegui import ui

    with ui.card().classes("w-full").props("flat bordered").mark("llm-settings"):
        ui.label(t("settings.llm", lang)).classes("font-semibold")
        if services.user_settings is None:
            ui.label(t("common.not_available", lang, what=t("settings.llm", lang))).classes(
                "text-sm opacity-70"
            )
            return
        ui.label(t("settings.llm_hint", lang)).classes("text-xs opacity-70")
        _LLMForm(services, owner, lang).build()


def _providers(services: WebServices, lang: Lang) -> None:
    from nicegui import ui

    from vibetrading.settings import get_settings

    has_polygon_key = get_settings().polygon_api_key is not None
    tones = {"bundled": "positive", "ready": "positive", "needs_key": "warning"}
    with ui.card().classes("w-full").props("flat bordered").mark("data-providers"):
        ui.label(t("settings.data", lang)).classes("font-semibold")
        with ui.column().classes("gap-1"):
            for name in services.market_data.provider_names:
                status = provider_status(name, has_polygon_key=has_polygon_key)
                with ui.row().classes("items-center gap-2"):
                    ui.label(name).classes("text-sm font-mono w-24")
                    ui.badge(t(f"provider.{status}", lang)).props(
                        f"outline color={tones.get(status, 'grey')}"
                    ).mark(f"provider-{name}")


def build_settings_page(services: WebServices, *, owner: str) -> None:
    """Render the settings page of `owner`."""
    with page_frame("settings", show_login=services.is_multi_user) as lang:
        _appearance(lang)
        _costs(services, owner, lang)
        _llm(services, owner, lang)
        _providers(services, lang)
