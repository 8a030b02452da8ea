"""One self-contained HTML report of a backtest: charts, metric cards and the trade log.

The document embeds plotly.js once, inline, so it opens offline; it loads nothing from
the network. Writing it to a file is the caller's job.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from vibetrading.domain.backtest.stats import (
    BacktestResultLike,
    StatValue,
    benchmark_equity,
    compute_stats,
    drawdown_series,
    monthly_returns,
)

__all__ = ["CHART_IDS", "MAX_TRADE_ROWS", "SYNTHETIC_LABEL", "render_report"]

CHART_IDS: tuple[str, ...] = ("chart-price", "chart-equity", "chart-drawdown", "chart-monthly")
MAX_TRADE_ROWS = 1_000
SYNTHETIC_LABEL = "SYNTHETIC DATA"

_TRADE_COLUMNS: tuple[str, ...] = (
    "symbol", "direction", "entry_time", "entry_price", "exit_time", "exit_price",
    "quantity", "pnl", "return", "bars_held", "exit_reason", "fees",
)  # fmt: skip


def _percent(value: StatValue) -> str:
    return f"{float(value):.2%}" if isinstance(value, int | float) else "—"


def _ratio(value: StatValue) -> str:
    return f"{float(value):.2f}" if isinstance(value, int | float) else "—"


def _count(value: StatValue) -> str:
    return f"{int(value):,}" if isinstance(value, int | float) else "—"


def _money(value: StatValue) -> str:
    return f"{float(value):,.2f}" if isinstance(value, int | float) else "—"


_CARDS: tuple[tuple[str, str, Callable[[StatValue], str]], ...] = (
    ("total_return", "Total return", _percent),
    ("cagr", "CAGR", _percent),
    ("sharpe", "Sharpe", _ratio),
    ("sortino", "Sortino", _ratio),
    ("max_drawdown", "Max drawdown", _percent),
    ("calmar", "Calmar", _ratio),
    ("volatility", "Volatility", _percent),
    ("win_rate", "Win rate", _percent),
    ("profit_factor", "Profit factor", _ratio),
    ("num_trades", "Trades", _count),
    ("exposure", "Exposure", _percent),
    ("benchmark_return", "Benchmark return", _percent),
    ("final_equity", "Final equity", _money),
)

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f6f8;
color:#1f2933}
main{max-width:1320px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:0 0 12px}
.subtitle{color:#52606d;margin:0 0 16px}
.banner{background:#b71c1c;color:#fff;font-weight:700;padding:10px 16px;border-radius:6px;
margin-bottom:16px;letter-spacing:.05em}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px;
margin-bottom:20px}
.card{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card .label{font-size:12px;color:#52606d;text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:22px;font-weight:600;margin-top:4px}
section.chart,section.trades{background:#fff;border-radius:8px;padding:12px;margin-bottom:20px;
box-shadow:0 1px 2px rgba(0,0,0,.08)}
table{border-collapse:collapse;width:100%;font-size:12px;font-variant-numeric:tabular-nums}
th,td{padding:4px 8px;border-bottom:1px solid #e4e7eb;text-align:right;white-space:nowrap}
th{background:#f0f2f5;position:sticky;top:0}
td.text,th.text{text-align:left}
.trade-scroll{max-height:600px;overflow:auto}
.pos{color:#1b5e20}.neg{color:#b71c1c}.note{color:#52606d;font-size:12px}
footer{color:#7b8794;font-size:12px;text-align:center;padding:8px 0 24px}
"""


def render_report(
    result: BacktestResultLike,
    *,
    bars: pd.DataFrame,
    title: str,
    stats: Mapping[str, StatValue] | None = None,
    benchmark_label: str | None = None,
) -> str:
    """Render a backtest as one self-contained HTML document and return it as a string.

    The page shows metric cards, candlesticks of `bars` with entry (▲) and exit (▼)
    markers coloured by exit reason, equity against the benchmark's buy and hold (when
    the result has a benchmark), drawdown, a monthly returns heatmap and the trade log.
    plotly.js is embedded once inline: the file opens offline and loads nothing. Charts
    are decimated for the browser (at most 5,000 candles and 10,000 points per line),
    and a chart title says so when that happened. Bars flagged
    ``bars.attrs["synthetic"]`` put "SYNTHETIC DATA" in the page and every chart title.
    All user text (title, symbols, labels) is HTML-escaped. `stats` defaults to
    ``compute_stats(result)``. The trade table lists at most 1,000 trades (first and last).

    >>> page = render_report(result, bars=bars, title="SMA cross on SPX")  # doctest: +SKIP
    >>> Path("report.html").write_text(page, encoding="utf-8")  # doctest: +SKIP
    """
    from vibetrading.domain.backtest import report_charts as charts

    synthetic = bool(bars.attrs.get("synthetic", False))
    summary = dict(stats) if stats is not None else compute_stats(result)
    page_title = f"{SYNTHETIC_LABEL} — {title}" if synthetic else title
    figures = _figures(result, bars, synthetic=synthetic, benchmark_label=benchmark_label)
    heights = (560, 420, 280, max(300, 130 + 26 * len(monthly_returns(result.equity))))
    chart_html = "\n".join(
        f'<section class="chart">{charts.figure_html(fig, div_id, height_px=height)}</section>'
        for fig, div_id, height in zip(figures, CHART_IDS, heights, strict=True)
    )
    banner = (
        f'<div class="banner">{SYNTHETIC_LABEL}: these bars were generated, not observed. '
        "The results say nothing about any real market.</div>"
        if synthetic
        else ""
    )
    return _document(
        page_title=page_title,
        subtitle=_subtitle(result, bars),
        body=banner + _cards(summary) + chart_html + _trade_table(result.trades),
    )


def _plotly_js() -> str:
    import importlib

    offline: Any = importlib.import_module("plotly.offline")
    script: str = offline.get_plotlyjs()
    return script.replace("</script", "<\\/script")  # never close the inline tag early


def _document(*, page_title: str, subtitle: str, body: str) -> str:
    escaped = html.escape(page_title)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escaped}</title>\n<style>{_CSS}</style>\n"
        f'<script type="text/javascript">{_plotly_js()}</script>\n</head>\n<body>\n<main>\n'
        f'<h1>{escaped}</h1>\n<p class="subtitle">{subtitle}</p>\n{body}\n</main>\n'
        "<footer>VibeTrading backtest report. Simulated results; past performance does not "
        "predict future returns.</footer>\n</body>\n</html>\n"
    )


def _subtitle(result: BacktestResultLike, bars: pd.DataFrame) -> str:
    index = result.equity.index
    parts = []
    symbol = bars.attrs.get("symbol")
    if symbol:
        parts.append(str(symbol))
    if len(index):
        parts.append(f"{_stamp(index[0])} to {_stamp(index[-1])} (UTC)")
    parts.append(f"{len(bars):,} bars")
    cash = result.settings.get("cash")
    if isinstance(cash, int | float):
        parts.append(f"starting cash {cash:,.2f}")
    return html.escape(" · ".join(parts))


def _figures(
    result: BacktestResultLike, bars: pd.DataFrame, *, synthetic: bool, benchmark_label: str | None
) -> list[Any]:
    from vibetrading.domain.backtest import report_charts as charts

    def titled(name: str, decimated: str | None) -> str:
        text = f"{SYNTHETIC_LABEL} — {name}" if synthetic else name
        return html.escape(text + (f" ({decimated})" if decimated else ""))

    candles, factor = charts.decimate_ohlc(bars)
    note = f"decimated for display: 1 candle = {factor} bars" if factor > 1 else None
    price = charts.price_figure(
        candles, _trades_for(result.trades, bars), title=titled("Price and trades", note)
    )
    equity, thinned = charts.decimate_line(result.equity)
    bench = _benchmark(result)
    if bench is not None:
        bench = bench.loc[equity.index]
    label = html.escape(benchmark_label or "Benchmark (buy and hold)")
    line_note = f"decimated for display to {len(equity):,} points" if thinned else None
    equity_chart = charts.equity_figure(
        equity, bench, title=titled("Equity against benchmark", line_note), benchmark_label=label
    )
    drawdown, thinned = charts.decimate_line(drawdown_series(result.equity))
    dd_note = f"decimated for display to {len(drawdown):,} points" if thinned else None
    drawdown_chart = charts.drawdown_figure(drawdown, title=titled("Drawdown", dd_note))
    monthly = charts.monthly_figure(
        monthly_returns(result.equity), title=titled("Monthly returns (%)", None)
    )
    return [price, equity_chart, drawdown_chart, monthly]


def _benchmark(result: BacktestResultLike) -> pd.Series | None:
    if result.benchmark is None or len(result.benchmark.dropna()) == 0:
        return None
    cash = result.settings.get("cash", float(result.equity.iloc[0]))
    return benchmark_equity(result.benchmark, result.equity.index, float(cash))


def _trades_for(trades: pd.DataFrame, bars: pd.DataFrame) -> pd.DataFrame:
    symbol = bars.attrs.get("symbol")
    if symbol is None or "symbol" not in trades.columns:
        return trades
    return trades[trades["symbol"].astype(str) == str(symbol)]


def _cards(stats: Mapping[str, StatValue]) -> str:
    cards = "".join(
        f'<div class="card" data-key="{key}"><div class="label">{label}</div>'
        f'<div class="value">{html.escape(fmt(stats.get(key)))}</div></div>'
        for key, label, fmt in _CARDS
    )
    return f'<section class="cards">{cards}</section>'


def _stamp(value: Any, *, is_daily: bool | None = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC")
    if is_daily is None:
        is_daily = stamp == stamp.normalize()
    return str(stamp.strftime("%Y-%m-%d" if is_daily else "%Y-%m-%d %H:%M"))


def _is_daily(trades: pd.DataFrame) -> bool:
    times = [c for c in ("entry_time", "exit_time") if c in trades.columns]
    stamps = pd.DatetimeIndex(pd.concat([pd.to_datetime(trades[c], utc=True) for c in times]))
    valid = stamps.dropna()
    return bool((valid == valid.normalize()).all())


def _cell(column: str, value: Any, *, is_daily: bool) -> str:
    if column in ("entry_time", "exit_time"):
        return f"<td>{_stamp(value, is_daily=is_daily)}</td>"
    if column in ("symbol", "direction", "exit_reason"):
        return f'<td class="text">{html.escape(str(value))}</td>'
    number = pd.to_numeric(value, errors="coerce")
    if not np.isfinite(number):
        return "<td></td>"
    tone = ' class="pos"' if number > 0 else ' class="neg"' if number < 0 else ""
    if column == "return":
        return f"<td{tone}>{number:.2%}</td>"
    if column == "pnl":
        return f"<td{tone}>{number:,.2f}</td>"
    if column == "fees" or (column.endswith("_price") and abs(number) >= 1):
        return f"<td>{number:,.2f}</td>"
    if column == "bars_held":
        return f"<td>{number:,.0f}</td>"
    return f"<td>{number:,.6g}</td>"


def _trade_table(trades: pd.DataFrame) -> str:
    columns = [c for c in _TRADE_COLUMNS if c in trades.columns]
    header = "".join(
        f'<th class="text">{c}</th>'
        if c in ("symbol", "direction", "exit_reason")
        else f"<th>{c}</th>"
        for c in ["#", *columns]
    )
    half = MAX_TRADE_ROWS // 2
    omitted = len(trades) - MAX_TRADE_ROWS if len(trades) > MAX_TRADE_ROWS else 0
    shown = pd.concat([trades.iloc[:half], trades.iloc[-half:]]) if omitted else trades
    numbers = [*range(1, half + 1), *range(len(trades) - half + 1, len(trades) + 1)]
    is_daily = _is_daily(shown) if len(shown) else True
    rows = []
    for position, (_, trade) in enumerate(shown.iterrows()):
        number = numbers[position] if omitted else position + 1
        cells = "".join(_cell(c, trade[c], is_daily=is_daily) for c in columns)
        rows.append(f'<tr class="trade"><td>{number}</td>{cells}</tr>')
        if omitted and position == half - 1:
            rows.append(
                f'<tr><td colspan="{len(columns) + 1}" class="note">… {omitted:,} '
                "trades not shown …</td></tr>"
            )
    body = (
        "".join(rows) or f'<tr><td colspan="{len(columns) + 1}" class="note">No trades.</td></tr>'
    )
    return (
        f'<section class="trades"><h2>Trades ({len(trades):,})</h2><div class="trade-scroll">'
        f'<table id="trade-table"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'
        "</div></section>"
    )
