"""The chat: streamed replies, strategy cards, inline backtests, resumable conversations.

Enter sends, Shift+Enter adds a line (an IME composition is never sent); the composer is
disabled while a reply streams. Each proposed strategy shows as a card (rules,
assumptions, safety report) with Backtest, Edit and Save. The copilot backtests its
proposal itself: the chat shows that run (key numbers, equity line, a SYNTHETIC badge for
synthetic data, a link to the dashboard); Backtest runs it again with the user's saved
default costs. A resumed conversation shows its past cards and backtest results.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from vibetrading.domain.strategy import StrategySpec
from vibetrading.errors import VibeTradingError
from vibetrading.services.records import ListQuery
from vibetrading.web.backtest_runner import default_request, find_run, run_backtest
from vibetrading.web.components.progress import ProgressState, progress_bar
from vibetrading.web.components.run_summary import run_summary_card
from vibetrading.web.components.strategy_card import strategy_card
from vibetrading.web.copilot_adapter import chat_events, proposal_from_spec
from vibetrading.web.i18n import Lang, t
from vibetrading.web.preferences import cost_defaults
from vibetrading.web.records import save_proposal
from vibetrading.web.state import ChatTurn, Proposal, RunRecord, UiState, WebServices
from vibetrading.web.theme import is_dark, page_frame

__all__ = ["build_chat_page", "distinct_titles"]

# Bound to "keydown.enter": Shift+Enter keeps its new line, an IME composition is not sent.
_SEND_ON_ENTER = (
    "(e) => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) "
    "{ e.preventDefault(); emit(); } }"
)
_SCROLL_DOWN = "window.scrollTo({top: document.body.scrollHeight, behavior: 'smooth'})"
_TITLE_CHARS = 48


def distinct_titles(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return (id, title) pairs, newest first, with titles cut short and made distinct.

    The oldest conversation of a title keeps it; newer ones get " (2)", " (3)", ...
    """
    seen: dict[str, int] = {}
    named: list[tuple[str, str]] = []
    for cid, title in reversed(items):
        first = (title or "").strip().splitlines()[0] if (title or "").strip() else "…"
        short = first if len(first) <= _TITLE_CHARS else first[: _TITLE_CHARS - 1] + "…"
        seen[short] = seen.get(short, 0) + 1
        named.append((cid, short if seen[short] == 1 else f"{short} ({seen[short]})"))
    return list(reversed(named))


class _Chat:
    def __init__(self, services: WebServices, state: UiState, lang: Lang, owner: str) -> None:
        self.services, self.state, self.lang, self.owner = services, state, lang, owner
        self.conversation_id: str | None = None
        self.turns: list[ChatTurn] = []
        self.log: Any = None
        self.composer: Any = None
        self.send_button: Any = None
        self.input_error: Any = None
        self.sidebar: Any = None
        self.last_proposal: Proposal | None = None
        self.pending: ProgressState | None = None
        self.pending_box: Any = None
        self.segment: list[Any] | None = None
        self.is_busy = False
        self.highlight: str | None = None

    # -- bubbles and cards ---------------------------------------------------------------

    def scroll(self) -> None:
        from nicegui import ui

        ui.run_javascript(_SCROLL_DOWN)

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
            message, tone = save_proposal(self.services, proposal, owner=self.owner, lang=self.lang)
        except Exception as e:  # shown next to the card; nothing fails silently
            ui.notify(f"{t('common.error', self.lang)}: {e}", type="negative")
            return
        ui.notify(message, type=tone)

    # -- backtest results ----------------------------------------------------------------

    def run_summary(self, record: RunRecord) -> None:
        if record.outcome is None:
            self.error_bubble(f"{t('bt.failed', self.lang)}: {record.error}")
            return
        outcome = record.outcome
        with self.log:
            run_summary_card(
                outcome.stats,
                lang=self.lang,
                equity=outcome.result.equity,
                run_id=record.id,
                is_synthetic=any(bool(b.attrs.get("synthetic")) for b in outcome.bars.values()),
                warnings=outcome.warnings,
                dark=is_dark(),
            )

    def stored_equity(self, run_id: str | None) -> pd.Series | None:
        if not run_id:
            return None
        record = self.state.run_of(self.owner, run_id)
        if record is not None and record.outcome is not None:
            return record.outcome.result.equity
        if self.services.run_store is None:
            return None
        try:
            equity: pd.Series = self.services.run_store.get_result(self.owner, run_id).equity
        except VibeTradingError:
            return None
        return equity

    def result_summary(self, data: dict[str, Any]) -> None:
        run_id = data.get("run_id")
        stats = data.get("summary") or data  # an event's summary, or a stored run summary
        with self.log:
            run_summary_card(
                stats,
                lang=self.lang,
                equity=self.stored_equity(run_id),
                run_id=run_id if self.services.run_store is not None else None,
                is_synthetic=bool(data.get("synthetic")),
                warnings=list(data.get("warnings") or []),
                dark=is_dark(),
            )

    async def backtest(self, proposal: Proposal) -> None:
        from nicegui import ui

        progress = ProgressState()
        with self.log:
            box = ui.column().classes("w-full")
            with box:
                ui.label(t("bt.running", self.lang)).classes("text-sm")
                progress_bar(progress, lang=self.lang)
        self.scroll()
        record = await run_backtest(
            self.services,
            self.state,
            default_request(proposal.spec, costs=cost_defaults(self.services, self.owner)),
            owner=self.owner,
            progress=progress,
            proposal_id=proposal.id,
        )
        box.delete()
        self.turns.append(ChatTurn("run", "", proposal_id=proposal.id, run_id=record.id))
        self.run_summary(record)
        self.scroll()
        if record.error:
            ui.notify(f"{t('bt.failed', self.lang)}: {record.error}", type="negative")

    # -- sending -------------------------------------------------------------------------

    def set_busy(self, is_busy: bool) -> None:
        self.is_busy = is_busy
        for element in (self.composer, self.send_button):
            if element is not None:
                element.set_enabled(not is_busy)

    async def send(self) -> None:
        if self.is_busy:
            return
        text = (self.composer.value or "").strip()
        if not text:
            self.input_error.text = t("chat.empty_input", self.lang)
            return
        self.input_error.text = ""
        self.composer.value = ""
        self.set_busy(True)
        try:
            await self.stream(text)
        finally:
            self.set_busy(False)
            self.after_reply()

    async def stream(self, text: str) -> None:
        from nicegui import run

        if not self.uses_repository:
            self.conversation_id, self.turns = self.state.conversation(
                self.owner, self.conversation_id
            )
        self.turns.append(ChatTurn("user", text))
        self.user_bubble(text)
        self.segment = [self.bot_bubble(t("chat.thinking", self.lang)), ""]
        self.scroll()
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
        if self.pending_box is not None:
            self.pending_box.delete()
            self.pending_box = None
        self.turns.append(ChatTurn("assistant", "".join(reply)))

    def after_reply(self) -> None:
        from nicegui import ui

        if self.conversation_id:
            self.highlight = self.conversation_id
            ui.navigate.history.replace(f"/?c={self.conversation_id}")
        if self.sidebar is not None:
            self.sidebar.refresh()
        self.scroll()
        if self.composer is not None:
            self.composer.run_method("focus")

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
            proposal = self.state.add_proposal(data["proposal"], owner=self.owner)
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
            self.copilot_backtest(kind, data)
        self.scroll()

    def copilot_backtest(self, kind: str, data: dict[str, Any]) -> None:
        from nicegui import ui

        if kind == "backtest_started":
            self.pending = ProgressState()
            with self.log:
                self.pending_box = ui.column().classes("w-full")
                with self.pending_box:
                    ui.label(t("bt.running", self.lang)).classes("text-sm")
                    progress_bar(self.pending, lang=self.lang)
        elif kind == "backtest_progress" and self.pending is not None:
            self.pending.update(float(data.get("fraction", 0.0)), str(data.get("message", "")))
        elif kind == "backtest_result":
            # The copilot's own run, stored in the run store: show it, never run it again.
            if self.pending_box is not None:
                self.pending_box.delete()
                self.pending_box = None
            self.turns.append(ChatTurn("result", "", run_id=data.get("run_id"), data=data))
            self.result_summary(data)

    # -- conversations -------------------------------------------------------------------

    @property
    def uses_repository(self) -> bool:
        return self.services.copilot is not None and self.services.conversations is not None

    def conversation_titles(self) -> list[tuple[str, str]]:
        if not self.uses_repository:
            return distinct_titles(self.state.conversations_of(self.owner))
        page = self.services.conversations.list(self.owner, ListQuery(limit=30, sort="updated_at"))
        return distinct_titles([(c.id, c.title or "…") for c in page.items])

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
                self.resume_reply(message)

    def resume_reply(self, message: Any) -> None:
        if message.content:
            self.bot_bubble(message.content)
        if message.spec:
            spec = StrategySpec.model_validate(message.spec)
            proposal = proposal_from_spec(spec, lang=self.lang)
            proposal.strategy_id = (message.meta or {}).get("spec", {}).get("strategy_id")
            self.card(self.state.add_proposal(proposal, owner=self.owner))
        backtest = (message.meta or {}).get("backtest")
        if backtest:
            self.result_summary(dict(backtest))

    def replay(self, turns: list[ChatTurn]) -> None:
        for turn in turns:
            if turn.role == "user":
                self.user_bubble(turn.text)
            elif turn.role == "assistant" and turn.text:
                self.bot_bubble(turn.text)
            elif turn.role == "error":
                self.error_bubble(turn.text)
            elif turn.role == "card" and (
                proposal := self.state.proposal_of(self.owner, turn.proposal_id)
            ):
                self.card(proposal)
            elif turn.role == "result" and turn.data is not None:
                self.result_summary(turn.data)
            elif turn.role == "run" and (
                record := find_run(self.services, self.state, self.owner, turn.run_id)
            ):
                self.run_summary(record)


def _conversation_list(chat: _Chat, lang: Lang) -> None:
    from nicegui import ui

    ui.label(t("chat.conversations", lang)).classes("text-xs uppercase opacity-60 mt-2")
    titles = chat.conversation_titles()
    if not titles:
        ui.label(t("common.empty", lang)).classes("text-xs opacity-60")
    for cid, title in titles:
        link = ui.link(title, f"/?c={cid}").classes("text-sm line-clamp-2 w-full break-words")
        link.mark("conversation-link")
        if cid == chat.highlight:
            link.classes("font-semibold")


def _new_chat_button(lang: Lang, *, classes: str = "") -> Any:
    from nicegui import ui

    return (
        ui.button(t("chat.new", lang), icon="add", on_click=lambda: ui.navigate.to("/"))
        .props("unelevated color=primary no-caps")
        .classes(classes)
        .mark("new-chat")
    )


def _sidebar(chat: _Chat, lang: Lang) -> None:
    from nicegui import ui

    @ui.refreshable
    def conversations() -> None:
        # wide screens: a column beside the chat; phones: a bar with a menu above it
        with ui.column().classes("gt-sm w-56 shrink-0 gap-1"):
            _new_chat_button(lang, classes="w-full")
            _conversation_list(chat, lang)
        with ui.row().classes("lt-md w-full items-center gap-2").mark("phone-chat-bar"):
            _new_chat_button(lang)
            with (
                ui.button(t("chat.conversations", lang), icon="history")
                .props("outline no-caps")
                .mark("phone-conversations"),
                ui.menu().props('anchor="bottom right" self="top right"'),
                ui.column().classes("p-3 gap-1 w-64 max-w-[85vw]"),
            ):
                _conversation_list(chat, lang)

    conversations()
    chat.sidebar = conversations


def _composer(chat: _Chat, lang: Lang) -> None:
    from nicegui import ui

    with ui.column().classes("vt-composer gap-1"):
        with ui.row().classes("w-full no-wrap items-end gap-2"):
            chat.composer = (
                ui.textarea(placeholder=t("chat.placeholder", lang))
                .props(f'outlined autogrow rows=1 autofocus aria-label="{t("chat.input", lang)}"')
                .classes("grow")
                .mark("chat-input")
            )
            chat.send_button = (
                ui.button(icon="send", on_click=chat.send)
                .props(f'round unelevated color=primary aria-label="{t("chat.send", lang)}"')
                .tooltip(t("chat.send", lang))
                .mark("chat-send")
            )
        chat.input_error = ui.label("").classes("vt-error text-xs").mark("input-error")
        ui.label(t("chat.hint", lang)).classes("text-xs opacity-60")
    chat.composer.on("keydown.enter", chat.send, js_handler=_SEND_ON_ENTER)


def build_chat_page(
    services: WebServices, state: UiState, *, owner: str, conversation: str | None = None
) -> None:
    """Render the chat page; `conversation` resumes a conversation of `owner`."""
    from nicegui import ui

    with page_frame("chat", show_login=services.is_multi_user) as lang:
        chat = _Chat(services, state, lang, owner)
        with ui.element("div").classes("w-full flex flex-col lg:flex-row lg:flex-nowrap gap-4"):
            chat.highlight = conversation
            _sidebar(chat, lang)
            with ui.column().classes("grow gap-3 min-w-0"):
                chat.log = ui.column().classes("vt-chat-log gap-3").mark("chat-log")
                with chat.log, ui.row().classes("w-full justify-start"):
                    ui.label(t("chat.welcome", lang)).classes("vt-bubble-bot opacity-80")
                if conversation:
                    chat.resume(conversation)
                _composer(chat, lang)
        if conversation:
            chat.scroll()
