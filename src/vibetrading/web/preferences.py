"""A user's preferences as the pages use them: default costs and their own copilot.

With a ``UserSettingsService`` the costs and the LLM provider are stored per user (the
key encrypted); without one the costs are kept per browser and the process copilot is
used. `copilot_for` gives a user whose settings name an LLM provider the process
copilot talking to that provider with that user's key.
"""

from __future__ import annotations

import logging
from typing import Any

from vibetrading.errors import VibeTradingError
from vibetrading.services.user_settings import check_costs
from vibetrading.web.state import WebServices

__all__ = ["copilot_for", "cost_defaults", "save_cost_defaults"]

_logger = logging.getLogger(__name__)


def cost_defaults(services: WebServices, owner: str) -> dict[str, float]:
    """Return the user's saved default costs as ``BacktestRequest`` overrides."""
    if services.user_settings is not None:
        overrides: dict[str, float] = services.user_settings.costs(owner).as_overrides()
        return overrides
    try:
        from nicegui import app

        stored = dict(app.storage.user.get("costs", {}))
    except (RuntimeError, AssertionError):
        return {}
    return {
        k: float(v)
        for k, v in stored.items()
        if k in ("fee_rate", "slippage_bps") and v is not None
    }


def save_cost_defaults(
    services: WebServices, owner: str, *, fee_rate: float | None, slippage_bps: float | None
) -> None:
    """Store the user's default costs; raise ConfigError for a value out of range."""
    if services.user_settings is not None:
        services.user_settings.save_costs(owner, fee_rate=fee_rate, slippage_bps=slippage_bps)
        return
    from nicegui import app

    costs = check_costs(fee_rate=fee_rate, slippage_bps=slippage_bps)
    app.storage.user["costs"] = {"fee_rate": costs.fee_rate, "slippage_bps": costs.slippage_bps}


def copilot_for(services: WebServices, owner: str) -> Any:
    """Return the copilot of `owner`: the process one, on the user's own LLM when set.

    A user's provider that cannot be built (key no longer decryptable, unknown preset)
    falls back to the process copilot, with a warning in the log.
    """
    base = services.copilot
    if base is None or services.user_settings is None or services.llm_factory is None:
        return base
    try:
        credentials = services.user_settings.llm_credentials(owner)
        if credentials is None:
            return base
        llm = services.llm_factory(
            provider=credentials.provider,
            api_key=credentials.api_key,
            base_url=credentials.base_url,
            model=credentials.model,
        )
    except VibeTradingError as e:
        _logger.warning("the user's LLM provider is not usable: %s", e)
        return base
    return base.with_llm(llm, secrets=[credentials.api_key or ""])
