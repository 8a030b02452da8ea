"""The ``vibetrading`` command: thin commands over the services, errors mapped once."""

from __future__ import annotations

import logging
import os
import sys

import typer
from rich.console import Console

from vibetrading.cli.backtest import backtest
from vibetrading.cli.chat import chat
from vibetrading.cli.data import data_app
from vibetrading.cli.db import db_app
from vibetrading.cli.paper import paper_app
from vibetrading.cli.serve import serve
from vibetrading.cli.strategy import strategy_app
from vibetrading.cli.sweep import sweep
from vibetrading.cli.tour import tour
from vibetrading.errors import (
    ConfigError,
    DataError,
    NotFound,
    ProviderError,
    StrategyError,
    VibeTradingError,
)

__all__ = ["app", "main"]

app = typer.Typer(
    name="vibetrading",
    help="Describe a trading idea, backtest it honestly, paper-trade it. Offline first.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(data_app, name="data")
app.add_typer(db_app, name="db")
app.add_typer(strategy_app, name="strategy")
app.add_typer(paper_app, name="paper")
app.command("tour", help="A two-minute tour of the bundled real market data.")(tour)
app.command("backtest")(backtest)
app.command("chat")(chat)
app.command("sweep")(sweep)
app.command("serve")(serve)

_EXIT_CODES: list[tuple[type[VibeTradingError], int]] = [
    (ConfigError, 2),
    (NotFound, 3),
    (DataError, 3),
    (ProviderError, 4),
    (StrategyError, 5),
]


def exit_code_for(error: VibeTradingError) -> int:
    """Return the process exit status for `error` (1 for the unlisted branches)."""
    return next((code for kind, code in _EXIT_CODES if isinstance(error, kind)), 1)


def main() -> None:
    """Run the CLI, turning VibeTrading errors into one red line and an exit status.

    Usage errors, ``--help`` and Ctrl-C are Typer's own (exit 2, 0 and 1); anything else
    unexpected is reported as a bug, with the traceback only under VIBETRADING_DEBUG=1.
    """
    try:
        app()
    except VibeTradingError as e:
        Console(stderr=True).print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
        sys.exit(exit_code_for(e))
    except Exception as e:  # the outer boundary: report, never show a stack trace
        if os.environ.get("VIBETRADING_DEBUG"):
            raise
        logging.getLogger("vibetrading").debug("unexpected error", exc_info=True)
        Console(stderr=True).print(
            f"[bold red]internal error:[/] {type(e).__name__}: {e}\n"
            "This is a bug in VibeTrading; set VIBETRADING_DEBUG=1 to see the traceback.",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(70)


if __name__ == "__main__":
    main()
