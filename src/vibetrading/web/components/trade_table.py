"""The trade log as a sortable, paginated table."""

from __future__ import annotations

from typing import Any

import pandas as pd

from vibetrading.web.i18n import Lang, t

__all__ = ["TRADE_TABLE_COLUMNS", "trade_rows", "trade_table"]

TRADE_TABLE_COLUMNS: tuple[str, ...] = (
    "symbol",
    "direction",
    "entry_time",
    "entry_price",
    "exit_time",
    "exit_price",
    "quantity",
    "pnl",
    "return",
    "bars_held",
    "exit_reason",
)
_NUMERIC = {"entry_price", "exit_price", "quantity", "pnl", "return", "bars_held"}


def _cell(name: str, value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return (
            value.strftime("%Y-%m-%d %H:%M")
            if value.hour or value.minute
            else value.strftime("%Y-%m-%d")
        )
    if name == "return":
        return round(float(value) * 100.0, 2)
    if name in {"pnl", "entry_price", "exit_price"}:
        return round(float(value), 2)
    if name in _NUMERIC:
        return round(float(value), 4)
    return str(value)


def trade_rows(trades: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the trades as table rows (return in percent, times as dates), with an id."""
    columns = [c for c in TRADE_TABLE_COLUMNS if c in trades.columns]
    values = {c: trades[c].tolist() for c in columns}
    return [
        {"id": row, **{c: _cell(c, values[c][row]) for c in columns}} for row in range(len(trades))
    ]


def trade_table(trades: pd.DataFrame, *, lang: Lang = "en", rows_per_page: int = 15) -> Any:
    """Add the trade log table (every column sortable) and return it."""
    from nicegui import ui

    columns = [
        {
            "name": c,
            "label": t(f"trades.{c}", lang) + (" %" if c == "return" else ""),
            "field": c,
            "sortable": True,
            "align": "right" if c in _NUMERIC else "left",
        }
        for c in TRADE_TABLE_COLUMNS
        if c in trades.columns
    ]
    table = ui.table(
        columns=columns,
        rows=trade_rows(trades),
        row_key="id",
        pagination={"rowsPerPage": rows_per_page, "sortBy": "entry_time"},
        title=f"{t('trades.title', lang)} ({len(trades)})",
    ).classes("w-full vt-trades")
    table.props("flat bordered dense")
    return table
