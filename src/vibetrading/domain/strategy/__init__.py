"""The strategy language: typed specs, expressions, indicators, compiler and parser."""

from vibetrading.domain.strategy.spec import (
    CostOverrides,
    Metadata,
    Risk,
    Sizing,
    StrategySpec,
    load_spec,
)

__all__ = ["CostOverrides", "Metadata", "Risk", "Sizing", "StrategySpec", "load_spec"]
