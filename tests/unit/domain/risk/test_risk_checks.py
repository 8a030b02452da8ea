import pytest
from pydantic import ValidationError

from vibetrading.domain.risk import RiskConfig, RiskState, check_order


def state(position=0.0, price=100.0, equity=10_000.0, day_start=10_000.0):
    return RiskState(position=position, price=price, equity=equity, day_start_equity=day_start)


@pytest.mark.parametrize(
    ("config", "side", "quantity", "account", "expected"),
    [
        (RiskConfig(max_order_notional=1_000), 1, 20, state(), "order notional 2,000.00"),
        (RiskConfig(max_order_notional=1_000), 1, 5, state(), None),
        (RiskConfig(max_position_notional=1_500), 1, 10, state(position=10), "position value"),
        (RiskConfig(max_position_notional=1_500), -1, 5, state(position=10), None),
        (RiskConfig(max_daily_loss=500), 1, 1, state(equity=9_400), "today's loss 600.00"),
        (RiskConfig(max_daily_loss=500), -1, 1, state(position=5, equity=9_400), None),
        (RiskConfig(), 1, 1e9, state(), None),
    ],
    ids=["notional", "notional-ok", "position", "reducing", "daily-loss", "loss-closing", "off"],
)
def test_check_order_reports_breached_limit(config, side, quantity, account, expected):
    problem = check_order(config, side=side, quantity=quantity, state=account)

    if expected is None:
        assert problem is None
    else:
        assert expected in problem


def test_risk_config_refuses_unknown_keys_and_negative_caps():
    with pytest.raises(ValidationError):
        RiskConfig(max_order=1)
    with pytest.raises(ValidationError):
        RiskConfig(max_daily_loss=-1)
