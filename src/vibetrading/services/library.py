"""The strategy library of each user: saved specs and code, with versions and restore.

Content is checked before it is stored: a spec must validate as a StrategySpec and pass
`check_spec`; code must compile and pass the sandbox's static check when one is given.
Changing the content (spec or code) appends a version; renaming does not.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vibetrading.domain.strategy import StrategySpec
from vibetrading.errors import ConfigError, SpecError, StrategyError
from vibetrading.services.ports import StrategyRepository
from vibetrading.services.records import ListQuery, Page, Strategy, StrategyVersion
from vibetrading.services.strategies import check_spec

__all__ = ["CodeCheck", "SavedStrategy", "StrategyLibrary"]

CodeCheck = Callable[[str], list[str]]
"""Raise StrategyError (or SandboxViolation) for unsafe code; return warnings otherwise."""


@dataclass(frozen=True)
class SavedStrategy:
    """A strategy with its current version and the warnings of its last check."""

    strategy: Strategy
    version: StrategyVersion
    warnings: list[str] = field(default_factory=list)


class StrategyLibrary:
    """Create, list, read, change, delete and restore a user's strategies."""

    def __init__(self, strategies: StrategyRepository, *, check_code: CodeCheck | None = None):
        self.strategies = strategies
        self.check_code = check_code

    def create(
        self,
        user_id: str,
        *,
        name: str,
        spec: dict[str, Any] | None = None,
        code: str | None = None,
        description: str = "",
        source_text: str = "",
        note: str = "",
    ) -> SavedStrategy:
        """Save a new strategy from a spec or from code (exactly one)."""
        if (spec is None) == (code is None):
            raise ConfigError("Give exactly one of spec or code.")
        spec, warnings = self._checked(spec, code)
        strategy = self.strategies.create(
            user_id,
            name=name,
            kind="spec" if spec is not None else "code",
            description=description,
            spec=spec,
            code=code,
            source_text=source_text,
            note=note or "created",
        )
        return SavedStrategy(strategy, self.strategies.get_version(user_id, strategy.id), warnings)

    def _checked(
        self, spec: dict[str, Any] | None, code: str | None
    ) -> tuple[dict[str, Any] | None, list[str]]:
        if spec is not None:
            try:
                model = StrategySpec.model_validate(spec)
            except ValueError as e:
                raise SpecError(f"The spec is invalid: {e}") from None
            return model.model_dump(mode="json"), check_spec(model)
        if code is None:
            return None, []
        try:
            ast.parse(code)
        except SyntaxError as e:
            raise StrategyError(f"The code does not compile: line {e.lineno}: {e.msg}") from None
        return None, self.check_code(code) if self.check_code is not None else []

    def get(self, user_id: str, strategy_id: str) -> SavedStrategy:
        """Return the strategy and its current version, or raise NotFound."""
        strategy = self.strategies.get(user_id, strategy_id)
        return SavedStrategy(strategy, self.strategies.get_version(user_id, strategy_id))

    def list_strategies(self, user_id: str, query: ListQuery) -> Page[Strategy]:
        """Return a page of the user's strategies."""
        return self.strategies.list(user_id, query)

    def update(
        self,
        user_id: str,
        strategy_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        spec: dict[str, Any] | None = None,
        code: str | None = None,
        source_text: str = "",
        note: str = "",
    ) -> SavedStrategy:
        """Rename or re-describe; a new spec or code appends a version of the same kind."""
        strategy = self.strategies.get(user_id, strategy_id)
        warnings: list[str] = []
        if spec is not None or code is not None:
            if spec is not None and code is not None:
                raise ConfigError("Give spec or code, not both.")
            if (strategy.kind == "spec") != (spec is not None):
                raise ConfigError(f"This is a {strategy.kind} strategy; send its {strategy.kind}.")
            spec, warnings = self._checked(spec, code)
            self.strategies.add_version(
                user_id,
                strategy_id,
                spec=spec,
                code=code,
                source_text=source_text,
                note=note or "edited",
            )
        if name is not None or description is not None:
            self.strategies.update(user_id, strategy_id, name=name, description=description)
        saved = self.get(user_id, strategy_id)
        return SavedStrategy(saved.strategy, saved.version, warnings)

    def delete(self, user_id: str, strategy_id: str) -> None:
        """Hide the strategy (soft delete); its versions and runs stay."""
        self.strategies.soft_delete(user_id, strategy_id)

    def versions(self, user_id: str, strategy_id: str, query: ListQuery) -> Page[StrategyVersion]:
        """Return a page of the strategy's versions."""
        return self.strategies.list_versions(user_id, strategy_id, query)

    def version(self, user_id: str, strategy_id: str, version: int) -> StrategyVersion:
        """Return one version or raise NotFound."""
        return self.strategies.get_version(user_id, strategy_id, version)

    def restore(self, user_id: str, strategy_id: str, version: int) -> SavedStrategy:
        """Make a copy of `version` the new current version."""
        self.strategies.restore_version(user_id, strategy_id, version)
        return self.get(user_id, strategy_id)
