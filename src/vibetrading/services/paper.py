"""Paper trading use cases: start, resume, inspect and stop strategy runners; place orders.

``PaperTradingService`` is the one API the CLI, the HTTP API and the web UI call. A
runner trades one strategy (a text, a spec, sandboxed code or a saved strategy) on one
symbol through a broker chosen by the trading mode (PAPER by default; DRY_RUN logs and
never fills; LIVE is not available to runners). Its id is derived from what it runs
and whose it is, so starting the same run again resumes it instead of trading twice.
``for_user(user_id)`` returns the service as one user sees it: only their runners.

Code strategies are checked by the sandbox before anything is stored: unsafe code is
refused with its safety report. A run that raises marks its runner ``failed`` with the
reason. ``stop`` is seen by a running runner at its next bar, whatever process drives
it. Manual orders are checked at once and stored; the runner picks them up at its next
bar (so they fill, or are rejected or cancelled, durably, even while another process
runs it). Events (``order``, ``fill``, ``position``, ``account``, ``runner``) go to
``events`` (a ``PaperEventHub``) and ``on_event``; ``schedule_runners`` puts the live
runners on an APScheduler scheduler, polling at each bar close.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pandas as pd

from vibetrading.domain.risk import RiskConfig
from vibetrading.domain.strategy import StrategySpec
from vibetrading.domain.trading import Symbol
from vibetrading.domain.trading.enums import (
    OrderSide,
    OrderType,
    RejectReason,
    TimeInForce,
    TradingMode,
)
from vibetrading.domain.trading.execution import symbol_costs
from vibetrading.domain.trading.orders import Fill, Order
from vibetrading.errors import ConfigError, NotFound, OrderRejected, SandboxViolation, SpecError
from vibetrading.services.backtests import spec_options
from vibetrading.services.market_data import MarketDataService
from vibetrading.services.paper_config import (
    ACTIVE,
    ENDED,
    POLL_GRACE_S,
    BrokerFactory,
    PaperRequest,
    SavedStrategy,
    StrategyLoader,
    StrategySaver,
    bar_length,
    check_mode,
    derive_runner_id,
    manual_id,
    next_bar_close,
    runner_config,
    violations,
)
from vibetrading.services.paper_events import PaperEventHub
from vibetrading.services.paper_signals import CodeSignals, SignalSource, SpecSignals
from vibetrading.services.ports import (
    CodeRunner,
    PaperRunnerRepository,
    ProgressCallback,
    RunnerRecord,
)
from vibetrading.services.runner import (
    EventCallback,
    PaperEvent,
    RunSummary,
    StrategyRunner,
)

__all__ = [
    "POLL_GRACE_S",
    "BrokerFactory",
    "PaperEvent",
    "PaperEventHub",
    "PaperRequest",
    "PaperTradingService",
    "SavedStrategy",
    "StrategyLoader",
    "StrategySaver",
    "next_bar_close",
]


def _utc_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


class PaperTradingService:
    """Runners, their orders, fills, positions and accounts, over a repository.

    A replay at max speed reads its runner's status and manual orders every
    `check_interval_s` and writes bars without orders or fills every `write_interval_s`
    (``StrategyRunner``); at a given speed it does both at every bar.
    """

    def __init__(
        self,
        market_data: MarketDataService,
        repository: PaperRunnerRepository,
        broker_factory: BrokerFactory,
        *,
        load_strategy: StrategyLoader | None = None,
        save_strategy: StrategySaver | None = None,
        code_runner: CodeRunner | None = None,
        user_id: str | None = None,
        on_event: EventCallback | None = None,
        events: PaperEventHub | None = None,
        snapshot_abs: float = 100.0,
        snapshot_rel: float = 0.001,
        check_interval_s: float = 0.2,
        write_interval_s: float = 0.5,
        clock: Callable[[], pd.Timestamp] = _utc_now,
    ) -> None:
        self.market_data = market_data
        self.repository = repository
        self.broker_factory = broker_factory
        self.load_strategy = load_strategy
        self.save_strategy = save_strategy
        self.code_runner = code_runner
        self.user_id = user_id
        self.on_event = on_event
        self.events = events or PaperEventHub()
        self.snapshot_abs = snapshot_abs
        self.snapshot_rel = snapshot_rel
        self.check_interval_s = check_interval_s
        self.write_interval_s = write_interval_s
        self.clock = clock

    def for_user(self, user_id: str) -> PaperTradingService:
        """Return this service as `user_id` sees it: their runners, orders and accounts."""
        scoped = copy.copy(self)
        scoped.user_id = user_id
        return scoped

    # -- runners -----------------------------------------------------------------------

    def start(self, request: PaperRequest) -> RunnerRecord:
        """Create the runner of `request`, or return the existing one with the same id.

        Unsafe code is refused (SandboxViolation with the safety report) before anything
        is stored.
        """
        check_mode(request.mode)
        spec, code = self._strategy(request)
        symbol = self.market_data.resolve_symbol(request.symbol)
        config: dict[str, Any] = {
            "symbol": symbol.code,
            "spec": spec.model_dump(mode="json") if spec else None,
            "code": code,
            "mode": request.mode.value,
            "feed": request.feed,
            "start": request.start,
            "end": request.end,
            "speed": request.speed,
            "cash": float(request.cash),
            "risk": request.risk.model_dump(),
            "max_volume_share": request.max_volume_share,
            "market": symbol.market.value,
            "currency": symbol.currency,
            "timeframe": spec.timeframe.value if spec else "1d",
        }
        if self.user_id is not None:
            config["user_id"] = self.user_id
        runner_id = derive_runner_id(config)
        existing = self.repository.get_runner(runner_id)
        if existing is not None:
            return existing
        if request.strategy_id is not None:
            config["strategy_id"] = request.strategy_id
        elif self.save_strategy is not None:
            config["strategy_id"] = self.save_strategy(self.user_id or "", spec, code)
        record = RunnerRecord(runner_id=runner_id, config=config, status="created")
        self.repository.create_runner(record)
        self._emit(record, "runner", {"status": "created", "symbol": symbol.code})
        return record

    def run(
        self,
        runner_id: str,
        *,
        speed: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        should_stop: Callable[[], bool] = lambda: False,
        progress: ProgressCallback | None = None,
    ) -> RunSummary:
        """Replay a runner's bars from its cursor to the end; return its summary.

        It stops early when `should_stop` says so or when the runner is stopped (from
        anywhere); a run that raises marks the runner failed with the reason. `progress`
        hears the fraction of the bars done and "N/M bars" a few times a second.
        """
        record = self._record(runner_id)
        if record.status == "finished":
            return self.summary(runner_id)
        with self._failing(record):
            runner, bars = self._runner(record)
            self.repository.set_status(runner_id, "running")
            runner.status = "running"
            self._emit(record, "runner", {"status": "running"})
            summary = runner.run(
                bars, speed=speed, sleep=sleep, should_stop=should_stop, progress=progress
            )
        is_done = summary.cursor is not None and summary.cursor >= bars.index[-1]
        if runner.is_stopped:  # stopped from elsewhere: its last bar was not written
            return self.summary(runner_id)
        status = "finished" if is_done else "stopped"
        self.repository.set_status(runner_id, status)
        self._emit(record, "runner", {"status": status})
        return summary

    def resume(self, runner_id: str) -> RunnerRecord:
        """Mark a created or stopped live runner running again (polls then trade it)."""
        record = self._record(runner_id)
        if record.status in ENDED:
            raise OrderRejected(f"Runner {runner_id} has {record.status}; start a new one.")
        self.repository.set_status(runner_id, "running")
        self._emit(record, "runner", {"status": "running"})
        return self._record(runner_id)

    def poll(self, runner_id: str) -> RunSummary:
        """Process the closed bars of a live runner since its cursor (one poll).

        A bar still forming (ending after now) waits for the next poll. A runner that is
        not running (stopped, finished, failed) is left as it is.
        """
        record = self._record(runner_id)
        if record.status not in ACTIVE:
            return self.summary(runner_id)
        with self._failing(record):
            runner, bars = self._runner(record, live=True)
            if record.status == "created":
                self.repository.set_status(runner_id, "running")
            return runner.run(bars)

    def summary(self, runner_id: str) -> RunSummary:
        """Return a runner's summary from its stored state."""
        runner, _ = self._runner(self._record(runner_id), load_bars=False)
        return runner.summary()

    def status(self) -> list[dict[str, Any]]:
        """Return every runner with its status, cursor, equity and positions."""
        return [self._status_row(record) for record in self._records()]

    def runner(self, runner_id: str) -> dict[str, Any]:
        """Return one runner's status row (as in ``status``)."""
        return self._status_row(self._record(runner_id))

    def orders(self, runner_id: str | None = None) -> list[Order]:
        """Return the orders of one runner, or of every runner."""
        return [order for rid in self._ids(runner_id) for order in self.repository.orders(rid)]

    def fills(self, runner_id: str | None = None) -> list[Fill]:
        """Return the fills of one runner, or of every runner."""
        return [fill for rid in self._ids(runner_id) for fill in self.repository.fills(rid)]

    def positions(self) -> list[dict[str, Any]]:
        """Return every runner's positions: runner id, mode, symbol, signed units."""
        rows = []
        for record in self._records():
            for symbol, quantity in self.repository.positions(record.runner_id).items():
                rows.append(
                    {
                        "runner_id": record.runner_id,
                        "mode": record.config["mode"],
                        "symbol": symbol,
                        "quantity": quantity,
                    }
                )
        return rows

    def stop(self, runner_id: str | None = None) -> list[str]:
        """Stop runners (one, or every created or running one); return the ids stopped.

        A runner driven by another process or thread sees the stop at its next bar.
        """
        records = [self._record(runner_id)] if runner_id else self._records()
        stopped = []
        for record in records:
            if record.status not in ACTIVE:
                continue
            self.repository.set_status(record.runner_id, "stopped")
            self._emit(record, "runner", {"status": "stopped"})
            stopped.append(record.runner_id)
        return stopped

    def reset(self, runner_id: str | None = None) -> list[str]:
        """Delete runners (one, or all) with their orders, fills and equity; return ids."""
        ids = self._ids(runner_id)
        for rid in ids:
            self.repository.delete_runner(rid)
        return ids

    # -- manual orders -----------------------------------------------------------------

    def account_for(self, symbol: str, runner_id: str | None = None) -> dict[str, Any]:
        """Return the status row of the account a manual order on `symbol` would use."""
        code = self.market_data.resolve_symbol(symbol).code
        return self._status_row(self._account_for(code, runner_id))

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

        It is checked at once like every order (lots, cash, T+1, price limits, market
        hours, risk caps), stored, and handed to the runner's broker at its next bar,
        where it fills. A runner that has finished or failed has no next bar: the order
        is rejected. The same `client_order_id` never creates a second order.
        """
        record = self._account_for(self.market_data.resolve_symbol(symbol).code, runner_id)
        runner, _ = self._runner(record, load_bars=False)
        order = Order(
            client_order_id=client_order_id or manual_id(record, runner.bars_done),
            symbol=str(record.config["symbol"]),
            side=side,
            quantity=quantity,
            order_type=OrderType.LIMIT if limit_price is not None else OrderType.MARKET,
            limit_price=limit_price,
            time_in_force=TimeInForce.GTC,
            created_at=self.clock() if record.config.get("feed") == "live" else None,
        )
        if record.status in ENDED:
            result = order.rejected(
                RejectReason.MARKET_CLOSED,
                f"runner {record.runner_id} has {record.status}, no bar is left to fill it; "
                "start a new runner",
                at=record.cursor,
            )
        else:
            result = runner.broker.submit(order)
        stored = self.repository.add_order(record.runner_id, result)
        if stored is result:
            self._emit(record, "order", result.to_dict())
        return stored

    def cancel_order(self, client_order_id: str, *, runner_id: str | None = None) -> Order:
        """Cancel a working order (of `runner_id`, or found among the caller's runners).

        A runner that is running drops it at its next bar; a fill on that bar wins.
        """
        for rid in self._ids(runner_id):
            for order in self.repository.open_orders(rid):
                if order.client_order_id != client_order_id:
                    continue
                cancelled = order.cancelled("cancelled by request", at=self.clock())
                self.repository.set_order(rid, cancelled)
                self._emit(self._record(rid), "order", cancelled.to_dict())
                return cancelled
        known = [o for o in self.orders(runner_id) if o.client_order_id == client_order_id]
        if known:
            raise OrderRejected(
                f"Order {client_order_id} is {known[0].status.value}; only working orders "
                "can be cancelled."
            )
        raise NotFound(f"No order {client_order_id!r}; see `vibetrading paper orders`.")

    # -- scheduling --------------------------------------------------------------------

    def schedule_runners(self, scheduler: Any) -> list[str]:
        """Add a polling job per created or running live runner to an APScheduler 3
        scheduler; return their ids."""
        return [
            record.runner_id
            for record in self._records()
            if record.config.get("feed") == "live"
            and record.status in ACTIVE
            and self.schedule_runner(scheduler, record.runner_id)
        ]

    def schedule_runner(
        self, scheduler: Any, runner_id: str, *, should_stop: Callable[[], bool] | None = None
    ) -> bool:
        """Put one runner on `scheduler`: a live runner polls at each bar close (plus
        ``POLL_GRACE_S``), a replay runs at once at its speed (until `should_stop` says
        so, e.g. when the server closes). Return True."""
        record = self._record(runner_id)
        job_id = f"paper-{runner_id}"
        if record.config.get("feed") != "live":
            kwargs: dict[str, Any] = {"speed": record.config.get("speed")}
            if should_stop is not None:
                kwargs["should_stop"] = should_stop
            scheduler.add_job(
                self.run,
                args=[runner_id],
                kwargs=kwargs,
                id=job_id,
                replace_existing=True,
                max_instances=1,
            )
            return True
        timeframe = str(record.config["timeframe"])
        length = pd.Timedelta(bar_length(timeframe))
        first = next_bar_close(timeframe, self.clock()) + pd.Timedelta(seconds=POLL_GRACE_S)
        scheduler.add_job(
            self.poll,
            "interval",
            seconds=length.total_seconds(),
            start_date=first.to_pydatetime(),
            args=[runner_id],
            id=job_id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
        )
        if record.status == "created":
            self.resume(runner_id)
        return True

    def next_poll_at(self, runner_id: str) -> pd.Timestamp:
        """Return when a live runner should poll next: its next bar close plus a grace."""
        timeframe = str(self._record(runner_id).config["timeframe"])
        return next_bar_close(timeframe, self.clock()) + pd.Timedelta(seconds=POLL_GRACE_S)

    # -- helpers -----------------------------------------------------------------------

    def _strategy(self, request: PaperRequest) -> tuple[StrategySpec | None, str | None]:
        given = [
            n
            for n in ("strategy", "spec", "code", "strategy_id")
            if getattr(request, n) is not None
        ]
        if len(given) != 1:
            raise ConfigError("Give exactly one strategy: a text, a spec, a code file or an id.")
        if request.code is not None:
            return None, self._checked_code(request.code)
        if request.spec is not None:
            return request.spec, None
        if request.strategy_id is not None:
            if self.load_strategy is None:
                raise ConfigError("Saved strategies need the database store.")
            saved = self.load_strategy(self.user_id or "", request.strategy_id)
            if saved.code is not None:
                return None, self._checked_code(saved.code)
            if saved.spec is None:
                raise NotFound(f"Strategy {request.strategy_id} has neither a spec nor code.")
            return saved.spec, None
        from vibetrading.domain.strategy.dsl import parse_strategy

        parsed = parse_strategy(str(request.strategy), default_symbol=request.symbol)
        if parsed.errors or parsed.spec is None:
            raise SpecError("; ".join(parsed.errors) or "The text yields no strategy.")
        return parsed.spec, None

    def _checked_code(self, code: str) -> str:
        if self.code_runner is None:
            raise ConfigError("Code strategies need the sandbox, which this service lacks.")
        report = self.code_runner.check(code)
        if report.get("is_safe") is not True:
            raise SandboxViolation(f"Unsafe code: {violations(report)}", report=report)
        return code

    @contextmanager
    def _failing(self, record: RunnerRecord) -> Iterator[None]:
        try:
            yield
        except KeyboardInterrupt:
            self.repository.set_status(record.runner_id, "stopped")
            raise
        except Exception as e:  # re-raised: the runner only records why it failed
            reason = f"{type(e).__name__}: {e}"
            self.repository.set_status(record.runner_id, "failed", error=reason)
            self._emit(record, "runner", {"status": "failed", "error": reason})
            raise

    def _records(self) -> list[RunnerRecord]:
        return [r for r in self.repository.list_runners() if self._owns(r)]

    def _owns(self, record: RunnerRecord) -> bool:
        return self.user_id is None or record.config.get("user_id") == self.user_id

    def _ids(self, runner_id: str | None) -> list[str]:
        if runner_id is not None:
            return [self._record(runner_id).runner_id]
        return [r.runner_id for r in self._records()]

    def _record(self, runner_id: str) -> RunnerRecord:
        record = self.repository.get_runner(runner_id)
        if record is None or not self._owns(record):
            raise NotFound(f"No paper runner {runner_id!r}; see `vibetrading paper status`.")
        return record

    def _account_for(self, symbol: str, runner_id: str | None) -> RunnerRecord:
        if runner_id is not None:
            return self._record(runner_id)
        matches = [r for r in self._records() if r.config["symbol"] == symbol]
        if not matches:
            raise NotFound(
                f"No paper account trades {symbol}: start one with `vibetrading paper start`."
            )
        return matches[-1]

    def _status_row(self, record: RunnerRecord) -> dict[str, Any]:
        runner, _ = self._runner(record, load_bars=False)
        summary = runner.summary()
        return {
            "runner_id": record.runner_id,
            "symbol": record.config["symbol"],
            "mode": record.config["mode"],
            "feed": record.config["feed"],
            "status": record.status,
            "error": record.error,
            "cursor": record.cursor.isoformat() if record.cursor is not None else None,
            "currency": record.config.get("currency", ""),
            "equity": summary.final_equity,
            "cash": summary.cash,
            "positions": runner.broker.positions(),
            "orders": summary.orders,
            "trades": len(summary.trades),
        }

    def _runner(
        self, record: RunnerRecord, *, load_bars: bool = True, live: bool = False
    ) -> tuple[StrategyRunner, pd.DataFrame]:
        config = record.config
        symbol = self.market_data.resolve_symbol(str(config["symbol"]))
        signals, options = self._signals(config, symbol.code)
        costs = symbol_costs(
            symbol, fee_rate=options.get("fee_rate"), slippage_bps=options.get("slippage_bps")
        )
        broker = self.broker_factory(
            TradingMode(str(config["mode"])),
            {symbol.code: symbol},
            float(str(config["cash"])),
            RiskConfig.model_validate(config["risk"]),
            {symbol.code: costs},
            max_volume_share=config.get("max_volume_share"),
        )
        runner = StrategyRunner(
            runner_config(
                record.runner_id, symbol.code, options, self.snapshot_abs, self.snapshot_rel
            ),
            broker,
            signals,
            repository=self.repository,
            on_event=lambda event: self._publish(replace(event, user_id=config.get("user_id"))),
            check_interval_s=self.check_interval_s,
            write_interval_s=self.write_interval_s,
        )
        runner.restore(record.cursor, record.state)
        runner.status = record.status
        if not load_bars:
            return runner, pd.DataFrame()
        return runner, self._bars(symbol, config, runner.signals.window, live=live)

    def _bars(
        self, symbol: Symbol, config: dict[str, Any], window: int, *, live: bool
    ) -> pd.DataFrame:
        start = config.get("start")
        timeframe = str(config["timeframe"])
        length = pd.Timedelta(bar_length(timeframe))
        now = self.clock()
        if live:
            start = (now - 2 * window * length).isoformat()
        bars = self.market_data.load_bars(
            symbol, start=start, end=config.get("end"), timeframe=timeframe
        )
        if live:  # a bar still forming would trade on a close that is not final yet
            bars = bars[bars.index + length <= now]
        return bars

    def _signals(self, config: dict[str, Any], code: str) -> tuple[SignalSource, dict[str, Any]]:
        if config.get("code") is not None:
            if self.code_runner is None:
                raise ConfigError("Code strategies need the sandbox, which this service lacks.")
            return CodeSignals(self.code_runner, str(config["code"])), {}
        spec = StrategySpec.model_validate(config["spec"])
        return SpecSignals(spec, code), spec_options(spec)

    def _emit(self, record: RunnerRecord, kind: str, data: dict[str, Any]) -> None:
        user_id = record.config.get("user_id")
        self._publish(PaperEvent(kind, record.runner_id, data, user_id=user_id))

    def _publish(self, event: PaperEvent) -> None:
        self.events.publish(event)
        if self.on_event is not None:
            self.on_event(event)
