"""Golden cross: buy when the 50-bar SMA crosses above the 200-bar SMA, sell on the cross below.

Run it in the sandbox:
    vibetrading backtest --code examples/code_strategies/sma_cross.py --symbol SPX
"""

from vibetrading import indicators as ta


def signals(data, params):
    fast = ta.sma(data, period=params.get("fast", 50))
    slow = ta.sma(data, period=params.get("slow", 200))
    above = fast > slow
    was_above = above.shift(1, fill_value=False)
    entries = above & ~was_above
    exits = ~above & was_above
    return entries, exits
