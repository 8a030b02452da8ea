"""``vibetrading tour``: what ``make run`` shows until the web app exists."""

from __future__ import annotations

from rich.console import Console
from rich.rule import Rule

__all__ = ["tour"]

IDEA = "buy when RSI(14) is below 30 and sell above 70 with a 5% stop"
IDEA_ZH = "5日均线上穿20日均线买入，止损百分之五"  # noqa: RUF001 - Chinese punctuation


def tour() -> None:
    """Show the bundled real data, the S&P 500 through 2008, then an idea backtested on GOOG."""
    from vibetrading.bootstrap import build_backtests
    from vibetrading.cli.backtest import render_outcome
    from vibetrading.cli.data import list_symbols
    from vibetrading.cli.render import bars_panel
    from vibetrading.data import service
    from vibetrading.services.backtests import BacktestRequest

    console = Console(highlight=False)
    console.print(Rule("VibeTrading · real market data, offline"))
    list_symbols()
    console.print(Rule("The S&P 500 in 2008"))
    bars = service().load_bars("SPX", start="2008-01-01", end="2008-12-31")
    console.print(bars_panel(bars, timezone="America/New_York", name="S&P 500", rows=3))
    console.print(Rule(f"An idea in words, backtested: “{IDEA}”"))
    outcome = build_backtests().run(BacktestRequest(strategy=IDEA, symbols=("GOOG",)))
    console.print(render_outcome(outcome))
    console.print(
        f'\nNext: [bold]vibetrading strategy parse "{IDEA_ZH}"[/], '
        '[bold]vibetrading backtest --strategy "..." --symbol SPX --report report.html[/], '
        "[bold]vibetrading sweep --crossover sma --fast 5:50:5 --slow 20:200:20 --symbol SPX[/], "
        "[bold]vibetrading data import FILE.csv --symbol NAME[/]."
    )
