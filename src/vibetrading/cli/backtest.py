"""``vibetrading backtest``: run one backtest and show it as tables and a chart, or JSON."""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from vibetrading.cli.inputs import (
    CashOption,
    DataOption,
    EndOption,
    FeesOption,
    FillModel,
    FillOption,
    SlippageOption,
    StartOption,
    StopLossOption,
    TakeProfitOption,
    TrailingStopOption,
    read_bars_file,
    read_code_file,
    read_signals_file,
    read_spec_file,
)
from vibetrading.domain.strategy.message_words import localize_notes

if TYPE_CHECKING:
    from vibetrading.services.backtests import BacktestOutcome

__all__ = ["backtest", "outcome_json", "render_outcome"]


class BacktestFormat(StrEnum):
    """How ``backtest`` prints its result."""

    table = "table"
    json = "json"


_PERCENT = {
    "total_return",
    "cagr",
    "volatility",
    "max_drawdown",
    "win_rate",
    "exposure",
    "benchmark_return",
    "avg_win",
    "avg_loss",
    "best_trade",
    "worst_trade",
    "alpha",
}
_CARDS = (
    "total_return",
    "cagr",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "win_rate",
    "profit_factor",
    "exposure",
    "volatility",
    "num_trades",
    "benchmark_return",
)


def backtest(
    strategy: Annotated[str | None, typer.Option("--strategy", help="The idea in words.")] = None,
    spec: Annotated[Path | None, typer.Option("--spec", help="A StrategySpec JSON file.")] = None,
    code: Annotated[Path | None, typer.Option("--code", help="A Python code strategy.")] = None,
    signals: Annotated[
        Path | None, typer.Option("--signals", help="A timestamp,entry,exit CSV of 0/1.")
    ] = None,
    symbol: Annotated[
        list[str] | None, typer.Option("--symbol", help="Symbol(s) to trade; repeat for more.")
    ] = None,
    data: DataOption = None,
    start: StartOption = None,
    end: EndOption = None,
    cash: CashOption = 100_000.0,
    fill: FillOption = FillModel.next_open,
    fees: FeesOption = None,
    slippage: SlippageOption = None,
    stop_loss: StopLossOption = None,
    take_profit: TakeProfitOption = None,
    trailing_stop: TrailingStopOption = None,
    output: Annotated[
        BacktestFormat, typer.Option("--format", help="table or json.")
    ] = BacktestFormat.table,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a self-contained HTML report here.")
    ] = None,
) -> None:
    """Backtest a strategy on real or imported data; stop flags override the spec's risk."""
    from vibetrading.bootstrap import build_backtests
    from vibetrading.services.backtests import BacktestRequest

    request = BacktestRequest(
        strategy=strategy,
        spec=read_spec_file(spec) if spec else None,
        signals=read_signals_file(signals) if signals else None,
        code=read_code_file(code) if code else None,
        symbols=tuple(symbol or ()),
        bars=read_bars_file(data) if data else None,
        start=start,
        end=end,
        cash=cash,
        fill=fill.value,
        fee_rate=fees,
        slippage_bps=slippage,
        stop_loss=stop_loss,
        take_profit=take_profit,
        trailing_stop=trailing_stop,
    )
    outcome = build_backtests().run(request)
    console = Console(highlight=False, soft_wrap=True)
    if report is not None:
        _write_report(outcome, report)
    if output is BacktestFormat.json:
        console.file.write(json.dumps(outcome_json(outcome), indent=2, ensure_ascii=False) + "\n")
        return
    console.print(render_outcome(outcome))
    if report is not None:
        console.print(f"report written to {report}")


def _write_report(outcome: BacktestOutcome, path: Path) -> None:
    from vibetrading.domain.backtest.report import render_report

    name, bars = next(iter(outcome.bars.items()))
    title = outcome.spec.name if outcome.spec else f"Backtest of {name}"
    html = render_report(
        outcome.result,
        bars=bars,
        title=title,
        stats=outcome.stats,
        benchmark_label=outcome.benchmark_label,
    )
    path.write_text(html, encoding="utf-8")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def outcome_json(outcome: BacktestOutcome) -> dict[str, Any]:
    """Return the JSON document of ``backtest --format json``."""
    document = outcome.result.to_dict()
    equity = document.get("equity", [])
    benchmark = outcome.result.benchmark
    bench_rows: list[dict[str, Any]] = []
    if benchmark is not None and len(benchmark):
        from vibetrading.domain.backtest.stats import benchmark_equity

        curve = benchmark_equity(
            benchmark, outcome.result.equity.index, outcome.result.equity.iloc[0]
        )
        bench_rows = [
            {"timestamp": t.isoformat(), "equity": _clean(float(v))} for t, v in curve.items()
        ]
    return {
        "summary": {k: _clean(v) for k, v in outcome.stats.items()},
        "trades": document.get("trades", []),
        "equity": equity,
        "benchmark": {"label": outcome.benchmark_label, "equity": bench_rows},
        "spec": outcome.spec.model_dump(mode="json") if outcome.spec else None,
        "assumptions": outcome.assumptions,
        "warnings": outcome.warnings,
        "safety": outcome.safety,
    }


def _format(name: str, value: Any) -> str:
    if value is None:
        return "—"
    if name in _PERCENT:
        return (
            f"{value:+.2%}"
            if name in {"total_return", "cagr", "alpha", "benchmark_return"}
            else f"{value:.2%}"
        )
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def render_outcome(outcome: BacktestOutcome) -> Group:
    """Return the cards, equity chart, trade table and notes of a backtest outcome."""
    from vibetrading.cli.charts import line_chart

    stats = outcome.stats
    cards = Table.grid(padding=(0, 3))
    for _ in range(4):
        cards.add_column()
    cells = [
        Text.assemble(
            (f"{name.replace('_', ' ')}\n", "dim"), (_format(name, stats.get(name)), "bold")
        )
        for name in _CARDS
    ]
    for row in range(0, len(cells), 4):
        cards.add_row(*cells[row : row + 4])
    equity = outcome.result.equity
    chart = "\n".join(line_chart(equity.to_numpy(), width=64, height=6))
    name = next(iter(outcome.bars))
    title = outcome.spec.name if outcome.spec else f"Backtest of {name}"
    subtitle = f"equity {equity.iloc[0]:,.0f} → {equity.iloc[-1]:,.0f}"
    if outcome.benchmark_label:
        gain = _format("benchmark_return", stats.get("benchmark_return"))
        subtitle += f" · benchmark {outcome.benchmark_label} {gain}"
    parts: list[Any] = [
        Panel(
            Group(cards, Text(""), Text(chart, style="cyan")),
            title=title,
            subtitle=subtitle,
            expand=False,
        )
    ]
    parts.append(_trade_table(outcome))
    language = outcome.spec.metadata.language if outcome.spec else "en"
    for line in localize_notes(outcome.assumptions, language):
        parts.append(Text(f"assumed: {line}", style="dim"))
    for line in localize_notes(outcome.warnings, language):
        parts.append(Text(f"warning: {line}", style="yellow"))
    if outcome.safety is not None:
        checks = outcome.safety.get("checks", [])
        parts.append(Text(f"sandbox: all {len(checks)} safety checks passed", style="dim"))
    return Group(*parts)


def _trade_table(outcome: BacktestOutcome, rows: int = 8) -> Table:
    trades = outcome.result.trades
    table = Table(title=f"{len(trades)} trades", header_style="bold", box=None)
    for column in ("entry", "price", "exit", "price", "qty", "pnl", "return", "bars", "reason"):
        table.add_column(
            column,
            justify="left" if column in {"entry", "exit", "reason"} else "right",
            no_wrap=True,
            min_width=10 if column in {"entry", "exit"} else None,
        )
    picks = (
        list(range(len(trades)))
        if len(trades) <= 2 * rows
        else [*range(rows), -1, *range(len(trades) - rows, len(trades))]
    )
    for i in picks:
        if i == -1:
            table.add_row(*["…"] * 9)
            continue
        t = trades.iloc[i]
        table.add_row(
            str(t["entry_time"])[:10],
            f"{t['entry_price']:,.2f}",
            str(t["exit_time"])[:10],
            f"{t['exit_price']:,.2f}",
            f"{t['quantity']:,.0f}",
            f"{t['pnl']:+,.0f}",
            f"{t['return']:+.2%}",
            str(int(t["bars_held"])),
            str(t["exit_reason"]),
        )
    return table
