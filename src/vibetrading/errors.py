"""The single exception tree of VibeTrading.

Each branch says what the caller should do about it::

    VibeTradingError
    ├── ConfigError                  fix the settings or the command line
    ├── DataError                    the data asked for is not usable
    │   ├── UnknownSymbol            check the spelling; close matches are offered
    │   ├── EmptyData                widen the range or fetch/import the data
    │   └── CorruptData              a stored file failed its checks; refetch it
    ├── StrategyError                the strategy cannot run as written
    │   ├── SpecError
    │   ├── ParseError
    │   └── SandboxViolation
    ├── OrderRejected                the order broke a market or risk rule
    ├── NotFound
    ├── Conflict                     it already exists or changed meanwhile; reload
    ├── PermissionDenied
    └── ProviderError                an outside data or LLM provider failed
        └── TemporaryProviderError   worth retrying later (rate limit, network)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConfigError",
    "Conflict",
    "CorruptData",
    "DataError",
    "EmptyData",
    "NotFound",
    "OrderRejected",
    "ParseError",
    "PermissionDenied",
    "ProviderError",
    "SandboxViolation",
    "SpecError",
    "StrategyError",
    "TemporaryProviderError",
    "UnknownSymbol",
    "VibeTradingError",
]


class VibeTradingError(Exception):
    """Root of every error VibeTrading raises on purpose."""


class ConfigError(VibeTradingError):
    """A setting, flag or option is invalid."""


class DataError(VibeTradingError):
    """Market data is missing, malformed or unusable."""


class UnknownSymbol(DataError):
    """A symbol could not be understood or has no data; `suggestions` lists close matches."""

    def __init__(self, message: str, *, suggestions: list[str] | None = None) -> None:
        self.suggestions = list(suggestions or [])
        if self.suggestions:
            message = f"{message} Did you mean: {', '.join(self.suggestions)}?"
        super().__init__(message)


class EmptyData(DataError):
    """A request matched no bars."""


class CorruptData(DataError):
    """A stored file failed its integrity checks."""


class StrategyError(VibeTradingError):
    """A strategy is invalid or failed while computing signals.

    `report` holds the sandbox's SafetyReport when a code strategy failed, else None.
    """

    def __init__(self, *args: object, report: Any = None) -> None:
        super().__init__(*args)
        self.report = report


class SpecError(StrategyError):
    """A StrategySpec is invalid or contradictory."""


class ParseError(StrategyError):
    """A strategy text could not be turned into a spec."""


class SandboxViolation(StrategyError):
    """Code tried to do something the sandbox forbids; `report` says which check failed."""


class OrderRejected(VibeTradingError):
    """An order broke a market rule or a risk limit; `reason` says which."""


class NotFound(VibeTradingError):
    """The requested object does not exist or is not visible to the caller."""


class Conflict(VibeTradingError):
    """The object already exists, or its state forbids the change (e.g. a finished job)."""


class PermissionDenied(VibeTradingError):
    """The caller may not do this."""


class ProviderError(VibeTradingError):
    """An outside provider (market data, LLM, broker) failed."""

    def __init__(self, provider: str, message: str) -> None:
        self.provider = provider
        super().__init__(f"{provider}: {message}")


class TemporaryProviderError(ProviderError):
    """A provider failure worth retrying with backoff (timeouts, rate limits, 5xx)."""
