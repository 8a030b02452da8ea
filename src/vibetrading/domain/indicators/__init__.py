"""Technical indicators: the registry (names, parameters, outputs) and their calculators."""

from vibetrading.domain.indicators.info import IndicatorInfo, ParamInfo, normalize_name
from vibetrading.domain.indicators.registry import (
    REGISTRY,
    all_aliases,
    find_indicator,
    get_indicator,
)

__all__ = [
    "REGISTRY",
    "IndicatorInfo",
    "ParamInfo",
    "all_aliases",
    "find_indicator",
    "get_indicator",
    "normalize_name",
]
