"""The markets VibeTrading serves and their default rules."""

from __future__ import annotations

import warnings
from enum import StrEnum
from functools import lru_cache
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from vibetrading.domain.trading.costs import CostModel

__all__ = ["AssetClass", "Market", "MarketRules", "get_calendar", "market_rules"]

CALENDAR_START = "1990-01-01"


class Market(StrEnum):
    """A venue family with one set of trading rules."""

    US = "US"
    HK = "HK"
    SH = "SH"  # Shanghai Stock Exchange (China A-shares)
    SZ = "SZ"  # Shenzhen Stock Exchange (China A-shares)
    CRYPTO = "CRYPTO"
    FX = "FX"
    GENERIC = "GENERIC"  # a user's own series with no known market: whole units, no costs


class AssetClass(StrEnum):
    """What kind of instrument a symbol is."""

    EQUITY = "equity"
    INDEX = "index"
    CRYPTO = "crypto"
    FX = "fx"
    OTHER = "other"


class MarketRules(BaseModel):
    """The default rules of one market; a Symbol may override the lot size."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    market: Market
    currency: str = Field(description="ISO code of the quote currency.")
    timezone: str = Field(description="IANA timezone in which the exchange shows times.")
    calendar_name: str = Field(description="exchange-calendars name, or 24/7 / 24/5.")
    lot_size: float = Field(description="Units per board lot for buys.")
    sell_lot_size: float = Field(description="Units per lot for sells (odd lots may be sold).")
    quantity_step: float = Field(description="Smallest tradable quantity increment.")
    t_plus: int = Field(default=0, ge=0, description="Sessions before bought units may be sold.")
    price_limit_rate: float | None = Field(
        default=None, description="Daily price limit as a fraction of the previous close."
    )
    allows_shorting: bool = Field(description="Whether short selling is allowed by default.")
    annualisation: int = Field(description="Sessions (days) per year used to annualise metrics.")
    costs: CostModel = Field(description="Default cost model.")


_RULES: dict[Market, MarketRules] = {
    Market.US: MarketRules(
        market=Market.US,
        currency="USD",
        timezone="America/New_York",
        calendar_name="XNYS",
        lot_size=1,
        sell_lot_size=1,
        quantity_step=1,
        allows_shorting=True,
        annualisation=252,
        costs=CostModel(commission_per_share=0.005, commission_min=1.0),
    ),
    Market.HK: MarketRules(
        market=Market.HK,
        currency="HKD",
        timezone="Asia/Hong_Kong",
        calendar_name="XHKG",
        lot_size=100,
        sell_lot_size=100,
        quantity_step=1,
        allows_shorting=False,
        annualisation=252,
        costs=CostModel(
            commission_rate=0.0003,
            commission_min=3.0,
            stamp_duty_buy_rate=0.001,
            stamp_duty_sell_rate=0.001,
            levy_rate=0.0000842,
        ),
    ),
    Market.SH: MarketRules(
        market=Market.SH,
        currency="CNY",
        timezone="Asia/Shanghai",
        calendar_name="XSHG",
        lot_size=100,
        sell_lot_size=1,
        quantity_step=1,
        t_plus=1,
        price_limit_rate=0.10,
        allows_shorting=False,
        annualisation=252,
        costs=CostModel(
            commission_rate=0.00025,
            commission_min=5.0,
            stamp_duty_sell_rate=0.0005,
            levy_rate=0.00001,
        ),
    ),
    Market.CRYPTO: MarketRules(
        market=Market.CRYPTO,
        currency="USDT",
        timezone="UTC",
        calendar_name="24/7",
        lot_size=0.000001,
        sell_lot_size=0.000001,
        quantity_step=0.000001,
        allows_shorting=False,
        annualisation=365,
        costs=CostModel(commission_rate=0.001),
    ),
    Market.FX: MarketRules(
        market=Market.FX,
        currency="USD",
        timezone="UTC",
        calendar_name="24/5",
        lot_size=1000,
        sell_lot_size=1000,
        quantity_step=1000,
        allows_shorting=True,
        annualisation=260,
        costs=CostModel(slippage_bps=0.5),
    ),
    Market.GENERIC: MarketRules(
        market=Market.GENERIC,
        currency="USD",
        timezone="UTC",
        calendar_name="24/7",
        lot_size=1,
        sell_lot_size=1,
        quantity_step=1,
        allows_shorting=True,
        annualisation=252,
        costs=CostModel(),
    ),
}
# Shenzhen trades on the Shanghai calendar (exchange-calendars has no XSHE; the holidays are one).
_RULES[Market.SZ] = _RULES[Market.SH].model_copy(update={"market": Market.SZ})


def market_rules(market: Market) -> MarketRules:
    """Return the default rules of `market`."""
    return _RULES[market]


@lru_cache(maxsize=8)
def get_calendar(name: str) -> Any:
    """Return the exchange-calendars calendar `name`, covering 1990 to next year."""
    import exchange_calendars as xcals

    with warnings.catch_warnings():
        # exchange-calendars 4.x reads Series.values and DatetimeIndex.weekday, which pandas 3
        # deprecates (Pandas4Warning); the values it reads are correct either way.
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return xcals.get_calendar(name, start=pd.Timestamp(CALENDAR_START))
        except ValueError:  # a calendar whose history starts later than 1990
            return xcals.get_calendar(name)
