"""What a paper runner is made of: the request, saved strategies, the broker factory,
and the pure helpers of the paper service (runner ids, bar closes, checks)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import pandas as pd

from vibetrading.domain.risk import RiskConfig
from vibetrading.domain.strategy import StrategySpec
from vibetrading.domain.trading import CostModel, Symbol
from vibetrading.domain.trading.enums import TradingMode
from vibetrading.errors import ConfigError
from vibetrading.services.ports import RunnerRecord, SimulatedBroker
from vibetrading.services.runner import RunnerConfig

__all__ = [
    "ACTIVE",
    "ENDED",
    "POLL_GRACE_S",
    "BrokerFactory",
    "Feed",
    "PaperRequest",
    "SavedStrategy",
    "StrategyLoader",
    "StrategySaver",
    "bar_length",
    "check_mode",
    "derive_runner_id",
    "manual_id",
    "next_bar_close",
    "runner_config",
    "violations",
]

Feed = Literal["replay", "live"]
ACTIVE = ("created", "running")
ENDED = ("finished", "failed")
POLL_GRACE_S = 5.0
"""Seconds after a bar's close before a live runner polls (providers publish late)."""


class BrokerFactory(Protocol):
    """Build the simulated broker of a mode for some symbols and a starting cash."""

    def __call__(
        self,
        mode: TradingMode,
        symbols: dict[str, Symbol],
        cash: float,
        risk: RiskConfig,
        costs: dict[str, CostModel],
        *,
        max_volume_share: float | None = None,
    ) -> SimulatedBroker:
        """Return a fresh broker."""
        ...


@dataclass(frozen=True)
class SavedStrategy:
    """A strategy from the library: a spec, or code for the sandbox."""

    spec: StrategySpec | None = None
    code: str | None = None


StrategyLoader = Callable[[str, str], SavedStrategy]
"""Return the current version of (user id, strategy id); raise NotFound when there is none."""

StrategySaver = Callable[[str, StrategySpec | None, str | None], str]
"""Store (user id, spec or code) as a strategy of the user; return its id."""


@dataclass(frozen=True)
class PaperRequest:
    """What to paper-trade: exactly one of strategy text, spec, code or a saved strategy.

    `risk` holds the pre-trade caps (order notional, position value, daily loss; None
    is off); `max_volume_share` caps each fill at that share of the bar's volume.
    """

    symbol: str
    strategy: str | None = None
    spec: StrategySpec | None = None
    code: str | None = None
    strategy_id: str | None = None
    mode: TradingMode = TradingMode.PAPER
    feed: Feed = "replay"
    start: str | None = None
    end: str | None = None
    speed: float | None = None  # bars per second; None = as fast as possible
    cash: float = 100_000.0
    risk: RiskConfig = field(default_factory=RiskConfig)
    max_volume_share: float | None = None


def next_bar_close(timeframe: str, now: pd.Timestamp) -> pd.Timestamp:
    """Return the end of the bar of `timeframe` that is forming at `now` (UTC).

    Bars are aligned on the epoch: daily bars end at midnight UTC, hourly bars on the hour.

    >>> str(next_bar_close("1h", pd.Timestamp("2024-01-02 10:20", tz="UTC")))
    '2024-01-02 11:00:00+00:00'
    """
    return now.floor(bar_length(timeframe)) + pd.Timedelta(bar_length(timeframe))


def violations(report: dict[str, Any]) -> str:
    failed = [c for c in report.get("checks", []) if not c.get("passed")]
    if not failed:
        return "the sandbox could not confirm it is safe"
    parts = []
    for check in failed:
        where = f" (line {check['line']})" if check.get("line") else ""
        parts.append(f"{check.get('name')}{where}: {check.get('message')}")
    return "; ".join(parts)


def check_mode(mode: TradingMode) -> None:
    if mode is TradingMode.OFF:
        raise ConfigError("Trading is OFF: choose --mode paper or dry_run.")
    if mode is TradingMode.LIVE:
        raise ConfigError(
            "LIVE trading is not available to strategy runners; choose --mode paper or "
            "dry_run (real orders need the exchange gateway, credentials and a confirmation)."
        )


def runner_config(
    runner_id: str,
    code: str,
    options: dict[str, Any],
    snapshot_abs: float,
    snapshot_rel: float,
) -> RunnerConfig:
    return RunnerConfig(
        runner_id=runner_id,
        symbol=code,
        direction=options.get("direction", "long"),
        size=float(options.get("size", 1.0)),
        size_type=str(options.get("size_type", "percent")),
        stop_loss=options.get("stop_loss"),
        take_profit=options.get("take_profit"),
        trailing_stop=options.get("trailing_stop"),
        max_holding_bars=options.get("max_holding_bars"),
        snapshot_abs=snapshot_abs,
        snapshot_rel=snapshot_rel,
    )


def derive_runner_id(config: dict[str, Any]) -> str:
    identity = {k: v for k, v in config.items() if k != "speed"}  # a resume may change speed
    text = json.dumps(identity, sort_keys=True, default=str)
    return "r" + hashlib.sha256(text.encode()).hexdigest()[:11]


def manual_id(record: RunnerRecord, bars_done: int) -> str:
    return f"{record.runner_id}-manual-{bars_done}-{time.time_ns() % 10**9}"


def bar_length(timeframe: str) -> str:
    lengths = {"1m": "1min", "5m": "5min", "15m": "15min", "30m": "30min", "1h": "1h", "4h": "4h"}
    return lengths.get(timeframe, "1D")
