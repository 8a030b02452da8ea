"""Paper trading: account, positions, orders and fills, and a manual order ticket."""

from __future__ import annotations

from typing import Any

from vibetrading.errors import VibeTradingError
from vibetrading.web.i18n import t
from vibetrading.web.state import WebServices
from vibetrading.web.theme import page_frame

__all__ = ["build_paper_page", "check_ticket"]


def check_ticket(symbol: str, side: str, quantity: float | None) -> list[str]:
    """Return the problems of a manual order before it is sent (empty when fine)."""
    problems = []
    if not symbol.strip():
        problems.append("Name the symbol to trade.")
    if side not in {"buy", "sell"}:
        problems.append("Side must be buy or sell.")
    if quantity is None or quantity <= 0:
        problems.append("Quantity must be more than 0.")
    is_a_share = symbol.strip().upper().endswith((".SH", ".SZ"))
    if is_a_share and quantity and side == "buy" and quantity % 100:
        problems.append("China A-shares are bought in lots of 100 shares.")
    return problems


def _ticket(services: WebServices, owner: str) -> None:
    from nicegui import ui

    lang_key = "paper"
    with ui.card().classes("w-full").props("flat bordered"):
        ui.label(t(f"{lang_key}.ticket")).classes("font-semibold")
        with ui.row().classes("items-end gap-3"):
            symbol = ui.input(t("paper.symbol")).mark("ticket-symbol")
            side = ui.toggle(["buy", "sell"], value="buy")
            quantity = ui.number(t("paper.quantity"), value=1, min=0).mark("ticket-quantity")
            error = ui.label("").classes("vt-error text-sm").mark("ticket-error")

            def submit() -> None:
                problems = check_ticket(symbol.value or "", side.value, quantity.value)
                error.text = " ".join(problems)
                if problems:
                    return
                try:
                    services.paper.submit_order(
                        owner, symbol=symbol.value, side=side.value, quantity=quantity.value
                    )
                except VibeTradingError as e:
                    error.text = str(e)
                    return
                ui.notify("OK", type="positive")

            ui.button(t("paper.submit"), on_click=submit).props("unelevated color=primary")


def build_paper_page(services: WebServices, *, owner: str) -> None:
    """Render the paper trading page (a clear notice when this build lacks the service)."""
    from nicegui import ui

    with page_frame("paper", show_login=services.is_multi_user) as lang:
        if services.paper is None:
            ui.label(t("common.not_available", lang, what=t("nav.paper", lang))).mark(
                "not-available"
            )
            return
        with ui.element("div").classes("grid grid-cols-1 md:grid-cols-2 gap-4 w-full"):
            for key in ("account", "positions", "orders", "fills"):
                with ui.card().classes("w-full").props("flat bordered"):
                    ui.label(t(f"paper.{key}", lang)).classes("font-semibold")
                    _section(services, owner, key)
        _ticket(services, owner)


def _section(services: WebServices, owner: str, key: str) -> Any:
    from nicegui import ui

    reader = getattr(services.paper, f"list_{key}", None) or getattr(services.paper, key, None)
    if reader is None:
        return ui.label(t("common.not_available", what=key)).classes("text-sm opacity-70")
    try:
        items = reader(owner)
    except VibeTradingError as e:
        return ui.label(str(e)).classes("vt-error text-sm")
    return ui.label(str(items)).classes("text-sm font-mono")
