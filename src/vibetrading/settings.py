"""Settings read from the environment (prefix ``VIBETRADING_``) and an optional ``.env`` file."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Everything configurable about a VibeTrading process."""

    model_config = SettingsConfigDict(
        env_prefix="VIBETRADING_", env_file=".env", extra="ignore", frozen=True
    )

    home: Path = Field(
        default=Path("~/.vibetrading"),
        description="Data directory: Parquet bar store, database, keys.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL for the hot-range cache, e.g. redis://127.0.0.1:6379/0.",
    )
    cache_ttl_s: int = Field(default=3600, ge=1, description="Lifetime of cached bar ranges.")
    ccxt_exchange: str = Field(default="binance", description="Default crypto exchange for ccxt.")
    polygon_api_key: SecretStr | None = Field(
        default=None, description="Polygon.io API key (also read from POLYGON_API_KEY)."
    )
    provider_timeout_s: float = Field(
        default=10.0, gt=0, description="Timeout of one request to an online data provider."
    )

    # -- HTTP API, auth and jobs ---------------------------------------------------------
    jwt_secret: SecretStr | None = Field(
        default=None,
        description="HS256 key of access tokens; generated and kept in the data dir if unset.",
    )
    access_token_ttl_s: int = Field(
        default=900, ge=1, description="Lifetime of a JWT access token in seconds."
    )
    refresh_token_ttl_s: int = Field(
        default=30 * 24 * 3600, ge=1, description="Lifetime of a refresh token in seconds."
    )
    multi_user: bool = Field(
        default=False,
        description="Require login (also implied by serving on a non-loopback address).",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API (CORS); empty allows none.",
    )
    rate_limit_per_minute: int = Field(
        default=600, ge=1, description="Requests allowed per minute per IP and per user."
    )
    max_request_bytes: int = Field(
        default=1_000_000, ge=1024, description="Largest request body the API accepts."
    )
    dask_address: str | None = Field(
        default=None,
        description="Dask scheduler address (tcp://host:8786); jobs use a process pool if unset.",
    )
    job_workers: int = Field(default=2, ge=1, description="Worker processes of the local job pool.")

    # -- Paper trading risk (pre-trade caps of every paper order; unset = off) ---------
    paper_max_order_notional: float | None = Field(
        default=None, gt=0, description="Largest notional of one paper order, quote currency."
    )
    paper_max_position_notional: float | None = Field(
        default=None, gt=0, description="Largest paper position value per symbol after a fill."
    )
    paper_max_daily_loss: float | None = Field(
        default=None, gt=0, description="Loss in a session that blocks new paper risk."
    )
    paper_max_volume_share: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Largest share of a bar's volume one paper fill takes (the rest waits).",
    )

    # -- Database ---------------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database (postgresql://user@host/db); "
        "SQLite file <home>/vibetrading.db if unset.",
    )

    # -- LLM copilot ----------------------------------------------------------------------
    llm_provider: str | None = Field(
        default=None,
        description="LLM preset the copilot uses (openai, deepseek, qwen, siliconflow, "
        "moonshot, ollama, vllm); the first one with a key if unset, offline if none.",
    )
    llm_model: str | None = Field(
        default=None, description="Model of the chosen provider (default: the preset's)."
    )
    llm_base_url: str | None = Field(
        default=None,
        description="Base URL of the chosen provider (also read from OPENAI_BASE_URL).",
    )
    llm_api_key: SecretStr | None = Field(
        default=None, description="API key of the chosen provider (default: its preset's key)."
    )
    llm_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="API keys by preset, filled from OPENAI_API_KEY, DEEPSEEK_API_KEY, "
        "DASHSCOPE_API_KEY, SILICONFLOW_API_KEY and MOONSHOT_API_KEY.",
    )
    llm_timeout_s: float = Field(
        default=60.0, gt=0, description="Timeout of one request to an LLM provider."
    )
    llm_max_retries: int = Field(
        default=2, ge=0, le=10, description="Retries on rate limits, 5xx and timeouts."
    )
    llm_structured_output: Literal["tools", "response_format"] = Field(
        default="tools",
        description="How the model proposes strategies: tool calls, or a JSON response_format.",
    )
    llm_price_per_1k_tokens: tuple[float, float] | None = Field(
        default=None,
        description="US dollars per 1,000 input and output tokens of the chosen provider, "
        "e.g. [0.0004, 0.0012]; replaces the preset's price.",
    )

    @property
    def data_dir(self) -> Path:
        """Return the expanded data directory."""
        return self.home.expanduser()

    @property
    def resolved_database_url(self) -> str:
        """Return `database_url`, or the SQLite file under the data directory if unset."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'vibetrading.db').as_posix()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Build the settings once per process."""
    import os

    settings = _with_llm_environment(Settings(), os.environ)
    if settings.polygon_api_key is None and os.environ.get("POLYGON_API_KEY"):
        settings = settings.model_copy(
            update={"polygon_api_key": SecretStr(os.environ["POLYGON_API_KEY"])}
        )
    return settings


_LLM_KEY_VARIABLES = {
    "openai": "OPENAI_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "qwen": "DASHSCOPE_API_KEY",
    "siliconflow": "SILICONFLOW_API_KEY",
    "moonshot": "MOONSHOT_API_KEY",
}


def _with_llm_environment(settings: Settings, environ: Mapping[str, str]) -> Settings:
    keys = dict(settings.llm_keys)
    for preset, variable in _LLM_KEY_VARIABLES.items():
        if preset not in keys and environ.get(variable):
            keys[preset] = SecretStr(environ[variable])
    update: dict[str, object] = {"llm_keys": keys}
    if (
        settings.llm_base_url is None
        and settings.llm_provider in (None, "openai")
        and environ.get("OPENAI_BASE_URL")
    ):
        update["llm_base_url"] = environ["OPENAI_BASE_URL"]
        update["llm_provider"] = settings.llm_provider or "openai"
    return settings.model_copy(update=update)
