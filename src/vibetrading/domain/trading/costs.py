"""Trading cost models: commissions, duties, levies, fees and slippage, per market."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CostModel"]


class CostModel(BaseModel):
    """Costs of one trade, as fractions of notional unless the name says otherwise.

    Example::

        >>> CostModel(commission_rate=0.00025, commission_min=5.0).commission(10_000.0, 100)
        5.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    commission_rate: float = Field(
        default=0.0, ge=0, description="Commission as a fraction of notional."
    )
    commission_per_share: float = Field(
        default=0.0, ge=0, description="Commission per share or unit, in the quote currency."
    )
    commission_min: float = Field(
        default=0.0, ge=0, description="Minimum commission per order, in the quote currency."
    )
    stamp_duty_buy_rate: float = Field(
        default=0.0, ge=0, description="Stamp duty on buys, fraction of notional."
    )
    stamp_duty_sell_rate: float = Field(
        default=0.0, ge=0, description="Stamp duty on sells, fraction of notional."
    )
    levy_rate: float = Field(
        default=0.0,
        ge=0,
        description="Exchange levies and transfer fees on both sides, fraction of notional.",
    )
    sell_fee_rate: float = Field(
        default=0.0,
        ge=0,
        description="Regulatory fee on sells only (e.g. the US SEC fee), fraction of notional.",
    )
    slippage_bps: float = Field(
        default=0.0, ge=0, description="Adverse price move per fill, in basis points."
    )

    def commission(self, notional: float, quantity: float) -> float:
        """Return the broker commission for one order of `notional` and `quantity` units."""
        raw = notional * self.commission_rate + abs(quantity) * self.commission_per_share
        return max(raw, self.commission_min) if notional > 0 else 0.0

    def total(self, notional: float, quantity: float, *, is_buy: bool) -> float:
        """Return commission plus duties, levies and fees for one fill (never negative)."""
        notional = abs(notional)
        duty = self.stamp_duty_buy_rate if is_buy else self.stamp_duty_sell_rate
        fees = notional * (duty + self.levy_rate + (0.0 if is_buy else self.sell_fee_rate))
        return self.commission(notional, quantity) + fees
