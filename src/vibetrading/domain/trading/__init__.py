"""Instruments, markets and their trading rules and costs."""

from vibetrading.domain.trading.costs import CostModel
from vibetrading.domain.trading.markets import (
    AssetClass,
    Market,
    MarketRules,
    get_calendar,
    market_rules,
)
from vibetrading.domain.trading.symbols import KNOWN_INSTRUMENTS, Instrument, Symbol, parse_symbol

__all__ = [
    "KNOWN_INSTRUMENTS",
    "AssetClass",
    "CostModel",
    "Instrument",
    "Market",
    "MarketRules",
    "Symbol",
    "get_calendar",
    "market_rules",
    "parse_symbol",
]
