"""Render bars as CSV, JSON or a Rich table with a chart."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from vibetrading.cli.charts import line_chart

__all__ = ["bars_csv", "bars_json", "bars_panel", "format_number", "format_timestamps"]

CSV_HEADER = "timestamp,open,high,low,close,volume"


def format_number(value: float) -> str:
    """Return the shortest exact text of `value`; integral volumes lose their ``.0``."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def format_timestamps(
    index: pd.DatetimeIndex, *, timeframe: str, timezone: str | None = None
) -> list[str]:
    """Return dates for daily and longer bars, ISO date-times otherwise (UTC, or `timezone`)."""
    if timeframe in {"1d", "1w", "1M"}:
        return list(index.strftime("%Y-%m-%d"))
    if timezone is None:
        return list(index.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return list(index.tz_convert(timezone).strftime("%Y-%m-%d %H:%M"))


def bars_csv(bars: pd.DataFrame) -> str:
    """Return bars as ``timestamp,open,high,low,close,volume`` lines, header first."""
    stamps = format_timestamps(
        pd.DatetimeIndex(bars.index), timeframe=str(bars.attrs.get("timeframe", "1d"))
    )
    columns = [bars[c].to_numpy() for c in ("open", "high", "low", "close")]
    volume = bars["volume"].to_numpy()
    lines = [CSV_HEADER]
    for i, stamp in enumerate(stamps):
        prices = ",".join(repr(float(column[i])) for column in columns)
        lines.append(f"{stamp},{prices},{format_number(volume[i])}")
    return "\n".join(lines)


def bars_json(bars: pd.DataFrame, *, timezone: str) -> str:
    """Return bars and their provenance as a JSON document."""
    stamps = format_timestamps(
        pd.DatetimeIndex(bars.index), timeframe=str(bars.attrs.get("timeframe", "1d"))
    )
    records: list[dict[str, Any]] = [
        {
            "timestamp": stamp,
            **{c: float(bars[c].iat[i]) for c in ("open", "high", "low", "close", "volume")},
        }
        for i, stamp in enumerate(stamps)
    ]
    document = {
        "symbol": bars.attrs.get("symbol"),
        "timeframe": bars.attrs.get("timeframe"),
        "source": bars.attrs.get("source"),
        "synthetic": bool(bars.attrs.get("synthetic", False)),
        "adjusted": bool(bars.attrs.get("adjusted", False)),
        "timezone": timezone,
        "count": len(records),
        "bars": records,
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _title(bars: pd.DataFrame, name: str | None) -> str:
    attrs = bars.attrs
    label = f"{attrs.get('symbol')}" + (f" · {name}" if name else "")
    parts = [
        label,
        str(attrs.get("timeframe")),
        f"{len(bars)} bars",
        f"source {attrs.get('source')}",
    ]
    title = " · ".join(parts)
    return f"SYNTHETIC DATA · {title}" if attrs.get("synthetic") else title


def bars_panel(
    bars: pd.DataFrame, *, timezone: str, name: str | None = None, rows: int = 10
) -> Group:
    """Return a Rich renderable: a close-price chart over a table of the first and last bars."""
    title = _title(bars, name)
    close = bars["close"].to_numpy()
    change = close[-1] / close[0] - 1 if close[0] else float("nan")
    lines = line_chart(close, width=64, height=8)
    top, bottom = f"{np.nanmax(close):,.2f}", f"{np.nanmin(close):,.2f}"
    pad = max(len(top), len(bottom))
    labels = [top.rjust(pad), *[" " * pad] * (len(lines) - 2), bottom.rjust(pad)]
    chart = "\n".join(f"{label} ┤{row}" for label, row in zip(labels, lines, strict=True))
    caption = (
        f"close {close[0]:,.2f} → {close[-1]:,.2f} ({change:+.1%}) · "
        f"low {bars['low'].min():,.2f} · high {bars['high'].max():,.2f}"
    )
    style = "yellow" if bars.attrs.get("synthetic") else "cyan"
    panel = Panel(Text(chart, style=style), title=title, subtitle=caption, expand=False)
    table = Table(
        title=f"times in {timezone}"
        if str(bars.attrs.get("timeframe")) not in {"1d", "1w", "1M"}
        else None,
        box=None,
        header_style="bold",
    )
    for column in ("timestamp", "open", "high", "low", "close", "volume"):
        table.add_column(column, justify="left" if column == "timestamp" else "right")
    stamps = format_timestamps(
        pd.DatetimeIndex(bars.index),
        timeframe=str(bars.attrs.get("timeframe", "1d")),
        timezone=timezone,
    )
    picks = (
        list(range(len(bars)))
        if len(bars) <= 2 * rows
        else [*range(rows), -1, *range(len(bars) - rows, len(bars))]
    )
    for i in picks:
        if i == -1:
            table.add_row("…", "…", "…", "…", "…", "…")
            continue
        o, h, lo, c, v = (bars[k].iat[i] for k in ("open", "high", "low", "close", "volume"))
        table.add_row(stamps[i], f"{o:,.4f}", f"{h:,.4f}", f"{lo:,.4f}", f"{c:,.4f}", f"{v:,.0f}")
    return Group(panel, table)


def print_lines(console: Console, text: str) -> None:
    """Write `text` to the console's file unstyled (for CSV and JSON)."""
    console.file.write(text + "\n")
