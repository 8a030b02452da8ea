"""Pre-trade risk: limits every order path checks before an order reaches a broker."""

from vibetrading.domain.risk.checks import RiskConfig, RiskState, check_order

__all__ = ["RiskConfig", "RiskState", "check_order"]
