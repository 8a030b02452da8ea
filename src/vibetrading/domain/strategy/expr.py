"""The expression tree of strategy rules: data, never code.

Every node is a Pydantic model tagged by ``kind``; a rule is a tree of them. Numeric
nodes yield a float series, boolean nodes a bool series (see SEMANTICS.md):

=================  =======  ========================================================
kind               yields   meaning
=================  =======  ========================================================
``indicator``      number   an indicator from the registry, e.g. RSI(14), on close
``price``          number   a bar field: open, high, low, close, volume
``const``          number   a constant
``arith``          number   ``left op right`` with op in + - * /
``highest``        number   highest value of `item` over the N bars *before* this bar
``lowest``         number   lowest value of `item` over the N bars *before* this bar
``lag``            any      `item` as it was N bars ago
``bars_since``     number   bars since `item` was last true (NaN before the first time)
``compare``        bool     ``left op right`` with op in > >= < <= == !=
``cross``          bool     `left` crosses above/below `right` on this bar
``all``/``any``    bool     every / at least one item holds
``not``            bool     the item does not hold
``for_bars``       bool     the item held on each of the last N bars (this one included)
``within_bars``    bool     the item held on at least one of the last N bars
=================  =======  ========================================================

NaN (indicator warm-up) compares as false. Build trees with the small helpers below::

    >>> rule = crosses_above(indicator("sma", period=50), indicator("sma", period=200))
    >>> rule.kind
    'cross'
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AllOf",
    "AnyOf",
    "Arithmetic",
    "BarsSince",
    "Compare",
    "Constant",
    "Cross",
    "Expr",
    "ForBars",
    "Highest",
    "IndicatorRef",
    "Lag",
    "Lowest",
    "Not",
    "PriceField",
    "WithinBars",
    "all_of",
    "any_of",
    "compare",
    "const",
    "crosses_above",
    "crosses_below",
    "indicator",
    "is_boolean",
    "price",
    "walk",
]

PriceName = Literal["open", "high", "low", "close", "volume"]
CompareOp = Literal[">", ">=", "<", "<=", "==", "!="]
ArithOp = Literal["+", "-", "*", "/"]
ParamValue = int | float | str


class _Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IndicatorRef(_Node):
    """An indicator from the registry with its parameters and the output to use."""

    kind: Literal["indicator"] = "indicator"
    name: str = Field(description="Registry name, e.g. sma, ema, rsi, macd, bbands, kdj.")
    params: dict[str, ParamValue] = Field(
        default_factory=dict, description="Parameters; missing ones take the registry default."
    )
    output: str | None = Field(
        default=None, description="Output field of a multi-output indicator (macd: signal)."
    )
    input: Expr | None = Field(
        default=None, description="Series the indicator reads, when not the bars (default close)."
    )
    symbol: str | None = Field(default=None, description="Another symbol's bars (pairs).")


class PriceField(_Node):
    """A field of the bars: open, high, low, close or volume."""

    kind: Literal["price"] = "price"
    field: PriceName = "close"
    symbol: str | None = Field(default=None, description="Another symbol's bars (pairs).")


class Constant(_Node):
    """A number."""

    kind: Literal["const"] = "const"
    value: float


class Arithmetic(_Node):
    """``left op right``; division by zero gives NaN (which compares false)."""

    kind: Literal["arith"] = "arith"
    op: ArithOp
    left: Expr
    right: Expr


class Highest(_Node):
    """The highest `item` over the `bars` bars before the current bar (it is excluded)."""

    kind: Literal["highest"] = "highest"
    bars: int = Field(ge=1, le=10_000)
    item: Expr = Field(default_factory=lambda: PriceField(field="high"))


class Lowest(_Node):
    """The lowest `item` over the `bars` bars before the current bar (it is excluded)."""

    kind: Literal["lowest"] = "lowest"
    bars: int = Field(ge=1, le=10_000)
    item: Expr = Field(default_factory=lambda: PriceField(field="low"))


class Lag(_Node):
    """`item` as it was `bars` bars ago (false or NaN before the start)."""

    kind: Literal["lag"] = "lag"
    bars: int = Field(ge=1, le=10_000)
    item: Expr


class BarsSince(_Node):
    """Bars since `item` was last true: 0 on a bar where it holds, NaN before it ever did."""

    kind: Literal["bars_since"] = "bars_since"
    item: Expr


class Compare(_Node):
    """A state: ``left op right`` holds on this bar."""

    kind: Literal["compare"] = "compare"
    op: CompareOp
    left: Expr
    right: Expr


class Cross(_Node):
    """An event: above = left[t-1] <= right[t-1] and left[t] > right[t]; below mirrored."""

    kind: Literal["cross"] = "cross"
    direction: Literal["above", "below"]
    left: Expr
    right: Expr


class AllOf(_Node):
    """Every item holds."""

    kind: Literal["all"] = "all"
    items: list[Expr] = Field(min_length=1)


class AnyOf(_Node):
    """At least one item holds."""

    kind: Literal["any"] = "any"
    items: list[Expr] = Field(min_length=1)


class Not(_Node):
    """The item does not hold."""

    kind: Literal["not"] = "not"
    item: Expr


class ForBars(_Node):
    """The item held on each of the last `bars` bars, this one included."""

    kind: Literal["for_bars"] = "for_bars"
    bars: int = Field(ge=1, le=10_000)
    item: Expr


class WithinBars(_Node):
    """The item held on at least one of the last `bars` bars, this one included."""

    kind: Literal["within_bars"] = "within_bars"
    bars: int = Field(ge=1, le=10_000)
    item: Expr


Expr = Annotated[
    IndicatorRef
    | PriceField
    | Constant
    | Arithmetic
    | Highest
    | Lowest
    | Lag
    | BarsSince
    | Compare
    | Cross
    | AllOf
    | AnyOf
    | Not
    | ForBars
    | WithinBars,
    Field(discriminator="kind"),
]

for _model in (
    IndicatorRef,
    Arithmetic,
    Highest,
    Lowest,
    Lag,
    BarsSince,
    Compare,
    Cross,
    AllOf,
    AnyOf,
    Not,
    ForBars,
    WithinBars,
):
    _model.model_rebuild()

_BOOLEAN_KINDS = {"compare", "cross", "all", "any", "not", "for_bars", "within_bars"}


def is_boolean(node: Any) -> bool:
    """Return True when `node` yields a boolean series (a lag yields what its item yields)."""
    if node.kind == "lag":
        return is_boolean(node.item)
    return node.kind in _BOOLEAN_KINDS


def walk(node: Any) -> list[Any]:
    """Return `node` and every node below it, depth first."""
    found = [node]
    for name in ("left", "right", "item", "input"):
        child = getattr(node, name, None)
        if child is not None:
            found += walk(child)
    for child in getattr(node, "items", []) or []:
        found += walk(child)
    return found


def indicator(name: str, output: str | None = None, **params: ParamValue) -> IndicatorRef:
    """Return a reference to the registry indicator `name` with `params`."""
    return IndicatorRef(name=name, params=params, output=output)


def price(field: PriceName = "close") -> PriceField:
    """Return the bar field `field`."""
    return PriceField(field=field)


def const(value: float) -> Constant:
    """Return the constant `value`."""
    return Constant(value=value)


def _operand(value: Any) -> Any:
    return Constant(value=float(value)) if isinstance(value, int | float) else value


def compare(left: Any, op: CompareOp, right: Any) -> Compare:
    """Return the state ``left op right``; numbers become constants."""
    return Compare(op=op, left=_operand(left), right=_operand(right))


def crosses_above(left: Any, right: Any) -> Cross:
    """Return the event `left` crosses above `right`."""
    return Cross(direction="above", left=_operand(left), right=_operand(right))


def crosses_below(left: Any, right: Any) -> Cross:
    """Return the event `left` crosses below `right`."""
    return Cross(direction="below", left=_operand(left), right=_operand(right))


def all_of(*items: Any) -> Any:
    """Return the conjunction of `items` (a single item is returned as it is)."""
    return items[0] if len(items) == 1 else AllOf(items=list(items))


def any_of(*items: Any) -> Any:
    """Return the disjunction of `items` (a single item is returned as it is)."""
    return items[0] if len(items) == 1 else AnyOf(items=list(items))
