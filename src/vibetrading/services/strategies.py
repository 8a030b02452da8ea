"""Strategy use cases: read an idea, check a spec, compute its signals, explain it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from vibetrading.domain.strategy import StrategySpec
from vibetrading.domain.strategy.compile import compile_signals
from vibetrading.domain.strategy.dsl import parse_strategy
from vibetrading.domain.strategy.explain import Explanation, explain_spec
from vibetrading.domain.strategy.validate import validate_spec
from vibetrading.errors import SpecError

__all__ = [
    "ParsedStrategy",
    "check_spec",
    "explain_strategy",
    "read_strategy",
    "strategy_signals",
]

Language = Literal["en", "zh"]


@dataclass
class ParsedStrategy:
    """An idea read into a spec, with everything the reader should know about it."""

    spec: StrategySpec | None
    language: Language
    assumptions: list[str] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        """Return True when the text yields a strategy that can run."""
        return self.spec is not None and not self.errors

    def report(self) -> dict[str, list[Any]]:
        """Return the lists printed beside the spec by ``strategy parse --format json``."""
        return {
            "assumptions": self.assumptions,
            "unparsed": self.unparsed,
            "warnings": self.warnings,
            "errors": self.errors,
            "suggestions": self.suggestions,
        }


def read_strategy(text: str, *, default_symbol: str = "SPX") -> ParsedStrategy:
    """Parse `text` offline and validate the spec it yields (contradictions are errors)."""
    parsed = parse_strategy(text, default_symbol=default_symbol)
    result = ParsedStrategy(
        spec=parsed.spec,
        language=parsed.language,
        assumptions=list(parsed.assumptions),
        unparsed=list(parsed.unparsed),
        warnings=list(parsed.warnings),
        errors=list(parsed.errors),
        suggestions=list(parsed.suggestions),
        examples=list(parsed.examples),
    )
    if parsed.spec is not None and not parsed.errors:
        check = validate_spec(parsed.spec)
        result.errors += [e for e in check.errors if e not in result.errors]
        result.warnings += [w for w in check.warnings if w not in result.warnings]
        known = {s.get("field") for s in result.suggestions}
        result.suggestions += [s.as_dict() for s in check.suggestions if s.field not in known]
    if result.errors:
        result.spec = None
    return result


def strategy_spec(text: str, *, default_symbol: str = "SPX") -> StrategySpec:
    """Return the spec of the idea `text`, or raise SpecError saying why there is none."""
    parsed = read_strategy(text, default_symbol=default_symbol)
    if parsed.spec is None:
        words = ", ".join(repr(w) for w in parsed.unparsed)
        unparsed = [f"Not understood: {words}."] if words else []
        raise SpecError(" ".join(unparsed + parsed.errors) or "The text yields no strategy.")
    return parsed.spec


def check_spec(spec: StrategySpec) -> list[str]:
    """Raise SpecError when `spec` can never run as meant; return its warnings otherwise."""
    check = validate_spec(spec)
    if check.errors:
        raise SpecError("; ".join(check.errors))
    return list(check.warnings)


def strategy_signals(spec: StrategySpec, bars: pd.DataFrame) -> pd.DataFrame:
    """Return the rule signals of `spec` on `bars` as a frame of bool ``entry`` and ``exit``."""
    signals = compile_signals(spec, bars)
    return pd.DataFrame({"entry": signals.entries, "exit": signals.exits}, index=bars.index)


def explain_strategy(
    spec: StrategySpec, *, lang: Language | None = None, bars: pd.DataFrame | None = None
) -> Explanation:
    """Explain `spec` in `lang` (default: its idea's language), with signal counts on `bars`."""
    return explain_spec(spec, lang=lang or spec.metadata.language, bars=bars)
