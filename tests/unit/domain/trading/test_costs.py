import pytest
from hypothesis import given
from hypothesis import strategies as st

from vibetrading.domain.trading import CostModel, Market, market_rules


def test_cost_model_minimum_commission_applies_to_small_orders():
    costs = CostModel(commission_rate=0.00025, commission_min=5.0)

    assert costs.commission(10_000.0, 100) == 5.0
    assert costs.commission(100_000.0, 1_000) == pytest.approx(25.0)


def test_cost_model_a_share_stamp_duty_only_on_sells():
    costs = market_rules(Market.SH).costs

    buy = costs.total(100_000.0, 1_000, is_buy=True)
    sell = costs.total(100_000.0, 1_000, is_buy=False)

    assert sell - buy == pytest.approx(100_000.0 * 0.0005)


def test_cost_model_hong_kong_stamp_duty_both_sides():
    costs = market_rules(Market.HK).costs

    assert costs.total(100_000.0, 100, is_buy=True) == pytest.approx(
        costs.total(100_000.0, 100, is_buy=False)
    )
    assert costs.total(100_000.0, 100, is_buy=True) > 100.0


def test_cost_model_misspelled_field_rejected():
    with pytest.raises(ValueError, match="comission_rate"):
        CostModel(comission_rate=0.001)  # type: ignore[call-arg]


@given(
    notional=st.floats(0, 1e9, allow_nan=False),
    quantity=st.floats(0, 1e7, allow_nan=False),
    is_buy=st.booleans(),
    market=st.sampled_from(list(Market)),
)
def test_cost_model_costs_never_negative(notional, quantity, is_buy, market):
    assert market_rules(market).costs.total(notional, quantity, is_buy=is_buy) >= 0
