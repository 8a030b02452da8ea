"""The strategy editor: the idea in words and the spec as JSON side by side.

Reading the text fills the JSON; checking the JSON writes the rules back in words, by
the buttons or by itself a moment after typing stops (live sync). Every error shows under
the side that caused it, and a JSON error clears the card of the old spec. The card's
Save stores the spec as a new strategy or a new version of the one it came from (an
unchanged spec is not saved again). A code strategy is edited with Python syntax
highlighting and checked by the sandbox's safety report when this build has the sandbox.
"""

from __future__ import annotations

import json
import time
from typing import Any

from pydantic import ValidationError

from vibetrading.domain.strategy import StrategySpec
from vibetrading.errors import VibeTradingError
from vibetrading.services.strategies import check_spec
from vibetrading.web.backtest_runner import default_request, run_backtest
from vibetrading.web.components.progress import ProgressState, progress_bar
from vibetrading.web.components.strategy_card import safety_badge, strategy_card
from vibetrading.web.copilot_adapter import proposal_from_spec, proposal_from_text
from vibetrading.web.i18n import Lang, t
from vibetrading.web.preferences import cost_defaults
from vibetrading.web.records import save_proposal
from vibetrading.web.state import Proposal, UiState, WebServices
from vibetrading.web.theme import is_dark, page_frame

__all__ = ["build_editor_page", "check_code_safety", "spec_from_json"]

_SYNC_DELAY_S = 0.8
_CODE_TEMPLATE = '''def signals(data, params):
    """Return (entries, exits): boolean series aligned with data."""
    close = data["close"]
    fast = close.rolling(20).mean()
    slow = close.rolling(50).mean()
    return fast > slow, fast < slow
'''


def spec_from_json(text: str) -> tuple[StrategySpec | None, list[str], list[str]]:
    """Parse and check a spec's JSON; return the spec (or None), errors and warnings."""
    try:
        spec = StrategySpec.model_validate(json.loads(text))
    except json.JSONDecodeError as e:
        return None, [f"Invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}."], []
    except ValidationError as e:
        errors = [
            f"{'.'.join(str(p) for p in err['loc']) or 'spec'}: {err['msg']}" for err in e.errors()
        ]
        return None, errors, []
    try:
        warnings = check_spec(spec)
    except VibeTradingError as e:
        return None, [str(e)], []
    return spec, [], warnings


def check_code_safety(source: str) -> dict[str, Any] | None:
    """Return the sandbox's safety report of `source`, or None when this build lacks it."""
    try:
        from vibetrading.adapters.sandbox import check_code
    except ImportError:  # pragma: no cover - builds without the sandbox
        return None
    report = check_code(source)
    data = report.as_dict()
    data["summary"] = report.summary()
    data["violations"] = [
        f"{c.name}{f' (line {c.line})' if c.line else ''}: {c.message}" for c in report.violations
    ]
    return data


class _Editor:
    def __init__(self, services: WebServices, state: UiState, lang: Lang, owner: str) -> None:
        self.services, self.state, self.lang, self.owner = services, state, lang, owner
        self.proposal: Proposal | None = None
        self.text: Any = None
        self.json: Any = None
        self.text_error: Any = None
        self.json_error: Any = None
        self.card_box: Any = None
        self.is_syncing = False
        self.dirty: str | None = None
        self.changed_at = 0.0

    def card(self, proposal: Proposal) -> None:
        self.card_box.clear()
        with self.card_box:
            strategy_card(proposal, lang=self.lang, on_backtest=self.backtest, on_save=self.save)

    def show(self, proposal: Proposal, *, is_live: bool = False) -> None:
        from nicegui import ui

        self.proposal = self.state.add_proposal(proposal, owner=self.owner)
        self.card(proposal)
        if not is_live:
            ui.notify(t("editor.valid", self.lang), type="positive")

    def clear_card(self) -> None:
        from nicegui import ui

        self.card_box.clear()
        with self.card_box:
            ui.label(t("editor.fix_first", self.lang)).classes("opacity-70").mark("card-cleared")

    def save(self, proposal: Proposal) -> None:
        from nicegui import ui

        try:
            message, tone = save_proposal(self.services, proposal, owner=self.owner, lang=self.lang)
        except VibeTradingError as e:
            ui.notify(f"{t('common.error', self.lang)}: {e}", type="negative")
            return
        ui.notify(message, type=tone)

    async def backtest(self, proposal: Proposal) -> None:
        from nicegui import ui

        progress = ProgressState()
        with self.card_box:
            bar = progress_bar(progress, lang=self.lang)
        record = await run_backtest(
            self.services,
            self.state,
            default_request(proposal.spec, costs=cost_defaults(self.services, self.owner)),
            owner=self.owner,
            progress=progress,
            proposal_id=proposal.id,
        )
        bar.delete()
        if record.error:
            self.json_error.text = record.error
            ui.notify(f"{t('bt.failed', self.lang)}: {record.error}", type="negative")
            return
        ui.navigate.to(f"/backtest?run={record.id}")

    def set_value(self, element: Any, value: str) -> None:
        self.is_syncing = True
        try:
            element.value = value
        finally:
            self.is_syncing = False

    def read_text(self, *, is_live: bool = False) -> None:
        self.text_error.text = ""
        proposal, errors = proposal_from_text(self.text.value or "", lang=self.lang)
        if proposal is None:
            self.text_error.text = "\n".join(errors)
            return
        if self.proposal is not None:
            proposal.strategy_id = self.proposal.strategy_id
        self.set_value(self.json, proposal.spec.model_dump_json(indent=2))
        self.json_error.text = ""
        self.show(proposal, is_live=is_live)

    def read_json(self, *, is_live: bool = False) -> None:
        self.json_error.text = ""
        spec, errors, warnings = spec_from_json(self.json.value or "")
        if spec is None:
            self.json_error.text = "\n".join(errors)
            self.clear_card()
            return
        proposal = proposal_from_spec(spec, lang=self.lang, warnings=warnings)
        if self.proposal is not None:
            proposal.strategy_id = self.proposal.strategy_id
            proposal.text = self.text.value or proposal.text
        self.set_value(self.text, proposal.rules)
        self.text_error.text = ""
        self.show(proposal, is_live=is_live)

    def edited(self, side: str) -> None:
        if self.is_syncing:
            return
        self.dirty, self.changed_at = side, time.monotonic()

    def sync(self) -> None:
        # Debounced live sync: read the edited side once typing has paused.
        if self.dirty is None or time.monotonic() - self.changed_at < _SYNC_DELAY_S:
            return
        side, self.dirty = self.dirty, None
        if side == "text" and (self.text.value or "").strip():
            self.read_text(is_live=True)
        elif side == "json" and (self.json.value or "").strip():
            self.read_json(is_live=True)


def _code_panel(lang: Lang) -> None:
    from nicegui import ui

    with ui.expansion(t("editor.code", lang), icon="code").classes("w-full").props("dense"):
        editor = ui.codemirror(_CODE_TEMPLATE, language="Python", theme=_theme()).classes(
            "w-full h-64"
        )
        result = ui.column().classes("w-full")

        def check() -> None:
            result.clear()
            with result:
                report = check_code_safety(editor.value or "")
                if report is None:
                    ui.label(t("common.not_available", lang, what="sandbox")).classes("text-sm")
                else:
                    safety_badge(report, lang=lang)

        ui.button(t("editor.check_code", lang), icon="security", on_click=check).props("outline")


def _theme() -> Any:
    return "oneDark" if is_dark() else "basicLight"


def _panes(editor: _Editor, start: Proposal | None, lang: Lang) -> None:
    from nicegui import ui

    with ui.element("div").classes("grid grid-cols-1 md:grid-cols-2 gap-4 w-full"):
        with ui.column().classes("gap-1 min-w-0"):
            ui.label(t("editor.text", lang)).classes("font-semibold")
            editor.text = (
                ui.textarea(
                    value=start.text if start else "",
                    placeholder=t("chat.placeholder", lang),
                    on_change=lambda _e: editor.edited("text"),
                )
                .props("outlined autogrow")
                .classes("w-full")
                .mark("editor-text")
            )
            editor.text_error = ui.label("").classes("vt-error text-sm").mark("text-error")
            ui.button(t("editor.apply_text", lang), icon="sync", on_click=editor.read_text).props(
                "unelevated color=primary no-caps"
            ).mark("apply-text")
        with ui.column().classes("gap-1 min-w-0"):
            ui.label(t("editor.json", lang)).classes("font-semibold")
            editor.json = (
                ui.codemirror(
                    start.spec.model_dump_json(indent=2) if start else "",
                    language="JSON",
                    theme=_theme(),
                    on_change=lambda _e: editor.edited("json"),
                )
                .classes("w-full h-96")
                .mark("editor-json")
            )
            editor.json_error = ui.label("").classes("vt-error text-sm").mark("json-error")
            ui.button(t("editor.apply_json", lang), icon="sync", on_click=editor.read_json).props(
                "unelevated color=primary no-caps"
            ).mark("apply-json")
    ui.label(t("editor.live_hint", lang)).classes("text-xs opacity-60")


def build_editor_page(
    services: WebServices, state: UiState, *, owner: str, proposal: str | None = None
) -> None:
    """Render the editor, opened on `proposal` (an id of `owner`'s, from the chat) if given."""
    from nicegui import ui

    with page_frame("editor", show_login=services.is_multi_user) as lang:
        editor = _Editor(services, state, lang, owner)
        start = state.proposal_of(owner, proposal)
        _panes(editor, start, lang)
        editor.card_box = ui.column().classes("w-full")
        if start is not None:
            editor.proposal = start
            editor.card(start)
        else:
            with editor.card_box:
                ui.label(t("editor.no_spec", lang)).classes("opacity-70")
        ui.timer(0.25, editor.sync)
        _code_panel(lang)
