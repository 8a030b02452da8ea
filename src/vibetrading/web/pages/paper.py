"""Paper trading: accounts, positions, orders and fills, and a manual order ticket.

Everything shown is the signed-in user's (``services.paper.for_user(owner)``). The
ticket shows where an order goes (PAPER or DRY_RUN) before it is sent, and the answer
after: ``PAPER buy 1 SPX: accepted``, or the rejection in words.
"""

from __future__ import annotations

from typing import Any

from vibetrading.errors import VibeTradingError
from vibetrading.web.i18n import Lang, t
from vibetrading.web.state import WebServices
from vibetrading.web.theme import page_frame

__all__ = ["build_paper_page", "check_ticket", "order_line"]

_ROWS = 50  # newest orders and fills shown


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


def order_line(mode: str, order: Any) -> str:
    """Return how a placed order reads: ``PAPER buy 1 SPX: accepted`` (+ the reason)."""
    text = (
        f"{mode.upper()} {order.side.value} {order.quantity:g} {order.symbol}: "
        f"{order.status.value} {order.message}"
    )
    return text.rstrip()


def build_paper_page(services: WebServices, *, owner: str) -> None:
    """Render the paper trading page (a clear notice when this build lacks the service)."""
    from nicegui import ui

    with page_frame("paper", show_login=services.is_multi_user) as lang:
        if services.paper is None:
            ui.label(t("common.not_available", lang, what=t("nav.paper", lang))).mark(
                "not-available"
            )
            return
        paper = services.paper.for_user(owner)
        try:
            accounts = paper.status()
        except VibeTradingError as e:
            ui.label(str(e)).classes("vt-error").mark("paper-error")
            return
        _ticket(paper, lang)
        if not accounts:
            ui.label(t("paper.no_runners", lang)).classes("opacity-70").mark("no-runners")
        with ui.element("div").classes("grid grid-cols-1 md:grid-cols-2 gap-4 w-full"):
            _card(t("paper.account", lang), "accounts", _account_rows(accounts))
            _card(t("paper.positions", lang), "positions", _position_rows(paper.positions()))
            _card(t("paper.orders", lang), "orders", _order_rows(paper.orders()[-_ROWS:]))
            _card(t("paper.fills", lang), "fills", _fill_rows(paper.fills()[-_ROWS:]))


def _card(title: str, key: str, rows: list[dict[str, Any]]) -> None:
    from nicegui import ui

    with ui.card().classes("w-full").props("flat bordered"):
        ui.label(title).classes("font-semibold")
        if not rows:
            ui.label(t("common.empty")).classes("text-sm opacity-70").mark(f"paper-{key}-empty")
            return
        columns = [{"name": k, "label": k.replace("_", " "), "field": k} for k in rows[0]]
        ui.table(columns=columns, rows=rows).classes("w-full").props("dense flat").mark(
            f"paper-{key}"
        )


def _account_rows(accounts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "runner": a["runner_id"],
            "symbol": a["symbol"],
            "mode": str(a["mode"]).upper(),
            "status": f"{a['status']}: {a['error']}" if a.get("error") else a["status"],
            "cash": f"{a['cash']:,.2f} {a.get('currency', '')}".strip(),
            "equity": f"{a['equity']:,.2f}",
        }
        for a in accounts
    ]


def _position_rows(positions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"symbol": p["symbol"], "quantity": f"{p['quantity']:g}", "mode": p["mode"].upper()}
        for p in positions
    ]


def _order_rows(orders: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": o.client_order_id,
            "symbol": o.symbol,
            "side": o.side.value,
            "quantity": f"{o.quantity:g}",
            "status": o.status.value,
            "price": f"{o.average_price:,.2f}" if o.average_price else "—",
            "note": o.message,
        }
        for o in reversed(orders)
    ]


def _fill_rows(fills: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "time": f.timestamp.isoformat()[:19],
            "symbol": f.symbol,
            "side": f.side.value,
            "quantity": f"{f.quantity:g}",
            "price": f"{f.price:,.4g}",
            "fees": f"{f.fees:,.2f}",
        }
        for f in reversed(fills)
    ]


def _ticket(paper: Any, lang: Lang) -> None:
    from nicegui import ui

    with ui.card().classes("w-full").props("flat bordered"):
        ui.label(t("paper.ticket", lang)).classes("font-semibold")
        with ui.row().classes("items-end gap-3"):
            symbol = ui.input(t("paper.symbol", lang)).mark("ticket-symbol")
            side = ui.toggle(["buy", "sell"], value="buy").mark("ticket-side")
            quantity = ui.number(t("paper.quantity", lang), value=1, min=0).mark("ticket-quantity")
            limit = ui.number(t("paper.limit", lang), min=0).mark("ticket-limit")
        mode = ui.label("").classes("text-sm font-semibold").mark("ticket-mode")
        error = ui.label("").classes("vt-error text-sm").mark("ticket-error")
        result = ui.label("").classes("text-sm font-mono").mark("ticket-result")

        def account() -> dict[str, Any] | None:
            code = (symbol.value or "").strip()
            if not code:
                mode.text = ""
                return None
            try:
                found: dict[str, Any] = paper.account_for(code)
            except VibeTradingError:
                mode.text = t("paper.no_account", lang, symbol=code)
                return None
            mode.text = t("paper.mode", lang, mode=str(found["mode"]).upper())
            return found

        def submit() -> None:
            from vibetrading.domain.trading.enums import OrderSide

            problems = check_ticket(symbol.value or "", side.value, quantity.value)
            error.text = " ".join(problems)
            found = None if problems else account()
            if found is None:
                return
            try:
                placed = paper.place_order(
                    symbol.value.strip(),
                    OrderSide(side.value),
                    float(quantity.value),
                    limit_price=float(limit.value) if limit.value else None,
                    runner_id=found["runner_id"],
                )
            except VibeTradingError as e:
                error.text = str(e)
                return
            result.text = order_line(found["mode"], placed)
            ui.notify(
                result.text, type="negative" if placed.status.value == "rejected" else "positive"
            )

        symbol.on("blur", account)
        ui.button(t("paper.submit", lang), on_click=submit).props("unelevated color=primary").mark(
            "ticket-submit"
        )
