"""``vibetrading tour``: what ``make run`` shows until the web app exists."""

from __future__ import annotations

from rich.console import Console
from rich.rule import Rule

__all__ = ["tour"]


def tour() -> None:
    """Show the bundled real data: what is available, then the S&P 500 through 2008."""
    from vibetrading.cli.data import list_symbols
    from vibetrading.cli.render import bars_panel
    from vibetrading.data import service

    console = Console(highlight=False)
    console.print(Rule("VibeTrading · real market data, offline"))
    list_symbols()
    console.print(Rule("The S&P 500 in 2008"))
    bars = service().load_bars("SPX", start="2008-01-01", end="2008-12-31")
    console.print(bars_panel(bars, timezone="America/New_York", name="S&P 500", rows=3))
    console.print(
        "\nNext: [bold]vibetrading data show GOOG --start 2010-01-01[/], "
        "[bold]vibetrading data show 0700.HK --provider demo[/] (synthetic), "
        "[bold]vibetrading data import FILE.csv --symbol NAME[/]."
    )
