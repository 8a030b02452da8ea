"""The market page: symbol search across markets and a price chart with indicators.

Indicators are computed on the whole series and then cut to the chosen window, so a
200-day average is already defined on the first bar shown. The search lists each
series with its code, market and description. The "Market insight" card shows the
user's research notes on the symbol, when this build keeps research notes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vibetrading.domain.indicators import get_indicator
from vibetrading.errors import VibeTradingError
from vibetrading.services.records import ListQuery
from vibetrading.web.components.charts import price_chart, show_figure, window_bars, window_labels
from vibetrading.web.i18n import Lang, t
from vibetrading.web.state import WebServices
from vibetrading.web.theme import is_dark, page_frame

__all__ = [
    "INDICATOR_CHOICES",
    "build_market_page",
    "compute_indicators",
    "option_label",
    "search_symbols",
]

INDICATOR_CHOICES: dict[str, tuple[str, dict[str, Any], str | None]] = {
    "SMA(20)": ("sma", {"period": 20}, None),
    "SMA(50)": ("sma", {"period": 50}, None),
    "SMA(200)": ("sma", {"period": 200}, None),
    "EMA(20)": ("ema", {"period": 20}, None),
    "BOLL upper": ("bbands", {}, "upper"),
    "BOLL lower": ("bbands", {}, "lower"),
    "RSI(14)": ("rsi", {"period": 14}, None),
}


def compute_indicators(bars: pd.DataFrame, names: list[str]) -> dict[str, pd.Series]:
    """Return the chosen indicators of `INDICATOR_CHOICES` on `bars`, by label."""
    data = {
        c: bars[c].to_numpy(dtype=np.float64) for c in ("open", "high", "low", "close", "volume")
    }
    found: dict[str, pd.Series] = {}
    for label in names:
        if label not in INDICATOR_CHOICES:
            continue
        name, params, output = INDICATOR_CHOICES[label]
        info = get_indicator(name)
        values = info.compute(data, params)[output or info.default_output]
        found[label] = pd.Series(values, index=bars.index, name=label)
    return found


def _market(services: WebServices, symbol: str) -> str:
    try:
        return str(services.market_data.resolve_symbol(symbol).market.value)
    except VibeTradingError:
        return ""


def search_symbols(services: WebServices, text: str) -> list[dict[str, Any]]:
    """Return the available series matching `text` (all when empty), as option rows."""
    needle = text.strip().upper()
    rows = [
        {
            "symbol": s.symbol,
            "market": _market(services, s.symbol),
            "description": s.description,
            "timeframe": s.timeframe,
            "bars": s.bars,
            "source": s.source,
            "synthetic": s.is_synthetic,
        }
        for s in services.market_data.list_symbols()
        if not needle or needle in s.symbol.upper() or needle in s.description.upper()
    ]
    return rows


def option_label(row: dict[str, Any], lang: Lang = "en") -> str:
    """Return a search option's label: code, market and description."""
    parts = [str(row["symbol"]), str(row.get("market") or ""), str(row.get("description") or "")]
    if row.get("synthetic"):
        parts.append(t("market.synthetic", lang))
    return " · ".join(part for part in parts if part)


class _Market:
    def __init__(self, services: WebServices, lang: Lang) -> None:
        self.services, self.lang = services, lang
        self.symbol: Any = None
        self.indicators: Any = None
        self.window: Any = None
        self.chart_box: Any = None
        self.error: Any = None

    def draw(self) -> None:
        from nicegui import ui

        self.error.text = ""
        self.chart_box.clear()
        code = (self.symbol.value or "").strip()
        if not code:
            return
        try:
            bars = self.services.market_data.load_bars(code)
        except VibeTradingError as e:
            self.error.text = str(e)
            return
        shown = window_bars(bars, self.window.value or "All")
        indicators = compute_indicators(bars, list(self.indicators.value or []))
        data, factor = price_chart(
            shown,
            None,
            {name: series.loc[shown.index[0] :] for name, series in indicators.items()},
            lang=self.lang,
            dark=is_dark(),
        )
        with self.chart_box:
            if bars.attrs.get("synthetic"):
                ui.badge(t("bt.synthetic", self.lang)).props("color=negative")
            if factor > 1:
                ui.label(
                    t("bt.decimated", self.lang, count=len(shown), shown=len(shown) // factor)
                ).classes("text-xs opacity-70")
            show_figure(data).mark("market-chart")


def _insight(services: WebServices, symbol: str | None, lang: Lang) -> None:
    from nicegui import app, ui

    owner = app.storage.client.get("owner")
    if services.research is None or not owner or not symbol:
        return  # this build keeps no research notes (or nobody is logged in): no card
    page = services.research.list(owner, ListQuery(limit=3, filters={"symbol": symbol}))
    with ui.card().classes("w-full").props("flat bordered").mark("market-insight"):
        ui.label(t("market.insight", lang)).classes("font-semibold")
        if not page.items:
            ui.label(t("market.no_insight", lang, symbol=symbol)).classes("text-sm opacity-70")
        for note in page.items:
            ui.label(note.title).classes("text-sm font-semibold")
            ui.label(note.content).classes("text-sm whitespace-pre-wrap")


def build_market_page(services: WebServices, *, symbol: str | None = None) -> None:
    """Render the market page, showing `symbol` when given."""
    from nicegui import ui

    with page_frame("market", show_login=services.is_multi_user) as lang:
        page = _Market(services, lang)
        options = {row["symbol"]: option_label(row, lang) for row in search_symbols(services, "")}
        if symbol and symbol not in options:
            options[symbol] = symbol
        chosen = symbol or next(iter(options), None)
        with ui.row().classes("w-full items-end gap-3"):
            page.symbol = (
                ui.select(
                    options,
                    value=chosen,
                    label=t("market.search", lang),
                    with_input=True,
                    new_value_mode="add-unique",
                    on_change=lambda _e: page.draw(),
                )
                .classes("vt-field w-96")
                .mark("market-symbol")
            )
            page.indicators = (
                ui.select(
                    list(INDICATOR_CHOICES),
                    value=["SMA(50)", "SMA(200)"],
                    multiple=True,
                    label=t("market.indicators", lang),
                    on_change=lambda _e: page.draw(),
                )
                .classes("vt-field w-72")
                .props("use-chips")
            )
            page.window = (
                ui.toggle(window_labels(lang), value="5Y", on_change=lambda _e: page.draw())
                .props("dense no-caps")
                .mark("market-window")
            )
        page.error = ui.label("").classes("vt-error text-sm").mark("market-error")
        page.chart_box = ui.column().classes("w-full")
        page.draw()
        _insight(services, chosen, lang)
