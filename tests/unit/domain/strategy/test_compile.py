"""The compiler: each convention of SEMANTICS.md pinned on small hand-made bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vibetrading.domain.strategy.compile import SignalCompiler, compile_expression, compile_signals
from vibetrading.domain.strategy.expr import (
    AllOf,
    Arithmetic,
    BarsSince,
    ForBars,
    Highest,
    IndicatorRef,
    Lag,
    Lowest,
    Not,
    PriceField,
    WithinBars,
    compare,
    const,
    crosses_above,
    crosses_below,
    indicator,
    price,
)
from vibetrading.domain.strategy.spec import StrategySpec
from vibetrading.errors import SpecError
from vibetrading.testing.factories import make_bars


def bars_from(close: list[float], *, high: list[float] | None = None) -> pd.DataFrame:
    values = np.asarray(close, dtype=float)
    index = pd.date_range("2021-01-04", periods=len(values), freq="B", tz="UTC", name="timestamp")
    return pd.DataFrame(
        {
            "open": values,
            "high": np.asarray(high, dtype=float) if high is not None else values,
            "low": values,
            "close": values,
            "volume": np.full(len(values), 1000.0),
        },
        index=index,
    )


def flags(values: np.ndarray) -> list[int]:
    return [int(v) for v in values]


def test_cross_above_fires_only_on_the_bar_of_the_crossing():
    bars = bars_from([1, 2, 3, 4, 5, 4, 6])

    event = compile_expression(crosses_above(price(), 3.5), bars)
    state = compile_expression(compare(price(), ">", 3.5), bars)

    assert flags(event) == [0, 0, 0, 1, 0, 0, 0]
    assert flags(state) == [0, 0, 0, 1, 1, 1, 1]


def test_cross_above_from_equal_counts_as_crossing():
    bars = bars_from([3, 3, 4])

    event = compile_expression(crosses_above(price(), 3), bars)

    assert flags(event) == [0, 0, 1]


def test_cross_below_mirrors_cross_above():
    bars = bars_from([5, 4, 3, 2, 3, 1])

    event = compile_expression(crosses_below(price(), 3), bars)

    assert flags(event) == [0, 0, 0, 1, 0, 1]


def test_compare_with_nan_is_false_for_every_operator():
    bars = bars_from([1, 2, 3, 4, 5])
    average = indicator("sma", period=3)

    results = {op: compile_expression(compare(average, op, 0), bars) for op in (">", "!=", "<")}

    assert flags(results[">"]) == [0, 0, 1, 1, 1]
    assert flags(results["!="]) == [0, 0, 1, 1, 1]
    assert flags(results["<"]) == [0, 0, 0, 0, 0]


def test_cross_right_after_warmup_is_false():
    bars = bars_from([5, 1, 1, 9, 9])

    event = compile_expression(crosses_above(price(), indicator("sma", period=3)), bars)

    assert flags(event) == [0, 0, 0, 1, 0]


def test_for_bars_holds_on_the_nth_bar_of_a_streak_and_after():
    bars = bars_from([10, 9, 8, 7, 6, 7, 6, 5, 4])
    down = compare(price(), "<", Lag(bars=1, item=price()))

    streak = compile_expression(ForBars(bars=3, item=down), bars)

    assert flags(streak) == [0, 0, 0, 1, 1, 0, 0, 0, 1]


def test_within_bars_holds_while_the_event_is_recent():
    bars = bars_from([1, 5, 1, 1, 1, 1])

    recent = compile_expression(WithinBars(bars=3, item=compare(price(), ">", 4)), bars)

    assert flags(recent) == [0, 1, 1, 1, 0, 0]


def test_highest_excludes_the_current_bar():
    bars = bars_from([1, 2, 3, 4, 5], high=[1, 2, 3, 4, 5])

    highest = compile_expression(Highest(bars=2), bars)
    breakout = compile_expression(compare(price(), ">", Highest(bars=2)), bars)

    np.testing.assert_array_equal(highest, [np.nan, np.nan, 2, 3, 4])
    assert flags(breakout) == [0, 0, 1, 1, 1]


def test_lowest_of_close_excludes_the_current_bar():
    bars = bars_from([5, 4, 6, 3])

    lowest = compile_expression(Lowest(bars=3, item=PriceField(field="close")), bars)

    np.testing.assert_array_equal(lowest, [np.nan, np.nan, np.nan, 4])


def test_hold_n_days_then_sell_is_entry_lagged_n_bars():
    bars = bars_from([1, 5, 1, 1, 5, 1, 1, 1])
    entry = crosses_above(price(), 3)
    spec = StrategySpec(entry=entry, exit=Lag(bars=2, item=entry))

    signals = compile_signals(spec, bars)

    assert flags(signals.entries) == [0, 1, 0, 0, 1, 0, 0, 0]
    assert flags(signals.exits) == [0, 0, 0, 1, 0, 0, 1, 0]


def test_the_day_after_x_is_x_lagged_one_bar():
    bars = bars_from([1, 5, 1, 1])

    after = compile_expression(Lag(bars=1, item=compare(price(), ">", 3)), bars)

    assert flags(after) == [0, 0, 1, 0]


def test_lag_of_a_value_is_nan_before_the_start():
    bars = bars_from([1, 2, 3])

    lagged = compile_expression(Lag(bars=1, item=price()), bars)

    np.testing.assert_array_equal(lagged, [np.nan, 1, 2])


def test_bars_since_counts_from_the_last_true_bar():
    bars = bars_from([1, 5, 1, 1, 5, 1])

    since = compile_expression(BarsSince(item=compare(price(), ">", 3)), bars)

    np.testing.assert_array_equal(since, [np.nan, 0, 1, 2, 0, 1])


def test_division_by_zero_is_nan_and_compares_false():
    bars = bars_from([1, 2, 3])
    ratio = Arithmetic(op="/", left=price(), right=Arithmetic(op="-", left=price(), right=const(2)))

    values = compile_expression(ratio, bars)
    held = compile_expression(compare(ratio, "<", 1e9), bars)

    assert np.isnan(values[1])
    assert flags(held) == [1, 0, 1]


def test_not_and_all_combine_conditions_bar_by_bar():
    bars = bars_from([1, 2, 3, 4])
    rule = AllOf(items=[compare(price(), ">", 1), Not(item=compare(price(), ">", 3))])

    held = compile_expression(rule, bars)

    assert flags(held) == [0, 1, 1, 0]


def test_compile_signals_without_exit_rule_gives_all_false_exits():
    bars = make_bars(50)
    spec = StrategySpec(entry=compare(price(), ">", 0))

    signals = compile_signals(spec, bars)

    assert signals.exits.dtype == bool
    assert not signals.exits.any()
    assert signals.entries.all()
    assert signals.entries.index.equals(bars.index)
    assert signals.short_entries is None


def test_compile_signals_direction_both_returns_short_series():
    bars = make_bars(50)
    spec = StrategySpec(
        direction="both",
        entry=compare(price(), ">", 0),
        short_entry=compare(price(), "<", 0),
    )

    signals = compile_signals(spec, bars)

    assert signals.short_entries is not None
    assert not signals.short_entries.any()
    assert signals.short_exits is not None
    assert not signals.short_exits.any()


def test_compile_signals_same_indicator_twice_is_computed_once():
    bars = make_bars(300)
    slow = IndicatorRef(name="MA", params={"length": 50})
    spec = StrategySpec(
        entry=crosses_above(price(), indicator("sma", period=50)),
        exit=AllOf(items=[crosses_below(price(), slow), compare(indicator("macd", "dea"), "<", 0)]),
    )

    signals = compile_signals(spec, bars)

    assert sorted(signals.indicators) == [
        "MACD(12,26,9).histogram",
        "MACD(12,26,9).macd",
        "MACD(12,26,9).signal",
        "SMA(50)",
    ]


def test_compile_signals_golden_cross_fires_on_spx(spx):
    spec = StrategySpec(
        entry=crosses_above(indicator("sma", period=50), indicator("sma", period=200)),
        exit=crosses_below(indicator("sma", period=50), indicator("sma", period=200)),
    )

    signals = compile_signals(spec, spx)

    fast, slow = spx["close"].rolling(50).mean(), spx["close"].rolling(200).mean()
    expected = (fast.shift(1) <= slow.shift(1)) & (fast > slow)
    assert signals.entries.equals(expected)
    assert 5 <= signals.entries.sum() <= 20


def test_compile_signals_pairs_reads_the_other_symbol_aligned():
    first, second = make_bars(60, seed=1), make_bars(60, seed=2).iloc[::2]
    spread = Arithmetic(op="-", left=price(), right=PriceField(field="close", symbol="B"))
    zscore = IndicatorRef(name="zscore", params={"period": 10}, input=spread)
    spec = StrategySpec(universe=["A", "B"], entry=compare(zscore, "<", -1))

    signals = compile_signals(spec, {"A": first, "B": second})

    other = second["close"].reindex(first.index, method="ffill")
    expected = first["close"] - other
    expected_z = (expected - expected.rolling(10).mean()) / expected.rolling(10).std(ddof=0)
    assert signals.entries.equals((expected_z < -1).fillna(False).astype(bool))
    assert "ZSCORE(10) of (close - close@B)" in signals.indicators


def test_compile_signals_missing_other_symbol_raises_spec_error():
    spec = StrategySpec(entry=compare(price(), ">", PriceField(field="close", symbol="GLD")))

    with pytest.raises(SpecError, match="no bars were given for it"):
        compile_signals(spec, make_bars(10))


def test_compile_signals_unknown_indicator_raises_with_suggestion():
    spec = StrategySpec(entry=compare(indicator("rsj"), "<", 30))

    with pytest.raises(SpecError, match="Did you mean: rsi"):
        compile_signals(spec, make_bars(10))


def test_condition_of_a_value_raises_spec_error():
    compiler = SignalCompiler(make_bars(10))

    with pytest.raises(SpecError, match="not a condition"):
        compiler.condition(price())


def test_indicator_input_on_multi_input_indicator_raises_spec_error():
    node = IndicatorRef(name="atr", input=price())

    with pytest.raises(SpecError, match="cannot take another series"):
        compile_expression(node, make_bars(30))


_RULE = AllOf(
    items=[
        crosses_above(indicator("ema", period=5), indicator("sma", period=12)),
        compare(indicator("rsi", period=6), "<", 70),
    ]
)
_SPEC = StrategySpec(
    entry=_RULE,
    exit=AllOf(
        items=[
            ForBars(bars=2, item=compare(price(), "<", Lag(bars=1, item=price()))),
            compare(price(), "<", Lowest(bars=5)),
        ]
    ),
    short_entry=compare(indicator("kdj", "j"), ">", 100),
    short_exit=WithinBars(bars=3, item=crosses_below(indicator("macd"), 0)),
    direction="both",
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), cut=st.integers(1, 150))
def test_compile_signals_prefix_of_bars_gives_prefix_of_signals(seed, cut):
    bars = make_bars(150, seed=seed)

    full = compile_signals(_SPEC, bars)
    prefix = compile_signals(_SPEC, bars.iloc[:cut])

    for name in ("entries", "exits", "short_entries", "short_exits"):
        assert getattr(prefix, name).equals(getattr(full, name).iloc[:cut])


def test_compile_signals_frame_is_the_specs_first_symbol():
    spec = StrategySpec(
        universe=["SPX"], entry=compare(PriceField(field="close", symbol="SPX"), ">", 0)
    )

    signals = compile_signals(spec, make_bars(5))

    assert signals.entries.all()


def test_compile_signals_indicator_on_another_symbol_is_labelled():
    bars = {"A": make_bars(40, seed=1), "B": make_bars(40, seed=2)}
    other = IndicatorRef(name="rsi", symbol="B")
    spec = StrategySpec(universe=["A", "B"], entry=compare(other, ">", indicator("rsi")))

    signals = compile_signals(spec, bars)

    assert sorted(signals.indicators) == ["RSI(14)", "RSI(14)@B"]
    assert not signals.indicators["RSI(14)"].equals(signals.indicators["RSI(14)@B"])


@pytest.mark.parametrize(
    ("bars", "symbol", "message"),
    [
        ({"A": make_bars(5), "B": make_bars(5)}, None, "Say which symbol is traded"),
        ({"A": make_bars(5)}, "C", "No bars for the traded symbol 'C'"),
    ],
    ids=["ambiguous", "missing"],
)
def test_signal_compiler_bad_symbol_raises_spec_error(bars, symbol, message):
    with pytest.raises(SpecError, match=message):
        SignalCompiler(bars, symbol=symbol)


def test_signal_compiler_missing_column_raises_spec_error():
    bars = make_bars(5).drop(columns=["volume"])

    with pytest.raises(SpecError, match="no 'volume' column"):
        compile_expression(price("volume"), bars)
    with pytest.raises(SpecError, match="needs the bar field 'volume'"):
        compile_expression(indicator("obv"), bars)


def test_signal_compiler_label_reads_like_a_formula():
    compiler = SignalCompiler(make_bars(5), symbol="A")
    node = Arithmetic(op="*", left=const(2), right=PriceField(field="close", symbol="B"))

    assert compiler.label(node) == "(2 * close@B)"
    assert compiler.label(Highest(bars=3)) == "highest"
