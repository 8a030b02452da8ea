"""The summary of a finished backtest in the chat: key numbers, equity line, dashboard link."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from vibetrading.web.components.charts import show_figure, sparkline
from vibetrading.web.components.metric_cards import metric_cards
from vibetrading.web.i18n import Lang, t

__all__ = ["CHAT_METRICS", "run_summary_card"]

CHAT_METRICS = ("total_return", "cagr", "sharpe", "max_drawdown", "win_rate", "num_trades")


def run_summary_card(
    stats: Mapping[str, Any],
    *,
    lang: Lang,
    equity: pd.Series | None = None,
    run_id: str | None = None,
    is_synthetic: bool = False,
    warnings: Sequence[str] = (),
    dark: bool = False,
) -> Any:
    """Add the card of a finished run and return it.

    It shows the chat's key numbers, a SYNTHETIC DATA badge for synthetic data, the
    equity sparkline when the curve is known, and "Open dashboard" when the run can be
    opened (`run_id`).
    """
    from nicegui import ui

    with ui.card().classes("w-full").props("flat bordered").mark("run-summary") as card:
        with ui.row().classes("items-center justify-between w-full"):
            with ui.row().classes("items-center gap-2"):
                ui.label(t("bt.done", lang)).classes("font-semibold")
                if is_synthetic:
                    ui.badge(t("bt.synthetic", lang)).props("color=negative").mark(
                        "synthetic-badge"
                    )
            if run_id:
                ui.button(
                    t("card.open_dashboard", lang),
                    icon="insights",
                    on_click=lambda: ui.navigate.to(f"/backtest?run={run_id}"),
                ).props("flat color=primary").mark("open-dashboard")
        metric_cards(stats, lang=lang, names=CHAT_METRICS)
        if equity is not None and len(equity) > 1:
            figure = sparkline(equity, dark=dark)
            show_figure(figure, classes="w-full h-24").mark("sparkline")
        for warning in warnings:
            ui.label(f"⚠ {warning}").classes("text-xs text-warning")
    return card
