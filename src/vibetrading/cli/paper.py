"""``vibetrading paper``: paper-trade a strategy, on the backtester's execution model.

``paper start`` replays history bar by bar through the paper broker (``--speed max`` runs
to the end and prints a summary whose ``trades`` have the fields of ``backtest --format
json``; a progress bar with the bars done and the time left shows on a terminal's stderr,
except with ``--format json``) or polls a provider at each bar close (``--feed live``).
Running the same start again resumes the runner where it stopped. The trading mode is
shown with every order.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from vibetrading.cli.inputs import (
    CashOption,
    EndOption,
    StartOption,
    read_code_file,
    read_spec_file,
)

if TYPE_CHECKING:
    from vibetrading.services.paper import PaperRequest, PaperTradingService
    from vibetrading.services.ports import RunnerRecord
    from vibetrading.services.runner import RunSummary

__all__ = ["paper_app"]

paper_app = typer.Typer(
    help="Paper-trade strategies with the backtester's fills, costs and market rules.",
    no_args_is_help=True,
)


class PaperMode(StrEnum):
    """Where ``paper start`` sends orders."""

    paper = "paper"
    dry_run = "dry_run"


class PaperFeed(StrEnum):
    """Where the bars come from."""

    replay = "replay"
    live = "live"


class PaperFormat(StrEnum):
    """How paper commands print."""

    table = "table"
    json = "json"


class Side(StrEnum):
    """Order side on the command line."""

    buy = "buy"
    sell = "sell"


FormatOption = Annotated[PaperFormat, typer.Option("--format", help="table or json.")]


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _service() -> PaperTradingService:
    from vibetrading.bootstrap_paper import build_paper

    return build_paper()


def _speed(text: str) -> float | None:
    from vibetrading.errors import ConfigError

    if text == "max":
        return None
    try:
        speed = float(text)
    except ValueError as e:
        raise ConfigError(
            f"--speed must be a number of bars per second or 'max', not {text!r}."
        ) from e
    if not speed > 0:
        raise ConfigError("--speed must be positive (bars per second) or 'max'.")
    return speed


@paper_app.command("start")
def start(
    symbol: Annotated[str, typer.Option("--symbol", help="The symbol to trade.")],
    strategy_id: Annotated[
        str | None, typer.Argument(help="A saved strategy id.", show_default=False)
    ] = None,
    strategy: Annotated[str | None, typer.Option("--strategy", help="The idea in words.")] = None,
    spec: Annotated[Path | None, typer.Option("--spec", help="A StrategySpec JSON file.")] = None,
    code: Annotated[Path | None, typer.Option("--code", help="A Python code strategy.")] = None,
    mode: Annotated[PaperMode, typer.Option("--mode", help="paper or dry_run.")] = PaperMode.paper,
    feed: Annotated[PaperFeed, typer.Option("--feed", help="replay or live.")] = PaperFeed.replay,
    start: StartOption = None,
    end: EndOption = None,
    speed: Annotated[str, typer.Option("--speed", help="Bars per second, or max.")] = "max",
    cash: CashOption = 100_000.0,
    max_order_notional: Annotated[
        float | None,
        typer.Option(
            "--max-order-notional",
            min=0.0,
            help="Refuse orders worth more (default: VIBETRADING_PAPER_MAX_ORDER_NOTIONAL).",
        ),
    ] = None,
    max_position_notional: Annotated[
        float | None,
        typer.Option(
            "--max-position-notional",
            min=0.0,
            help="Cap a position's value (default: VIBETRADING_PAPER_MAX_POSITION_NOTIONAL).",
        ),
    ] = None,
    max_daily_loss: Annotated[
        float | None,
        typer.Option(
            "--max-daily-loss",
            min=0.0,
            help="Stop new risk after this loss in a session "
            "(default: VIBETRADING_PAPER_MAX_DAILY_LOSS).",
        ),
    ] = None,
    max_volume_share: Annotated[
        float | None,
        typer.Option(
            "--max-volume-share",
            min=0.0,
            max=1.0,
            help="Fill at most this share of a bar's volume; the rest waits "
            "(default: VIBETRADING_PAPER_MAX_VOLUME_SHARE).",
        ),
    ] = None,
    output: FormatOption = PaperFormat.table,
) -> None:
    """Start (or resume) a paper runner and drive it to the end of its bars.

    Risk caps are off unless set here or in the settings. Unsafe code is refused with
    its safety report before anything is stored.
    """
    from vibetrading.bootstrap_paper import paper_risk
    from vibetrading.domain.trading.enums import TradingMode
    from vibetrading.services.paper import PaperRequest
    from vibetrading.settings import get_settings

    settings = get_settings()
    request = PaperRequest(
        symbol=symbol,
        strategy=strategy,
        spec=read_spec_file(spec) if spec else None,
        code=read_code_file(code) if code else None,
        strategy_id=strategy_id,
        mode=TradingMode(mode.value),
        feed=feed.value,
        start=start,
        end=end,
        speed=_speed(speed),
        cash=cash,
        risk=paper_risk(
            settings,
            max_order_notional=max_order_notional,
            max_position_notional=max_position_notional,
            max_daily_loss=max_daily_loss,
        ),
        max_volume_share=(
            max_volume_share if max_volume_share is not None else settings.paper_max_volume_share
        ),
    )
    service = _service()
    console = _console()
    record = _start(service, request, console)
    if output is PaperFormat.table:
        console.print(f"[bold]{record.runner_id}[/] · mode {mode.value.upper()} · {feed.value}")
    if feed is PaperFeed.live:
        summary = _run_live(service, record.runner_id, console)
    else:
        progress = None if output is PaperFormat.json else Console(stderr=True)
        summary = _run_replay(service, record.runner_id, request.speed, progress)
    _print_summary(console, summary, output)


def _start(service: PaperTradingService, request: PaperRequest, console: Console) -> RunnerRecord:
    from vibetrading.cli.strategy import safety_table
    from vibetrading.errors import SandboxViolation

    try:
        return service.start(request)
    except SandboxViolation as e:
        if isinstance(e.report, dict) and e.report.get("checks"):
            Console(stderr=True, highlight=False, soft_wrap=True).print(
                safety_table(e.report, title="Safety report (nothing was saved)")
            )
        raise


def _run_replay(
    service: PaperTradingService,
    runner_id: str,
    speed: float | None,
    progress_console: Console | None,
) -> RunSummary:
    """Replay the runner, with a progress bar (bars done, ETA) on a terminal console."""
    if progress_console is None or not progress_console.is_terminal:
        return service.run(runner_id, speed=speed)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=progress_console, transient=True) as progress:
        task = progress.add_task("replaying", total=1.0)

        def update(fraction: float, text: str) -> None:
            progress.update(task, completed=fraction, description=f"replaying {text}")

        return service.run(runner_id, speed=speed, progress=update)


def _run_live(
    service: PaperTradingService,
    runner_id: str,
    console: Console,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> RunSummary:
    import pandas as pd

    service.resume(runner_id)
    summary = service.poll(runner_id)
    try:
        while True:  # poll at each bar close until Ctrl-C or `paper stop`
            wait = service.next_poll_at(runner_id) - pd.Timestamp.now(tz="UTC")
            sleep(max(wait.total_seconds(), 1.0))
            summary = service.poll(runner_id)
            console.print(f"{summary.cursor} equity {summary.final_equity:,.2f}")
            if service.runner(runner_id)["status"] != "running":
                break
    except KeyboardInterrupt:
        service.stop(runner_id)
    return summary


def _print_summary(console: Console, summary: RunSummary, output: PaperFormat) -> None:
    document = summary.to_dict()
    if output is PaperFormat.json:
        console.file.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return
    head = document["summary"]
    console.print(
        f"{head['symbol']} · {head['mode'].upper()} · {head['bars']} bars · "
        f"{head['orders']} orders · {head['num_trades']} trades · "
        f"final equity {head['final_equity']:,.2f}"
    )
    table = Table(header_style="bold", box=None)
    for column in ("entry", "price", "exit", "price", "qty", "pnl", "reason"):
        table.add_column(
            column, justify="left" if column in {"entry", "exit", "reason"} else "right"
        )
    for trade in summary.trades:
        table.add_row(
            trade["entry_time"][:10],
            f"{trade['entry_price']:,.2f}",
            trade["exit_time"][:10],
            f"{trade['exit_price']:,.2f}",
            f"{trade['quantity']:,.4g}",
            f"{trade['pnl']:+,.0f}",
            trade["exit_reason"],
        )
    console.print(table)


@paper_app.command("status")
def status(output: FormatOption = PaperFormat.table) -> None:
    """Show every runner: mode, status, cursor, equity and positions."""
    rows = _service().status()
    console = _console()
    if output is PaperFormat.json:
        console.file.write(json.dumps(rows, indent=2) + "\n")
        return
    if not rows:
        console.print("No paper runners: start one with `vibetrading paper start`.")
        return
    table = Table(header_style="bold", box=None)
    for column in ("runner", "symbol", "mode", "status", "cursor", "equity", "positions"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["runner_id"],
            row["symbol"],
            row["mode"].upper(),
            f"{row['status']}: {row['error']}" if row.get("error") else row["status"],
            (row["cursor"] or "—")[:19],
            f"{row['equity']:,.2f}",
            ", ".join(f"{s} {q:g}" for s, q in row["positions"].items()) or "flat",
        )
    console.print(table)


@paper_app.command("orders")
def orders(
    runner_id: Annotated[str | None, typer.Argument(help="One runner (default: all).")] = None,
    output: FormatOption = PaperFormat.table,
) -> None:
    """List the orders of the paper runners."""
    found = _service().orders(runner_id)
    console = _console()
    if output is PaperFormat.json:
        console.file.write(json.dumps([o.to_dict() for o in found], indent=2) + "\n")
        return
    table = Table(header_style="bold", box=None)
    for column in (
        "client order id",
        "symbol",
        "side",
        "qty",
        "type",
        "status",
        "avg price",
        "note",
    ):
        table.add_column(column)
    for order in found:
        table.add_row(
            order.client_order_id,
            order.symbol,
            order.side.value,
            f"{order.quantity:g}",
            order.order_type.value,
            order.status.value,
            f"{order.average_price:,.2f}" if order.average_price else "—",
            order.message,
        )
    console.print(table)


@paper_app.command("order")
def order(
    symbol: Annotated[str, typer.Argument(help="The symbol.")],
    side: Annotated[Side, typer.Argument(help="buy or sell.")],
    quantity: Annotated[float, typer.Argument(help="Units (A-shares: multiples of 100).")],
    limit: Annotated[float | None, typer.Option("--limit", help="Limit price.")] = None,
    client_order_id: Annotated[
        str | None,
        typer.Option(
            "--client-order-id",
            help="Your id for the order: sending it again never places a second order.",
        ),
    ] = None,
    runner_id: Annotated[
        str | None, typer.Option("--runner", help="The account (default: newest on SYMBOL).")
    ] = None,
    output: FormatOption = PaperFormat.table,
) -> None:
    """Place a manual order on the paper account trading SYMBOL (fills at its next bar)."""
    from vibetrading.domain.trading.enums import OrderSide

    service = _service()
    account = service.account_for(symbol, runner_id)
    placed = service.place_order(
        symbol,
        OrderSide(side.value),
        quantity,
        limit_price=limit,
        runner_id=account["runner_id"],
        client_order_id=client_order_id,
    )
    console = _console()
    if output is PaperFormat.json:
        document = placed.to_dict() | {"mode": account["mode"], "runner_id": account["runner_id"]}
        console.file.write(json.dumps(document, indent=2) + "\n")
        return
    console.print(
        f"{account['mode'].upper()} {placed.side.value} {placed.quantity:g} {placed.symbol}: "
        f"{placed.status.value} {placed.message}".rstrip()
    )
    if placed.status.value == "rejected":
        raise typer.Exit(1)


@paper_app.command("stop")
def stop(
    runner_id: Annotated[str | None, typer.Argument(help="One runner (default: all).")] = None,
) -> None:
    """Stop paper runners; one running elsewhere stops at its next bar."""
    stopped = _service().stop(runner_id)
    _console().print(f"stopped {len(stopped)} runner(s)")


@paper_app.command("reset")
def reset(
    runner_id: Annotated[str | None, typer.Argument(help="One runner (default: all).")] = None,
) -> None:
    """Delete paper runners with their orders, fills, positions and equity."""
    removed = _service().reset(runner_id)
    _console().print(f"reset {len(removed)} runner(s)")
