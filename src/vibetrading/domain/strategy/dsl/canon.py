"""Canonical forms, so that two specs that mean the same thing compare equal.

An indicator reference always carries every parameter (registry defaults filled in), its
output only when the indicator has several (``macd``: ``signal``), no ``input`` when it
reads the close, and the SMA of volume is the registry's ``volume_sma``. Constants are
floats. The parser, the renderer's tests and the LLM copilot all go through here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from vibetrading.domain.indicators import get_indicator
from vibetrading.domain.strategy.expr import IndicatorRef, ParamValue, PriceField

__all__ = ["canonical_expr", "canonical_indicator", "drop_symbol", "map_nodes"]

_CLOSE = PriceField(field="close")
_VOLUME = PriceField(field="volume")


def canonical_indicator(
    name: str,
    params: Mapping[str, Any] | None = None,
    output: str | None = None,
    *,
    input: Any = None,
    symbol: str | None = None,
) -> IndicatorRef:
    """Return the canonical reference to indicator `name` (an alias works too).

    Raises SpecError for an unknown indicator, parameter or output, or a value out of range.
    Example: ``canonical_indicator("均线", {"period": 5}).params == {"period": 5}``.
    """
    info = get_indicator(name)
    if info.name == "sma" and input == _VOLUME:
        info, input = get_indicator("volume_sma"), None
    resolved: dict[str, ParamValue] = dict(info.resolve_params(params or {}))
    chosen = info.resolve_output(output) if len(info.outputs) > 1 else None
    return IndicatorRef(
        name=info.name,
        params=resolved,
        output=chosen,
        input=None if input == _CLOSE else input,
        symbol=symbol,
    )


def map_nodes(node: Any, change: Callable[[Any], Any]) -> Any:
    """Return a copy of `node` with `change` applied to every node, children first."""
    updates: dict[str, Any] = {}
    for name in ("left", "right", "item", "input"):
        child = getattr(node, name, None)
        if child is not None:
            updates[name] = map_nodes(child, change)
    if getattr(node, "items", None):
        updates["items"] = [map_nodes(child, change) for child in node.items]
    return change(node.model_copy(update=updates) if updates else node)


def _canonical(node: Any) -> Any:
    if node.kind != "indicator":
        return node
    return canonical_indicator(
        node.name, node.params, node.output, input=node.input, symbol=node.symbol
    )


def canonical_expr(node: Any) -> Any:
    """Return `node` with every indicator reference below it in canonical form."""
    return map_nodes(node, _canonical)


def drop_symbol(node: Any, code: str) -> Any:
    """Return `node` with references to the traded symbol `code` made implicit."""

    def change(item: Any) -> Any:
        if getattr(item, "symbol", None) == code:
            return item.model_copy(update={"symbol": None})
        return item

    return map_nodes(node, change)
