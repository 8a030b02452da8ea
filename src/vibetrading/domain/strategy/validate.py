"""Check a StrategySpec before it runs, and say what is wrong in a trader's words.

``validate_spec`` reports errors (the spec cannot work as written: unknown indicators,
parameters out of range, conditions that can never hold), warnings (it runs but probably
not as meant: no exit at all, identical entry and exit, a rule that never fired on the
data) and suggestions the user may accept (a stop-loss, a take-profit, a position size).
Suggestions are data; nothing is applied silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from vibetrading.domain.indicators import get_indicator
from vibetrading.domain.strategy.compile import SignalCompiler
from vibetrading.domain.strategy.evidence import closest_approach, data_span
from vibetrading.domain.strategy.expr import walk
from vibetrading.domain.strategy.feasibility import always_holds, never_holds
from vibetrading.domain.strategy.formula import formula
from vibetrading.domain.strategy.spec import StrategySpec
from vibetrading.errors import SpecError

__all__ = [
    "RULE_NAMES",
    "Suggestion",
    "ValidationReport",
    "data_warnings",
    "suggest_exits",
    "validate_spec",
]

RULE_NAMES: dict[str, tuple[str, str]] = {
    "entry": ("Entry", "entries"),
    "exit": ("Exit", "exits"),
    "short_entry": ("Short entry", "short_entries"),
    "short_exit": ("Short exit", "short_exits"),
}
"""Spec field -> (name in messages, key in ``signal_counts``)."""

_DEFAULT_STOP, _DEFAULT_TARGET = 0.05, 0.10


@dataclass(frozen=True)
class Suggestion:
    """A change the user may accept: set `field` (dotted, e.g. ``risk.stop_loss``) to `value`."""

    field: str
    value: Any
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """Return the suggestion as a JSON-ready dict."""
        return asdict(self)


@dataclass
class ValidationReport:
    """What ``validate_spec`` found. The spec is usable when `errors` is empty.

    ``signal_counts`` (only with bars) maps entries/exits/short_entries/short_exits to
    the number of bars on which each rule held.
    """

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    signal_counts: dict[str, int] = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        """Return True when there is no error."""
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        """Return the report as a JSON-ready dict."""
        return {
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "suggestions": [s.as_dict() for s in self.suggestions],
            "signal_counts": dict(self.signal_counts),
        }

    def _add(self, bucket: list[str], message: str) -> None:
        if message not in bucket:
            bucket.append(message)


def _rules(spec: StrategySpec) -> list[tuple[str, Any]]:
    return [(name, getattr(spec, name)) for name in RULE_NAMES if getattr(spec, name) is not None]


def _check_indicator(node: Any) -> None:
    info = get_indicator(node.name)
    info.resolve_params(node.params)
    info.resolve_output(node.output)
    if node.input is not None and len(info.inputs) != 1:
        raise SpecError(
            f"{info.name.upper()} reads {', '.join(info.inputs)} and cannot take another "
            "series as input."
        )


def _check_structure(report: ValidationReport, name: str, rule: Any) -> bool:
    label = RULE_NAMES[name][0]
    is_sound = True
    for node in walk(rule):
        if node.kind != "indicator":
            continue
        try:
            _check_indicator(node)
        except SpecError as e:
            report._add(report.errors, f"{label}: {e}")
            is_sound = False
    return is_sound


def _check_logic(report: ValidationReport, name: str, rule: Any) -> None:
    label = RULE_NAMES[name][0]
    reason = never_holds(rule)
    if reason is not None:
        report._add(report.errors, f"{label} can never hold: {reason}")
        return
    for node in walk(rule):
        if node.kind == "any":
            for item in node.items:
                if (part := never_holds(item)) is not None:
                    report._add(report.warnings, f"{label}: one alternative can never hold: {part}")
        elif (always := always_holds(node)) is not None:
            report._add(report.warnings, f"{label}: {always} It filters nothing.")


def _check_pairs(report: ValidationReport, spec: StrategySpec) -> None:
    if spec.exit is not None and spec.exit == spec.entry:
        report._add(
            report.warnings,
            f"The exit rule is the same as the entry rule ({formula(spec.entry)}): every entry "
            "bar is also an exit bar, so positions would close as soon as they open.",
        )
    if spec.short_exit is not None and spec.short_exit == spec.short_entry:
        report._add(report.warnings, "The short exit rule is the same as the short entry rule.")


def suggest_exits(spec: StrategySpec, bars: pd.DataFrame | None = None) -> list[Suggestion]:
    """Return a stop-loss and a take-profit for a spec that lacks them (empty if it has both).

    With bars the stop is about three typical bar ranges: three times the median ATR(14)
    as a fraction of the close, rounded to 1% and kept between 3% and 20%; the target is
    twice the stop. Without bars: a 5% stop and a 10% target.
    """
    stop, target = _DEFAULT_STOP, _DEFAULT_TARGET
    basis = "a common default"
    if bars is not None and len(bars) > 30:
        data = {c: bars[c].to_numpy(dtype=np.float64) for c in ("high", "low", "close")}
        ratio = get_indicator("atr").compute(data, {})["value"] / data["close"]
        if np.isfinite(ratio).any():
            stop = float(np.clip(round(3 * float(np.nanmedian(ratio)), 2), 0.03, 0.2))
            target, basis = round(2 * stop, 2), "about three typical bar ranges (3 x ATR 14)"
    found = []
    if spec.risk.stop_loss is None:
        reason = f"No stop-loss given; {stop:.0%} below the entry price is {basis}."
        found.append(Suggestion("risk.stop_loss", stop, reason))
    if spec.risk.take_profit is None:
        reason = f"No take-profit given; {target:.0%} above the entry is twice the stop."
        found.append(Suggestion("risk.take_profit", target, reason))
    return found


def _check_exits(report: ValidationReport, spec: StrategySpec, bars: pd.DataFrame | None) -> None:
    risk = spec.risk
    has_risk_exit = any(
        value is not None
        for value in (risk.stop_loss, risk.take_profit, risk.trailing_stop, risk.max_holding_bars)
    )
    exits = suggest_exits(spec, bars)
    report.suggestions.extend(exits)
    if spec.exit is None and not has_risk_exit:
        levels = " and ".join(
            f"a {s.value:.0%} {'stop-loss' if s.field.endswith('loss') else 'take-profit'}"
            for s in exits
        )
        report._add(
            report.warnings,
            "No exit: there is no exit rule and no stop-loss, take-profit, trailing stop or "
            "holding limit, so every position would be held to the end of the data. "
            f"Suggested: {levels} (not applied until you accept them).",
        )
    if "sizing" not in spec.model_fields_set:
        report.suggestions.append(
            Suggestion(
                "sizing",
                {"method": "percent_equity", "value": 1.0},
                "No position size given; each entry invests 100% of equity. Accept it, or "
                "lower the value (0.5 = half) to risk less per trade.",
            )
        )


def _check_data(
    report: ValidationReport, spec: StrategySpec, bars: Any, symbol: str | None
) -> None:
    try:
        compiler = SignalCompiler(bars, symbol=symbol)
    except SpecError as e:
        report._add(report.warnings, f"Data checks skipped: {e}")
        return
    have = set(bars) if isinstance(bars, Mapping) else {compiler.symbol}
    wanted = {
        n.symbol for _, rule in _rules(spec) for n in walk(rule) if getattr(n, "symbol", None)
    }
    if missing := sorted(wanted - have):
        report._add(
            report.warnings,
            f"Data checks skipped: the rules read {', '.join(missing)}, but no bars were given "
            "for it.",
        )
        return
    length = len(compiler.index)
    for name, rule in _rules(spec):
        label, key = RULE_NAMES[name]
        try:
            held = compiler.condition(rule)
        except SpecError as e:
            report._add(report.errors, f"{label}: {e}")
            continue
        report.signal_counts[key] = int(held.sum())
        if held.any():
            continue
        hints = [closest_approach(compiler, node) for node in walk(rule)]
        found = [hint for hint in hints if hint]
        if not found:
            found = ["each of its conditions held on some bars, but never all together."]
        span = f"{length:,} bars, {data_span(compiler.index)}"
        report._add(report.warnings, f"{label} never held on the data ({span}): {' '.join(found)}")


def validate_spec(
    spec: StrategySpec,
    bars: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None,
    *,
    symbol: str | None = None,
) -> ValidationReport:
    """Check `spec` and return its errors, warnings and suggestions.

    Without data: unknown indicators, outputs and parameters (close matches offered),
    impossible values (``RSI > 120``), contradictions (``RSI > 80 and RSI < 20``),
    identical entry and exit, no exit at all, missing stop, target and size (as
    suggestions). With `bars` (the traded symbol's frame, or a mapping for pairs), also
    ``signal_counts`` and a warning, with the closest it came, for each rule that never
    held on that data.

    Example::

        report = validate_spec(spec, bars)
        if not report.is_valid:
            print("\\n".join(report.errors))
    """
    report = ValidationReport()
    is_sound = True
    for name, rule in _rules(spec):
        if _check_structure(report, name, rule):
            _check_logic(report, name, rule)
        else:
            is_sound = False
    _check_pairs(report, spec)
    frame = bars if isinstance(bars, pd.DataFrame) else None
    if frame is None and bars is not None:
        frame = bars.get(symbol or spec.universe[0])
    _check_exits(report, spec, frame)
    if bars is not None and is_sound and not report.errors:
        if symbol is None and not isinstance(bars, pd.DataFrame) and spec.universe[0] in bars:
            symbol = spec.universe[0]
        _check_data(report, spec, bars, symbol)
    return report


def data_warnings(
    spec: StrategySpec, bars: pd.DataFrame, *, symbol: str | None = None
) -> list[str]:
    """Return the data check of `validate_spec` alone, for a spec already known sound.

    One warning, with the closest it came, for each rule of `spec` that never held on
    `bars`; nothing when every rule held at least once.
    """
    report = ValidationReport()
    _check_data(report, spec, bars, symbol)
    return report.warnings
