"""The validator: errors, warnings and suggestions in a trader's words."""

from __future__ import annotations

import pytest

from vibetrading.domain.strategy.expr import (
    AnyOf,
    Arithmetic,
    ForBars,
    IndicatorRef,
    Lag,
    all_of,
    compare,
    const,
    crosses_above,
    crosses_below,
    indicator,
    price,
)
from vibetrading.domain.strategy.feasibility import Interval, always_holds, never_holds
from vibetrading.domain.strategy.spec import Risk, Sizing, StrategySpec
from vibetrading.domain.strategy.validate import validate_spec
from vibetrading.testing.factories import make_bars

RSI = indicator("rsi", period=14)
FAST, SLOW = indicator("sma", period=50), indicator("sma", period=200)


def spec_of(entry, exit_=None, **extra) -> StrategySpec:
    return StrategySpec(entry=entry, exit=exit_, risk=Risk(stop_loss=0.05), **extra)


def test_validate_spec_sound_spec_has_no_errors_or_warnings():
    spec = spec_of(compare(RSI, "<", 30), compare(RSI, ">", 70), sizing=Sizing(value=0.5))

    report = validate_spec(spec)

    assert report.is_valid
    assert report.warnings == []
    assert [s.field for s in report.suggestions] == ["risk.take_profit"]


def test_validate_spec_unknown_indicator_offers_close_match():
    report = validate_spec(spec_of(compare(indicator("rsj"), "<", 30)))

    assert report.errors == ["Entry: Unknown indicator 'rsj'. Did you mean: rsi?"]


def test_validate_spec_unknown_output_lists_the_outputs():
    report = validate_spec(spec_of(compare(indicator("macd", "signl"), ">", 0)))

    assert "MACD has no output 'signl'; it has macd, signal, histogram" in report.errors[0]


def test_validate_spec_parameter_out_of_range_is_an_error():
    report = validate_spec(spec_of(compare(indicator("rsi", period=0), "<", 30)))

    assert report.errors == ["Entry: RSI period must be between 1 and 1000; got 0."]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (compare(RSI, ">", 120), "RSI(14) is between 0 and 100; 'RSI(14) > 120' can never hold."),
        (compare(RSI, "<", -5), "RSI(14) is between 0 and 100; 'RSI(14) < -5' can never hold."),
        (compare(150, "<", RSI), "RSI(14) is between 0 and 100; '150 < RSI(14)' can never hold."),
        (
            compare(indicator("willr"), ">", 10),
            "WILLR(14) is between -100 and 0; 'WILLR(14) > 10' can never hold.",
        ),
        (
            crosses_above(RSI, 100),
            "RSI(14) is between 0 and 100, so 'RSI(14) crosses above 100' can never happen.",
        ),
    ],
    ids=["above-100", "below-0", "constant-left", "williams", "cross-at-top"],
)
def test_validate_spec_impossible_value_is_an_error(rule, message):
    report = validate_spec(spec_of(rule))

    assert report.errors == [f"Entry can never hold: {message}"]


def test_validate_spec_contradictory_all_is_an_error():
    rule = all_of(compare(RSI, ">", 80), compare(IndicatorRef(name="RSI"), "<", 20))

    report = validate_spec(spec_of(rule))

    assert report.errors == [
        "Entry can never hold: 'RSI(14) > 80' and 'RSI(14) < 20' can never hold together."
    ]


def test_validate_spec_cross_above_and_below_same_pair_is_an_error():
    rule = all_of(crosses_above(FAST, SLOW), crosses_below(FAST, SLOW))

    report = validate_spec(spec_of(rule))

    assert "can never hold together" in report.errors[0]


def test_validate_spec_false_constant_comparison_is_an_error():
    report = validate_spec(spec_of(all_of(compare(RSI, "<", 30), compare(3, ">", 5))))

    assert report.errors == ["Entry can never hold: '3 > 5' is always false."]


def test_validate_spec_different_periods_are_not_a_contradiction():
    rule = all_of(compare(RSI, ">", 80), compare(indicator("rsi", period=2), "<", 20))

    report = validate_spec(spec_of(rule))

    assert report.is_valid


def test_validate_spec_impossible_alternative_is_only_a_warning():
    rule = AnyOf(items=[compare(RSI, "<", 30), compare(RSI, ">", 130)])

    report = validate_spec(spec_of(rule))

    assert report.is_valid
    assert any("one alternative can never hold" in w for w in report.warnings)


def test_validate_spec_always_true_condition_is_a_warning():
    report = validate_spec(spec_of(all_of(compare(price(), ">", FAST), compare(RSI, "<", 120))))

    assert report.is_valid
    assert (
        "Entry: RSI(14) is between 0 and 100; 'RSI(14) < 120' always holds." in (report.warnings[0])
    )


def test_validate_spec_identical_entry_and_exit_is_a_warning():
    rule = crosses_above(FAST, SLOW)

    report = validate_spec(spec_of(rule, rule))

    assert report.warnings[0].startswith("The exit rule is the same as the entry rule")


def test_validate_spec_no_exit_at_all_warns_and_suggests_stop_and_target():
    spec = StrategySpec(entry=crosses_above(FAST, SLOW))

    report = validate_spec(spec)

    assert report.warnings[0].startswith("No exit: there is no exit rule")
    assert "Suggested: a 5% stop-loss and a 10% take-profit" in report.warnings[0]
    suggested = {s.field: s.value for s in report.suggestions}
    assert suggested["risk.stop_loss"] == 0.05
    assert suggested["risk.take_profit"] == 0.10
    assert spec.risk.stop_loss is None


def test_validate_spec_risk_exit_only_is_not_warned():
    spec = StrategySpec(entry=crosses_above(FAST, SLOW), risk=Risk(trailing_stop=0.1))

    report = validate_spec(spec)

    assert not any(w.startswith("No exit") for w in report.warnings)


def test_validate_spec_no_sizing_suggests_a_size():
    report = validate_spec(StrategySpec(entry=compare(RSI, "<", 30)))

    sizing = next(s for s in report.suggestions if s.field == "sizing")
    assert sizing.value == {"method": "percent_equity", "value": 1.0}
    assert sizing.as_dict()["reason"].startswith("No position size given")


def test_validate_spec_with_bars_scales_the_stop_to_volatility(spx):
    report = validate_spec(StrategySpec(entry=compare(RSI, "<", 30)), spx)

    stop = next(s.value for s in report.suggestions if s.field == "risk.stop_loss")
    target = next(s.value for s in report.suggestions if s.field == "risk.take_profit")
    assert 0.03 <= stop <= 0.06
    assert target == pytest.approx(2 * stop)


def test_validate_spec_rule_that_never_fires_reports_the_closest_value(spx):
    spec = spec_of(compare(RSI, "<", 10), compare(RSI, ">", 70))

    report = validate_spec(spec, spx)

    assert report.signal_counts["entries"] == 0
    assert report.signal_counts["exits"] > 0
    message = next(w for w in report.warnings if w.startswith("Entry never held"))
    assert "(5,031 bars, 1999-01-04 to 2018-12-31)" in message
    assert "'RSI(14) < 10' never held; its lowest value was 13.64 on 2001-09-21." in message


def test_validate_spec_conditions_that_never_coincide_say_so(spx):
    rule = all_of(compare(RSI, ">", 70), Lag(bars=1, item=compare(RSI, "<", 30)))

    report = validate_spec(spec_of(rule), spx)

    assert report.is_valid
    assert report.warnings[0].endswith(
        "each of its conditions held on some bars, but never all together."
    )


def test_validate_spec_contradiction_over_a_streak_is_an_error():
    rule = all_of(
        ForBars(bars=5, item=compare(RSI, ">", 70)), ForBars(bars=5, item=compare(RSI, "<", 35))
    )

    report = validate_spec(spec_of(rule))

    assert report.errors == [
        "Entry can never hold: 'RSI(14) > 70' and 'RSI(14) < 35' can never hold together."
    ]


def test_validate_spec_cross_that_stays_on_one_side_says_so():
    bars = make_bars(50)
    spec = spec_of(crosses_below(price(), 1000.0))

    report = validate_spec(spec, bars)

    assert (
        "'close crosses below 1000' never happened; close stayed below it on every bar."
        in (report.warnings[0])
    )


def test_validate_spec_pairs_with_one_frame_skips_data_checks():
    other = compare(price(), ">", indicator("sma", period=5))
    spec = spec_of(all_of(other, compare(price(), ">", price().model_copy(update={"symbol": "B"}))))

    report = validate_spec(spec, make_bars(30))

    assert report.warnings[0].startswith("Data checks skipped: the rules read B")
    assert report.is_valid


def test_interval_intersection_respects_open_and_closed_ends():
    at_least = Interval(low=100.0, low_closed=True)
    at_most = Interval(high=100.0, high_closed=True)
    below = Interval(high=100.0)

    assert not at_least.intersect(at_most).is_empty
    assert at_least.intersect(below).is_empty


def test_never_holds_possible_condition_returns_none():
    assert never_holds(compare(RSI, ">=", 100)) is None
    assert always_holds(compare(RSI, "<", 99)) is None


@pytest.mark.parametrize(
    ("rule", "hint"),
    [
        (compare(price(), ">", 5000), "'close > 5000' never held; its highest value was 107"),
        (
            compare(1e6, "<", price("volume")),
            "'1000000 < volume' never held; its highest value was 9,694 on 2020-01-02.",
        ),
        (
            compare(price(), ">", Arithmetic(op="*", left=const(2), right=indicator("sma"))),
            "'close > (2 * SMA(20))' never held; the closest gap was",
        ),
        (compare(price(), "==", 50), "'close == 50' never held; its closest value was 95.01"),
        (
            compare(indicator("sma", period=500), ">", 0),
            "'SMA(500) > 0' never held; SMA(500) had no value yet (too few bars).",
        ),
    ],
    ids=["above-price", "volume", "two-series", "equal", "warm-up"],
)
def test_validate_spec_dry_rule_says_how_close_it_came(rule, hint):
    report = validate_spec(spec_of(rule), make_bars(60))

    assert hint in report.warnings[0]


@pytest.mark.parametrize(
    "entry",
    [
        crosses_above(indicator("macd"), indicator("macd", output="macd")),
        crosses_below(price("close"), price("close")),
        compare(indicator("sma", period=20), ">", indicator("sma", period=20)),
        all_of(compare(RSI, "<", 30), compare(price("close"), "<", price("close"))),
    ],
    ids=["macd-cross-itself", "close-cross-itself", "sma-above-itself", "inside-all"],
)
def test_validate_spec_line_against_itself_can_never_hold(entry):
    report = validate_spec(spec_of(entry, compare(RSI, ">", 70)))

    assert not report.is_valid
    assert "compares a line with itself" in report.errors[0]


def test_validate_spec_line_at_or_above_itself_is_not_an_error():
    report = validate_spec(spec_of(compare(FAST, ">=", FAST), compare(RSI, ">", 70)))

    assert report.is_valid
    assert not any("itself" in e for e in report.errors)
