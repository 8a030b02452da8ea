"""Paper trading use cases: start, resume, inspect and stop strategy runners; place orders.

``PaperTradingService`` is the one API the CLI, the HTTP API and the web UI call. A
runner trades one strategy (a text, a spec, sandboxed code or a saved strategy) on one
symbol through a broker chosen by the trading mode (PAPER by default; DRY_RUN logs and
never fills; LIVE is refused here: live orders go through the exchange gateway with an
explicit setting, credentials and a confirmation). Its id is derived from what it runs,
so starting the same run again resumes it where it stopped instead of trading twice.

Events (``order``, ``fill``, ``position``, ``account``, ``runner``) go to ``on_event``;
``schedule_runners`` puts the running live runners on an APScheduler scheduler.
"""

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
from vibetrading.domain.trading.enums import OrderSide, OrderType, TimeInForce, TradingMode
from vibetrading.domain.trading.execution import symbol_costs
from vibetrading.domain.trading.orders import Order
from vibetrading.errors import ConfigError, NotFound, SpecError
from vibetrading.services.backtests import spec_options
from vibetrading.services.market_data import MarketDataService
from vibetrading.services.ports import (
    CodeRunner,
    PaperRunnerRepository,
    PaperStep,
    RunnerRecord,
    SimulatedBroker,
)
from vibetrading.services.runner import (
    CodeSignals,
    EventCallback,
    PaperEvent,
    RunnerConfig,
    RunSummary,
    SignalSource,
    SpecSignals,
    StrategyRunner,
)

__all__ = [
    "BrokerFactory",
    "PaperEvent",
    "PaperRequest",
    "PaperTradingService",
    "StrategyLoader",
]

Feed = Literal["replay", "live"]


class BrokerFactory(Protocol):
    """Build the simulated broker of a mode for some symbols and a starting cash."""

    def __call__(
        self,
        mode: TradingMode,
        symbols: dict[str, Symbol],
        cash: float,
        risk: RiskConfig,
        costs: dict[str, CostModel],
    ) -> SimulatedBroker:
        """Return a fresh broker."""
        ...


StrategyLoader = Callable[[str], StrategySpec]
"""Return the spec of a saved strategy id (raise NotFound when there is none)."""


@dataclass(frozen=True)
class PaperRequest:
    """What to paper-trade: exactly one of strategy text, spec, code or a saved strategy."""

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


class PaperTradingService:
    """Runners, their orders, fills, positions and accounts, over a repository."""

    def __init__(
        self,
        market_data: MarketDataService,
        repository: PaperRunnerRepository,
        broker_factory: BrokerFactory,
        *,
        load_strategy: StrategyLoader | None = None,
        save_strategy: Callable[[StrategySpec | None, str | None], str] | None = None,
        code_runner: CodeRunner | None = None,
        owner: dict[str, str] | None = None,
        on_event: EventCallback | None = None,
        snapshot_abs: float = 100.0,
        snapshot_rel: float = 0.001,
    ) -> None:
        self.market_data = market_data
        self.repository = repository
        self.broker_factory = broker_factory
        self.load_strategy = load_strategy
        self.save_strategy = save_strategy
        self.code_runner = code_runner
        self.owner = dict(owner or {})
        self.on_event = on_event
        self.snapshot_abs = snapshot_abs
        self.snapshot_rel = snapshot_rel

    # -- runners -----------------------------------------------------------------------

    def start(self, request: PaperRequest) -> RunnerRecord:
        """Create the runner of `request`, or return the existing one with the same id."""
        _check_mode(request.mode)
        spec = self._spec(request)
        symbol = self.market_data.resolve_symbol(request.symbol)
        config: dict[str, Any] = {
            "symbol": symbol.code,
            "spec": spec.model_dump(mode="json") if spec else None,
            "code": request.code,
            "mode": request.mode.value,
            "feed": request.feed,
            "start": request.start,
            "end": request.end,
            "speed": request.speed,
            "cash": float(request.cash),
            "risk": request.risk.model_dump(),
            "market": symbol.market.value,
            "currency": symbol.currency,
            "timeframe": spec.timeframe.value if spec else "1d",
        }
        runner_id = _runner_id(config)
        existing = self.repository.get_runner(runner_id)
        if existing is not None:
            return existing
        if self.save_strategy is not None:
            config["strategy_id"] = self.save_strategy(spec, request.code)
        config.update(self.owner)
        record = RunnerRecord(runner_id=runner_id, config=config, status="created")
        self.repository.create_runner(record)
        self._emit("runner", runner_id, {"status": "created", "symbol": symbol.code})
        return record

    def run(
        self,
        runner_id: str,
        *,
        speed: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> RunSummary:
        """Replay a runner's bars from its cursor to the end; return its summary."""
        record = self._record(runner_id)
        runner, bars = self._runner(record)
        if record.status == "finished":
            return runner.summary()
        self.repository.set_status(runner_id, "running")
        summary = runner.run(bars, speed=speed, sleep=sleep, should_stop=should_stop)
        is_done = summary.cursor is not None and summary.cursor >= bars.index[-1]
        status = "finished" if is_done else "stopped"
        self.repository.set_status(runner_id, status)
        self._emit("runner", runner_id, {"status": status})
        return summary

    def poll(self, runner_id: str) -> RunSummary:
        """Process the bars of a live runner that closed since its cursor (one poll)."""
        record = self._record(runner_id)
        runner, bars = self._runner(record, live=True)
        return runner.run(bars)

    def summary(self, runner_id: str) -> RunSummary:
        """Return a runner's summary from its stored state."""
        runner, _ = self._runner(self._record(runner_id), load_bars=False)
        return runner.summary()

    def status(self) -> list[dict[str, Any]]:
        """Return every runner with its status, cursor, equity and positions."""
        rows = []
        for record in self.repository.list_runners():
            runner, _ = self._runner(record, load_bars=False)
            summary = runner.summary()
            rows.append(
                {
                    "runner_id": record.runner_id,
                    "symbol": record.config["symbol"],
                    "mode": record.config["mode"],
                    "feed": record.config["feed"],
                    "status": record.status,
                    "cursor": record.cursor.isoformat() if record.cursor is not None else None,
                    "equity": summary.final_equity,
                    "cash": summary.cash,
                    "positions": runner.broker.positions(),
                    "orders": summary.orders,
                    "trades": len(summary.trades),
                }
            )
        return rows

    def orders(self, runner_id: str | None = None) -> list[Order]:
        """Return the orders of one runner, or of every runner."""
        ids = [runner_id] if runner_id else [r.runner_id for r in self.repository.list_runners()]
        return [order for rid in ids for order in self.repository.orders(rid)]

    def stop(self, runner_id: str | None = None) -> list[str]:
        """Mark runners stopped (one, or every running one); return their ids."""
        ids = (
            [runner_id]
            if runner_id
            else [
                r.runner_id
                for r in self.repository.list_runners()
                if r.status in ("running", "created")
            ]
        )
        for rid in ids:
            self._record(rid)
            self.repository.set_status(rid, "stopped")
            self._emit("runner", rid, {"status": "stopped"})
        return ids

    def reset(self, runner_id: str | None = None) -> list[str]:
        """Delete runners (one, or all) with their orders, fills and equity; return ids."""
        ids = [runner_id] if runner_id else [r.runner_id for r in self.repository.list_runners()]
        for rid in ids:
            self.repository.delete_runner(rid)
        return ids

    def place_order(
        self,
        symbol: str,
        side: OrderSide,
        quantity: float,
        *,
        limit_price: float | None = None,
        runner_id: str | None = None,
        client_order_id: str | None = None,
    ) -> Order:
        """Submit a manual order on a runner's account (the newest for `symbol` by default).

        It is checked like every order (lots, cash, T+1, price limits, risk) and fills at
        the runner's next bar. The same `client_order_id` never creates a second order.
        """
        record = self._account_for(self.market_data.resolve_symbol(symbol).code, runner_id)
        runner, _ = self._runner(record, load_bars=False)
        order = Order(
            client_order_id=client_order_id or _manual_id(record, runner.bars_done),
            symbol=str(record.config["symbol"]),
            side=side,
            quantity=quantity,
            order_type=OrderType.LIMIT if limit_price is not None else OrderType.MARKET,
            limit_price=limit_price,
            time_in_force=TimeInForce.GTC,
        )
        result = runner.broker.submit(order)
        broker = runner.broker
        cursor = record.cursor or pd.Timestamp(0, tz="UTC")
        self.repository.save_step(
            PaperStep(
                runner_id=record.runner_id,
                cursor=cursor,
                orders=broker.take_changes(),
                fills=[],
                positions=broker.positions(),
                cash=broker.account().cash,
                equity=broker.equity(),
                state=runner.state_dict(),
                status=record.status,
            )
        )
        self._emit("order", record.runner_id, result.to_dict())
        return result

    def schedule_runners(self, scheduler: Any) -> list[str]:
        """Add a job per running live runner to an APScheduler 3 scheduler; return ids.

        Each job polls its runner at the bar interval of its timeframe.
        """
        ids = []
        for record in self.repository.list_runners():
            if record.config.get("feed") != "live" or record.status not in ("running", "created"):
                continue
            seconds = pd.Timedelta(_bar_length(str(record.config["timeframe"]))).total_seconds()
            scheduler.add_job(
                self.poll,
                "interval",
                seconds=seconds,
                args=[record.runner_id],
                id=f"paper-{record.runner_id}",
                replace_existing=True,
                max_instances=1,
                coalesce=True,
            )
            ids.append(record.runner_id)
        return ids

    # -- helpers -----------------------------------------------------------------------

    def _spec(self, request: PaperRequest) -> StrategySpec | None:
        given = [
            n
            for n in ("strategy", "spec", "code", "strategy_id")
            if getattr(request, n) is not None
        ]
        if len(given) != 1:
            raise ConfigError("Give exactly one strategy: a text, a spec, a code file or an id.")
        if request.code is not None:
            if self.code_runner is None:
                raise ConfigError("Code strategies need the sandbox, which this service lacks.")
            self.code_runner.check(request.code)
            return None
        if request.spec is not None:
            return request.spec
        if request.strategy_id is not None:
            if self.load_strategy is None:
                raise ConfigError("Saved strategies need the database store.")
            return self.load_strategy(request.strategy_id)
        from vibetrading.domain.strategy.dsl import parse_strategy

        parsed = parse_strategy(str(request.strategy), default_symbol=request.symbol)
        if parsed.errors or parsed.spec is None:
            raise SpecError("; ".join(parsed.errors) or "The text yields no strategy.")
        return parsed.spec

    def _record(self, runner_id: str) -> RunnerRecord:
        record = self.repository.get_runner(runner_id)
        if record is None:
            raise NotFound(f"No paper runner {runner_id!r}; see `vibetrading paper status`.")
        return record

    def _account_for(self, symbol: str, runner_id: str | None) -> RunnerRecord:
        if runner_id is not None:
            return self._record(runner_id)
        matches = [r for r in self.repository.list_runners() if r.config["symbol"] == symbol]
        if not matches:
            raise NotFound(
                f"No paper account trades {symbol}: start one with `vibetrading paper start`."
            )
        return matches[-1]

    def _runner(
        self, record: RunnerRecord, *, load_bars: bool = True, live: bool = False
    ) -> tuple[StrategyRunner, pd.DataFrame]:
        config = record.config
        symbol = self.market_data.resolve_symbol(str(config["symbol"]))
        mode = TradingMode(str(config["mode"]))
        risk = RiskConfig.model_validate(config["risk"])
        signals, options = self._signals(config, symbol.code)
        costs = symbol_costs(
            symbol, fee_rate=options.get("fee_rate"), slippage_bps=options.get("slippage_bps")
        )
        broker = self.broker_factory(
            mode, {symbol.code: symbol}, float(str(config["cash"])), risk, {symbol.code: costs}
        )
        runner = StrategyRunner(
            _runner_config(
                record.runner_id, symbol.code, options, self.snapshot_abs, self.snapshot_rel
            ),
            broker,
            signals,
            repository=self.repository,
            on_event=self.on_event,
        )
        runner.restore(record.cursor, record.state)
        if not load_bars:
            return runner, pd.DataFrame()
        start = config.get("start")
        timeframe = str(config["timeframe"])
        if live:
            window = runner.signals.window
            length = pd.Timedelta(_bar_length(timeframe))
            start = (pd.Timestamp.now(tz="UTC") - 2 * window * length).isoformat()
        bars = self.market_data.load_bars(
            symbol, start=start, end=config.get("end"), timeframe=timeframe
        )
        return runner, bars

    def _signals(self, config: dict[str, Any], code: str) -> tuple[SignalSource, dict[str, Any]]:
        if config.get("code") is not None:
            if self.code_runner is None:
                raise ConfigError("Code strategies need the sandbox, which this service lacks.")
            return CodeSignals(self.code_runner, str(config["code"])), {}
        spec = StrategySpec.model_validate(config["spec"])
        return SpecSignals(spec, code), spec_options(spec)

    def _emit(self, kind: str, runner_id: str, data: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(PaperEvent(kind, runner_id, data))


def _check_mode(mode: TradingMode) -> None:
    if mode is TradingMode.OFF:
        raise ConfigError("Trading is OFF: choose --mode paper or dry_run.")
    if mode is TradingMode.LIVE:
        raise ConfigError(
            "LIVE trading does not run through the paper runner; it needs the exchange "
            "gateway, VIBETRADING_TRADING_MODE=live, credentials and a confirmation."
        )


def _runner_config(
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


def _runner_id(config: dict[str, Any]) -> str:
    identity = {k: v for k, v in config.items() if k != "speed"}  # a resume may change speed
    text = json.dumps(identity, sort_keys=True, default=str)
    return "r" + hashlib.sha256(text.encode()).hexdigest()[:11]


def _manual_id(record: RunnerRecord, bars_done: int) -> str:
    return f"{record.runner_id}-manual-{bars_done}-{time.time_ns() % 10**9}"


def _bar_length(timeframe: str) -> str:
    lengths = {"1m": "1min", "5m": "5min", "15m": "15min", "30m": "30min", "1h": "1h", "4h": "4h"}
    return lengths.get(timeframe, "1D")
