"""render_spec: canonical sentences, and parse(render(spec)) == spec in both languages."""

# Chinese text keeps its full-width punctuation on purpose.

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vibetrading.domain.data.bars import Timeframe
from vibetrading.domain.indicators import REGISTRY
from vibetrading.domain.strategy.dsl import canonical_indicator, parse_strategy
from vibetrading.domain.strategy.expr import (
    AllOf,
    AnyOf,
    Arithmetic,
    BarsSince,
    Compare,
    Constant,
    Cross,
    ForBars,
    Highest,
    Lag,
    Lowest,
    Not,
    PriceField,
    WithinBars,
    compare,
    crosses_below,
    indicator,
)
from vibetrading.domain.strategy.render import format_percent, name_spec, render_spec
from vibetrading.domain.strategy.spec import Risk, Sizing, StrategySpec
from vibetrading.domain.strategy.validate import validate_spec

COMPARED_FIELDS = (
    "universe", "timeframe", "direction", "entry", "exit", "short_entry", "short_exit",
    "risk", "sizing",
)  # fmt: skip
UNIVERSE_POOL = ["SPX", "AAPL", "0700.HK", "600519.SH", "BTC/USDT", "TSLA"]
PAIR_POOL = ["MSFT", "9988.HK", "EURUSD", "ETH/USDT"]
INDICATORS = sorted(REGISTRY)
PRICES = ("close", "open", "high", "low", "volume")

# -- generators ------------------------------------------------------------------------


@st.composite
def indicator_refs(draw: st.DrawFn, *, nested: bool = True) -> Any:
    info = REGISTRY[draw(st.sampled_from(INDICATORS))]
    params: dict[str, Any] = {}
    for param in info.params:
        high = min(int(param.maximum), 250)
        low = max(int(param.minimum), 1)
        value = draw(st.integers(low, high))
        params[param.name] = value if param.is_integer else float(value)
    output = draw(st.sampled_from(info.outputs)) if len(info.outputs) > 1 else None
    source = None
    if nested and len(info.inputs) == 1 and draw(st.integers(0, 4)) == 0:
        source = draw(
            st.one_of(
                st.sampled_from([PriceField(field=f) for f in ("open", "high", "low")]),
                indicator_refs(nested=False),
            )
        )
    symbol = None
    if source is None and draw(st.integers(0, 6)) == 0:
        symbol = draw(st.sampled_from(PAIR_POOL))
    return canonical_indicator(info.name, params, output, input=source, symbol=symbol)


@st.composite
def prices(draw: st.DrawFn) -> PriceField:
    symbol = draw(st.sampled_from(PAIR_POOL)) if draw(st.integers(0, 6)) == 0 else None
    return PriceField(field=draw(st.sampled_from(PRICES)), symbol=symbol)


constants = st.integers(-100_000, 100_000).map(lambda cents: Constant(value=cents / 100))
bars_counts = st.integers(1, 60)
leaf_values = st.one_of(indicator_refs(), prices(), constants)


def values(depth: int) -> st.SearchStrategy[Any]:
    if depth <= 0:
        return leaf_values
    inner = values(depth - 1)
    numeric = st.one_of(indicator_refs(), prices())
    return st.one_of(
        leaf_values,
        st.builds(Arithmetic, op=st.sampled_from("+-*/"), left=inner, right=inner),
        st.builds(Highest, bars=bars_counts, item=st.one_of(numeric, inner)),
        st.builds(Lowest, bars=bars_counts, item=st.one_of(numeric, inner)),
        st.builds(Lag, bars=bars_counts, item=st.one_of(numeric, inner)),
        st.builds(BarsSince, item=conditions(depth - 1)),
    )


@st.composite
def relations(draw: st.DrawFn, depth: int) -> Any:
    left = draw(values(depth))
    right = draw(values(depth))
    assume(not (left.kind == "const" and right.kind == "const"))
    # a line crossing itself never fires: the parser reports it as a contradiction
    assume(left != right)
    if draw(st.booleans()):
        return Compare(op=draw(st.sampled_from([">", ">=", "<", "<=", "==", "!="])),
                       left=left, right=right)  # fmt: skip
    return Cross(direction=draw(st.sampled_from(["above", "below"])), left=left, right=right)


def conditions(depth: int) -> st.SearchStrategy[Any]:
    base = relations(max(depth - 1, 0))
    if depth <= 0:
        return base
    inner = conditions(depth - 1)
    pieces = st.lists(inner, min_size=2, max_size=3)
    return st.one_of(
        base,
        st.builds(AllOf, items=pieces),
        st.builds(AnyOf, items=pieces),
        st.builds(Not, item=inner),
        st.builds(ForBars, bars=bars_counts, item=inner),
        st.builds(WithinBars, bars=bars_counts, item=inner),
        st.builds(Lag, bars=bars_counts, item=inner),
    )


fractions = st.integers(1, 9_999).map(lambda n: n / 10_000)
risks = st.builds(
    Risk,
    stop_loss=st.none() | fractions,
    take_profit=st.none() | st.integers(1, 50_000).map(lambda n: n / 10_000),
    trailing_stop=st.none() | fractions,
    max_holding_bars=st.none() | st.integers(1, 500),
)
percents = st.integers(1, 150).map(lambda n: n / 100)
sizings = st.one_of(
    st.just(Sizing()),
    st.builds(Sizing, method=st.just("percent_equity"), value=percents),
    st.builds(Sizing, method=st.just("fixed_cash"), value=st.integers(100, 100_000).map(float)),
    st.builds(
        Sizing, method=st.just("fixed_quantity"), value=st.integers(1, 2_000).map(lambda n: n / 2)
    ),
    st.just(Sizing(method="equal_weight", value=1.0)),
    st.builds(Sizing, method=st.just("volatility_target"), value=percents.filter(lambda v: v < 1)),
)


universes = st.lists(st.sampled_from(UNIVERSE_POOL), min_size=1, max_size=2, unique=True)


@st.composite
def specs(draw: st.DrawFn) -> StrategySpec:
    direction = draw(st.sampled_from(["long", "short", "both"]))
    entry = draw(conditions(2))
    exit_rule = draw(
        st.none() | conditions(1) | st.builds(Lag, bars=bars_counts, item=st.just(entry))
    )
    fields: dict[str, Any] = {
        "universe": draw(universes),
        "timeframe": draw(st.sampled_from(list(Timeframe))),
        "direction": direction,
        "entry": entry,
        "exit": exit_rule,
        "risk": draw(risks),
        "sizing": draw(sizings),
    }  # fmt: skip
    if direction == "both":
        fields["short_entry"] = draw(st.none() | conditions(1))
        fields["short_exit"] = draw(st.none() | conditions(1))
    spec = StrategySpec(**fields)
    assume(not validate_spec(spec).errors)
    return spec


def compared(spec: StrategySpec) -> dict[str, Any]:
    return {name: getattr(spec, name) for name in COMPARED_FIELDS}


# -- round trip ------------------------------------------------------------------------

ROUND_TRIP = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@ROUND_TRIP
@given(spec=specs())
def test_parse_render_english_round_trips(spec: StrategySpec):
    text = render_spec(spec, "en")

    result = parse_strategy(text)

    assert result.errors == [], text
    assert result.unparsed == [], text
    assert compared(result.spec) == compared(spec), text


@ROUND_TRIP
@given(spec=specs())
def test_parse_render_chinese_round_trips(spec: StrategySpec):
    text = render_spec(spec, "zh")

    result = parse_strategy(text)

    assert result.errors == [], text
    assert result.unparsed == [], text
    assert compared(result.spec) == compared(spec), text


# -- canonical sentences ---------------------------------------------------------------

RSI = indicator("rsi", period=14)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Buy SPX when RSI(14) crosses below 30; sell when RSI(14) crosses above 70; "
               "stop loss 5%."),
        ("zh", "当RSI(14)下穿30时买入标普500；当RSI(14)上穿70时卖出；止损5%。"),
    ],
    ids=["en", "zh"],
)  # fmt: skip
def test_render_spec_rsi_reversal_reads_as_the_canonical_sentence(lang, expected):
    spec = StrategySpec(
        entry=crosses_below(RSI, 30),
        exit=Cross(direction="above", left=RSI, right=Constant(value=70)),
        risk=Risk(stop_loss=0.05),
    )

    text = render_spec(spec, lang)

    assert text == expected


def test_render_spec_hold_exit_reads_as_hold_then_sell():
    entry = compare(RSI, "<", 30)
    spec = StrategySpec(entry=entry, exit=Lag(bars=5, item=entry), universe=["AAPL"])

    text = render_spec(spec, "en")

    assert text == "Buy AAPL when RSI(14) is below 30; hold 5 bars then sell."


def test_render_spec_nested_groups_carry_parentheses():
    a, b, c = (compare(RSI, op, v) for op, v in ((">", 30), ("<", 70), ("!=", 50)))
    spec = StrategySpec(entry=AllOf(items=[AnyOf(items=[a, b]), c]))

    text = render_spec(spec, "en")

    assert "(RSI(14) is above 30 or RSI(14) is below 70) and RSI(14) does not equal 50" in text


def test_render_spec_settings_and_defaults_are_spelled_out_only_when_set():
    spec = StrategySpec(
        entry=compare(RSI, "<", 30),
        direction="short",
        timeframe=Timeframe.H1,
        sizing=Sizing(method="fixed_cash", value=10_000),
        risk=Risk(take_profit=0.1, trailing_stop=0.03, max_holding_bars=20),
    )

    text = render_spec(spec, "en")

    assert text == (
        "Sell short SPX when RSI(14) is below 30; take profit 10%; trailing stop 3%; "
        "hold at most 20 bars; $10000 per trade; hourly bars."
    )


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(0.05, "5%"), (0.1234, "12.34%"), (0.0001, "0.01%"), (1.5, "150%")],
    ids=["five", "decimals", "tiny", "above-one"],
)
def test_format_percent_fraction_reads_back_exactly(fraction, expected):
    text = format_percent(fraction)

    assert text == expected


@pytest.mark.parametrize(
    ("lang", "name"),
    [
        ("en", "20-bar high / 10-bar low strategy on BTC/USDT"),
        ("zh", "比特币 20根K线高点 / 10根K线低点策略"),
    ],
)
def test_name_spec_names_channel_breakouts_by_their_highs_and_lows(lang: str, name: str) -> None:
    spec = parse_strategy(
        "buy BTC when price breaks the 20-day high, sell when it breaks the 10-day low"
    ).spec
    assert spec is not None

    assert name_spec(spec, lang) == name  # type: ignore[arg-type]
