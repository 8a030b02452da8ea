"""Saved strategies: the list, each one's versions, a readable diff, restore and delete
(after a confirmation)."""

from __future__ import annotations

import difflib
import json
from typing import Any

from vibetrading.domain.strategy import StrategySpec
from vibetrading.errors import VibeTradingError
from vibetrading.services.records import ListQuery
from vibetrading.web.copilot_adapter import proposal_from_spec
from vibetrading.web.i18n import Lang, t
from vibetrading.web.records import list_strategies
from vibetrading.web.state import UiState, WebServices
from vibetrading.web.theme import page_frame

__all__ = ["build_strategies_page", "version_diff"]


def _version_text(version: Any) -> list[str]:
    if getattr(version, "spec", None) is not None:
        return json.dumps(version.spec, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    return str(getattr(version, "code", "") or "").splitlines()


def version_diff(old: Any, new: Any) -> str:
    """Return a unified diff between two versions' specs (sorted JSON) or code."""
    lines = difflib.unified_diff(
        _version_text(old),
        _version_text(new),
        fromfile=f"v{old.version}",
        tofile=f"v{new.version}",
        lineterm="",
    )
    return "\n".join(lines) or "(no difference)"


class _Detail:
    def __init__(
        self, services: WebServices, state: UiState, owner: str, strategy: Any, lang: Lang
    ) -> None:
        self.services, self.state, self.owner, self.strategy, self.lang = (
            services,
            state,
            owner,
            strategy,
            lang,
        )
        self.repository = services.strategies

    def versions(self) -> list[Any]:
        page = self.repository.list_versions(
            self.owner, self.strategy.id, ListQuery(limit=200, sort="version")
        )
        return list(page.items)

    def restore(self, version: int) -> None:
        from nicegui import ui

        try:
            self.repository.restore_version(self.owner, self.strategy.id, version)
        except VibeTradingError as e:
            ui.notify(str(e), type="negative")
            return
        ui.notify(t("strategies.restored", self.lang), type="positive")
        ui.navigate.to(f"/strategies?id={self.strategy.id}")

    def confirm_delete(self) -> None:
        from nicegui import ui

        with ui.dialog() as dialog, ui.card().mark("confirm-delete"):
            ui.label(t("strategies.confirm_delete", self.lang, name=self.strategy.name))
            with ui.row().classes("justify-end w-full gap-2"):
                ui.button(t("common.cancel", self.lang), on_click=dialog.close).props("flat").mark(
                    "cancel-delete"
                )
                ui.button(
                    t("strategies.delete", self.lang),
                    icon="delete",
                    on_click=lambda: self.delete(dialog),
                ).props("unelevated color=negative").mark("confirm-delete-button")
        dialog.open()

    def delete(self, dialog: Any = None) -> None:
        from nicegui import ui

        if dialog is not None:
            dialog.close()
        try:
            self.repository.soft_delete(self.owner, self.strategy.id)
        except VibeTradingError as e:
            ui.notify(str(e), type="negative")
            return
        ui.notify(t("strategies.deleted", self.lang), type="positive")
        ui.navigate.to("/strategies")

    def edit(self, version: Any) -> None:
        from nicegui import ui

        if version.spec is None:
            ui.notify(t("common.not_available", self.lang, what="code strategies"), type="warning")
            return
        proposal = proposal_from_spec(
            StrategySpec.model_validate(version.spec), text=version.source_text, lang=self.lang
        )
        proposal.strategy_id = self.strategy.id
        self.state.add_proposal(proposal, owner=self.owner)
        ui.navigate.to(f"/editor?proposal={proposal.id}")

    def build(self) -> None:
        from nicegui import ui

        versions = self.versions()
        with ui.row().classes("items-center justify-between w-full"):
            ui.label(self.strategy.name).classes("text-xl font-semibold")
            ui.button(
                t("strategies.delete", self.lang), icon="delete", on_click=self.confirm_delete
            ).props("outline color=negative").mark("delete-strategy")
        ui.label(self.strategy.description).classes("text-sm opacity-80")
        ui.label(t("strategies.versions", self.lang)).classes("font-semibold mt-2")
        ordered = sorted(versions, key=lambda v: v.version)
        for previous, version in zip([None, *ordered[:-1]], ordered, strict=True):
            with ui.card().classes("w-full").props("flat bordered"):
                with ui.row().classes("items-center gap-3 w-full"):
                    ui.label(f"v{version.version}").classes("font-semibold")
                    ui.label(f"{version.created_at:%Y-%m-%d %H:%M} UTC").classes(
                        "text-xs opacity-70"
                    )
                    ui.label(version.note).classes("text-xs")
                    ui.space()
                    ui.button(
                        t("card.edit", self.lang), on_click=lambda v=version: self.edit(v)
                    ).props("flat dense")
                    if version.version != self.strategy.current_version:
                        ui.button(
                            t("strategies.restore", self.lang),
                            on_click=lambda v=version.version: self.restore(v),
                        ).props("flat dense color=primary").mark("restore")
                if previous is not None:
                    with ui.expansion(t("strategies.diff", self.lang)).classes("w-full"):
                        ui.code(version_diff(previous, version), language="diff").classes("w-full")


def build_strategies_page(
    services: WebServices, state: UiState, *, owner: str, strategy_id: str | None = None
) -> None:
    """Render the saved strategies of `owner`, or one strategy's versions."""
    from nicegui import ui

    with page_frame("strategies", show_login=services.is_multi_user) as lang:
        if services.strategies is None:
            ui.label(t("common.not_available", lang, what=t("nav.strategies", lang))).mark(
                "not-available"
            )
            return
        try:
            if strategy_id:
                strategy = services.strategies.get(owner, strategy_id)
                _Detail(services, state, owner, strategy, lang).build()
                return
            items = list_strategies(services, owner=owner)
        except VibeTradingError as e:
            ui.label(str(e)).classes("vt-error")
            return
        if not items:
            ui.label(t("common.empty", lang)).classes("opacity-70")
        for strategy in items:
            with (
                ui.card()
                .classes("w-full cursor-pointer")
                .props("flat bordered")
                .on("click", lambda s=strategy: ui.navigate.to(f"/strategies?id={s.id}"))
            ):
                with ui.row().classes("items-center justify-between w-full"):
                    ui.label(strategy.name).classes("font-semibold")
                    ui.badge(f"v{strategy.current_version}").props("outline")
                ui.label(strategy.description).classes("text-sm opacity-80")
