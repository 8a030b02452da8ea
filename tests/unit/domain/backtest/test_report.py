"""Tests of the self-contained HTML backtest report."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pandas as pd
import pytest

from vibetrading.domain.backtest.report import CHART_IDS, MAX_TRADE_ROWS, render_report
from vibetrading.domain.backtest.report_charts import (
    MAX_CANDLES,
    decimate_line,
    decimate_ohlc,
)

HOSTILE = "<script>alert(1)</script>"
HOSTILE_SYMBOL = "<img src=x onerror=alert(1)>"


@dataclass
class FakeResult:
    equity: pd.Series
    trades: pd.DataFrame
    positions: pd.Series | None = None
    settings: dict[str, Any] = field(
        default_factory=lambda: {"periods_per_year": 252, "cash": 10_000.0}
    )
    benchmark: pd.Series | None = None


class _Page(HTMLParser):
    """Collect what the tests look for while parsing the whole document."""

    def __init__(self) -> None:
        super().__init__()
        self.starts: dict[str, int] = {}
        self.ends: dict[str, int] = {}
        self.ids: set[str] = set()
        self.sources: list[str] = []
        self.trade_rows = 0
        self.title = ""
        self.heading = ""
        self._current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.starts[tag] = self.starts.get(tag, 0) + 1
        if attributes.get("id"):
            self.ids.add(str(attributes["id"]))
        for name in ("src", "href"):
            if attributes.get(name):
                self.sources.append(str(attributes[name]))
        if tag == "tr" and attributes.get("class") == "trade":
            self.trade_rows += 1
        self._current = tag

    def handle_endtag(self, tag: str) -> None:
        self.ends[tag] = self.ends.get(tag, 0) + 1
        self._current = None

    def handle_data(self, data: str) -> None:
        if self._current == "title":
            self.title += data
        elif self._current == "h1":
            self.heading += data


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def _bars(periods: int, *, freq: str = "B", seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.cumprod(1.0 + rng.normal(0.0003, 0.01, periods))
    open_ = np.r_[close[0], close[:-1]]
    index = pd.date_range("2020-01-01", periods=periods, freq=freq, tz="UTC", name="timestamp")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * 1.004,
            "low": np.minimum(open_, close) * 0.996,
            "close": close,
            "volume": rng.integers(1_000, 5_000, periods).astype(float),
        },
        index=index,
    )


def _trades(bars: pd.DataFrame, count: int, *, symbol: str = "DEMO") -> pd.DataFrame:
    reasons = ["signal", "stop_loss", "take_profit", "trailing_stop", "end"]
    step = max(2, len(bars) // (count + 1))
    entries = np.arange(count) * step
    exits = entries + step // 2
    entry_price = bars["close"].to_numpy()[entries]
    exit_price = bars["close"].to_numpy()[exits]
    return pd.DataFrame(
        {
            "symbol": [symbol] * count,
            "direction": ["long" if i % 3 else "short" for i in range(count)],
            "entry_time": bars.index[entries],
            "entry_price": entry_price,
            "exit_time": bars.index[exits],
            "exit_price": exit_price,
            "quantity": [10.0] * count,
            "pnl": 10.0 * (exit_price - entry_price),
            "return": exit_price / entry_price - 1.0,
            "bars_held": exits - entries,
            "exit_reason": [reasons[i % len(reasons)] for i in range(count)],
            "fees": [1.0] * count,
        }
    )


def _result(bars: pd.DataFrame, trades: pd.DataFrame, *, benchmark: bool = True) -> FakeResult:
    equity = (10_000.0 * bars["close"] / bars["close"].iloc[0]).rename("equity")
    return FakeResult(equity, trades, benchmark=bars["close"] if benchmark else None)


@pytest.fixture(scope="module")
def daily_bars() -> pd.DataFrame:
    """Two years of made-up daily bars."""
    return _bars(500)


@pytest.fixture(scope="module")
def page(daily_bars: pd.DataFrame) -> str:
    """The report of a result with six trades and a benchmark, under a hostile title."""
    trades = _trades(daily_bars, 6)
    trades.loc[0, "symbol"] = HOSTILE_SYMBOL
    return render_report(
        _result(daily_bars, trades), bars=daily_bars, title=f"Demo {HOSTILE}", benchmark_label="B&H"
    )


def test_render_report_result_gives_balanced_document(page: str) -> None:
    parsed = _parse(page)

    assert page.startswith("<!DOCTYPE html>")
    for tag in ("html", "head", "body", "main", "table", "script", "section"):
        assert parsed.starts.get(tag) == parsed.ends.get(tag), tag


def test_render_report_result_embeds_plotly_once_inline(page: str) -> None:
    parsed = _parse(page)

    assert page.count("Copyright 2012-") == 1
    assert "Plotly.newPlot" in page
    assert parsed.sources == []


def test_render_report_result_loads_nothing_from_the_network(page: str) -> None:
    lowered = page.lower()

    assert '<script src="http' not in lowered
    assert "<script src=" not in lowered
    assert "<link " not in lowered


def test_render_report_result_contains_each_chart_div(page: str) -> None:
    parsed = _parse(page)

    assert set(CHART_IDS) <= parsed.ids


def test_render_report_result_lists_each_trade_row(page: str) -> None:
    parsed = _parse(page)

    assert parsed.trade_rows == 6
    assert "trade-table" in parsed.ids


def test_render_report_hostile_title_is_escaped(page: str) -> None:
    parsed = _parse(page)

    assert HOSTILE not in page
    assert HOSTILE_SYMBOL not in page
    assert parsed.title == f"Demo {HOSTILE}"
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_render_report_result_shows_metric_cards(page: str) -> None:
    labels = ["CAGR", "Sharpe", "Sortino", "Max drawdown", "Calmar", "Win rate", "Exposure"]

    missing = [label for label in labels if f'<div class="label">{label}</div>' not in page]

    assert missing == []
    assert 'data-key="profit_factor"' in page


def test_render_report_real_bars_are_not_labelled_synthetic(page: str) -> None:
    assert "SYNTHETIC" not in page


def test_render_report_synthetic_bars_label_page_and_every_chart(daily_bars: pd.DataFrame) -> None:
    bars = daily_bars.copy()
    bars.attrs["synthetic"] = True

    page = render_report(_result(bars, _trades(bars, 3)), bars=bars, title="Demo")

    parsed = _parse(page)
    assert parsed.title.startswith("SYNTHETIC DATA")
    assert parsed.heading.startswith("SYNTHETIC DATA")
    for div_id in CHART_IDS:
        chart = page.split(f'id="{div_id}"', 1)[1].split("</section>", 1)[0]
        assert "SYNTHETIC DATA" in chart, div_id


def test_render_report_given_stats_fill_the_cards(daily_bars: pd.DataFrame) -> None:
    stats = {"cagr": 0.1234, "sharpe": None, "num_trades": 42}

    page = render_report(
        _result(daily_bars, _trades(daily_bars, 2)), bars=daily_bars, title="t", stats=stats
    )

    assert '<div class="value">12.34%</div>' in page
    assert '<div class="value">42</div>' in page
    assert '<div class="value">—</div>' in page


def test_render_report_no_trades_and_no_benchmark_still_renders(daily_bars: pd.DataFrame) -> None:
    result = _result(daily_bars, pd.DataFrame(), benchmark=False)

    page = render_report(result, bars=daily_bars, title="Nothing traded")

    parsed = _parse(page)
    assert set(CHART_IDS) <= parsed.ids
    assert parsed.trade_rows == 0
    assert "No trades." in page


def test_render_report_long_series_are_decimated_and_say_so() -> None:
    bars = _bars(12_000, freq="h")

    page = render_report(_result(bars, _trades(bars, 4)), bars=bars, title="Hourly")

    price = page.split('id="chart-price"', 1)[1].split("</section>", 1)[0]
    equity = page.split('id="chart-equity"', 1)[1].split("</section>", 1)[0]
    assert "1 candle = 3 bars" in price
    assert "decimated for display" in equity


def test_render_report_many_trades_caps_the_table(daily_bars: pd.DataFrame) -> None:
    bars = _bars(5_000)
    trades = _trades(bars, MAX_TRADE_ROWS + 200)

    page = render_report(_result(bars, trades), bars=bars, title="Busy")

    assert _parse(page).trade_rows == MAX_TRADE_ROWS
    assert "200 trades not shown" in page
    assert f"<td>{MAX_TRADE_ROWS + 200}</td>" in page


def test_report_import_does_not_load_plotly() -> None:
    code = (
        "import sys, vibetrading.domain.backtest.report, vibetrading.domain.backtest.report_charts;"
        "print('plotly' in sys.modules)"
    )

    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert completed.stdout.strip() == "False"


def test_decimate_ohlc_long_bars_merge_into_at_most_max_candles() -> None:
    bars = _bars(12_001, freq="h")

    candles, factor = decimate_ohlc(bars)

    assert factor == 3
    assert len(candles) <= MAX_CANDLES
    assert candles["high"].iloc[0] == bars["high"].iloc[:3].max()
    assert candles["low"].iloc[0] == bars["low"].iloc[:3].min()
    assert (candles["open"].iloc[0], candles["close"].iloc[0]) == (
        bars["open"].iloc[0],
        bars["close"].iloc[2],
    )
    assert candles["close"].iloc[-1] == bars["close"].iloc[-1]


def test_decimate_ohlc_short_bars_are_unchanged(daily_bars: pd.DataFrame) -> None:
    candles, factor = decimate_ohlc(daily_bars)

    assert factor == 1
    assert candles is daily_bars


def test_decimate_line_long_series_keeps_extremes_and_last_point() -> None:
    series = pd.Series(np.sin(np.linspace(0, 60, 50_000)) + np.linspace(0, 1, 50_000))
    series.iloc[12_345] = -5.0

    thinned, is_thinned = decimate_line(series, max_points=1_000)

    assert is_thinned
    assert len(thinned) <= 1_001
    assert thinned.min() == -5.0
    assert thinned.max() == series.max()
    assert thinned.index[-1] == series.index[-1]


def test_decimate_line_short_series_is_unchanged() -> None:
    series = pd.Series([1.0, 2.0, 3.0])

    thinned, is_thinned = decimate_line(series)

    assert not is_thinned
    assert thinned is series


def test_render_report_intraday_trades_show_times_even_at_midnight() -> None:
    bars = _bars(200, freq="h")
    trades = _trades(bars, 2)

    page = render_report(_result(bars, trades), bars=bars, title="Hourly")

    assert "<td>2020-01-01 00:00</td>" in page


def test_render_report_bars_symbol_names_the_page_and_filters_markers(
    daily_bars: pd.DataFrame,
) -> None:
    bars = daily_bars.copy()
    bars.attrs["symbol"] = "DEMO"
    trades = pd.concat([_trades(bars, 2), _trades(bars, 1, symbol="OTHER")], ignore_index=True)
    trades.loc[2, ["exit_time", "exit_price", "pnl", "return"]] = [pd.NaT, np.nan, np.nan, np.nan]

    page = render_report(_result(bars, trades), bars=bars, title="Symbols")

    subtitle = page.split('<p class="subtitle">', 1)[1].split("</p>", 1)[0]
    price = page.split('id="chart-price"', 1)[1].split("</section>", 1)[0]
    assert subtitle.startswith("DEMO")
    assert "OTHER" not in price
    assert _parse(page).trade_rows == 3
    assert "<td></td>" in page
