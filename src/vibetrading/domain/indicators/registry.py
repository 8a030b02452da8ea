"""The indicator registry: look an indicator up by name or alias, in English or Chinese.

The parser, the compiler, the validator, the UI and the docs all read this one table::

    >>> get_indicator("均线").name
    'sma'
    >>> get_indicator("RSI").resolve_params({"length": 10})
    {'period': 10}
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from vibetrading.domain.indicators.catalog import INDICATORS
from vibetrading.domain.indicators.info import (
    IndicatorInfo,
    ParamInfo,
    close_matches,
    normalize_name,
)
from vibetrading.errors import SpecError

__all__ = [
    "REGISTRY",
    "IndicatorInfo",
    "ParamInfo",
    "all_aliases",
    "find_indicator",
    "get_indicator",
    "normalize_name",
]

REGISTRY: Mapping[str, IndicatorInfo] = MappingProxyType({info.name: info for info in INDICATORS})
"""Every indicator by canonical lower-case name (sma, ema, rsi, macd, bbands, kdj...)."""


def _build_aliases() -> dict[str, IndicatorInfo]:
    table: dict[str, IndicatorInfo] = {}
    for info in INDICATORS:
        for alias in (info.name, *info.aliases):
            key = normalize_name(alias)
            owner = table.setdefault(key, info)
            if owner is not info:
                raise SpecError(f"Alias {alias!r} belongs to {owner.name} and {info.name}.")
    return table


_BY_ALIAS = _build_aliases()


def all_aliases() -> dict[str, str]:
    """Return every alias as written in the registry, mapped to its canonical name."""
    return {alias: info.name for info in INDICATORS for alias in (info.name, *info.aliases)}


def find_indicator(text: str) -> IndicatorInfo | None:
    """Return the indicator whose name or alias is `text`, or None.

    Matching ignores case, full/half width and spaces, underscores and hyphens, so "RSI",
    full-width "RSI", "Moving-Average" and "移动平均线" all resolve. Only whole aliases match:
    finding an indicator inside a sentence is the parser's job.
    """
    return _BY_ALIAS.get(normalize_name(text))


def get_indicator(name_or_alias: str) -> IndicatorInfo:
    """Return the indicator called `name_or_alias`; raise SpecError with close matches if none.

    Example: ``get_indicator("rsj")`` raises "Unknown indicator 'rsj'. Did you mean: rsi?".
    """
    info = find_indicator(name_or_alias)
    if info is not None:
        return info
    hints = close_matches(name_or_alias, list(all_aliases()))
    names = list(dict.fromkeys(_BY_ALIAS[normalize_name(h)].name for h in hints))
    if names:
        raise SpecError(f"Unknown indicator {name_or_alias!r}. Did you mean: {', '.join(names)}?")
    raise SpecError(
        f"Unknown indicator {name_or_alias!r}. Known indicators: {', '.join(REGISTRY)}."
    )
