"""The strategy copilot: chat an idea into a strategy, backtest it, summarise, refine.

``CopilotService.chat`` streams one reply as ChatEvents: ``token`` (text as it arrives),
``spec`` (the strategy proposed, saved as a new version), ``backtest_started``,
``backtest_progress``, ``backtest_result``, ``error`` and finally ``done`` (conversation
id, the engine that answered, the fallback reason if any, token usage); ``done`` always
ends the stream. With no LLM, or when the LLM fails in any way (an error, a malformed
reply, specs still invalid after repairs), the offline drafter answers and the reply says
so on a line of its own, in the user's language; when the model answers without proposing
a strategy but the offline parser reads one from the message, that one is used and the
reply says so. Secrets never leave in text, specs or code. The flow, backtest included,
never needs a network::

    service = CopilotService(llm=None, drafter=OfflineDrafter(), backtests=backtests)
    for event in service.chat("local", "RSI below 30 buy, above 70 sell"):
        print(event.type, event.data)
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from vibetrading.errors import (
    ProviderError,
    SpecError,
    TemporaryProviderError,
    VibeTradingError,
)
from vibetrading.services.backtests import BacktestService
from vibetrading.services.copilot_history import ChatContext, ChatHistory
from vibetrading.services.copilot_prompts import (
    JSON_INSTRUCTIONS,
    Proposal,
    Redactor,
    build_summary_prompt,
    build_system_prompt,
    detect_language,
    json_response_format,
    read_json_reply,
    read_tool_call,
    redact_proposal,
    tool_definitions,
)
from vibetrading.services.copilot_runs import BacktestRunner, run_summary
from vibetrading.services.jobs import JobService
from vibetrading.services.ports import (
    BacktestRepository,
    ConversationRepository,
    LLMChunk,
    LLMClient,
    LLMMessage,
    LLMToolCall,
    LLMUsage,
    Store,
    StrategyDrafter,
    StrategyRepository,
)

__all__ = ["ChatEvent", "ChatEventType", "CopilotService"]

ChatEventType = Literal[
    "token", "spec", "backtest_started", "backtest_progress", "backtest_result", "error", "done"
]
MAX_REPAIRS = 2
"""How many times the model is sent its validation errors before the offline fallback."""

_OFFLINE_NOTE = {
    "en": "(Offline mode: {reason}; answered by the rule-based parser.)\n",
    "zh": "（离线模式：{reason}；由规则解析器回答。）\n",  # noqa: RUF001
}
_PARSER_NOTE = {
    "en": "(The model proposed no strategy; the rule-based parser read this one from your "
    "message.)\n",
    "zh": "（模型没有给出策略；以下策略由规则解析器从你的消息中读出。）\n",  # noqa: RUF001
}
_REASONS = {
    "en": {
        "no_llm": "no LLM provider is configured",
        "temporary": "{detail}",
        "provider": "{detail}",
        "repairs": "{detail}",
        "other": "the model's reply could not be used ({detail})",
    },
    "zh": {
        "no_llm": "未配置大模型",
        "temporary": "大模型暂时不可用（{detail}）",  # noqa: RUF001
        "provider": "大模型出错（{detail}）",  # noqa: RUF001
        "repairs": "模型给出的策略修正{repairs}次后仍无效（{detail}）",  # noqa: RUF001
        "other": "大模型的回复无法使用（{detail}）",  # noqa: RUF001
    },
}
_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatEvent:
    """One event of a streamed reply."""

    type: ChatEventType
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the event as ``{"type": ..., "data": ...}``."""
        return {"type": self.type, "data": self.data}


@dataclass
class _Turn:
    language: Literal["en", "zh"]
    redactor: Redactor
    cancel: threading.Event | None
    engine: str = "offline"
    fallback_reason: str | None = None
    usage: LLMUsage = field(default_factory=LLMUsage)
    text: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def token(self, text: str) -> ChatEvent | None:
        safe = self.redactor.feed(text)
        self.text.append(safe)
        return ChatEvent("token", {"text": safe}) if safe else None

    def flush(self) -> ChatEvent | None:
        rest = self.redactor.flush()
        self.text.append(rest)
        return ChatEvent("token", {"text": rest}) if rest else None


class _RepairsExhausted(VibeTradingError):
    pass


class CopilotService:
    """Turn chat messages into strategy versions, backtests and short summaries."""

    def __init__(
        self,
        *,
        llm: LLMClient | None,
        backtests: BacktestService,
        conversations: ConversationRepository | None,
        strategies: StrategyRepository | None,
        drafter: StrategyDrafter,
        runs: BacktestRepository | None = None,
        secrets: Sequence[str] = (),
        default_symbol: str = "SPX",
        start: str | None = None,
        end: str | None = None,
        insight: str | None = None,
        structured_output: Literal["tools", "response_format"] = "tools",
    ) -> None:
        self.llm = llm
        self.backtests = backtests
        self.conversations = conversations
        self.strategies = strategies
        self.drafter = drafter
        self.runs = runs
        self.secrets = tuple(secrets)
        self.default_symbol = default_symbol
        self.insight = insight
        self.structured_output = structured_output
        self._runner = BacktestRunner(backtests, runs=runs, start=start, end=end)
        self._history = ChatHistory(conversations, strategies)

    def with_llm(self, llm: LLMClient | None, *, secrets: Sequence[str] = ()) -> CopilotService:
        """Return this copilot talking to `llm`, also redacting `secrets` from its output.

        The copy shares the repositories and the backtest runner (and so its jobs).
        """
        mine = copy.copy(self)
        mine.llm = llm
        mine.secrets = (*self.secrets, *(secret for secret in secrets if secret))
        return mine

    def run_backtests_as_jobs(self, jobs: JobService, store: Store) -> None:
        """Run the chat's backtests as jobs of `jobs`, with their runs kept in `store`."""
        self._runner.use_jobs(jobs, store)

    # -- the chat ------------------------------------------------------------------------

    def chat(
        self,
        user_id: str,
        text: str,
        *,
        conversation_id: str | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[ChatEvent]:
        """Answer `text` in the conversation (a new one when None), streaming events.

        Raises NotFound before the first event when `conversation_id` is not the user's.
        """
        context = self._history.open(user_id, text, conversation_id)
        turn = _Turn(
            language=detect_language(text),
            redactor=Redactor(self.secrets),
            cancel=cancel,
        )
        self._history.save_message(user_id, context, role="user", content=text)
        proposal: Proposal | None = None
        answered = False
        if self.llm is None:
            turn.fallback_reason = _REASONS[turn.language]["no_llm"]
        else:
            try:
                proposal, answered = yield from self._ask_llm(self.llm, turn, context, text)
            except Exception as e:  # any failure of the model: the offline parser answers
                _log_llm_failure(e)
                turn.fallback_reason = _fallback_reason(e, turn)
        if not answered and not turn.cancelled:
            proposal = yield from self._ask_offline(turn, context, text)
        elif proposal is None and not turn.cancelled:
            proposal = yield from self._parse_message(turn, context, text)
        if proposal is not None and not turn.cancelled:
            try:
                yield from self._propose(user_id, turn, context, proposal, text)
            except Exception as e:  # the reply still ends with `done`
                _logger.exception("The copilot could not propose the strategy")
                yield _error_event("proposal", e, turn)
        yield from self._finish(user_id, turn, context)

    def list_conversations(self, user_id: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """Return the user's latest conversations: ``id``, ``title``, ``updated_at``,
        ``messages`` (how many) and ``strategy_id``, most recently updated first."""
        return self._history.list_conversations(user_id, limit=limit)

    def usage(self, user_id: str, conversation_id: str | None = None) -> dict[str, Any]:
        """Return the tokens and cost of one conversation, or of all the user's ones."""
        return self._history.usage(user_id, conversation_id).as_dict()

    # -- the LLM path --------------------------------------------------------------------

    def _ask_llm(
        self, llm: LLMClient, turn: _Turn, context: ChatContext, text: str
    ) -> Generator[ChatEvent, None, tuple[Proposal | None, bool]]:
        turn.engine = f"llm:{llm.provider}/{llm.model}"
        messages: list[LLMMessage] = [
            {"role": "system", "content": self._system_prompt(turn, context)},
            *context.history,
            {"role": "user", "content": text},
        ]
        if self.structured_output == "tools":
            try:
                return (yield from self._ask_with_tools(llm, turn, messages))
            except TemporaryProviderError:
                raise
            except ProviderError as e:
                if not _refuses_tools(e):
                    raise
        # The provider cannot call tools: ask for the JSON schema instead (not streamed).
        turn.meta["structured_output"] = "response_format"
        return (yield from self._ask_with_json(llm, turn, messages))

    def _ask_with_tools(
        self, llm: LLMClient, turn: _Turn, messages: list[LLMMessage]
    ) -> Generator[ChatEvent, None, tuple[Proposal | None, bool]]:
        # Only the first attempt streams live; a repair's text is shown only when it
        # succeeds and nothing was shown before (models repeat their intro when repairing).
        problem = ""
        shown = False
        for attempt in range(1 + MAX_REPAIRS):
            final, held = yield from self._stream_attempt(llm, turn, messages, live=attempt == 0)
            shown = shown or (attempt == 0 and bool(held))
            if turn.cancelled:
                return None, True
            calls = final.tool_calls if final is not None else ()
            if not calls:
                yield from self._release(turn, held, shown, attempt)
                return None, True
            call = _scrubbed(calls[0], turn.redactor)
            try:
                proposal = read_tool_call(call.name, call.arguments)
            except SpecError as e:
                problem = str(e)
                messages = [*messages, *_repair_messages(call, problem)]
                continue
            yield from self._release(turn, held, shown, attempt)
            return proposal, True
        raise _RepairsExhausted(
            f"the model's strategy was still invalid after {MAX_REPAIRS} repairs ({problem})"
        )

    def _stream_attempt(
        self, llm: LLMClient, turn: _Turn, messages: list[LLMMessage], *, live: bool
    ) -> Generator[ChatEvent, None, tuple[LLMChunk | None, list[str]]]:
        final: LLMChunk | None = None
        text: list[str] = []
        for chunk in llm.stream_chat(messages, tools=tool_definitions(), cancel=turn.cancel):
            if chunk.text:
                text.append(chunk.text)
                if live and (event := turn.token(chunk.text)):
                    yield event
            if chunk.usage is not None:
                turn.usage += chunk.usage
            final = chunk
        return final, text

    def _release(
        self, turn: _Turn, held: list[str], shown: bool, attempt: int
    ) -> Iterator[ChatEvent]:
        if attempt > 0 and held and not shown and (event := turn.token("".join(held))):
            yield event

    def _ask_with_json(
        self, llm: LLMClient, turn: _Turn, messages: list[LLMMessage]
    ) -> Generator[ChatEvent, None, tuple[Proposal | None, bool]]:
        messages = [*messages, {"role": "system", "content": JSON_INSTRUCTIONS}]
        problem = ""
        for _ in range(1 + MAX_REPAIRS):
            answer = llm.complete(
                messages, response_format=json_response_format(), cancel=turn.cancel
            )
            if answer.usage is not None:
                turn.usage += answer.usage
            if turn.cancelled:
                return None, True
            content = turn.redactor.scrub(answer.text)
            try:
                reply, proposal = read_json_reply(content)
            except SpecError as e:
                problem = str(e)
                messages = [
                    *messages,
                    {"role": "assistant", "content": content},
                    {
                        "role": "user",
                        "content": f"Invalid: {problem} Answer again with the "
                        "corrected, complete JSON object.",
                    },
                ]
                continue
            if reply and (event := turn.token(reply + "\n")):
                yield event
            return proposal, True
        raise _RepairsExhausted(
            f"the model's strategy was still invalid after {MAX_REPAIRS} repairs ({problem})"
        )

    def _system_prompt(self, turn: _Turn, context: ChatContext) -> str:
        return build_system_prompt(
            language=turn.language,
            default_symbol=self.default_symbol,
            listings=self._runner.listings(),
            current_spec=context.spec,
            current_code=context.code,
            last_backtest=context.last_backtest,
            insight=self.insight,
        )

    # -- the offline path ----------------------------------------------------------------

    def _ask_offline(
        self, turn: _Turn, context: ChatContext, text: str
    ) -> Generator[ChatEvent, None, Proposal | None]:
        turn.engine = "offline"
        yield from _line_break(turn)
        note = _OFFLINE_NOTE[turn.language].format(reason=turn.fallback_reason or "")
        if event := turn.token(note):
            yield event
        default = context.spec.universe[0] if context.spec else self.default_symbol
        draft = self.drafter.draft(text, current=context.spec, default_symbol=default)
        for line in draft.reply.splitlines(keepends=True):
            if event := turn.token(line):
                yield event
        turn.meta["notes"] = list(draft.notes)
        if draft.spec is None:
            return None
        return Proposal(
            kind="spec",
            spec=draft.spec,
            name=draft.spec.name,
            universe=tuple(draft.spec.universe),
            explanation=draft.spec.explanation,
        )

    def _parse_message(
        self, turn: _Turn, context: ChatContext, text: str
    ) -> Generator[ChatEvent, None, Proposal | None]:
        # The model answered without a proposal: use the strategy the user's own message
        # spells out, if the offline parser reads one from it alone.
        default = context.spec.universe[0] if context.spec else self.default_symbol
        draft = self.drafter.draft(text, default_symbol=default)
        if draft.spec is None:
            return None
        yield from _line_break(turn)
        if event := turn.token(_PARSER_NOTE[turn.language]):
            yield event
        turn.meta["spec_source"] = "offline_parser"
        turn.meta["notes"] = list(draft.notes)
        return Proposal(
            kind="spec",
            spec=draft.spec,
            name=draft.spec.name,
            universe=tuple(draft.spec.universe),
            explanation=draft.spec.explanation,
        )

    # -- proposal, backtest, summary -----------------------------------------------------

    def _propose(
        self, user_id: str, turn: _Turn, context: ChatContext, proposal: Proposal, text: str
    ) -> Iterator[ChatEvent]:
        proposal = redact_proposal(proposal, turn.redactor)
        version = self._history.save_version(user_id, context, proposal, text)
        data: dict[str, Any] = {
            "kind": proposal.kind,
            "name": proposal.name,
            **version,
            "assumptions": list(turn.meta.get("notes", [])),
            "warnings": [],
        }
        if proposal.spec is not None:
            data["spec"] = proposal.spec.model_dump(mode="json")
        else:
            data["code"] = proposal.code
            data["universe"] = list(proposal.universe)
        turn.meta["spec"] = data
        yield ChatEvent("spec", data)
        if event := turn.flush():
            yield event
        result: dict[str, Any] | None = None
        for kind, payload in self._runner.stream(user_id, proposal, version, turn.cancel):
            if kind == "backtest_result":
                result = payload
            yield ChatEvent(cast(ChatEventType, kind), payload)
        if result is None or turn.cancelled:
            return
        turn.meta["backtest"] = run_summary(result)
        yield from self._summarise(turn, result)

    def _summarise(self, turn: _Turn, result: dict[str, Any]) -> Iterator[ChatEvent]:
        yield from _line_break(turn)
        if self.llm is not None and turn.engine != "offline":
            prompt = build_summary_prompt(turn.language, run_summary(result))
            try:
                for chunk in self.llm.stream_chat(
                    [{"role": "system", "content": prompt}], cancel=turn.cancel
                ):
                    if chunk.text and (event := turn.token(chunk.text)):
                        yield event
                    if chunk.usage is not None:
                        turn.usage += chunk.usage
                return
            except Exception as e:  # the rule-based summary stands in
                _log_llm_failure(e)
                turn.meta["summary_fallback"] = _fallback_reason(e, turn)
            yield from _line_break(turn)
        summary = self.drafter.summarise(result, language=turn.language)
        if event := turn.token(summary):
            yield event

    def _finish(self, user_id: str, turn: _Turn, context: ChatContext) -> Iterator[ChatEvent]:
        if event := turn.flush():
            yield event
        reply = "".join(turn.text)
        conversation_usage = turn.usage.as_dict()
        try:
            self._history.save_message(
                user_id,
                context,
                role="assistant",
                content=reply,
                spec=turn.meta.get("spec", {}).get("spec"),
                meta={
                    **turn.meta,
                    "fallback_reason": turn.fallback_reason,
                    "usage_estimated": turn.usage.is_estimated,
                },
                usage=turn.usage,
                engine=turn.engine,
            )
            if self.conversations is not None:
                conversation_usage = self.usage(user_id, context.conversation_id)
        except Exception as e:  # the reply still ends with `done`
            _logger.exception("The copilot could not save its reply")
            yield _error_event("history", e, turn)
        yield ChatEvent(
            "done",
            {
                "conversation_id": context.conversation_id,
                "engine": turn.engine,
                "fallback_reason": turn.fallback_reason,
                "cancelled": turn.cancelled,
                "reply": reply,
                "usage": turn.usage.as_dict(),
                "conversation_usage": conversation_usage,
            },
        )


def _line_break(turn: _Turn) -> Iterator[ChatEvent]:
    """Flush held text and end the line, so that what follows starts on a new one."""
    if event := turn.flush():
        yield event
    shown = "".join(turn.text)
    if shown and not shown.endswith("\n") and (event := turn.token("\n")):
        yield event


def _refuses_tools(error: ProviderError) -> bool:
    # Providers answer a request with tools they cannot call with a 4xx naming them.
    message = str(error)
    return "HTTP 4" in message and "tool" in message.lower()


def _scrubbed(call: LLMToolCall, redactor: Redactor) -> LLMToolCall:
    return LLMToolCall(call.id, redactor.scrub(call.name), redactor.scrub(call.arguments))


def _fallback_reason(error: Exception, turn: _Turn) -> str:
    texts = _REASONS[turn.language]
    if isinstance(error, _RepairsExhausted):
        kind = "repairs"
    elif isinstance(error, TemporaryProviderError):
        kind = "temporary"
    elif isinstance(error, ProviderError):
        kind = "provider"
    else:
        kind = "other"
    detail = str(error) if kind != "other" else f"{type(error).__name__}: {error}"
    return turn.redactor.scrub(texts[kind].format(detail=detail, repairs=MAX_REPAIRS))


def _log_llm_failure(error: Exception) -> None:
    if isinstance(error, VibeTradingError):
        _logger.warning("The LLM failed; answering offline: %s", error)
    else:
        _logger.exception("The LLM path failed unexpectedly; answering offline")


def _error_event(stage: str, error: Exception, turn: _Turn) -> ChatEvent:
    message = str(error) if isinstance(error, VibeTradingError) else "an internal error occurred"
    return ChatEvent("error", {"stage": stage, "message": turn.redactor.scrub(message)})


def _repair_messages(call: LLMToolCall, problem: str) -> list[LLMMessage]:
    return [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": call.id,
            "content": f"Invalid: {problem} Call the tool again with a corrected, complete answer.",
        },
    ]
