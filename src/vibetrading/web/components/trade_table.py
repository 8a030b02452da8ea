"""The trade log as a sortable, paginated table, its side and exit reason in the UI language."""

from __future__ import annotations

from typing import Any

import pandas as pd

from vibetrading.web.i18n import STRINGS, Lang, t

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
_TRANSLATED = {"direction": "side", "exit_reason": "reason"}


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


def _label(name: str, value: Any, lang: Lang) -> Any:
    if name not in _TRANSLATED or value is None:
        return value
    return (
        t(f"{_TRANSLATED[name]}.{value}", lang)
        if f"{_TRANSLATED[name]}.{value}" in STRINGS
        else value
    )


def trade_rows(trades: pd.DataFrame, *, lang: Lang = "en") -> list[dict[str, Any]]:
    """Return the trades as table rows (return in percent, times as dates), with an id.

    The side (long, short) and the exit reason are written in `lang`.
    """
    columns = [c for c in TRADE_TABLE_COLUMNS if c in trades.columns]
    values = {c: trades[c].tolist() for c in columns}
    return [
        {"id": row, **{c: _label(c, _cell(c, values[c][row]), lang) for c in columns}}
        for row in range(len(trades))
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
        rows=trade_rows(trades, lang=lang),
        row_key="id",
        pagination={"rowsPerPage": rows_per_page, "sortBy": "entry_time"},
        title=f"{t('trades.title', lang)} ({len(trades)})",
    ).classes("w-full vt-trades")
    table.props("flat bordered dense")
    return table
