"""Per-user settings: default trading costs and the user's own LLM provider and key.

The API key is encrypted by a `SecretCipher` (Fernet in production, its key in a 0600
file of the data dir) before it reaches the repository, and never comes back in full:
`llm()` shows it masked (``sk-…abcd``). Only `llm_credentials()` decrypts it, to build
that user's own LLM client. Every call is scoped to one user::

    service.save_costs(user_id, fee_rate=0.0005, slippage_bps=2)
    service.costs(user_id).as_overrides()  # {'fee_rate': 0.0005, 'slippage_bps': 2.0}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from vibetrading.errors import ConfigError

__all__ = [
    "CostDefaults",
    "LLMChoice",
    "LLMCredentials",
    "SecretCipher",
    "UserSettingsRepository",
    "UserSettingsService",
    "check_costs",
    "mask_key",
]

_MAX_FEE_RATE = 0.1
_MAX_SLIPPAGE_BPS = 1000.0


class SecretCipher(Protocol):
    """Symmetric encryption of short secrets (API keys) stored in the database."""

    def encrypt(self, text: str) -> str:
        """Return `text` encrypted, as printable ASCII."""
        ...

    def decrypt(self, token: str) -> str:
        """Return the text of `token`; raise ConfigError when it cannot be decrypted."""
        ...


class UserSettingsRepository(Protocol):
    """One JSON document of settings per user."""

    def get(self, user_id: str) -> dict[str, Any]:
        """Return the user's settings ({} when none are stored)."""
        ...

    def put(self, user_id: str, values: dict[str, Any]) -> None:
        """Replace the user's settings with `values`."""
        ...


@dataclass(frozen=True)
class CostDefaults:
    """A user's default costs for new backtests; None leaves the market's default."""

    fee_rate: float | None = None
    slippage_bps: float | None = None

    def as_overrides(self) -> dict[str, float]:
        """Return the set costs as ``BacktestRequest`` keyword arguments."""
        values = {"fee_rate": self.fee_rate, "slippage_bps": self.slippage_bps}
        return {name: float(value) for name, value in values.items() if value is not None}


@dataclass(frozen=True)
class LLMChoice:
    """A user's LLM provider as shown back: the key only masked."""

    provider: str
    model: str | None
    base_url: str | None
    key_hint: str
    has_key: bool


@dataclass(frozen=True)
class LLMCredentials:
    """What building the user's LLM client needs, the key decrypted."""

    provider: str
    api_key: str | None
    base_url: str | None
    model: str | None


def mask_key(key: str | None) -> str:
    """Return `key` as shown back: its prefix up to the first dash and its last four
    characters (``sk-…abcd``); short keys show nothing of themselves."""
    if not key:
        return ""
    if len(key) < 12:
        return "••••"
    head, dash, _ = key.partition("-")
    prefix = f"{head}-" if dash and len(head) <= 4 else ""
    return f"{prefix}…{key[-4:]}"


def _number(name: str, value: float | None, high: float) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not 0.0 <= number <= high:
        raise ConfigError(f"{name} must be between 0 and {high:g}; got {number:g}.")
    return number


def check_costs(*, fee_rate: float | None, slippage_bps: float | None) -> CostDefaults:
    """Return the costs checked; raise ConfigError for a value out of range."""
    return CostDefaults(
        _number("The fee rate", fee_rate, _MAX_FEE_RATE),
        _number("The slippage", slippage_bps, _MAX_SLIPPAGE_BPS),
    )


def _url(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if not text.startswith(("http://", "https://")):
        raise ConfigError(f"The base URL must start with http:// or https://; got {text!r}.")
    return text


class UserSettingsService:
    """Read and change one user's costs and LLM provider; keys stay encrypted at rest."""

    def __init__(self, repository: UserSettingsRepository, cipher: SecretCipher) -> None:
        self.repository = repository
        self.cipher = cipher

    def costs(self, user_id: str) -> CostDefaults:
        """Return the user's default costs (unset ones are None)."""
        stored = self.repository.get(user_id).get("costs") or {}
        return CostDefaults(stored.get("fee_rate"), stored.get("slippage_bps"))

    def save_costs(
        self, user_id: str, *, fee_rate: float | None, slippage_bps: float | None
    ) -> CostDefaults:
        """Store the user's default costs; raise ConfigError for a value out of range."""
        costs = check_costs(fee_rate=fee_rate, slippage_bps=slippage_bps)
        values = self.repository.get(user_id)
        values["costs"] = {"fee_rate": costs.fee_rate, "slippage_bps": costs.slippage_bps}
        self.repository.put(user_id, values)
        return costs

    def llm(self, user_id: str) -> LLMChoice | None:
        """Return the user's LLM provider with its key masked, or None when unset."""
        stored = self.repository.get(user_id).get("llm")
        if not stored:
            return None
        key = self._key(stored)
        return LLMChoice(
            provider=str(stored["provider"]),
            model=stored.get("model"),
            base_url=stored.get("base_url"),
            key_hint=mask_key(key),
            has_key=bool(key),
        )

    def save_llm(
        self,
        user_id: str,
        *,
        provider: str,
        api_key: str | None = None,
        base_url: str | None = None,
        model: str | None = None,
    ) -> LLMChoice:
        """Store the user's LLM provider; an empty `api_key` keeps the stored one."""
        name = provider.strip().lower()
        if not name:
            raise ConfigError("Choose an LLM provider.")
        values = self.repository.get(user_id)
        previous = values.get("llm") or {}
        key_token = previous.get("api_key") if previous.get("provider") == name else None
        if api_key and api_key.strip():
            key_token = self.cipher.encrypt(api_key.strip())
        values["llm"] = {
            "provider": name,
            "model": (model or "").strip() or None,
            "base_url": _url(base_url),
            "api_key": key_token,
        }
        self.repository.put(user_id, values)
        choice = self.llm(user_id)
        if choice is None:  # pragma: no cover - just stored
            raise ConfigError("The LLM settings were not stored.")
        return choice

    def clear_llm(self, user_id: str) -> None:
        """Forget the user's LLM provider and key."""
        values = self.repository.get(user_id)
        values.pop("llm", None)
        self.repository.put(user_id, values)

    def llm_credentials(self, user_id: str) -> LLMCredentials | None:
        """Return the user's provider with the key decrypted, or None when unset."""
        stored = self.repository.get(user_id).get("llm")
        if not stored:
            return None
        return LLMCredentials(
            provider=str(stored["provider"]),
            api_key=self._key(stored),
            base_url=stored.get("base_url"),
            model=stored.get("model"),
        )

    def _key(self, stored: dict[str, Any]) -> str | None:
        token = stored.get("api_key")
        return self.cipher.decrypt(str(token)) if token else None
