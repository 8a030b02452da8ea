"""The pre-trade risk check: order notional cap, position cap and daily loss cap.

Every broker path (paper, dry run, live) calls ``check_order`` before an order is
accepted; a breach returns a sentence saying which limit and by how much, and the broker
rejects the order with ``RejectReason.RISK_LIMIT``. Orders that only reduce a position
are never refused by the position or loss caps: closing risk is always allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["RiskConfig", "RiskState", "check_order"]


class RiskConfig(BaseModel):
    """Pre-trade limits; None switches a limit off."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_order_notional: float | None = Field(
        default=None, gt=0, description="Largest notional of one order, quote currency."
    )
    max_position_notional: float | None = Field(
        default=None, gt=0, description="Largest absolute position value per symbol after a fill."
    )
    max_daily_loss: float | None = Field(
        default=None,
        gt=0,
        description="Loss since the session's start equity that stops new risk, quote currency.",
    )


@dataclass(frozen=True)
class RiskState:
    """What the check needs to know about the account when an order arrives."""

    position: float  # signed units held in the order's symbol
    price: float  # the price the order is valued at (last close, or its limit)
    equity: float
    day_start_equity: float


def check_order(config: RiskConfig, *, side: int, quantity: float, state: RiskState) -> str | None:
    """Return why the order breaks a limit, or None when it passes.

    `side` is +1 buy / -1 sell; `quantity` in units (an estimate for orders sized at
    their fill).

    >>> check_order(RiskConfig(max_order_notional=1_000), side=1, quantity=20,
    ...             state=RiskState(position=0, price=100, equity=10_000, day_start_equity=10_000))
    'order notional 2,000.00 is over the cap of 1,000.00'
    """
    notional = abs(quantity) * state.price
    if config.max_order_notional is not None and notional > config.max_order_notional:
        return f"order notional {notional:,.2f} is over the cap of {config.max_order_notional:,.2f}"
    after = state.position + side * quantity
    is_reducing = abs(after) < abs(state.position) and after * state.position >= 0
    if is_reducing:
        return None
    exposure = abs(after) * state.price
    if config.max_position_notional is not None and exposure > config.max_position_notional:
        return (
            f"position value {exposure:,.2f} would be over the cap of "
            f"{config.max_position_notional:,.2f}"
        )
    loss = state.day_start_equity - state.equity
    if config.max_daily_loss is not None and loss >= config.max_daily_loss:
        return f"today's loss {loss:,.2f} has reached the daily cap of {config.max_daily_loss:,.2f}"
    return None
