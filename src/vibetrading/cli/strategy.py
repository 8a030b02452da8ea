"""``vibetrading strategy``: parse an idea, compute signals, explain, schema, templates."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from vibetrading.cli.inputs import read_bars_file, read_code_file, read_spec_file
from vibetrading.domain.strategy.message_words import (
    localize_note,
    localize_notes,
)

__all__ = ["safety_table", "strategy_app"]

strategy_app = typer.Typer(
    help="Strategies: read an idea, compute its signals, explain it.", no_args_is_help=True
)


class ParseFormat(StrEnum):
    """How ``strategy parse`` prints."""

    json = "json"
    text = "text"


class CheckFormat(StrEnum):
    """How ``strategy check`` prints."""

    table = "table"
    json = "json"


class Lang(StrEnum):
    """Language of explanations."""

    en = "en"
    zh = "zh"


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


@strategy_app.command("parse")
def parse(
    text: Annotated[str, typer.Argument(help="The idea, in English, Chinese or both.")],
    output: Annotated[
        ParseFormat, typer.Option("--format", help="json or text.")
    ] = ParseFormat.text,
    symbol: Annotated[
        str, typer.Option("--symbol", help="Symbol traded when the text names none.")
    ] = "SPX",
) -> None:
    """Read an idea into a typed spec; exit 1 when it yields no valid strategy."""
    from vibetrading.services.strategies import read_strategy

    result = read_strategy(text, default_symbol=symbol)
    console = _console()
    if output is ParseFormat.json:
        body = result.spec.model_dump(mode="json") if result.spec else {}
        console.file.write(
            json.dumps({**body, **result.report()}, indent=2, ensure_ascii=False) + "\n"
        )
    else:
        _print_text(console, result)
    if not result.is_valid:
        raise typer.Exit(1)


def _print_text(console: Console, result: Any) -> None:
    if result.spec is not None:
        console.print(f"[bold]{result.spec.name}[/]")
        console.print(result.spec.explanation)
    for title, lines, style in (
        ("assumed", localize_notes(result.assumptions, result.language), "dim"),
        ("not understood", [repr(u) for u in result.unparsed], "yellow"),
        ("warning", localize_notes(result.warnings, result.language), "yellow"),
        ("error", localize_notes(result.errors, result.language), "bold red"),
    ):
        for line in lines:
            console.print(f"[{style}]{title}:[/] {line}")
    for suggestion in result.suggestions:
        console.print(
            f"[cyan]suggestion:[/] set {suggestion['field']} = {suggestion['value']} "
            f"({localize_note(suggestion['reason'], result.language)})"
        )


@strategy_app.command("signals")
def signals(
    spec: Annotated[Path, typer.Argument(help="A spec JSON file (strategy parse output works).")],
    data: Annotated[
        Path, typer.Option("--data", help="A bars CSV: timestamp,open,high,low,close,volume.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write timestamp,entry,exit.")],
) -> None:
    """Write the rule signals of SPEC on the bars as 0/1 ``timestamp,entry,exit`` rows."""
    from vibetrading.cli.render import format_timestamps
    from vibetrading.services.strategies import strategy_signals

    bars = read_bars_file(data)
    frame = strategy_signals(read_spec_file(spec), bars)
    stamps = format_timestamps(frame.index, timeframe=str(bars.attrs.get("timeframe", "1d")))
    lines = ["timestamp,entry,exit"] + [
        f"{stamp},{int(entry)},{int(exit_)}"
        for stamp, entry, exit_ in zip(stamps, frame["entry"], frame["exit"], strict=True)
    ]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _console().print(
        f"wrote {len(frame)} rows to {out}: {int(frame['entry'].sum())} entry and "
        f"{int(frame['exit'].sum())} exit signals"
    )


@strategy_app.command("explain")
def explain(
    spec: Annotated[Path, typer.Argument(help="A spec JSON file.")],
    lang: Annotated[
        Lang | None, typer.Option("--lang", help="en or zh (default: the idea's).")
    ] = None,
    symbol: Annotated[
        str | None, typer.Option("--symbol", help="Count signals on this symbol's data.")
    ] = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="Count signals on a bars CSV.")
    ] = None,
) -> None:
    """Explain what a strategy does, when it tends to work and fail, and how often it signals."""
    from vibetrading.services.strategies import explain_strategy

    loaded = read_spec_file(spec)
    bars = None
    if data is not None:
        bars = read_bars_file(data)
    elif symbol is not None:
        from vibetrading.data import service

        bars = service().load_bars(symbol, timeframe=loaded.timeframe.value)
    explanation = explain_strategy(loaded, lang=lang.value if lang else None, bars=bars)
    _console().print(explanation.text)


@strategy_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of StrategySpec."""
    from vibetrading.domain.strategy import StrategySpec

    _console().file.write(json.dumps(StrategySpec.model_json_schema(), indent=2) + "\n")


@strategy_app.command("templates")
def templates(
    lang: Annotated[Lang, typer.Option("--lang", help="en or zh.")] = Lang.en,
) -> None:
    """List the strategy templates: momentum, mean reversion, breakout, volatility, pairs."""
    from vibetrading.domain.strategy.templates import TEMPLATES

    table = Table(title="Strategy templates", header_style="bold")
    table.add_column("name")
    table.add_column("title")
    table.add_column("description")
    for name, template in TEMPLATES.items():
        zh = lang is Lang.zh
        table.add_row(
            name,
            template.title_zh if zh else template.title,
            template.description_zh if zh else template.description,
        )
    _console().print(table)


@strategy_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="A code strategy: signals(data, params).")],
    output: Annotated[
        CheckFormat, typer.Option("--format", help="table or json.")
    ] = CheckFormat.table,
) -> None:
    """Show the safety report of a code strategy without running it; exit 1 when unsafe."""
    from vibetrading.bootstrap import build_backtests

    report = build_backtests().check_code(read_code_file(file))
    console = _console()
    if output is CheckFormat.json:
        console.file.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    else:
        console.print(safety_table(report, title=f"Safety report of {file.name}"))
        verdict = "[bold green]safe[/]" if report["is_safe"] else "[bold red]unsafe[/]"
        console.print(f"{file.name}: {verdict}")
    if not report["is_safe"]:
        raise typer.Exit(1)


def safety_table(report: dict[str, Any], *, title: str = "Safety report") -> Table:
    """Return a safety report as a table: check, layer, result, where, why."""
    table = Table(title=title, header_style="bold")
    for column in ("check", "layer", "result", "where", "why"):
        table.add_column(column, overflow="fold")
    for item in report["checks"]:
        table.add_row(
            item["name"],
            item["layer"],
            "[green]passed[/]" if item["passed"] else "[bold red]FAILED[/]",
            f"line {item['line']}" if item.get("line") else "",
            item["message"],
        )
    return table
