"""The composition root of paper trading: wire the store, brokers and market data.

Kept beside ``bootstrap.py`` (same role, outside the layers) so the paper service can be
built by the CLI, the API and the scheduler alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vibetrading.domain.risk import RiskConfig
from vibetrading.domain.trading import CostModel, Symbol
from vibetrading.domain.trading.enums import TradingMode
from vibetrading.errors import ConfigError
from vibetrading.settings import Settings

if TYPE_CHECKING:
    from vibetrading.services.paper import PaperTradingService
    from vibetrading.services.ports import SimulatedBroker

__all__ = ["LOCAL_USER_EMAIL", "build_paper", "build_simulated_broker"]

LOCAL_USER_EMAIL = "local@vibetrading.localhost"
_NO_LOGIN = "!"  # not a hash: no password matches it, the local user never logs in


def build_simulated_broker(
    mode: TradingMode,
    symbols: dict[str, Symbol],
    cash: float,
    risk: RiskConfig,
    costs: dict[str, CostModel],
) -> SimulatedBroker:
    """Return the paper broker (PAPER) or the dry-run broker (DRY_RUN) of an account."""
    from vibetrading.adapters.brokers.paper import DryRunBroker, PaperBroker

    if mode is TradingMode.PAPER:
        return PaperBroker(symbols, cash=cash, risk=risk, costs=costs)
    if mode is TradingMode.DRY_RUN:
        return DryRunBroker(symbols, cash=cash, risk=risk, costs=costs)
    raise ConfigError(f"No simulated broker for mode {mode.value}.")


def build_paper(settings: Settings | None = None) -> PaperTradingService:
    """Return the paper-trading service over the database of `settings` (local user)."""
    from vibetrading.adapters.sandbox import SandboxCodeRunner
    from vibetrading.adapters.store.paper_repository import SqlPaperRunnerRepository
    from vibetrading.bootstrap import build_market_data, build_store
    from vibetrading.domain.strategy import StrategySpec
    from vibetrading.errors import NotFound
    from vibetrading.services.paper import PaperTradingService
    from vibetrading.settings import get_settings

    settings = settings or get_settings()
    store = build_store(settings)
    user = store.users.get_by_email(LOCAL_USER_EMAIL) or store.users.create(
        email=LOCAL_USER_EMAIL, password_hash=_NO_LOGIN, display_name="local"
    )

    def save_strategy(spec: StrategySpec | None, code: str | None) -> str:
        if spec is None:
            saved = store.strategies.create(user.id, name="paper code", kind="code", code=code)
        else:
            saved = store.strategies.create(
                user.id, name=spec.name or "paper strategy", kind="spec",
                spec=spec.model_dump(mode="json"),
            )  # fmt: skip
        return saved.id

    def load_strategy(strategy_id: str) -> StrategySpec:
        version = store.strategies.get_version(user.id, strategy_id)
        if version.spec is None:
            raise NotFound(f"Strategy {strategy_id} is code; the paper runner needs a spec.")
        return StrategySpec.model_validate(version.spec)

    return PaperTradingService(
        build_market_data(settings),
        SqlPaperRunnerRepository(store.database),
        build_simulated_broker,
        load_strategy=load_strategy,
        save_strategy=save_strategy,
        owner={"user_id": user.id},
        code_runner=SandboxCodeRunner(),
    )
