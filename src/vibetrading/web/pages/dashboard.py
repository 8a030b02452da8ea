"""The backtest dashboard: charts, metric cards, trade log, downloads and run settings.

``/backtest?run=<id>`` shows one run of the user (from this process or the run store);
an unknown, expired or foreign id says "run not found", and without an id the user's
latest run is shown. A multi-symbol run has a symbol picker: the candles, indicators and
trade markers are that symbol's. The settings form re-runs the same strategy with other
symbols, dates, cash, costs or fill model, with a progress bar, and opens the new run; a
bad setting is reported under the field that caused it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pandas as pd

from vibetrading.web.backtest_runner import find_run, latest_run, run_backtest
from vibetrading.web.components.charts import (
    WINDOWS,
    cumulative_figure,
    drawdown_chart,
    equity_chart,
    monthly_chart,
    price_chart,
    show_figure,
    window_bars,
    window_labels,
)
from vibetrading.web.components.metric_cards import metric_cards
from vibetrading.web.components.progress import ProgressState, progress_bar
from vibetrading.web.components.trade_table import trade_table
from vibetrading.web.i18n import Lang, t
from vibetrading.web.preferences import cost_defaults
from vibetrading.web.state import RunRecord, UiState, WebServices
from vibetrading.web.theme import is_dark, page_frame

__all__ = ["build_dashboard_page", "outcome_document", "symbol_indicators"]

# Which field a service error belongs under (by the error's class name).
_ERROR_FIELDS = {"UnknownSymbol": "symbols", "EmptyData": "start", "NotFound": "symbols"}


def outcome_document(record: RunRecord) -> dict[str, Any]:
    """Return the JSON download of a run: summary, trades, equity, spec and notes."""
    outcome = record.outcome
    if outcome is None:
        return {"error": record.error}
    data = outcome.result.to_dict(include_stats=True)
    return {
        "summary": data.pop("stats"),
        "spec": outcome.spec.model_dump(mode="json") if outcome.spec else None,
        "benchmark": outcome.benchmark_label,
        "assumptions": outcome.assumptions,
        "warnings": outcome.warnings,
        **data,
    }


def _report_html(record: RunRecord) -> str:
    from vibetrading.domain.backtest.report import render_report

    outcome = record.outcome
    if outcome is None or not outcome.bars:
        return ""
    name, bars = next(iter(outcome.bars.items()))
    return render_report(
        outcome.result,
        bars=bars,
        title=outcome.spec.name if outcome.spec else f"Backtest of {name}",
        stats=outcome.stats,
        benchmark_label=outcome.benchmark_label,
    )


def _downloads(record: RunRecord, lang: Lang) -> None:
    from nicegui import ui

    outcome = record.outcome
    if outcome is None:
        return
    stem = f"backtest-{record.id}"
    with ui.row().classes("gap-2"):
        ui.button(
            t("bt.download_json", lang),
            icon="download",
            on_click=lambda: ui.download.content(
                json.dumps(outcome_document(record), indent=2, ensure_ascii=False),
                f"{stem}.json",
                "application/json",
            ),
        ).props("outline dense").mark("download-json")
        ui.button(
            t("bt.download_csv", lang),
            icon="download",
            on_click=lambda: ui.download.content(
                outcome.result.trades.to_csv(index=False), f"{stem}-trades.csv", "text/csv"
            ),
        ).props("outline dense").mark("download-csv")
        if outcome.bars:
            ui.button(
                t("bt.download_html", lang),
                icon="download",
                on_click=lambda: ui.download.content(
                    _report_html(record), f"{stem}.html", "text/html"
                ),
            ).props("outline dense").mark("download-html")


def symbol_indicators(
    indicators: dict[str, pd.Series], symbol: str, symbols: list[str]
) -> dict[str, pd.Series]:
    """Return the indicators of `symbol`: all of them for a one-symbol run, else those
    named ``"<symbol> <label>"`` (by their label)."""
    if len(symbols) <= 1:
        return dict(indicators)
    prefix = f"{symbol} "
    return {k[len(prefix) :]: v for k, v in indicators.items() if k.startswith(prefix)}


def _check_date(text: str, lang: Lang) -> str | None:
    if not text:
        return None
    try:
        pd.Timestamp(text)
    except ValueError:
        return t("bt.bad_date", lang, value=text)
    return None


class _Settings:
    def __init__(
        self, services: WebServices, state: UiState, record: RunRecord, lang: Lang, owner: str
    ) -> None:
        self.services, self.state, self.record, self.lang = services, state, record, lang
        self.owner = owner
        self.fields: dict[str, Any] = {}
        self.error: Any = None
        self.progress_box: Any = None

    def build(self) -> None:
        from nicegui import ui

        request, lang = self.record.request, self.lang
        symbols = ", ".join(request.symbols or (request.spec.universe if request.spec else ()))
        costs = cost_defaults(self.services, self.owner)
        fee = request.fee_rate if request.fee_rate is not None else costs.get("fee_rate")
        slippage = request.slippage_bps
        slippage = slippage if slippage is not None else costs.get("slippage_bps")
        with (
            ui.expansion(t("bt.settings", lang), icon="tune")
            .classes("w-full")
            .props("dense")
            .mark("run-settings")
        ):
            with ui.element("div").classes(
                "vt-form grid grid-cols-1 sm:grid-cols-2 md:grid-cols-4 gap-3 w-full"
            ):
                f = self.fields
                f["symbols"] = ui.input(t("bt.symbols", lang), value=symbols).mark("set-symbols")
                f["start"] = ui.input(t("bt.start", lang), value=request.start or "").mark(
                    "set-start"
                )
                f["end"] = ui.input(t("bt.end", lang), value=request.end or "").mark("set-end")
                f["cash"] = ui.number(t("bt.cash", lang), value=request.cash, min=1).mark(
                    "set-cash"
                )
                f["fee_rate"] = ui.number(
                    t("bt.fee_rate", lang), value=fee, min=0, max=0.1, step=0.0001
                ).mark("set-fee")
                f["slippage_bps"] = ui.number(
                    t("bt.slippage", lang), value=slippage, min=0, max=1000
                ).mark("set-slippage")
                f["fill"] = ui.select(
                    {"next_open": t("fill.next_open", lang), "close": t("fill.close", lang)},
                    value=request.fill,
                    label=t("bt.fill", lang),
                ).mark("set-fill")
                for field in f.values():
                    field.classes("w-full")
            with ui.row().classes("items-center gap-3 w-full"):
                ui.button(t("bt.rerun", lang), icon="replay", on_click=self.rerun).props(
                    "unelevated color=primary"
                ).mark("rerun")
                self.error = ui.label("").classes("vt-error text-sm").mark("settings-error")
            self.progress_box = ui.column().classes("w-full")

    def request(self) -> Any:
        f = self.fields
        symbols = tuple(s.strip() for s in (f["symbols"].value or "").split(",") if s.strip())
        return replace(
            self.record.request,
            symbols=symbols,
            start=(f["start"].value or "").strip() or None,
            end=(f["end"].value or "").strip() or None,
            cash=float(f["cash"].value or 100_000.0),
            fee_rate=f["fee_rate"].value,
            slippage_bps=f["slippage_bps"].value,
            fill=f["fill"].value or "next_open",
        )

    def check(self) -> bool:
        f, lang = self.fields, self.lang
        for field in f.values():
            field.error = None
        problems = {
            "symbols": None if (f["symbols"].value or "").strip() else t("bt.need_symbol", lang),
            "start": _check_date((f["start"].value or "").strip(), lang),
            "end": _check_date((f["end"].value or "").strip(), lang),
            "cash": None if (f["cash"].value or 0) > 0 else t("bt.need_cash", lang),
        }
        for name, problem in problems.items():
            if problem:
                f[name].error = problem
        return not any(problems.values())

    def show_error(self, record: RunRecord) -> None:
        field = _ERROR_FIELDS.get(record.error_kind or "")
        if field is not None:
            self.fields[field].error = record.error
        else:
            self.error.text = record.error or ""

    async def rerun(self) -> None:
        from nicegui import ui

        self.error.text = ""
        if not self.check():
            return
        progress = ProgressState()
        self.progress_box.clear()
        with self.progress_box:
            progress_bar(progress, lang=self.lang)
        record = await run_backtest(
            self.services,
            self.state,
            self.request(),
            owner=self.owner,
            progress=progress,
            proposal_id=self.record.proposal_id,
        )
        self.progress_box.clear()
        if record.error:
            self.show_error(record)
            ui.notify(f"{t('bt.failed', self.lang)}: {record.error}", type="negative")
            return
        ui.navigate.to(f"/backtest?run={record.id}")


def _price_section(record: RunRecord, lang: Lang, window: str, symbol: str | None) -> None:
    from nicegui import ui

    outcome = record.outcome
    if outcome is None or not outcome.bars:
        return
    names = list(outcome.bars)
    name = symbol if symbol in outcome.bars else names[0]
    bars = outcome.bars[name]
    shown = window_bars(bars, window)
    data, factor = price_chart(
        shown,
        outcome.result.trades,
        symbol_indicators(outcome.indicators, name, names),
        lang=lang,
        dark=is_dark(),
        symbol=name if len(names) > 1 else None,
    )
    base = f"/backtest?run={record.id}"
    with ui.card().classes("w-full").props("flat bordered"):
        with ui.row().classes("items-center justify-between w-full gap-2"):
            with ui.row().classes("items-center gap-2"):
                ui.label(f"{t('chart.price', lang)} · {name}").classes("font-semibold")
                if bars.attrs.get("synthetic"):
                    ui.badge(t("bt.synthetic", lang)).props("color=negative")
            with ui.row().classes("items-center gap-2"):
                if len(names) > 1:
                    ui.select(
                        names,
                        value=name,
                        label=t("bt.symbol", lang),
                        on_change=lambda e: ui.navigate.to(
                            f"{base}&window={window}&symbol={e.value}"
                        ),
                    ).props("dense outlined").classes("w-32").mark("symbol-picker")
                ui.toggle(
                    window_labels(lang),
                    value=window,
                    on_change=lambda e: ui.navigate.to(f"{base}&window={e.value}&symbol={name}"),
                ).props("dense no-caps").mark("window")
        if factor > 1:
            ui.label(t("bt.decimated", lang, count=len(shown), shown=len(shown) // factor)).classes(
                "text-xs opacity-70"
            )
        show_figure(data).mark("price-chart")


def _charts(record: RunRecord, lang: Lang) -> None:
    from nicegui import ui

    outcome = record.outcome
    if outcome is None:
        return
    result, dark = outcome.result, is_dark()
    with ui.element("div").classes("grid grid-cols-1 lg:grid-cols-2 gap-4 w-full"):
        with ui.card().classes("w-full").props("flat bordered"):
            show_figure(
                equity_chart(
                    result.equity,
                    result.benchmark,
                    benchmark_label=outcome.benchmark_label,
                    lang=lang,
                    dark=dark,
                )
            ).mark("equity-chart")
        with ui.card().classes("w-full").props("flat bordered"):
            show_figure(drawdown_chart(result.drawdown, lang=lang, dark=dark)).mark(
                "drawdown-chart"
            )
        with ui.card().classes("w-full").props("flat bordered"):
            show_figure(
                cumulative_figure(result.equity, result.initial_cash, lang=lang, dark=dark)
            ).mark("cumulative-chart")
        with ui.card().classes("w-full").props("flat bordered"):
            show_figure(
                monthly_chart(result.equity, lang=lang, dark=dark), classes="w-full vt-monthly"
            ).mark("monthly-chart")


def build_dashboard_page(
    services: WebServices,
    state: UiState,
    *,
    owner: str,
    run: str | None = None,
    window: str = "All",
    symbol: str | None = None,
) -> None:
    """Render run `run` of `owner` (their latest run when None) on symbol `symbol`."""
    from nicegui import ui

    with page_frame("dashboard", show_login=services.is_multi_user) as lang:
        record = (
            find_run(services, state, owner, run) if run else latest_run(services, state, owner)
        )
        if record is None:
            key, mark = ("bt.not_found", "run-not-found") if run else ("bt.none", "no-run")
            ui.label(t(key, lang)).classes("text-base opacity-80").mark(mark)
            if run:
                ui.link(t("nav.chat", lang), "/").classes("text-sm")
            return
        outcome = record.outcome
        with ui.row().classes("items-center justify-between w-full"):
            title = outcome.spec.name if outcome and outcome.spec else t("nav.dashboard", lang)
            ui.label(title).classes("text-xl font-semibold").mark("dashboard-title")
            _downloads(record, lang)
        if outcome is None:
            ui.label(f"{t('bt.failed', lang)}: {record.error}").classes("vt-error")
        else:
            metric_cards(outcome.stats, lang=lang)
            for note in outcome.warnings:
                ui.label(f"⚠ {note}").classes("text-xs text-warning")
        _Settings(services, state, record, lang, owner).build()
        _price_section(record, lang, window if window in WINDOWS else "All", symbol)
        _charts(record, lang)
        if outcome is not None:
            trade_table(outcome.result.trades, lang=lang)
