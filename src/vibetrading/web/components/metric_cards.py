"""Metric cards of a backtest: CAGR, Sharpe, Sortino, max drawdown, Calmar and the rest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vibetrading.web.i18n import Lang, t

__all__ = ["CARD_METRICS", "format_metric", "metric_cards"]

CARD_METRICS: tuple[str, ...] = (
    "total_return",
    "cagr",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "win_rate",
    "exposure",
    "volatility",
    "profit_factor",
    "num_trades",
    "benchmark_return",
)
_PERCENT = {
    "total_return",
    "cagr",
    "max_drawdown",
    "win_rate",
    "exposure",
    "volatility",
    "benchmark_return",
}
_SIGNED = {"total_return", "cagr", "benchmark_return"}


def format_metric(name: str, value: Any) -> str:
    """Return `value` of metric `name` as shown on a card ("—" when undefined)."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if name in _PERCENT:
        return f"{value:+.2%}" if name in _SIGNED else f"{value:.2%}"
    if name == "num_trades":
        return f"{int(value):,}"
    if isinstance(value, int | float):
        return f"{value:,.2f}"
    return str(value)


def _tone(name: str, value: Any) -> str:
    if not isinstance(value, int | float) or name in {"num_trades", "exposure", "volatility"}:
        return ""
    if name == "max_drawdown":
        return "text-negative"
    good = value > (1.0 if name == "profit_factor" else 0.0)
    return "text-positive" if good else "text-negative"


def metric_cards(
    stats: Mapping[str, Any], *, lang: Lang = "en", names: tuple[str, ...] = CARD_METRICS
) -> Any:
    """Add a responsive grid of metric cards for `stats` and return the grid element."""
    from nicegui import ui

    grid = ui.element("div").classes("vt-metrics w-full")
    with grid:
        for name in names:
            value = stats.get(name)
            with ui.card().classes("vt-metric").props("flat bordered"):
                ui.label(t(f"metric.{name}", lang)).classes("vt-metric-label")
                ui.label(format_metric(name, value)).classes(
                    f"vt-metric-value {_tone(name, value)}"
                ).mark(f"metric-{name}")
    return grid
