"""One small adapter between the chat page and the assistant.

``chat_events`` yields ``{"type": ..., "data": {...}}`` events in the copilot's shape
(token, spec, error, done). With a copilot service built it forwards that service's
events (on the user's own LLM provider when their settings name one); without one it
reads the idea with the offline parser and streams its plain explanation word by word,
so the chat works with no key and no network.
"""

# Chinese text keeps its full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

from vibetrading.domain.strategy import StrategySpec
from vibetrading.services.strategies import explain_strategy, read_strategy
from vibetrading.web.i18n import Lang
from vibetrading.web.preferences import copilot_for
from vibetrading.web.state import Proposal, WebServices

__all__ = ["chat_events", "proposal_from_spec", "proposal_from_text", "spec_safety"]

_CJK = re.compile(r"[\u4e00-\u9fff]")


def spec_safety(lang: Lang) -> dict[str, Any]:
    """Return the safety report of a declarative spec: data, never run as code."""
    text = (
        "Declarative spec: data only, never executed as code."
        if lang == "en"
        else "声明式策略：只是数据，不会作为代码执行。"
    )
    return {"is_safe": True, "kind": "spec", "violations": [], "summary": text}


def proposal_from_spec(
    spec: StrategySpec,
    *,
    text: str = "",
    lang: Lang = "en",
    assumptions: list[str] | None = None,
    warnings: list[str] | None = None,
    suggestions: list[dict[str, Any]] | None = None,
) -> Proposal:
    """Wrap `spec` as a proposal with its rules written out in `lang`."""
    # Imported here: importing render before the parser package is a circular import.
    from vibetrading.domain.strategy.render import render_spec

    return Proposal(
        id=uuid.uuid4().hex[:12],
        spec=spec,
        text=text or render_spec(spec, lang),
        rules=render_spec(spec, lang),
        assumptions=list(assumptions or []),
        warnings=list(warnings or []),
        suggestions=list(suggestions or []),
        safety=spec_safety(lang),
    )


def proposal_from_text(text: str, *, lang: Lang = "en") -> tuple[Proposal | None, list[str]]:
    """Read `text` offline; return the proposal, or None and the errors that stop it."""
    parsed = read_strategy(text)
    if parsed.spec is None or parsed.errors:
        return None, parsed.errors or ["The text yields no strategy."]
    warnings = parsed.warnings + [f"not understood: {w!r}" for w in parsed.unparsed]
    proposal = proposal_from_spec(
        parsed.spec,
        text=text,
        lang=lang,
        assumptions=parsed.assumptions,
        warnings=warnings,
        suggestions=parsed.suggestions,
    )
    return proposal, []


def _words(text: str) -> Iterator[str]:
    # CJK text has no spaces: stream it a few characters at a time instead.
    if _CJK.search(text):
        for start in range(0, len(text), 3):
            yield text[start : start + 3]
        return
    for match in re.finditer(r"\S+\s*", text):
        yield match.group(0)


def _offline_events(text: str, lang: Lang) -> Iterator[dict[str, Any]]:
    proposal, errors = proposal_from_text(text, lang=lang)
    if proposal is None:
        yield {"type": "error", "data": {"message": "\n".join(errors)}}
        yield {"type": "done", "data": {}}
        return
    summary = explain_strategy(proposal.spec, lang=lang).sections.get("summary", proposal.rules)
    for word in _words(summary):
        yield {"type": "token", "data": {"text": word}}
    yield {"type": "spec", "data": {"proposal": proposal}}
    yield {"type": "done", "data": {}}


def chat_events(
    services: WebServices,
    text: str,
    *,
    user_id: str,
    conversation_id: str | None = None,
    lang: Lang = "en",
) -> Iterator[dict[str, Any]]:
    """Yield the assistant's reply to `text` as events; never raise for a bad idea.

    A ``spec`` event carries ``data["proposal"]`` (a Proposal) in both modes.
    """
    copilot = copilot_for(services, user_id)
    if copilot is None:
        yield from _offline_events(text, "zh" if _CJK.search(text) else lang)
        return
    for event in copilot.chat(user_id, text, conversation_id=conversation_id):
        item = event.as_dict() if hasattr(event, "as_dict") else dict(event)
        data = dict(item.get("data") or {})
        if item.get("type") == "spec" and "spec" in data:
            spec = StrategySpec.model_validate(data["spec"])
            data["proposal"] = proposal_from_spec(
                spec,
                lang=lang,
                assumptions=list(data.get("assumptions", [])),
                warnings=list(data.get("warnings", [])),
                suggestions=list(data.get("suggestions", [])),
            )
            data["proposal"].strategy_id = data.get("strategy_id")
        yield {"type": item.get("type", "token"), "data": data}
