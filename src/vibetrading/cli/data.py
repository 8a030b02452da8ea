"""``vibetrading data``: list, show, import and fetch market data."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from vibetrading.cli.inputs import EndOption, StartOption

__all__ = ["data_app"]

data_app = typer.Typer(help="Market data: list, show, import and fetch bars.", no_args_is_help=True)


class OutputFormat(StrEnum):
    """How a command prints its result."""

    table = "table"
    csv = "csv"
    json = "json"


class ListFormat(StrEnum):
    """How ``data list`` prints."""

    table = "table"
    json = "json"


def _service() -> Any:
    from vibetrading.data import service

    return service()


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


TimeframeOption = Annotated[
    str, typer.Option("--timeframe", "-t", help="Bar length: 1m 5m 15m 1h 4h 1d 1w 1M.")
]


@data_app.command("list")
def list_symbols(
    output: Annotated[
        ListFormat, typer.Option("--format", help="table or json.")
    ] = ListFormat.table,
) -> None:
    """List the symbols available now, with source, range and bar count."""
    listings = _service().list_symbols()
    console = _console()
    if output is ListFormat.json:
        rows = [
            {
                "symbol": s.symbol,
                "source": s.source,
                "timeframe": s.timeframe,
                "start": s.start.isoformat() if s.start is not None else None,
                "end": s.end.isoformat() if s.end is not None else None,
                "bars": s.bars,
                "description": s.description,
                "synthetic": s.is_synthetic,
            }
            for s in listings
        ]
        console.file.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title="Market data available offline", header_style="bold")
    for column in ("symbol", "source", "timeframe", "from", "to", "bars", "description"):
        table.add_column(column, justify="right" if column == "bars" else "left")
    for s in listings:
        table.add_row(
            s.symbol,
            s.source,
            s.timeframe,
            _day(s.start),
            _day(s.end),
            f"{s.bars:,}",
            ("[yellow]SYNTHETIC[/] " if s.is_synthetic else "") + s.description,
        )
    console.print(table)


def _stamp(iso: str | None, timeframe: str) -> str:
    if iso is None:
        return ""
    return iso[:10] if timeframe in {"1d", "1w", "1M"} else iso


def _day(value: Any) -> str:
    return "" if value is None else str(value.date())


@data_app.command("show")
def show(
    symbol: Annotated[
        str, typer.Argument(help="A symbol: SPX, AAPL, 0700.HK, 600519.SH, BTC/USDT ...")
    ],
    start: StartOption = None,
    end: EndOption = None,
    timeframe: TimeframeOption = "1d",
    output: Annotated[
        OutputFormat, typer.Option("--format", help="table, csv or json.")
    ] = OutputFormat.table,
    provider: Annotated[
        str | None, typer.Option("--provider", help="Fetch from this provider first (or demo).")
    ] = None,
    raw: Annotated[bool, typer.Option("--raw", help="Unadjusted prices.")] = False,
) -> None:
    """Show the bars of SYMBOL as a chart and table, or as CSV or JSON."""
    from vibetrading.cli.render import bars_csv, bars_json, bars_panel

    service = _service()
    resolved = service.resolve_symbol(symbol)
    bars = service.load_bars(
        resolved, start=start, end=end, timeframe=timeframe, provider=provider, adjusted=not raw
    )
    console = _console()
    if output is OutputFormat.csv:
        console.file.write(bars_csv(bars) + "\n")
    elif output is OutputFormat.json:
        console.file.write(bars_json(bars, timezone=resolved.timezone) + "\n")
    else:
        console.print(bars_panel(bars, timezone=resolved.timezone, name=resolved.name))


@data_app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="A CSV or Parquet file of bars.")],
    symbol: Annotated[str, typer.Option("--symbol", help="Name to store the bars under.")],
    timeframe: Annotated[
        str | None, typer.Option("--timeframe", "-t", help="Bar length; inferred when omitted.")
    ] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="Timezone of naive times (default UTC).")
    ] = None,
) -> None:
    """Import a CSV or Parquet file: detect its columns, clean it, store it."""
    report = _service().import_file(file, symbol=symbol, timeframe=timeframe, timezone=timezone)
    console = _console()
    rules = (
        f"{report.market} market, {report.calendar} sessions"
        if report.calendar
        else "no market rules: whole units, no costs, every timestamp kept"
        if report.market == "GENERIC"
        else f"{report.market} market, trades around the clock"
    )
    console.print(
        f"[bold green]imported[/] {report.rows:,} {report.timeframe} bars of {report.symbol} "
        f"({rules}) from {_stamp(report.start, report.timeframe)} to "
        f"{_stamp(report.end, report.timeframe)}"
    )
    for line in report.detection:
        console.print(f"  read: {line}")
    changes = report.cleaning.lines() or ["nothing to clean"]
    for line in changes:
        console.print(f"  cleaned: {line}")
    if report.replaced:
        console.print(f"  [yellow]replaced[/] the earlier {report.replaced} series")


@data_app.command("fetch")
def fetch(
    symbol: Annotated[str, typer.Argument(help="The symbol to download.")],
    provider: Annotated[
        str, typer.Option("--provider", help="yfinance, ccxt, akshare, polygon or demo.")
    ],
    start: StartOption = None,
    end: EndOption = None,
    timeframe: TimeframeOption = "1d",
) -> None:
    """Download bars into the local store, fetching only the ranges it is missing."""
    service = _service()
    console = _console()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(f"fetching {symbol} from {provider}", total=1.0)

        def update(fraction: float, text: str) -> None:
            progress.update(task, completed=fraction, description=text)

        report = service.fetch(
            symbol, provider=provider, start=start, end=end, timeframe=timeframe, progress=update
        )
    label = "[yellow]SYNTHETIC[/] " if report.is_synthetic else ""
    console.print(
        f"[bold green]stored[/] {label}{report.symbol} {report.timeframe}: {report.bars_added:+,} "
        f"bars, {report.bars_total:,} in all ({_stamp(report.start, report.timeframe)} → "
        f"{_stamp(report.end, report.timeframe)}) from {report.provider}"
    )
    for note in report.notes:
        console.print(f"  {note}")
    if report.cleaning is not None:
        for line in report.cleaning.lines():
            console.print(f"  cleaned: {line}")
