"""RSI mean reversion: buy when the 14-bar RSI dips below 30, sell when it climbs above 55.

Run it in the sandbox:
    vibetrading backtest --code examples/code_strategies/rsi_reversion.py --symbol SPX
"""

from vibetrading import indicators as ta


def signals(data, params):
    rsi = ta.rsi(data, period=params.get("period", 14))
    entries = (rsi < params.get("low", 30)).fillna(False)
    exits = (rsi > params.get("high", 55)).fillna(False)
    return entries, exits
