"""Settings read from the environment (prefix ``VIBETRADING_``) and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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

    @property
    def data_dir(self) -> Path:
        """Return the expanded data directory."""
        return self.home.expanduser()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Build the settings once per process."""
    import os

    settings = Settings()
    if settings.polygon_api_key is None and os.environ.get("POLYGON_API_KEY"):
        settings = settings.model_copy(
            update={"polygon_api_key": SecretStr(os.environ["POLYGON_API_KEY"])}
        )
    return settings
