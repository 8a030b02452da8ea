"""Plotly figures of the HTML backtest report, and the decimation that keeps them light.

Plotly is imported inside each builder, so importing this module stays cheap. Every
builder takes a complete, already HTML-escaped title (the caller adds the decimation and
"SYNTHETIC DATA" notes) and returns a ``plotly.graph_objects.Figure``.
"""

from __future__ import annotations

import html
import importlib
import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "EXIT_REASON_COLOURS",
    "MAX_CANDLES",
    "MAX_LINE_POINTS",
    "decimate_line",
    "decimate_ohlc",
    "drawdown_figure",
    "equity_figure",
    "figure_html",
    "monthly_figure",
    "price_figure",
]

MAX_CANDLES = 5_000
MAX_LINE_POINTS = 10_000
EXIT_REASON_COLOURS: dict[str, str] = {
    "signal": "#1f77b4",
    "stop_loss": "#d62728",
    "take_profit": "#2ca02c",
    "trailing_stop": "#ff7f0e",
    "end": "#7f7f7f",
}
_OTHER_REASON_COLOUR = "#9467bd"
_ENTRY_COLOURS = {"long": "#263238", "short": "#8e24aa"}
_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "margin": {"l": 60, "r": 20, "t": 60, "b": 40},
    "hovermode": "x unified",
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0.0},
    "title": {"x": 0.0, "xanchor": "left", "font": {"size": 16}},
}


def _go() -> Any:
    return importlib.import_module("plotly.graph_objects")


def _naive_utc(index: pd.DatetimeIndex) -> npt.NDArray[np.datetime64]:
    # plotly.js ignores UTC offsets in date strings: send naive UTC times, label the axis UTC.
    naive = index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index
    return np.asarray(naive.to_numpy(dtype="datetime64[ns]"))


def _times(values: pd.Series) -> pd.DatetimeIndex:
    stamps = pd.DatetimeIndex(pd.to_datetime(values, utc=True))
    return stamps.tz_localize(None)


def decimate_ohlc(bars: pd.DataFrame, max_candles: int = MAX_CANDLES) -> tuple[pd.DataFrame, int]:
    """Merge runs of consecutive bars into coarser candles so at most `max_candles` remain.

    Return the candles and how many bars each one merges (1 when nothing was merged). A
    merged candle takes the first open and timestamp, the highest high, the lowest low, the
    last close and the summed volume of its bars.
    """
    factor = max(1, math.ceil(len(bars) / max_candles))
    if factor == 1:
        return bars, 1
    groups = np.arange(len(bars)) // factor
    grouped = bars.groupby(groups)
    merged = pd.DataFrame(
        {
            "open": grouped["open"].first().to_numpy(),
            "high": grouped["high"].max().to_numpy(),
            "low": grouped["low"].min().to_numpy(),
            "close": grouped["close"].last().to_numpy(),
            "volume": grouped["volume"].sum().to_numpy(),
        },
        index=bars.index[::factor],
    )
    return merged, factor


def decimate_line(series: pd.Series, max_points: int = MAX_LINE_POINTS) -> tuple[pd.Series, bool]:
    """Thin `series` to at most about `max_points` points, keeping each bucket's extremes.

    The series is cut into buckets; each keeps its minimum and its maximum (in time order),
    plus the last point, so peaks and troughs such as the maximum drawdown survive. Return
    the thinned series and whether anything was dropped.
    """
    if len(series) <= max_points:
        return series, False
    bucket = math.ceil(len(series) / max(1, max_points // 2))
    values = series.to_numpy(dtype=np.float64)
    padded = np.full(math.ceil(len(values) / bucket) * bucket, np.nan)
    padded[: len(values)] = values
    rows = padded.reshape(-1, bucket)
    offsets = np.arange(len(rows)) * bucket
    extremes = [offsets + np.nanargmin(rows, axis=1), offsets + np.nanargmax(rows, axis=1)]
    positions = np.unique(np.concatenate([*extremes, [len(values) - 1]]))
    return series.iloc[positions], True


def figure_html(figure: Any, div_id: str, *, height_px: int) -> str:
    """Return the figure as a ``<div>`` plus script that expects plotly.js already loaded."""
    text: str = figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        default_height=f"{height_px}px",
        config={"displaylogo": False, "responsive": True},
    )
    return text


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    layout = {**_LAYOUT, **extra}
    layout["title"] = {**_LAYOUT["title"], "text": title}
    return layout


def price_figure(bars: pd.DataFrame, trades: pd.DataFrame, *, title: str) -> Any:
    """Draw candlesticks of `bars` with entry (▲) and exit (▼) markers of `trades`.

    Exits are coloured by exit reason; hover text shows the direction, price and pnl.
    """
    go = _go()
    figure = go.Figure(
        go.Candlestick(
            x=_naive_utc(bars.index),
            open=bars["open"].to_numpy(),
            high=bars["high"].to_numpy(),
            low=bars["low"].to_numpy(),
            close=bars["close"].to_numpy(),
            name="Price",
            increasing={"line": {"color": "#26a69a"}},
            decreasing={"line": {"color": "#ef5350"}},
        )
    )
    for trace in _trade_markers(trades):
        figure.add_trace(go.Scatter(**trace))
    figure.update_layout(
        _layout(
            title, xaxis={"rangeslider": {"visible": False}, "title": "UTC"}, yaxis_title="Price"
        )
    )
    return figure


def _hover(trades: pd.DataFrame, side: str) -> list[str]:
    symbols = trades.get("symbol", pd.Series("", index=trades.index)).astype(str)
    directions = trades.get("direction", pd.Series("", index=trades.index)).astype(str)
    pnl = pd.to_numeric(trades.get("pnl", pd.Series(np.nan, index=trades.index)), errors="coerce")
    prices = pd.to_numeric(trades[f"{side}_price"], errors="coerce")
    return [
        html.escape(f"{side} {d} {s} @ {p:,.4g} (pnl {q:,.2f})")
        for s, d, p, q in zip(symbols, directions, prices, pnl, strict=True)
    ]


def _marker(trades: pd.DataFrame, side: str, name: str, symbol: str, colour: str) -> dict[str, Any]:
    return {
        "x": np.asarray(_times(trades[f"{side}_time"]).to_numpy()),
        "y": pd.to_numeric(trades[f"{side}_price"], errors="coerce").to_numpy(),
        "mode": "markers",
        "name": name,
        "marker": {"symbol": symbol, "size": 10, "color": colour, "line": {"width": 1}},
        "hovertext": _hover(trades, side),
        "hoverinfo": "text",
    }


def _trade_markers(trades: pd.DataFrame) -> list[dict[str, Any]]:
    needed = {"entry_time", "entry_price", "exit_time", "exit_price"}
    if len(trades) == 0 or not needed.issubset(trades.columns):
        return []
    traces = []
    directions = trades.get("direction", pd.Series("long", index=trades.index)).astype(str)
    for direction in sorted(directions.unique()):
        colour = _ENTRY_COLOURS.get(direction, _ENTRY_COLOURS["long"])
        name = f"Entry ({html.escape(direction)})"
        traces.append(
            _marker(trades[directions == direction], "entry", name, "triangle-up", colour)
        )
    closed = trades[trades["exit_time"].notna()]
    reasons = closed.get("exit_reason", pd.Series("signal", index=closed.index)).astype(str)
    for reason in sorted(reasons.unique()):
        colour = EXIT_REASON_COLOURS.get(reason, _OTHER_REASON_COLOUR)
        name = f"Exit: {html.escape(reason)}"
        traces.append(_marker(closed[reasons == reason], "exit", name, "triangle-down", colour))
    return traces


def equity_figure(
    equity: pd.Series, benchmark: pd.Series | None, *, title: str, benchmark_label: str
) -> Any:
    """Draw the account value against the benchmark's buy-and-hold value (already escaped)."""
    go = _go()
    figure = go.Figure()
    lines = [(equity, "Strategy", "#1565c0")]
    if benchmark is not None:  # drawn first, so the strategy stays on top where they overlap
        lines.insert(0, (benchmark, benchmark_label, "#9e9e9e"))
    for series, name, colour in lines:
        figure.add_trace(
            go.Scatter(
                x=_naive_utc(series.index),
                y=series.to_numpy(dtype=np.float64),
                mode="lines",
                name=name,
                line={"color": colour, "width": 1.6},
            )
        )
    figure.update_layout(_layout(title, yaxis_title="Account value", xaxis_title="UTC"))
    return figure


def drawdown_figure(drawdown: pd.Series, *, title: str) -> Any:
    """Draw the drawdown (fractions, shown in percent) as a filled area under zero."""
    go = _go()
    figure = go.Figure(
        go.Scatter(
            x=_naive_utc(drawdown.index),
            y=drawdown.to_numpy(dtype=np.float64) * 100.0,
            mode="lines",
            fill="tozeroy",
            name="Drawdown",
            line={"color": "#c62828", "width": 1},
            hovertemplate="%{y:.2f}%<extra></extra>",
        )
    )
    figure.update_layout(_layout(title, yaxis_title="Drawdown (%)", xaxis_title="UTC"))
    return figure


def monthly_figure(table: pd.DataFrame, *, title: str) -> Any:
    """Draw the monthly returns table (fractions, shown in percent) as a heatmap.

    The colour scale is centred on zero and sized by the monthly cells, so the larger
    yearly totals saturate rather than wash out the months.
    """
    go = _go()
    values = table.to_numpy(dtype=np.float64) * 100.0
    months = values[:, :-1]
    finite = months[np.isfinite(months)]
    limit = float(np.max(np.abs(finite))) if len(finite) else 1.0
    # Adding 0.0 turns -0.0 into 0.0, so tiny losses do not print as "-0.0".
    text = [
        ["" if not np.isfinite(v) else f"{round(v, 1) + 0.0:.1f}" for v in row] for row in values
    ]
    figure = go.Figure(
        go.Heatmap(
            z=values,
            x=[str(c) for c in table.columns],
            y=[str(y) for y in table.index],
            text=text,
            texttemplate="%{text}",
            textfont={"size": 10},
            colorscale="RdYlGn",
            zmid=0.0,
            zmin=-limit,
            zmax=limit,
            colorbar={"title": "%"},
            hovertemplate="%{y} %{x}: %{z:.2f}%<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    layout = _layout(title, hovermode="closest")
    layout["yaxis"] = {"autorange": "reversed", "type": "category"}
    layout["xaxis"] = {"side": "top", "type": "category"}
    layout["margin"] = {**_LAYOUT["margin"], "t": 90}
    figure.update_layout(layout)
    return figure
