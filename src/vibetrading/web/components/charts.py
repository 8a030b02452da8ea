"""Plotly figures of the UI, light enough for the browser, and the element that shows them.

The figures reuse the HTML report's builders (``domain/backtest/report_charts.py``) and its
decimation: at most ``MAX_CANDLES`` candles and ``MAX_LINE_POINTS`` points per line reach
the browser, whatever the length of the run (20 years of daily bars, 100 000 intraday
bars). ``window_bars`` cuts a recent window, so every bar stays reachable by picking a
shorter window. Builders return plain JSON-ready dicts (``figure_dict``). Daily candles
of markets with sessions skip weekends and holidays (plotly range breaks); a multi-symbol
run draws one symbol's candles with that symbol's trades only.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from vibetrading.domain.backtest import report_charts as rc
from vibetrading.domain.backtest.stats import benchmark_equity, monthly_returns
from vibetrading.domain.strategy.message_words import localize_note
from vibetrading.web.i18n import Lang, t

__all__ = [
    "MARKER_STYLES",
    "WINDOWS",
    "benchmark_name",
    "cumulative_figure",
    "drawdown_chart",
    "equity_chart",
    "figure_dict",
    "monthly_chart",
    "price_chart",
    "show_figure",
    "sparkline",
    "window_bars",
    "window_labels",
]

WINDOWS: dict[str, pd.DateOffset | None] = {
    "3M": pd.DateOffset(months=3),
    "1Y": pd.DateOffset(years=1),
    "5Y": pd.DateOffset(years=5),
    "All": None,
}
MARKER_STYLES: dict[str, tuple[str, str]] = {
    "entry": ("triangle-up", "#16a34a"),
    "signal": ("triangle-down", "#2563eb"),
    "stop_loss": ("x", "#dc2626"),
    "take_profit": ("star", "#f59e0b"),
    "trailing_stop": ("diamond", "#ea580c"),
    "end": ("square", "#64748b"),
}
_UP, _DOWN = "#22c55e", "#ef4444"
_MAX_HOLIDAY_BREAKS = 600


def window_labels(lang: Lang) -> dict[str, str]:
    """Return the window choices with their labels in `lang` (for a toggle)."""
    return {key: t(f"bt.window_{key.lower()}", lang) for key in WINDOWS}


def benchmark_name(label: str | None, lang: Lang) -> str:
    """Return the benchmark's label in `lang` ("SPX buy & hold" -> "SPX 买入持有")."""
    if not label:
        return t("chart.benchmark", lang)
    return localize_note(label, lang)


def figure_dict(figure: Any) -> dict[str, Any]:
    """Return a plotly figure as plain JSON data (timestamps as strings, NaN as null)."""
    data: dict[str, Any] = json.loads(figure.to_json())
    return data


def _theme(figure: Any, *, dark: bool, height: int, legend_below: bool = False) -> dict[str, Any]:
    legend = (
        {"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0.0}
        if legend_below
        else {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0.0}
    )
    figure.update_layout(
        template="plotly_dark" if dark else "plotly_white",
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        height=height,
        margin={"l": 48, "r": 12, "t": 36, "b": 28},
        legend=legend,
        font={"size": 11},
    )
    return figure_dict(figure)


def window_bars(bars: pd.DataFrame, window: str) -> pd.DataFrame:
    """Return the last `window` ("3M", "1Y", "5Y" or "All") of `bars`."""
    offset = WINDOWS.get(window)
    if offset is None or len(bars) == 0:
        return bars
    return bars.loc[bars.index[-1] - offset :]


def _naive(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index


def _is_oscillator(series: pd.Series, close: pd.Series) -> bool:
    values, prices = series.dropna(), close.dropna()
    if len(values) == 0 or len(prices) == 0:
        return False
    ratio = float(values.median()) / float(prices.median() or 1.0)
    return not 0.5 < ratio < 2.0


def _marker_traces(
    trades: pd.DataFrame, lang: Lang, start: Any, end: Any, symbol: str | None = None
) -> list[dict[str, Any]]:
    if len(trades) == 0:
        return []
    if symbol is not None and "symbol" in trades.columns:
        trades = trades[trades["symbol"].astype(str) == symbol]
    traces = []
    entries = trades[(trades["entry_time"] >= start) & (trades["entry_time"] <= end)]
    exits = trades[(trades["exit_time"] >= start) & (trades["exit_time"] <= end)]
    groups = [("entry", entries, "entry")] + [
        (str(reason), exits[exits["exit_reason"].astype(str) == reason], "exit")
        for reason in sorted(exits["exit_reason"].astype(str).unique())
    ]
    for key, rows, side in groups:
        if len(rows) == 0:
            continue
        symbol, colour = MARKER_STYLES.get(key, ("circle", "#9333ea"))
        name = t(f"chart.{key}" if key != "signal" else "chart.exit", lang)
        times = pd.DatetimeIndex(pd.to_datetime(rows[f"{side}_time"], utc=True)).tz_localize(None)
        traces.append(
            {
                "type": "scatter",
                "x": [s.isoformat() for s in times],
                "y": rows[f"{side}_price"].astype(float).tolist(),
                "mode": "markers",
                "name": name,
                "meta": f"marker-{key}",
                "marker": {"symbol": symbol, "size": 11, "color": colour, "line": {"width": 1}},
                "hovertemplate": f"{name} %{{y:,.2f}}<extra></extra>",
            }
        )
    return traces


def price_chart(
    bars: pd.DataFrame,
    trades: pd.DataFrame | None = None,
    indicators: Mapping[str, pd.Series] | None = None,
    *,
    lang: Lang = "en",
    dark: bool = False,
    max_candles: int = rc.MAX_CANDLES,
    height: int = 520,
    symbol: str | None = None,
) -> tuple[dict[str, Any], int]:
    """Return candlesticks with volume, indicators and trade markers, and the merge factor.

    Entries are green ▲; exits are drawn per reason (signal ▼, stop-loss ✕, take-profit ★,
    trailing stop ◆, end of data ■). Indicators on the price scale overlay the candles;
    oscillators (RSI, ...) get their own panel. Above `max_candles` bars, runs of bars
    are merged into coarser candles (the factor says how many per candle). With
    `symbol`, only that symbol's trades are marked (the bars are that symbol's).
    """
    make_subplots = importlib.import_module("plotly.subplots").make_subplots
    candles, factor = rc.decimate_ohlc(bars, max_candles)
    indicators = dict(indicators or {})
    oscillators = {k: v for k, v in indicators.items() if _is_oscillator(v, bars["close"])}
    overlays = {k: v for k, v in indicators.items() if k not in oscillators}
    rows = 3 if oscillators else 2
    heights = [0.6, 0.15, 0.25] if oscillators else [0.78, 0.22]
    figure = make_subplots(
        rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.03, row_heights=heights
    )
    x = _naive(pd.DatetimeIndex(candles.index))
    figure.add_candlestick(
        x=x,
        open=candles["open"],
        high=candles["high"],
        low=candles["low"],
        close=candles["close"],
        name=str(symbol or bars.attrs.get("symbol", "Price")),
        increasing={"line": {"color": _UP}},
        decreasing={"line": {"color": _DOWN}},
        row=1,
        col=1,
    )
    colours = np.where(candles["close"] >= candles["open"], _UP, _DOWN)
    figure.add_bar(
        x=x,
        y=candles["volume"],
        marker={"color": colours.tolist()},
        name=t("chart.volume", lang),
        showlegend=False,
        row=2,
        col=1,
    )
    for rows_index, group in ((1, overlays), (3, oscillators)):
        for name, series in group.items():
            line, _ = rc.decimate_line(series.reindex(bars.index).dropna())
            figure.add_scatter(
                x=_naive(pd.DatetimeIndex(line.index)),
                y=line.to_numpy(),
                mode="lines",
                name=name,
                line={"width": 1.2},
                row=rows_index,
                col=1,
            )
    for trace in _marker_traces(
        trades if trades is not None else pd.DataFrame(), lang, *_span(bars), symbol
    ):
        figure.add_trace(trace, row=1, col=1)
    figure.update_layout(xaxis_rangeslider_visible=False, hovermode="x")
    if factor == 1 and (breaks := session_breaks(bars.index)):
        figure.update_xaxes(rangebreaks=breaks)
    return _theme(figure, dark=dark, height=height), factor


def session_breaks(index: pd.DatetimeIndex) -> list[dict[str, Any]]:
    """Return plotly range breaks hiding the weekends and holidays of daily bars.

    Only for daily bars of a market with sessions (no bar on any Saturday or Sunday);
    intraday bars and 24/7 markets (crypto) get none.
    """
    if len(index) < 3:
        return []
    naive = _naive(pd.DatetimeIndex(index))
    steps = np.asarray((naive[1:] - naive[:-1]) / pd.Timedelta(days=1), dtype=np.float64)
    if float(np.median(steps)) < 0.99 or (naive.day_of_week >= 5).any():
        return []
    breaks: list[dict[str, Any]] = [{"bounds": ["sat", "mon"]}]
    days = pd.bdate_range(naive[0].normalize(), naive[-1].normalize())
    missing = days.difference(naive.normalize())
    if 0 < len(missing) <= _MAX_HOLIDAY_BREAKS:
        offset = naive[0] - naive[0].normalize()  # the bars' time of day
        breaks.append({"values": [(d + offset).isoformat() for d in missing]})
    return breaks


def _span(bars: pd.DataFrame) -> tuple[Any, Any]:
    if len(bars) == 0:
        return pd.Timestamp.min.tz_localize("UTC"), pd.Timestamp.max.tz_localize("UTC")
    return bars.index[0], bars.index[-1]


def equity_chart(
    equity: pd.Series,
    benchmark: pd.Series | None,
    *,
    benchmark_label: str | None,
    lang: Lang = "en",
    dark: bool = False,
    height: int = 320,
) -> dict[str, Any]:
    """Return the account value against the benchmark's buy and hold, decimated."""
    line, _ = rc.decimate_line(equity)
    bench = None
    if benchmark is not None and len(benchmark):
        curve = benchmark_equity(benchmark, equity.index, float(equity.iloc[0]))
        bench, _ = rc.decimate_line(curve.dropna())
    figure = rc.equity_figure(
        line.rename(t("chart.strategy", lang)),
        bench,
        title=t("chart.equity", lang),
        benchmark_label=benchmark_name(benchmark_label, lang),
    )
    figure.data[-1].name = t("chart.strategy", lang)
    figure.update_layout(xaxis_title=None, yaxis_title=None)
    return _theme(figure, dark=dark, height=height, legend_below=True)


def drawdown_chart(
    drawdown: pd.Series, *, lang: Lang = "en", dark: bool = False, height: int = 240
) -> dict[str, Any]:
    """Return the drawdown (in percent) as a filled area, decimated."""
    line, _ = rc.decimate_line(drawdown)
    figure = rc.drawdown_figure(line, title=t("chart.drawdown", lang))
    figure.update_layout(xaxis_title=None, yaxis_title="%")
    return _theme(figure, dark=dark, height=height)


def cumulative_figure(
    equity: pd.Series, initial_cash: float, *, lang: Lang = "en", dark: bool = False
) -> dict[str, Any]:
    """Return the cumulative return (percent) of the equity curve, decimated."""
    go = importlib.import_module("plotly.graph_objects")
    line, _ = rc.decimate_line(equity / initial_cash - 1.0)
    figure = go.Figure(
        go.Scatter(
            x=_naive(pd.DatetimeIndex(line.index)),
            y=line.to_numpy() * 100.0,
            mode="lines",
            fill="tozeroy",
            name=t("chart.cumulative", lang),
            line={"color": "#7c3aed", "width": 1.4},
            hovertemplate="%{y:.2f}%<extra></extra>",
        )
    )
    figure.update_layout(title={"text": t("chart.cumulative", lang)}, yaxis_title="%")
    return _theme(figure, dark=dark, height=240)


def monthly_chart(equity: pd.Series, *, lang: Lang = "en", dark: bool = False) -> dict[str, Any]:
    """Return the monthly returns heatmap (years by months, plus the year's total).

    Month names follow `lang`; the page hides the cell numbers on narrow screens
    (``.vt-monthly``), where the colours and the hover remain.
    """
    table = monthly_returns(equity)
    table.columns = [t(f"month.{column.lower()}", lang) for column in table.columns]
    figure = rc.monthly_figure(table, title=t("chart.monthly", lang))
    height = max(240, 60 + 22 * len(table))
    data = _theme(figure, dark=dark, height=height)
    data["layout"]["margin"]["t"] = 70
    return data


def sparkline(equity: pd.Series, *, dark: bool = False, points: int = 300) -> dict[str, Any]:
    """Return a small equity line for the chat, without axes, at most ~`points` points."""
    go = importlib.import_module("plotly.graph_objects")
    line, _ = rc.decimate_line(equity, points)
    up = float(line.iloc[-1]) >= float(line.iloc[0])
    figure = go.Figure(
        go.Scatter(
            x=_naive(pd.DatetimeIndex(line.index)),
            y=line.to_numpy(),
            mode="lines",
            line={"color": _UP if up else _DOWN, "width": 1.5},
            fill="tozeroy",
            hoverinfo="skip",
        )
    )
    figure.update_layout(xaxis={"visible": False}, yaxis={"visible": False}, showlegend=False)
    data = _theme(figure, dark=dark, height=90)
    data["layout"]["margin"] = {"l": 0, "r": 0, "t": 0, "b": 0}
    data["layout"]["yaxis"]["range"] = [float(line.min()) * 0.98, float(line.max()) * 1.02]
    data["config"] = {"displayModeBar": False, "staticPlot": True}
    return data


def show_figure(data: dict[str, Any], *, classes: str = "w-full") -> Any:
    """Add a ``ui.plotly`` element for `data` and return it (responsive, no logo).

    The toolbar shows on hover only, unless the figure's config says otherwise (the
    sparkline has none).
    """
    from nicegui import ui

    config = data.setdefault("config", {})
    config.update({"displaylogo": False, "responsive": True})
    config.setdefault("displayModeBar", "hover")
    return ui.plotly(data).classes(classes)
