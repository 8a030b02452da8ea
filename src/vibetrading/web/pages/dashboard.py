"""The backtest dashboard: charts, metric cards, trade log, downloads and run settings.

``/backtest?run=<id>`` shows one run of this process. The settings form re-runs the same
strategy with other symbols, dates, cash, costs or fill model, with a progress bar, and
opens the new run; a bad setting is reported under the field that caused it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from vibetrading.web.backtest_runner import run_backtest
from vibetrading.web.components.charts import (
    WINDOWS,
    cumulative_figure,
    drawdown_chart,
    equity_chart,
    monthly_chart,
    price_chart,
    show_figure,
    window_bars,
)
from vibetrading.web.components.metric_cards import metric_cards
from vibetrading.web.components.progress import ProgressState, progress_bar
from vibetrading.web.components.trade_table import trade_table
from vibetrading.web.i18n import Lang, t
from vibetrading.web.state import RunRecord, UiState, WebServices
from vibetrading.web.theme import is_dark, page_frame

__all__ = ["build_dashboard_page", "outcome_document"]


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
    if outcome is None:
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
        ui.button(
            t("bt.download_html", lang),
            icon="download",
            on_click=lambda: ui.download.content(_report_html(record), f"{stem}.html", "text/html"),
        ).props("outline dense").mark("download-html")


class _Settings:
    def __init__(self, services: WebServices, state: UiState, record: RunRecord, lang: Lang):
        self.services, self.state, self.record, self.lang = services, state, record, lang
        self.fields: dict[str, Any] = {}
        self.error: Any = None
        self.progress_box: Any = None

    def build(self) -> None:
        from nicegui import ui

        request = self.record.request
        symbols = ", ".join(request.symbols or (request.spec.universe if request.spec else ()))
        with (
            ui.expansion(t("bt.settings", self.lang), icon="tune")
            .classes("w-full")
            .props("dense")
            .mark("run-settings")
        ):
            with ui.element("div").classes("grid grid-cols-2 md:grid-cols-4 gap-3 w-full"):
                self.fields["symbols"] = ui.input(t("bt.symbols", self.lang), value=symbols).mark(
                    "set-symbols"
                )
                self.fields["start"] = ui.input(t("bt.start", self.lang), value=request.start or "")
                self.fields["end"] = ui.input(t("bt.end", self.lang), value=request.end or "")
                self.fields["cash"] = ui.number(t("bt.cash", self.lang), value=request.cash, min=1)
                self.fields["fee_rate"] = ui.number(
                    t("bt.fee_rate", self.lang), value=request.fee_rate, min=0, max=0.1, step=0.0001
                )
                self.fields["slippage_bps"] = ui.number(
                    t("bt.slippage", self.lang), value=request.slippage_bps, min=0, max=1000
                )
                self.fields["fill"] = ui.select(
                    ["next_open", "close"], value=request.fill, label=t("bt.fill", self.lang)
                )
            with ui.row().classes("items-center gap-3 w-full"):
                ui.button(t("bt.rerun", self.lang), icon="replay", on_click=self.rerun).props(
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

    async def rerun(self) -> None:
        from nicegui import ui

        self.error.text = ""
        progress = ProgressState()
        self.progress_box.clear()
        with self.progress_box:
            progress_bar(progress)
        record = await run_backtest(
            self.services,
            self.state,
            self.request(),
            progress=progress,
            proposal_id=self.record.proposal_id,
        )
        if record.error:
            self.progress_box.clear()
            self.error.text = record.error
            ui.notify(f"{t('bt.failed', self.lang)}: {record.error}", type="negative")
            return
        ui.navigate.to(f"/backtest?run={record.id}")


def _price_section(record: RunRecord, lang: Lang, window: str) -> None:
    from nicegui import ui

    outcome = record.outcome
    if outcome is None:
        return
    name, bars = next(iter(outcome.bars.items()))
    shown = window_bars(bars, window)
    data, factor = price_chart(
        shown, outcome.result.trades, outcome.indicators, lang=lang, dark=is_dark()
    )
    with ui.card().classes("w-full").props("flat bordered"):
        with ui.row().classes("items-center justify-between w-full"):
            title = f"{t('chart.price', lang)} · {name}"
            if bars.attrs.get("synthetic"):
                title += f" · {t('bt.synthetic', lang)}"
            ui.label(title).classes("font-semibold")
            ui.toggle(
                list(WINDOWS),
                value=window,
                on_change=lambda e: ui.navigate.to(f"/backtest?run={record.id}&window={e.value}"),
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
            show_figure(monthly_chart(result.equity, lang=lang, dark=dark)).mark("monthly-chart")


def build_dashboard_page(
    services: WebServices, state: UiState, *, run: str | None = None, window: str = "All"
) -> None:
    """Render the dashboard of run `run` (the latest run of this process when None)."""
    from nicegui import ui

    with page_frame("dashboard", show_login=services.is_multi_user) as lang:
        record = state.runs.get(run) if run else next(reversed(state.runs.values()), None)
        if record is None:
            ui.label(t("bt.none", lang)).classes("text-base opacity-80").mark("no-run")
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
        _Settings(services, state, record, lang).build()
        _price_section(record, lang, window if window in WINDOWS else "All")
        _charts(record, lang)
        if outcome is not None:
            trade_table(outcome.result.trades, lang=lang)
