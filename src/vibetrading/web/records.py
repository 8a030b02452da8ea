"""Save and load strategies through the strategy repository, when this build has one."""

from __future__ import annotations

from typing import Any, Literal

from vibetrading.errors import NotFound
from vibetrading.services.records import ListQuery
from vibetrading.web.i18n import Lang, t
from vibetrading.web.state import Proposal, WebServices

__all__ = ["list_strategies", "save_proposal"]

Tone = Literal["positive", "info", "warning"]


def save_proposal(
    services: WebServices, proposal: Proposal, *, owner: str, lang: Lang
) -> tuple[str, Tone]:
    """Save `proposal` (a new strategy, or a new version of the one it came from).

    Return the message to show and its tone: saved (positive), unchanged since the
    current version so not saved again (info), or saving not available (warning).
    """
    repository = services.strategies
    if repository is None:
        return t("common.not_available", lang, what=t("card.save", lang)), "warning"
    spec = proposal.spec.model_dump(mode="json")
    if proposal.strategy_id is not None:
        try:
            current = repository.get_version(owner, proposal.strategy_id)
        except NotFound:  # deleted, or not this user's: save it as a new strategy
            proposal.strategy_id = None
        else:
            if current.spec == spec:
                return t("card.no_changes", lang, version=current.version), "info"
            version = repository.add_version(
                owner,
                proposal.strategy_id,
                spec=spec,
                source_text=proposal.text,
                note="edited in the UI",
            )
            return t("card.saved", lang, version=version.version), "positive"
    strategy = repository.create(
        owner,
        name=proposal.spec.name,
        kind="spec",
        description=proposal.rules,
        spec=spec,
        source_text=proposal.text,
    )
    proposal.strategy_id = strategy.id
    return t("card.saved", lang, version=strategy.current_version), "positive"


def list_strategies(services: WebServices, *, owner: str, limit: int = 100) -> list[Any]:
    """Return the owner's live strategies, newest first (empty without a repository)."""
    if services.strategies is None:
        return []
    page = services.strategies.list(owner, ListQuery(limit=limit, sort="updated_at"))
    return list(page.items)
