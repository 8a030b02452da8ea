"""The composition root of paper trading: wire the store, brokers and market data.

Kept beside ``bootstrap.py`` (same role, outside the layers) so the paper service can be
built by the CLI, the API and the scheduler alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from vibetrading.domain.risk import RiskConfig
from vibetrading.domain.trading import CostModel, Symbol
from vibetrading.domain.trading.enums import TradingMode
from vibetrading.errors import ConfigError
from vibetrading.services.auth import LOCAL_EMAIL
from vibetrading.settings import Settings

if TYPE_CHECKING:
    from vibetrading.services.paper import PaperTradingService, SavedStrategy
    from vibetrading.services.ports import SimulatedBroker, Store
    from vibetrading.services.runner import EventCallback

__all__ = [
    "LOCAL_USER_EMAIL",
    "build_paper",
    "build_paper_service",
    "build_simulated_broker",
    "paper_risk",
]

LOCAL_USER_EMAIL = LOCAL_EMAIL  # the server's local-mode user: its UI shows the CLI's runners
_NO_LOGIN = "!"  # not a hash: no password matches it, the local user never logs in


def build_simulated_broker(
    mode: TradingMode,
    symbols: dict[str, Symbol],
    cash: float,
    risk: RiskConfig,
    costs: dict[str, CostModel],
    *,
    max_volume_share: float | None = None,
) -> SimulatedBroker:
    """Return the paper broker (PAPER) or the dry-run broker (DRY_RUN) of an account.

    Orders are checked against the exchange calendar (``is_market_open``: a manual
    order outside the session is rejected as "market closed"); `max_volume_share` caps
    each fill at that share of the bar's volume (partial fills).
    """
    from vibetrading.adapters.brokers.paper import DryRunBroker, PaperBroker, is_market_open

    options: dict[str, Any] = {
        "cash": cash,
        "risk": risk,
        "costs": costs,
        "max_volume_share": max_volume_share,
        "market_open": is_market_open,
    }
    if mode is TradingMode.PAPER:
        return PaperBroker(symbols, **options)
    if mode is TradingMode.DRY_RUN:
        return DryRunBroker(symbols, **options)
    raise ConfigError(f"No simulated broker for mode {mode.value}.")


def paper_risk(settings: Settings, **overrides: float | None) -> RiskConfig:
    """Return the pre-trade caps of `settings` (``paper_max_*``), with non-None overrides."""
    values = {
        "max_order_notional": settings.paper_max_order_notional,
        "max_position_notional": settings.paper_max_position_notional,
        "max_daily_loss": settings.paper_max_daily_loss,
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return RiskConfig(**values)
    except ValidationError as e:
        raise ConfigError(f"Risk caps must be positive amounts: {e.errors()[0]['msg']}.") from e


def build_paper_service(
    settings: Settings,
    store: Store,
    *,
    user_id: str | None = None,
    on_event: EventCallback | None = None,
) -> PaperTradingService:
    """Return the paper-trading service over `store` (every user's unless `user_id`).

    Saved strategies (specs, and code run by the sandbox) are read from the store's
    library; a strategy started from text, a spec file or code is saved there first.
    """
    from vibetrading.adapters.sandbox import SandboxCodeRunner
    from vibetrading.adapters.store.paper_repository import SqlPaperRunnerRepository
    from vibetrading.bootstrap import build_market_data
    from vibetrading.domain.strategy import StrategySpec
    from vibetrading.services.paper import PaperTradingService, SavedStrategy

    def save_strategy(owner: str, spec: StrategySpec | None, code: str | None) -> str:
        if spec is None:
            saved = store.strategies.create(owner, name="paper code", kind="code", code=code)
        else:
            saved = store.strategies.create(
                owner, name=spec.name or "paper strategy", kind="spec",
                spec=spec.model_dump(mode="json"),
            )  # fmt: skip
        return saved.id

    def load_strategy(owner: str, strategy_id: str) -> SavedStrategy:
        version = store.strategies.get_version(owner, strategy_id)
        spec = StrategySpec.model_validate(version.spec) if version.spec is not None else None
        return SavedStrategy(spec=spec, code=version.code)

    database: Any = getattr(store, "database", None)
    if database is None:
        raise ConfigError("Paper trading needs the SQL store (its runners live in the database).")
    return PaperTradingService(
        build_market_data(settings),
        SqlPaperRunnerRepository(database),
        build_simulated_broker,
        load_strategy=load_strategy,
        save_strategy=save_strategy,
        user_id=user_id,
        on_event=on_event,
        code_runner=SandboxCodeRunner(),
    )


def build_paper(settings: Settings | None = None) -> PaperTradingService:
    """Return the paper-trading service of the local user over the database of `settings`."""
    from vibetrading.bootstrap import build_store
    from vibetrading.settings import get_settings

    settings = settings or get_settings()
    store = build_store(settings)
    user = store.users.get_by_email(LOCAL_USER_EMAIL) or store.users.create(
        email=LOCAL_USER_EMAIL, password_hash=_NO_LOGIN, display_name="Local user"
    )
    built: Any = store  # SqlStore, structurally a Store
    return build_paper_service(settings, built, user_id=user.id)
