"""The composition root: build services from settings, wiring adapters into ports.

Entry points (CLI, library API, and later HTTP, UI, MCP) call these builders; nothing
below them reads the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import SecretStr

from vibetrading.adapters.providers.files import read_bar_file_lines
from vibetrading.adapters.store.cache import MemoryBarCache, RedisBarCache
from vibetrading.adapters.store.parquet_store import ParquetBarStore
from vibetrading.errors import ConfigError
from vibetrading.services.market_data import MarketDataService
from vibetrading.services.ports import (
    BarCache,
    ConversationRepository,
    LLMClient,
    MarketDataProvider,
    Store,
    StrategyRepository,
)
from vibetrading.settings import Settings, get_settings

if TYPE_CHECKING:
    from vibetrading.adapters.llm.presets import Preset
    from vibetrading.adapters.store.db import SqlStore
    from vibetrading.services.backtests import BacktestService
    from vibetrading.services.copilot import CopilotService
    from vibetrading.services.user_settings import UserSettingsService

__all__ = [
    "build_backtests",
    "build_copilot",
    "build_llm_client",
    "build_llm_clients",
    "build_market_data",
    "build_store",
    "build_user_settings",
    "llm_provider_names",
    "llm_secrets",
    "provider_factories",
]


def provider_factories(settings: Settings) -> dict[str, Callable[[], MarketDataProvider]]:
    """Return a builder per provider name; each imports its library only when built."""

    def sample() -> MarketDataProvider:
        from vibetrading.adapters.providers.bundled import SampleProvider

        return SampleProvider()

    def demo() -> MarketDataProvider:
        from vibetrading.adapters.providers.demo import DemoProvider

        return DemoProvider()

    def yfinance() -> MarketDataProvider:
        from vibetrading.adapters.providers.yfinance import YFinanceProvider

        return YFinanceProvider()

    def ccxt() -> MarketDataProvider:
        from vibetrading.adapters.providers.ccxt import CcxtProvider

        return CcxtProvider(settings.ccxt_exchange, timeout_s=settings.provider_timeout_s)

    def akshare() -> MarketDataProvider:
        from vibetrading.adapters.providers.akshare import AkshareProvider

        return AkshareProvider()

    def polygon() -> MarketDataProvider:
        from vibetrading.adapters.providers.polygon import PolygonProvider

        key = settings.polygon_api_key.get_secret_value() if settings.polygon_api_key else None
        return PolygonProvider(key, timeout_s=settings.provider_timeout_s)

    return {
        "sample": sample,
        "demo": demo,
        "yfinance": yfinance,
        "ccxt": ccxt,
        "akshare": akshare,
        "polygon": polygon,
    }


def build_market_data(settings: Settings | None = None) -> MarketDataService:
    """Return the market-data service for `settings` (default: the process settings)."""
    settings = settings or get_settings()
    cache: BarCache = (
        RedisBarCache(settings.redis_url, ttl_s=settings.cache_ttl_s)
        if settings.redis_url
        else MemoryBarCache()
    )
    return MarketDataService(
        store=ParquetBarStore(settings.data_dir / "bars"),
        providers=provider_factories(settings),
        cache=cache,
        read_file=read_bar_file_lines,
    )


def build_backtests(settings: Settings | None = None) -> BacktestService:
    """Return the backtest service over the market data of `settings`."""
    from vibetrading.adapters.sandbox import SandboxCodeRunner
    from vibetrading.data import service
    from vibetrading.services.backtests import BacktestService

    return BacktestService(
        service() if settings is None else build_market_data(settings),
        code_runner=SandboxCodeRunner(),
    )


def build_store(settings: Settings | None = None) -> SqlStore:
    """Return the database store of `settings`, migrated to the newest schema first.

    The database is `settings.database_url` (PostgreSQL) or the SQLite file
    ``<home>/vibetrading.db``; concurrent starts wait on the migration lock.
    """
    from vibetrading.adapters.store.db import SqlStore, normalize_database_url, upgrade

    settings = settings or get_settings()
    store = SqlStore(normalize_database_url(settings.resolved_database_url))
    upgrade(store.database)
    return store


# -- LLM copilot ----------------------------------------------------------------------------


def build_llm_clients(
    settings: Settings | None = None, *, provider: str | None = None
) -> dict[str, LLMClient]:
    """Return an LLM client per usable provider, keyed by preset name.

    A preset is usable when its key is set (``llm_keys``, from DEEPSEEK_API_KEY and the
    like), or when it is the chosen one (`provider`, else ``llm_provider``) and needs no
    key: a local server (Ollama, vLLM) or a custom ``llm_base_url``. ``llm_model``,
    ``llm_base_url``, ``llm_api_key`` and ``llm_price_per_1k_tokens`` apply to
    ``llm_provider`` (to `provider` when ``llm_provider`` is unset). A preset's list price
    is dropped when its model or base URL is overridden, since it may not apply. Empty
    means offline.
    """
    from vibetrading.adapters.llm.openai_compat import OpenAICompatLLMClient
    from vibetrading.adapters.llm.presets import PRESETS, get_preset

    settings = settings or get_settings()
    wanted = provider or settings.llm_provider
    chosen = get_preset(wanted).name if wanted else None
    tuned = get_preset(settings.llm_provider).name if settings.llm_provider else chosen
    clients: dict[str, LLMClient] = {}
    for name, preset in PRESETS.items():
        overrides = _LLMOverrides.of(settings) if name == tuned else _LLMOverrides()
        key = overrides.api_key or settings.llm_keys.get(name)
        has_key = key is not None and bool(key.get_secret_value())
        if preset.needs_key and not has_key and not (name == chosen and overrides.base_url):
            continue
        if not preset.needs_key and not has_key and name != chosen:
            continue
        model = overrides.model or preset.model
        base_url = overrides.base_url or preset.base_url
        clients[name] = OpenAICompatLLMClient(
            provider=name,
            model=model,
            base_url=base_url,
            api_key=key.get_secret_value() if key is not None else None,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
            price_per_1k=overrides.price_per_1k or _preset_price(preset, model, base_url),
        )
    return clients


@dataclass(frozen=True)
class _LLMOverrides:
    model: str | None = None
    base_url: str | None = None
    api_key: SecretStr | None = None
    price_per_1k: tuple[float, float] | None = None

    @classmethod
    def of(cls, settings: Settings) -> _LLMOverrides:
        return cls(
            settings.llm_model,
            settings.llm_base_url,
            settings.llm_api_key,
            settings.llm_price_per_1k_tokens,
        )


def _preset_price(preset: Preset, model: str, base_url: str) -> tuple[float, float] | None:
    if not preset.needs_key:
        return preset.price_per_1k  # a local server costs nothing, whatever the model
    if model != preset.model or base_url.rstrip("/") != preset.base_url.rstrip("/"):
        return None
    return preset.price_per_1k


def llm_provider_names() -> list[str]:
    """Return the names of the LLM presets a user can choose."""
    from vibetrading.adapters.llm.presets import PRESETS

    return list(PRESETS)


def build_llm_client(
    settings: Settings | None = None,
    *,
    provider: str,
    api_key: str | None = None,
    base_url: str | None = None,
    model: str | None = None,
) -> LLMClient:
    """Return the client of one provider with a user's own key, base URL and model.

    It is ``build_llm_clients`` with `provider` chosen and the given values in place of
    the process settings; raise ConfigError for an unknown provider or a missing key.
    """
    from pydantic import SecretStr

    from vibetrading.adapters.llm.presets import get_preset

    settings = settings or get_settings()
    name = get_preset(provider).name
    chosen = settings.model_copy(
        update={
            "llm_provider": name,
            "llm_api_key": SecretStr(api_key) if api_key else None,
            "llm_base_url": base_url,
            "llm_model": model,
            "llm_keys": {},
        }
    )
    client = build_llm_clients(chosen).get(name)
    if client is None or (get_preset(name).needs_key and not api_key):
        raise ConfigError(f"The LLM provider {name!r} needs an API key.")
    return client


def build_user_settings(settings: Settings | None, store: SqlStore) -> UserSettingsService:
    """Return the per-user settings over `store`; API keys are encrypted with the Fernet
    key in ``<home>/settings_key`` (created with mode 0600 on first use)."""
    from vibetrading.adapters.store.repositories_settings import SqlUserSettingsRepository
    from vibetrading.adapters.store.secret_cipher import FernetCipher
    from vibetrading.services.records import utc_now
    from vibetrading.services.user_settings import UserSettingsService

    settings = settings or get_settings()
    return UserSettingsService(
        SqlUserSettingsRepository(store.database, utc_now),
        FernetCipher.from_key_file(settings.data_dir / "settings_key"),
    )


def llm_secrets(settings: Settings) -> list[str]:
    """Return every configured secret value, for redaction from copilot output."""
    values = [settings.llm_api_key, settings.polygon_api_key, *settings.llm_keys.values()]
    return [value.get_secret_value() for value in values if value is not None]


def build_copilot(
    settings: Settings | None = None,
    *,
    provider: str | None = None,
    store: Store | None = None,
    default_symbol: str = "SPX",
) -> CopilotService:
    """Return the copilot over the first configured LLM (or `provider`), offline if none.

    Conversations, strategy versions and runs go to `store`; with no store they are kept
    in memory for the life of the process.
    """
    from vibetrading.adapters.llm.offline import OfflineDrafter
    from vibetrading.adapters.llm.presets import get_preset
    from vibetrading.services.copilot import CopilotService

    settings = settings or get_settings()
    clients = build_llm_clients(settings, provider=provider)
    name = provider or settings.llm_provider
    if name is not None:
        preset = get_preset(name)
        name = preset.name
        if name not in clients:
            raise ConfigError(f"The LLM provider {name!r} has no API key: set {preset.key_env}.")
    llm = clients[name] if name else next(iter(clients.values()), None)
    if store is None:
        from vibetrading.testing.memory_store import (
            MemoryConversationRepository,
            MemoryStrategyRepository,
        )

        conversations: ConversationRepository = MemoryConversationRepository()
        strategies: StrategyRepository = MemoryStrategyRepository()
        runs = None
    else:
        conversations, strategies, runs = store.conversations, store.strategies, store.backtests
    return CopilotService(
        llm=llm,
        backtests=build_backtests(settings),
        conversations=conversations,
        strategies=strategies,
        runs=runs,
        drafter=OfflineDrafter(),
        secrets=llm_secrets(settings),
        default_symbol=default_symbol,
        structured_output=settings.llm_structured_output,
    )
