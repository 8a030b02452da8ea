"""The chat: streamed replies, strategy cards, inline backtests, resumable conversations.

Enter sends, Shift+Enter adds a line (an IME composition is never sent). Each proposed
strategy shows as a card (rules, assumptions, safety report) with Backtest, Edit and
Save; a backtest shows its progress, key numbers and a small equity chart in the
conversation, with a link to the dashboard.
"""

from __future__ import annotations

import logging
from typing import Any

from vibetrading.domain.strategy import StrategySpec
from vibetrading.errors import VibeTradingError
from vibetrading.services.records import ListQuery
from vibetrading.web.backtest_runner import default_request, run_backtest
from vibetrading.web.components.charts import show_figure, sparkline
from vibetrading.web.components.metric_cards import metric_cards
from vibetrading.web.components.progress import ProgressState, progress_bar
from vibetrading.web.components.strategy_card import strategy_card
from vibetrading.web.copilot_adapter import chat_events, proposal_from_spec
from vibetrading.web.i18n import Lang, t
from vibetrading.web.records import save_proposal
from vibetrading.web.state import ChatTurn, Proposal, RunRecord, UiState, WebServices
from vibetrading.web.theme import is_dark, page_frame

__all__ = ["build_chat_page"]

_SEND_ON_ENTER = (
    "(e) => { if (!e.shiftKey && !e.isComposing && e.keyCode !== 229) "
    "{ e.preventDefault(); emit(); } }"
)
_CHAT_METRICS = ("total_return", "cagr", "sharpe", "max_drawdown", "win_rate", "num_trades")


class _Chat:
    def __init__(self, services: WebServices, state: UiState, lang: Lang, owner: str) -> None:
        self.services, self.state, self.lang, self.owner = services, state, lang, owner
        self.conversation_id: str | None = None
        self.turns: list[ChatTurn] = []
        self.log: Any = None
        self.composer: Any = None
        self.input_error: Any = None
        self.last_proposal: Proposal | None = None
        self.pending: ProgressState | None = None
        self.pending_box: Any = None
        self.segment: list[Any] | None = None

    def user_bubble(self, text: str) -> None:
        from nicegui import ui

        with self.log, ui.row().classes("w-full justify-end"):
            ui.label(text).classes("vt-bubble-user").mark("user-message")

    def bot_bubble(self, text: str = "") -> Any:
        from nicegui import ui

        with self.log, ui.row().classes("w-full justify-start"):
            return ui.label(text).classes("vt-bubble-bot").mark("bot-message")

    def error_bubble(self, message: str) -> None:
        from nicegui import ui

        with self.log, ui.row().classes("w-full items-start gap-2 no-wrap"):
            ui.icon("error", size="20px").classes("text-negative")
            ui.label(message).classes("vt-error text-sm").mark("chat-error")

    def card(self, proposal: Proposal) -> None:
        with self.log:
            strategy_card(
                proposal,
                lang=self.lang,
                on_backtest=self.backtest,
                on_edit=self.edit,
                on_save=self.save,
            )

    def edit(self, proposal: Proposal) -> None:
        from nicegui import ui

        ui.navigate.to(f"/editor?proposal={proposal.id}")

    def save(self, proposal: Proposal) -> None:
        from nicegui import ui

        try:
            message = save_proposal(self.services, proposal, owner=self.owner, lang=self.lang)
        except Exception as e:  # shown next to the card; nothing fails silently
            ui.notify(f"{t('common.error', self.lang)}: {e}", type="negative")
            return
        ui.notify(message, type="positive" if "not" not in message.lower() else "warning")

    def run_summary(self, record: RunRecord) -> None:
        from nicegui import ui

        if record.outcome is None:
            self.error_bubble(f"{t('bt.failed', self.lang)}: {record.error}")
            return
        outcome = record.outcome
        with self.log, ui.card().classes("w-full").props("flat bordered").mark("run-summary"):
            with ui.row().classes("items-center justify-between w-full"):
                ui.label(t("bt.done", self.lang)).classes("font-semibold")
                ui.button(
                    t("card.open_dashboard", self.lang),
                    icon="insights",
                    on_click=lambda: ui.navigate.to(f"/backtest?run={record.id}"),
                ).props("flat color=primary").mark("open-dashboard")
            metric_cards(outcome.stats, lang=self.lang, names=_CHAT_METRICS)
            show_figure(sparkline(outcome.result.equity, dark=is_dark()), classes="w-full h-24")
            for warning in outcome.warnings:
                ui.label(f"⚠ {warning}").classes("text-xs text-warning")

    async def backtest(self, proposal: Proposal) -> None:
        from nicegui import ui

        progress = ProgressState()
        with self.log:
            box = ui.column().classes("w-full")
            with box:
                ui.label(t("bt.running", self.lang)).classes("text-sm")
                progress_bar(progress)
        record = await run_backtest(
            self.services,
            self.state,
            default_request(proposal.spec),
            progress=progress,
            proposal_id=proposal.id,
        )
        box.delete()
        self.turns.append(ChatTurn("run", "", proposal_id=proposal.id, run_id=record.id))
        self.run_summary(record)
        if record.error:
            ui.notify(f"{t('bt.failed', self.lang)}: {record.error}", type="negative")

    async def send(self) -> None:
        from nicegui import run

        text = (self.composer.value or "").strip()
        if not text:
            self.input_error.text = t("chat.empty_input", self.lang)
            return
        self.input_error.text = ""
        self.composer.value = ""
        if not self.uses_repository:
            self.conversation_id, self.turns = self.state.conversation(
                self.owner, self.conversation_id
            )
        self.turns.append(ChatTurn("user", text))
        self.user_bubble(text)
        self.segment = [self.bot_bubble(t("chat.thinking", self.lang)), ""]
        events = iter(
            chat_events(
                self.services,
                text,
                user_id=self.owner,
                conversation_id=self.conversation_id,
                lang=self.lang,
            )
        )
        reply: list[str] = []
        try:
            while (event := await run.io_bound(next, events, None)) is not None:
                await self.handle(event, reply)
        except Exception as e:  # the outer boundary of the chat: say it, never hang
            logging.getLogger(__name__).exception("chat failed")
            self.error_bubble(f"{t('common.error', self.lang)}: {e}")
        if self.segment and not self.segment[1]:
            self.segment[0].delete()
        self.turns.append(ChatTurn("assistant", "".join(reply)))

    def token(self, text: str, reply: list[str]) -> None:
        # Tokens after a card or a backtest open a new bubble below it.
        if self.segment is None:
            self.segment = [self.bot_bubble(), ""]
        self.segment[1] += text
        self.segment[0].text = self.segment[1]
        reply.append(text)

    async def handle(self, event: dict[str, Any], reply: list[str]) -> None:
        kind, data = event["type"], event["data"]
        if kind == "token":
            self.token(str(data.get("text", "")), reply)
            return
        if self.segment is not None and not self.segment[1]:
            self.segment[0].delete()
        self.segment = None
        if kind == "spec" and "proposal" in data:
            proposal = self.state.add_proposal(data["proposal"])
            self.last_proposal = proposal
            self.turns.append(ChatTurn("card", "", proposal_id=proposal.id))
            self.card(proposal)
        elif kind == "error":
            message = str(data.get("message", data))
            self.turns.append(ChatTurn("error", message))
            self.error_bubble(message)
        elif kind == "done" and data.get("conversation_id"):
            self.conversation_id = str(data["conversation_id"])
        else:
            await self.copilot_backtest(kind, data)

    async def copilot_backtest(self, kind: str, data: dict[str, Any]) -> None:
        from nicegui import ui

        if kind == "backtest_started":
            self.pending = ProgressState()
            with self.log:
                self.pending_box = ui.column().classes("w-full")
                with self.pending_box:
                    ui.label(t("bt.running", self.lang)).classes("text-sm")
                    progress_bar(self.pending)
        elif kind == "backtest_progress" and self.pending is not None:
            self.pending.update(float(data.get("fraction", 0.0)), str(data.get("message", "")))
        elif kind == "backtest_result":
            await self.mirror_result(data)

    async def mirror_result(self, data: dict[str, Any]) -> None:
        # The copilot's run lives in its store; run the same request here too, so the chat
        # shows the equity chart and the dashboard can open it.
        proposal, progress = self.last_proposal, self.pending or ProgressState()
        if self.pending_box is not None:
            self.pending_box.delete()
            self.pending_box = None
        if proposal is None or data.get("synthetic"):
            with self.log, ui_card():
                metric_cards(data.get("summary", {}), lang=self.lang, names=_CHAT_METRICS)
            return
        request = default_request(
            proposal.spec,
            symbols=tuple(data.get("symbols") or ()),
            start=data.get("start"),
            end=data.get("end"),
        )
        record = await run_backtest(
            self.services, self.state, request, progress=progress, proposal_id=proposal.id
        )
        self.turns.append(ChatTurn("run", "", proposal_id=proposal.id, run_id=record.id))
        self.run_summary(record)

    @property
    def uses_repository(self) -> bool:
        return self.services.copilot is not None and self.services.conversations is not None

    def conversation_titles(self) -> list[tuple[str, str]]:
        if not self.uses_repository:
            return self.state.conversations_of(self.owner)
        page = self.services.conversations.list(self.owner, ListQuery(limit=30, sort="updated_at"))
        return [(c.id, c.title or "…") for c in page.items]

    def resume(self, conversation: str) -> None:
        if not self.uses_repository:
            if self.state.owners.get(conversation) == self.owner:
                self.conversation_id = conversation
                self.turns = self.state.conversations[conversation]
                self.replay(list(self.turns))
            return
        query = ListQuery(limit=200, sort="seq", descending=False)
        try:
            page = self.services.conversations.list_messages(self.owner, conversation, query)
        except VibeTradingError as e:
            self.error_bubble(str(e))
            return
        self.conversation_id = conversation
        for message in page.items:
            if message.role == "user":
                self.user_bubble(message.content)
            elif message.role == "assistant":
                if message.content:
                    self.bot_bubble(message.content)
                if message.spec:
                    spec = StrategySpec.model_validate(message.spec)
                    self.card(self.state.add_proposal(proposal_from_spec(spec, lang=self.lang)))

    def replay(self, turns: list[ChatTurn]) -> None:
        for turn in turns:
            if turn.role == "user":
                self.user_bubble(turn.text)
            elif turn.role == "assistant" and turn.text:
                self.bot_bubble(turn.text)
            elif turn.role == "error":
                self.error_bubble(turn.text)
            elif turn.role == "card" and (
                proposal := self.state.proposals.get(turn.proposal_id or "")
            ):
                self.card(proposal)
            elif turn.role == "run" and (record := self.state.runs.get(turn.run_id or "")):
                self.run_summary(record)


def ui_card() -> Any:
    from nicegui import ui

    return ui.card().classes("w-full").props("flat bordered")


def _sidebar(chat: _Chat, lang: Lang) -> None:
    from nicegui import ui

    with ui.column().classes("gt-sm w-56 shrink-0 gap-1"):
        ui.button(t("chat.new", lang), icon="add", on_click=lambda: ui.navigate.to("/")).props(
            "unelevated color=primary"
        ).classes("w-full").mark("new-chat")
        ui.label(t("chat.conversations", lang)).classes("text-xs uppercase opacity-60 mt-2")
        for cid, title in chat.conversation_titles():
            ui.link(title or "…", f"/?c={cid}").classes("text-sm truncate w-full").mark(
                "conversation-link"
            )


def build_chat_page(
    services: WebServices, state: UiState, *, owner: str, conversation: str | None = None
) -> None:
    """Render the chat page; `conversation` resumes a conversation of `owner`."""
    from nicegui import ui

    with page_frame("chat", show_login=services.is_multi_user) as lang:
        chat = _Chat(services, state, lang, owner)
        with ui.row().classes("w-full no-wrap gap-4 items-start"):
            _sidebar(chat, lang)
            with ui.column().classes("grow gap-3 min-w-0"):
                chat.log = ui.column().classes("vt-chat-log gap-3").mark("chat-log")
                with chat.log, ui.row().classes("w-full justify-start"):
                    ui.label(t("chat.welcome", lang)).classes("vt-bubble-bot opacity-80")
                if conversation:
                    chat.resume(conversation)
                with ui.column().classes("vt-composer gap-1"):
                    with ui.row().classes("w-full no-wrap items-end gap-2"):
                        chat.composer = (
                            ui.textarea(placeholder=t("chat.placeholder", lang))
                            .props("outlined autogrow rows=1 autofocus")
                            .classes("grow")
                            .mark("chat-input")
                        )
                        ui.button(icon="send", on_click=chat.send).props(
                            "round unelevated color=primary"
                        ).mark("chat-send")
                    chat.input_error = ui.label("").classes("vt-error text-xs").mark("input-error")
                    ui.label(t("chat.hint", lang)).classes("text-xs opacity-60")
                chat.composer.on("keydown", chat.send, js_handler=_SEND_ON_ENTER)
