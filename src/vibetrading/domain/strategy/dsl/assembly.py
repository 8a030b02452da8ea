"""Put the pieces together: settings into risk and sizing, rules into entry and exit.

Two different values for one setting ("stop loss 5%" and "stop loss 10%", "all in" and
"half") are a contradiction and reported as an error, never resolved silently. (A rule
that compares a line with itself is caught by ``validate_spec``, which every parse runs.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from vibetrading.domain.strategy.dsl.numbers import format_number
from vibetrading.domain.strategy.dsl.patterns import Match
from vibetrading.domain.strategy.dsl.rules import ParsedRule
from vibetrading.domain.strategy.expr import Lag, any_of
from vibetrading.domain.strategy.spec import Sizing

__all__ = ["Options", "Rules", "combine_rules", "read_options"]

_RISK = ("stop_loss", "take_profit", "trailing_stop")
_SIZING = ("percent_equity", "fixed_cash", "fixed_quantity", "equal_weight", "volatility_target")
_FRACTIONS = ("percent_equity", "volatility_target")


@dataclass
class Options:
    """Settings read from the text: risk fields, sizing, direction and hold-then-sell."""

    risk: dict[str, Any] = field(default_factory=dict)
    sizing: Sizing | None = None
    direction: str | None = None
    hold_bars: int | None = None
    errors: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)


def _fraction(match: Match, options: Options) -> float:
    value = match.value if match.value is not None else Decimal(0)
    if match.unit in ("%",):
        return float(value / 100)
    if match.unit == "x" or value < 1:
        return float(value)
    text = " ".join(t.text for t in match.tokens)
    options.assumptions.append(f"{text!r}: read {format_number(float(value))} as a percentage")
    return float(value / 100)


def _whole(match: Match) -> int:
    return int(match.value) if match.value is not None else 0


def _set(options: Options, bucket: dict[str, Any], key: str, value: Any, label: str) -> None:
    if key in bucket and bucket[key] != value:
        options.errors.append(
            f"Contradiction: two different {label} values were given "
            f"({_show(bucket[key])} and {_show(value)})."
        )
        return
    bucket[key] = value


def _show(value: Any) -> str:
    if isinstance(value, Sizing):
        return f"{value.method} {format_number(value.value)}"
    return format_number(value) if isinstance(value, int | float) else str(value)


def _sizing(match: Match, options: Options) -> Sizing:
    method = match.setting
    if method == "equal_weight":
        return Sizing(method="equal_weight", value=1.0)
    if method in _FRACTIONS:
        return Sizing(method=method, value=_fraction(match, options))  # type: ignore[arg-type]
    value = float(match.value) if match.value is not None else 0.0
    if method == "fixed_cash" and match.unit != "$":
        options.assumptions.append(f"{format_number(value)} per trade read as an amount of cash")
    return Sizing(method=method, value=value)  # type: ignore[arg-type]


def read_options(matches: list[Match]) -> Options:
    """Return the settings of the modifier matches, with contradictions as errors."""
    options = Options()
    chosen: dict[str, Any] = {}
    for match in matches:
        name = match.setting
        if name in _RISK:
            _set(options, options.risk, name, _fraction(match, options), name.replace("_", " "))
        elif name == "max_holding_bars":
            _set(options, options.risk, name, _whole(match), "holding limit")
        elif name == "hold_exit":
            _set(options, chosen, "hold", _whole(match), "holding period")
        elif name in _SIZING:
            _set(options, chosen, "sizing", _sizing(match, options), "position size")
        else:
            _set(options, chosen, "direction", name.removeprefix("direction_"), "direction")
    options.sizing = chosen.get("sizing")
    options.direction = chosen.get("direction")
    options.hold_bars = chosen.get("hold")
    return options


@dataclass
class Rules:
    """The rule fields of the spec."""

    direction: str = "long"
    entry: Any = None
    exit: Any = None
    short_entry: Any = None
    short_exit: Any = None
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)


def _by_role(parsed: list[ParsedRule], found: Rules) -> dict[str, Any]:
    grouped: dict[str, list[Any]] = {}
    for rule in parsed:
        if rule.condition is not None:
            grouped.setdefault(rule.role, []).append(rule.condition)
    joined: dict[str, Any] = {}
    for role, conditions in grouped.items():
        unique: list[Any] = []
        for condition in conditions:
            if condition not in unique:
                unique.append(condition)
        if len(unique) > 1:
            found.assumptions.append(f"{len(unique)} separate {role} rules: any one triggers")
        joined[role] = any_of(*unique)
    return joined


def _direction(roles: dict[str, Any], options: Options, found: Rules) -> str:
    if options.direction == "long" and "short" in roles:
        found.errors.append("Contradiction: the text says long only but also gives a short rule.")
    if "short" in roles and ("buy" in roles or options.direction == "both"):
        return "both" if "buy" in roles else "short"
    if "short" in roles:
        return "short"
    return "both" if options.direction == "both" and "buy" in roles else "long"


def combine_rules(parsed: list[ParsedRule], options: Options) -> Rules:
    """Return entry, exit and the short rules for the direction the text implies."""
    found = Rules()
    roles = _by_role(parsed, found)
    found.direction = _direction(roles, options, found)
    if found.direction == "short":
        found.entry = roles.get("short")
        exits = [roles[r] for r in ("sell", "cover") if r in roles]
        found.exit = any_of(*exits) if exits else None
    else:
        found.entry, found.exit = roles.get("buy"), roles.get("sell")
        if found.direction == "both":
            found.short_entry, found.short_exit = roles.get("short"), roles.get("cover")
        elif "cover" in roles:
            found.warnings.append("A 'cover' rule was given without any short rule: ignored.")
    if options.hold_bars and found.entry is not None:
        held = Lag(bars=options.hold_bars, item=found.entry)
        found.exit = any_of(found.exit, held) if found.exit is not None else held
    return found
