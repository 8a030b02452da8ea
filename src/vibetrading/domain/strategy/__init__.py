"""The strategy language: typed specs, expressions, indicators, compiler and parser."""

from vibetrading.domain.strategy.compile import Signals, compile_expression, compile_signals
from vibetrading.domain.strategy.explain import Explanation, explain_spec
from vibetrading.domain.strategy.spec import (
    CostOverrides,
    Metadata,
    Risk,
    Sizing,
    StrategySpec,
    load_spec,
)
from vibetrading.domain.strategy.templates import TEMPLATES, Template, get_template
from vibetrading.domain.strategy.validate import Suggestion, ValidationReport, validate_spec

__all__ = [
    "TEMPLATES",
    "CostOverrides",
    "Explanation",
    "Metadata",
    "Risk",
    "Signals",
    "Sizing",
    "StrategySpec",
    "Suggestion",
    "Template",
    "ValidationReport",
    "compile_expression",
    "compile_signals",
    "explain_spec",
    "get_template",
    "load_spec",
    "validate_spec",
]
