"""Strategy speed: compiling a typical spec on ten years of daily bars, against pandas."""

from __future__ import annotations

import pandas as pd

from _timing import Case, measure, print_cases
from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.domain.data import Timeframe
from vibetrading.domain.strategy.compile import compile_signals
from vibetrading.domain.strategy.expr import all_of, any_of, compare, crosses_above, crosses_below
from vibetrading.domain.strategy.expr import indicator as ind
from vibetrading.domain.strategy.spec import StrategySpec
from vibetrading.domain.strategy.templates import TEMPLATES
from vibetrading.domain.strategy.validate import validate_spec
from vibetrading.domain.trading import Symbol

SPEC = StrategySpec(
    entry=all_of(
        crosses_above(ind("sma", period=50), ind("sma", period=200)),
        compare(ind("rsi", period=14), "<", 70),
    ),
    exit=any_of(
        crosses_below(ind("sma", period=50), ind("sma", period=200)),
        compare(ind("rsi", period=14), ">", 80),
    ),
)


def pandas_signals(bars: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The same signals with plain pandas rolling operations (Wilder RSI via ewm)."""
    close = bars["close"]
    fast, slow = close.rolling(50).mean(), close.rolling(200).mean()
    change = close.diff()
    gain = change.clip(lower=0).ewm(alpha=1 / 14, adjust=False).mean()
    loss = (-change.clip(upper=0)).ewm(alpha=1 / 14, adjust=False).mean()
    rsi = 100 - 100 / (1 + gain / loss)
    above = (fast.shift(1) <= slow.shift(1)) & (fast > slow)
    below = (fast.shift(1) >= slow.shift(1)) & (fast < slow)
    return above & (rsi < 70), below | (rsi > 80)


def pandas_squeeze(bars: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The volatility template's signals with plain pandas rolling operations."""
    close = bars["close"]
    middle, std = close.rolling(20).mean(), close.rolling(20).std(ddof=0)
    upper = middle + 2 * std
    width = (4 * std) / middle
    squeeze = width <= width.rolling(120).min().shift(1)
    recent = squeeze.astype(float).rolling(10, min_periods=1).max() > 0
    breakout = (close.shift(1) <= upper.shift(1)) & (close > upper)
    below = (close.shift(1) >= middle.shift(1)) & (close < middle)
    return recent & breakout, below


def vectorbt_signals(bars: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The same signals with vectorbt's indicator factory (MA and RSI)."""
    import vectorbt as vbt

    close = bars["close"]
    fast, slow = vbt.MA.run(close, 50), vbt.MA.run(close, 200)
    rsi = vbt.RSI.run(close, 14)
    entries = fast.ma_crossed_above(slow) & rsi.rsi_below(70)
    exits = fast.ma_crossed_below(slow) | rsi.rsi_above(80)
    return entries, exits


def run() -> list[Case]:
    bars = SampleProvider().fetch_bars(Symbol.parse("SPX"), timeframe=Timeframe.D1).bars
    bars = bars.loc["2009-01-01":"2018-12-31"]
    cases = []
    ours = measure(lambda: compile_signals(SPEC, bars), repeat=51)
    peer = measure(lambda: pandas_signals(bars), repeat=51)
    name = f"compile SMA cross + RSI filter ({len(bars)} bars)"
    cases.append(Case(name, ours, "pandas rolling", peer, "a few ms"))
    try:
        vectorbt_signals(bars)
    except ImportError:
        pass
    else:
        peer = measure(lambda: vectorbt_signals(bars), repeat=21)
        cases.append(Case(name, ours, "vectorbt MA/RSI", peer, "a few ms"))
    spec = TEMPLATES["volatility"].build()
    ours = measure(lambda: compile_signals(spec, bars), repeat=21)
    peer = measure(lambda: pandas_squeeze(bars), repeat=21)
    cases.append(
        Case("compile the Bollinger squeeze template", ours, "pandas rolling", peer, "a few ms")
    )
    ours = measure(lambda: validate_spec(SPEC, bars), repeat=21)
    peer = measure(lambda: compile_signals(SPEC, bars), repeat=21)
    cases.append(
        Case("validate the spec, data checks included", ours, "compile only", peer, "< 20 ms")
    )
    print_cases("Strategy", cases)
    return cases


if __name__ == "__main__":
    run()
