"""The card of a proposed strategy: its rules, assumptions and safety report, and actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vibetrading.domain.strategy.message_words import localize_notes
from vibetrading.web.i18n import Lang, t
from vibetrading.web.state import Proposal

__all__ = ["safety_badge", "strategy_card"]

Action = Callable[[Proposal], Any]


def _bullets(title: str, items: list[str], *, icon: str, tone: str) -> None:
    from nicegui import ui

    if not items:
        return
    ui.label(title).classes("text-xs uppercase tracking-wide opacity-70 mt-2")
    for item in items:
        with ui.row().classes("items-start gap-1 no-wrap"):
            ui.icon(icon, size="16px").classes(tone)
            ui.label(item).classes("text-sm")


def safety_badge(safety: dict[str, Any] | None, *, lang: Lang = "en") -> Any:
    """Add the safety report (safe or the violations found) and return its row."""
    from nicegui import ui

    report = safety or {}
    is_safe = bool(report.get("is_safe", report.get("ok", False)))
    with ui.row().classes("items-center gap-2 vt-safety") as row:
        ui.icon("verified_user" if is_safe else "gpp_bad", size="18px").classes(
            "text-positive" if is_safe else "text-negative"
        )
        ui.label(t("card.safety", lang)).classes("text-xs uppercase tracking-wide opacity-70")
        summary = report.get("summary") or ("OK" if is_safe else "")
        ui.label(str(summary)).classes("text-sm")
    for violation in report.get("violations", []) or []:
        ui.label(f"• {violation}").classes("text-sm text-negative")
    return row


def strategy_card(
    proposal: Proposal,
    *,
    lang: Lang = "en",
    on_backtest: Action | None = None,
    on_edit: Action | None = None,
    on_save: Action | None = None,
) -> Any:
    """Add the card of `proposal` with Backtest, Edit and Save buttons; return the card."""
    from nicegui import ui

    spec = proposal.spec
    suggestions = localize_notes([str(s.get("reason", s)) for s in proposal.suggestions], lang)
    with ui.card().classes("vt-strategy-card w-full").props("flat bordered") as card:
        with ui.row().classes("items-center justify-between w-full"):
            ui.label(spec.name).classes("text-base font-semibold").mark("strategy-name")
            with ui.row().classes("gap-1"):
                direction = t(f"side.{spec.direction}", lang)
                for chip in (*spec.universe, spec.timeframe.value, direction):
                    ui.badge(str(chip)).props("outline")
        ui.label(t("card.rules", lang)).classes("text-xs uppercase tracking-wide opacity-70")
        ui.label(proposal.rules).classes("text-sm").mark("strategy-rules")
        assumptions = localize_notes(proposal.assumptions, lang)
        _bullets(t("card.assumptions", lang), assumptions, icon="info", tone="text-info")
        warnings = localize_notes(proposal.warnings, lang)
        _bullets(t("card.warnings", lang), warnings, icon="warning", tone="text-warning")
        _bullets(t("card.suggestions", lang), suggestions, icon="lightbulb", tone="text-accent")
        safety_badge(proposal.safety, lang=lang)
        with ui.row().classes("gap-2 mt-1"):
            if on_backtest is not None:
                ui.button(
                    t("card.backtest", lang),
                    icon="play_arrow",
                    on_click=lambda: on_backtest(proposal),
                ).props("unelevated color=primary").mark("card-backtest")
            if on_edit is not None:
                ui.button(
                    t("card.edit", lang), icon="edit", on_click=lambda: on_edit(proposal)
                ).props("outline").mark("card-edit")
            if on_save is not None:
                ui.button(
                    t("card.save", lang), icon="save", on_click=lambda: on_save(proposal)
                ).props("outline").mark("card-save")
    return card
