"""StrategySpec: a trading strategy as typed, versioned data.

A spec is never executed as code: it compiles to vectorised entry and exit signals (see
``compile.py``), and the backtester applies its ``risk``, ``sizing`` and ``costs``.
``StrategySpec.model_json_schema()`` is the contract the parser, the LLM copilot and the
UI share; ``vibetrading strategy schema`` prints it.

Example::

    >>> from vibetrading.domain.strategy.expr import compare, indicator
    >>> spec = StrategySpec(
    ...     entry=compare(indicator("rsi", period=14), "<", 30),
    ...     exit=compare(indicator("rsi", period=14), ">", 70),
    ...     risk=Risk(stop_loss=0.05),
    ... )
    >>> spec.risk.stop_loss
    0.05
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from vibetrading.domain.data.bars import Timeframe
from vibetrading.domain.strategy.expr import Expr, is_boolean
from vibetrading.errors import SpecError

__all__ = [
    "SCHEMA_VERSION",
    "SPEC_REPORT_KEYS",
    "CostOverrides",
    "Direction",
    "Metadata",
    "Risk",
    "Sizing",
    "SizingMethod",
    "StrategySpec",
    "load_spec",
]

SCHEMA_VERSION: Literal["1"] = "1"
SPEC_REPORT_KEYS = ("assumptions", "unparsed", "warnings", "errors", "suggestions")
"""Keys that ``strategy parse --format json`` adds beside the spec's own fields."""

Direction = Literal["long", "short", "both"]
SizingMethod = Literal[
    "percent_equity", "fixed_cash", "fixed_quantity", "equal_weight", "volatility_target"
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Risk(_Model):
    """Exits the backtester applies on prices, as fractions of the entry price."""

    stop_loss: float | None = Field(
        default=None, gt=0, lt=1, description="Exit when price falls this fraction (0.05 = 5%)."
    )
    take_profit: float | None = Field(
        default=None, gt=0, le=100, description="Exit when price gains this fraction (0.10 = 10%)."
    )
    trailing_stop: float | None = Field(
        default=None, gt=0, lt=1, description="Exit this fraction below the best price since entry."
    )
    max_holding_bars: int | None = Field(
        default=None, ge=1, description="Exit after this many bars in the position."
    )


class Sizing(_Model):
    """How much to buy on each entry."""

    method: SizingMethod = Field(
        default="percent_equity",
        description="percent_equity (value 1.0 = all in), fixed_cash, fixed_quantity, "
        "equal_weight (across the universe) or volatility_target (annual volatility).",
    )
    value: float = Field(default=1.0, gt=0, description="Fraction, cash amount, units or target.")


class CostOverrides(_Model):
    """Costs that replace the market's defaults; unset fields keep the default."""

    fee_rate: float | None = Field(default=None, ge=0, lt=0.1, description="Commission fraction.")
    commission_min: float | None = Field(default=None, ge=0, description="Minimum commission.")
    slippage_bps: float | None = Field(default=None, ge=0, le=1000, description="Slippage, bps.")


class Metadata(_Model):
    """What a reader should know about the strategy; filled by the parser or the LLM."""

    market_conditions: str = Field(default="", description="When the strategy tends to work.")
    risk_assumptions: str = Field(default="", description="What the risk settings assume.")
    signal_frequency: str = Field(default="", description="How often it is expected to signal.")
    indicator_interpretation: str = Field(default="", description="What the indicators mean here.")
    language: Literal["en", "zh"] = Field(default="en", description="Language of the idea.")
    source_text: str | None = Field(default=None, description="The idea as the user wrote it.")
    template: str | None = Field(default=None, description="Template the spec came from.")


class StrategySpec(_Model):
    """A complete, typed strategy: what to trade, when to enter and exit, how much, at what risk."""

    schema_version: Literal["1"] = SCHEMA_VERSION
    name: str = Field(default="Untitled strategy", max_length=200)
    universe: list[str] = Field(
        default_factory=lambda: ["SPX"], min_length=1, description="Symbols to trade."
    )
    timeframe: Timeframe = Field(default=Timeframe.D1, description="Bar length of the signals.")
    direction: Direction = Field(default="long", description="long, short or both.")
    entry: Expr = Field(description="When to open a position (long, or short if direction=short).")
    exit: Expr | None = Field(
        default=None, description="When to close it by rule; None means only risk exits."
    )
    short_entry: Expr | None = Field(default=None, description="direction=both: open a short.")
    short_exit: Expr | None = Field(default=None, description="direction=both: close a short.")
    risk: Risk = Field(default_factory=Risk)
    sizing: Sizing = Field(default_factory=Sizing)
    costs: CostOverrides | None = None
    explanation: str = Field(default="", description="The strategy in plain words.")
    metadata: Metadata = Field(default_factory=Metadata)

    @model_validator(mode="after")
    def _check_rules(self) -> StrategySpec:
        for name in ("entry", "exit", "short_entry", "short_exit"):
            rule = getattr(self, name)
            if rule is not None and not is_boolean(rule):
                raise ValueError(
                    f"{name} must be a condition (compare, cross, all, ...), "
                    f"not a {rule.kind} value."
                )
        if self.direction != "both" and (self.short_entry or self.short_exit):
            raise ValueError("short_entry and short_exit are only for direction 'both'.")
        return self

    def to_json(self, **extra: Any) -> str:
        """Return the spec as JSON, with `extra` top-level keys (e.g. the parser's report)."""
        document = self.model_dump(mode="json")
        document.update(extra)
        return json.dumps(document, indent=2, ensure_ascii=False)


def load_spec(source: str | dict[str, Any]) -> StrategySpec:
    """Read a spec from JSON text or a dict, accepting ``strategy parse --format json`` output.

    The parser's report keys (assumptions, unparsed, warnings, errors) are ignored. Raises
    SpecError with every validation problem listed.
    """
    try:
        document = json.loads(source) if isinstance(source, str) else dict(source)
    except json.JSONDecodeError as e:
        raise SpecError(f"The spec is not valid JSON: {e}") from e
    if not isinstance(document, dict):
        raise SpecError("A spec is a JSON object.")
    for key in SPEC_REPORT_KEYS:
        document.pop(key, None)
    try:
        return StrategySpec.model_validate(document)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc'])) or 'spec'}: {error['msg']}" for error in e.errors()
        )
        raise SpecError(f"The spec is invalid: {problems}") from e
