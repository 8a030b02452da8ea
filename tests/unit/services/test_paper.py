import pandas as pd
import pytest

from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.bootstrap_paper import build_simulated_broker
from vibetrading.domain.risk import RiskConfig
from vibetrading.domain.strategy import StrategySpec
from vibetrading.domain.strategy.compile import compile_signals
from vibetrading.domain.strategy.expr import compare, crosses_above, indicator
from vibetrading.domain.trading.enums import OrderSide, OrderStatus, RejectReason, TradingMode
from vibetrading.errors import (
    ConfigError,
    NotFound,
    OrderRejected,
    SandboxViolation,
    SpecError,
    StrategyError,
)
from vibetrading.services.market_data import MarketDataService
from vibetrading.services.paper import (
    PaperRequest,
    PaperTradingService,
    SavedStrategy,
    next_bar_close,
)
from vibetrading.services.paper_signals import SpecSignals, spec_window
from vibetrading.testing import InMemoryBarStore
from vibetrading.testing.paper_fakes import InMemoryPaperRunnerRepository

RSI_TEXT = "buy when RSI(14) is below 30 and sell above 70 with a 5% stop"
START, END = "2010-01-01", "2010-08-31"


@pytest.fixture(scope="module")
def market_data():
    return MarketDataService(store=InMemoryBarStore(), providers={"sample": SampleProvider})


@pytest.fixture
def events():
    return []


@pytest.fixture
def service(market_data, events):
    return PaperTradingService(
        market_data,
        InMemoryPaperRunnerRepository(),
        build_simulated_broker,
        on_event=events.append,
    )


def request(**changes):
    values = {"symbol": "SPX", "strategy": RSI_TEXT, "start": START, "end": END} | changes
    return PaperRequest(**values)


@pytest.mark.slow
@pytest.mark.parametrize(
    "spec",
    [
        StrategySpec(
            universe=["SPX"],
            entry=crosses_above(indicator("ema", period=12), indicator("ema", period=26)),
            exit=compare(indicator("rsi", period=14), ">", 70),
        ),
        StrategySpec(
            universe=["SPX"],
            entry=crosses_above(indicator("sma", period=20), indicator("sma", period=50)),
        ),
    ],
    ids=["ema-rsi", "sma"],
)
def test_spec_signals_on_trailing_window_equal_full_history(market_data, spec):
    bars = market_data.load_bars("SPX", start="2007-01-01", end="2008-12-31")
    full = compile_signals(spec, bars, symbol="SPX")
    source = SpecSignals(spec, "SPX")

    latest = [
        source.latest(bars.iloc[max(0, i + 1 - source.window) : i + 1]) for i in range(len(bars))
    ]

    assert source.window == spec_window(spec) < len(bars)
    assert [e for e, _ in latest] == full.entries.tolist()
    assert [x for _, x in latest] == full.exits.tolist()


@pytest.mark.slow
def test_run_interrupted_then_resumed_equals_uninterrupted_run(service, market_data):
    other = PaperTradingService(
        market_data, InMemoryPaperRunnerRepository(), build_simulated_broker
    )
    whole = other.run(other.start(request()).runner_id)
    record = service.start(request())
    calls = iter(range(10_000))

    first = service.run(record.runner_id, should_stop=lambda: next(calls) >= 100)
    resumed = service.run(record.runner_id)

    assert first.bars == 100
    assert whole.trades
    assert service.repository.get_runner(record.runner_id).status == "finished"
    assert resumed.trades == whole.trades
    assert resumed.final_equity == whole.final_equity
    ids = [o.client_order_id for o in service.orders(record.runner_id)]
    assert len(ids) == len(set(ids)) == len(other.orders())


def test_replaying_a_bar_that_was_not_saved_never_duplicates_orders(service):
    record = service.start(request())
    service.run(record.runner_id)
    stored = service.repository.orders(record.runner_id)
    runner, bars = service._runner(service.repository.get_runner(record.runner_id))

    for i in range(len(bars)):  # a fresh broker replaying every bar sends the same ids
        runner.broker.on_bar("SPX", bars.index[i], open_=1.0, high=1.0, low=1.0, close=1.0)
    resubmitted = [runner.broker.submit(o) for o in stored]

    assert [o.client_order_id for o in resubmitted] == [o.client_order_id for o in stored]
    assert len(runner.broker.orders()) == len(stored)


def test_start_same_request_twice_returns_the_same_runner(service):
    first = service.start(request())
    second = service.start(request(speed=5.0))

    assert first.runner_id == second.runner_id
    assert len(service.repository.list_runners()) == 1


@pytest.mark.slow
def test_equity_snapshots_follow_thresholds(market_data):
    def run(snapshot_abs, snapshot_rel):
        paper = PaperTradingService(
            market_data,
            InMemoryPaperRunnerRepository(),
            build_simulated_broker,
            snapshot_abs=snapshot_abs,
            snapshot_rel=snapshot_rel,
        )
        record = paper.start(request())
        summary = paper.run(record.runner_id)
        return summary, paper.repository.equity_snapshots(record.runner_id)

    summary, every = run(0.0, 0.0)
    _, absolute = run(1_000.0, 1.0)
    _, relative = run(1e9, 0.01)

    assert summary.bars == 167
    assert 1 < len(absolute) < len(every) <= summary.bars
    assert 1 < len(relative) < len(every)
    assert every[0][1] == 100_000.0


def test_status_orders_stop_and_reset(service, events):
    record = service.start(request())
    service.run(record.runner_id)
    other = service.start(request(end="2010-12-31"))

    rows = service.status()
    orders = service.orders()
    stopped = service.stop()
    reset = service.reset()

    assert rows[0]["mode"] == "paper"
    assert rows[0]["status"] == "finished"
    assert orders
    assert all(o.status is OrderStatus.FILLED for o in orders)
    assert stopped == [other.runner_id]  # a finished runner stays finished
    assert reset == [record.runner_id, other.runner_id]
    assert service.status() == []
    assert {e.kind for e in events} >= {"runner", "order", "fill", "position", "account"}


def test_place_manual_order_is_checked_idempotent_and_fills_on_resume(service):
    record = service.start(request())
    calls = iter(range(10_000))
    service.run(record.runner_id, should_stop=lambda: next(calls) >= 50)

    placed = service.place_order("SPX", OrderSide.BUY, 1, client_order_id="m1")
    again = service.place_order("SPX", OrderSide.BUY, 1, client_order_id="m1")
    too_big = service.place_order("SPX", OrderSide.BUY, 1e6, limit_price=1000.0)
    service.run(record.runner_id)

    assert placed.status is OrderStatus.ACCEPTED
    assert again.client_order_id == placed.client_order_id
    assert too_big.status is OrderStatus.REJECTED
    assert "not enough cash" in too_big.message
    stored = {o.client_order_id: o for o in service.orders(record.runner_id)}
    assert list(stored).count("m1") == 1
    assert stored["m1"].status is OrderStatus.FILLED
    assert any(f.client_order_id == "m1" for f in service.fills(record.runner_id))
    with pytest.raises(NotFound):
        service.place_order("GOOG", OrderSide.BUY, 1)


def test_place_order_on_finished_runner_is_rejected_and_stored(service):
    record = service.start(request())
    service.run(record.runner_id)

    placed = service.place_order("SPX", OrderSide.BUY, 1, client_order_id="late")

    assert placed.status is OrderStatus.REJECTED
    assert placed.reject_reason is RejectReason.MARKET_CLOSED
    assert "has finished" in placed.message
    assert [o.status for o in service.orders() if o.client_order_id == "late"] == [
        OrderStatus.REJECTED
    ]


def test_dry_run_places_orders_and_never_fills(service):
    record = service.start(request(mode=TradingMode.DRY_RUN))

    summary = service.run(record.runner_id)

    assert summary.mode == "dry_run"
    assert summary.fills == 0
    assert summary.final_equity == 100_000.0
    assert service.orders(record.runner_id)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"mode": TradingMode.OFF}, ConfigError),
        ({"mode": TradingMode.LIVE}, ConfigError),
        ({"strategy": None, "code": "def signals(data, params): ..."}, ConfigError),
        ({"strategy": None, "strategy_id": "s1"}, ConfigError),
        ({"strategy": None}, ConfigError),
        ({"strategy": "buy when RSI is above 80 and RSI is below 20"}, SpecError),
    ],
    ids=["off", "live", "code", "saved-without-store", "none", "contradiction"],
)
def test_start_refuses_what_it_cannot_run(service, changes, error):
    with pytest.raises(error):
        service.start(request(**changes))


def test_unknown_runner_is_not_found(service):
    with pytest.raises(NotFound):
        service.run("missing")


def test_schedule_runners_adds_live_runners_to_the_scheduler(service):
    class Scheduler:
        def __init__(self):
            self.jobs = []

        def add_job(self, func, trigger, **options):
            self.jobs.append((func, trigger, options))

    service.start(request())
    live = service.start(request(feed="live"))
    scheduler = Scheduler()

    ids = service.schedule_runners(scheduler)

    assert ids == [live.runner_id]
    assert scheduler.jobs[0][1] == "interval"
    assert scheduler.jobs[0][2]["seconds"] == pd.Timedelta("1D").total_seconds()


class SmaCrossCodeRunner:
    """A stand-in for the sandbox: 'runs' any source as a 5/20 SMA cross."""

    def __init__(self):
        self.calls = 0

    def run(self, source, bars, params=None):
        self.calls += 1
        fast, slow = bars["close"].rolling(5).mean(), bars["close"].rolling(20).mean()
        entries = (fast > slow) & (fast.shift() <= slow.shift())
        exits = (fast < slow) & (fast.shift() >= slow.shift())
        return entries, exits, {"ok": True}

    def check(self, source):
        return {"is_safe": True, "checks": []}


def test_code_strategy_replay_matches_backtest_with_one_sandbox_run(market_data):
    from vibetrading.services.backtests import BacktestRequest, BacktestService

    code_runner = SmaCrossCodeRunner()
    paper = PaperTradingService(
        market_data, InMemoryPaperRunnerRepository(), build_simulated_broker,
        code_runner=code_runner,
    )  # fmt: skip
    backtest = BacktestService(market_data, code_runner=SmaCrossCodeRunner()).run(
        BacktestRequest(
            code="def signals(data, params): ...", symbols=("SPX",), start=START, end=END
        )
    )

    record = paper.start(request(strategy=None, code="def signals(data, params): ..."))
    summary = paper.run(record.runner_id)

    assert summary.trades
    assert summary.trades == backtest.result.to_dict()["trades"]
    assert summary.final_equity == backtest.result.final_equity
    assert code_runner.calls == 1


class UnsafeCodeRunner(SmaCrossCodeRunner):
    """A sandbox that finds a forbidden import in any source."""

    def check(self, source):
        return {
            "is_safe": False,
            "checks": [
                {"name": "imports", "layer": "static", "passed": False,
                 "message": "import of 'os' is not allowed", "line": 1},
            ],
        }  # fmt: skip


class BrokenCodeRunner(SmaCrossCodeRunner):
    """A sandbox whose code passes the checks and then raises when it runs."""

    def run(self, source, bars, params=None):
        raise StrategyError("signals() raised ZeroDivisionError: division by zero")


def test_start_unsafe_code_raises_with_report_before_saving_anything(market_data):
    saved = []
    paper = PaperTradingService(
        market_data, InMemoryPaperRunnerRepository(), build_simulated_broker,
        code_runner=UnsafeCodeRunner(), save_strategy=lambda *args: saved.append(args) or "s1",
    )  # fmt: skip

    with pytest.raises(SandboxViolation, match="import of 'os'") as caught:
        paper.start(request(strategy=None, code="import os"))

    assert caught.value.report["is_safe"] is False
    assert saved == []
    assert paper.repository.list_runners() == []


def test_run_that_raises_marks_runner_failed_with_reason(market_data, events):
    paper = PaperTradingService(
        market_data, InMemoryPaperRunnerRepository(), build_simulated_broker,
        code_runner=BrokenCodeRunner(), on_event=events.append,
    )  # fmt: skip
    record = paper.start(request(strategy=None, code="def signals(data, params): ..."))

    with pytest.raises(StrategyError):
        paper.run(record.runner_id)

    stored = paper.repository.get_runner(record.runner_id)
    assert stored.status == "failed"
    assert "ZeroDivisionError" in stored.error
    assert paper.status()[0]["error"] == stored.error
    assert events[-1].data["status"] == "failed"


def test_stop_from_elsewhere_ends_a_running_replay_at_its_next_bar(service):
    record = service.start(request())
    seen = []

    def sleep(_seconds):  # "another process" stops the runner after 20 bars
        seen.append(1)
        if len(seen) == 20:
            service.stop(record.runner_id)

    summary = service.run(record.runner_id, speed=1_000.0, sleep=sleep)

    assert summary.bars == 20  # the bar after the stop is not written
    stored = service.repository.get_runner(record.runner_id)
    assert stored.status == "stopped"
    assert stored.cursor == summary.cursor


def test_manual_orders_placed_and_cancelled_during_a_run_are_durable(service):
    record = service.start(request())
    bars = []

    def sleep(_seconds):  # a person places two orders mid-run and cancels one
        bars.append(1)
        if len(bars) == 10:
            service.place_order("SPX", OrderSide.BUY, 1, client_order_id="during")
            service.place_order("SPX", OrderSide.BUY, 1, limit_price=1.0, client_order_id="low")
        if len(bars) == 15:
            service.cancel_order("low")

    service.run(record.runner_id, speed=1_000.0, sleep=sleep)

    stored = {o.client_order_id: o for o in service.orders(record.runner_id)}
    runner, _ = service._runner(service.repository.get_runner(record.runner_id), load_bars=False)
    in_broker = {o.client_order_id: o for o in runner.broker.orders()}
    assert stored["during"].status is OrderStatus.FILLED
    assert in_broker["during"].status is OrderStatus.FILLED
    assert stored["low"].status is OrderStatus.CANCELLED
    assert in_broker["low"].status is OrderStatus.CANCELLED
    assert service.repository.open_orders(record.runner_id) == []


def test_cancel_order_that_is_not_working_raises(service):
    record = service.start(request())
    service.run(record.runner_id)
    filled = service.orders(record.runner_id)[0]

    with pytest.raises(OrderRejected, match="only working orders"):
        service.cancel_order(filled.client_order_id)
    with pytest.raises(NotFound):
        service.cancel_order("nope")


def test_risk_caps_reject_entries_over_the_order_notional(service):
    record = service.start(request(risk=RiskConfig(max_order_notional=1_000.0)))

    summary = service.run(record.runner_id)

    orders = service.orders(record.runner_id)
    assert orders
    assert summary.fills == 0
    assert {o.status for o in orders} == {OrderStatus.REJECTED}
    assert "cap of 1,000.00" in orders[0].message


def test_max_volume_share_fills_entries_partially(service, market_data):
    whole = service.run(service.start(request()).runner_id)
    record = service.start(request(max_volume_share=1e-9))

    summary = service.run(record.runner_id)

    fills = service.fills(record.runner_id)
    first = service.fills(service.status()[0]["runner_id"])[0]
    assert summary.fills > whole.fills  # each order fills in slices over several bars
    assert max(f.quantity for f in fills) < first.quantity
    slices = [f.client_order_id for f in fills]
    assert max(slices.count(cid) for cid in slices) > 1


def test_manual_order_of_live_runner_outside_session_is_market_closed(market_data):
    saturday = pd.Timestamp("2010-06-05 15:00", tz="UTC")
    paper = PaperTradingService(
        market_data, InMemoryPaperRunnerRepository(), build_simulated_broker,
        clock=lambda: saturday,
    )  # fmt: skip
    record = paper.start(request(feed="live", symbol="GOOG", start=None, end=None))
    paper.poll(record.runner_id)

    placed = paper.place_order("GOOG", OrderSide.BUY, 1)

    assert placed.status is OrderStatus.REJECTED
    assert placed.reject_reason is RejectReason.MARKET_CLOSED


def test_live_poll_drops_the_bar_still_forming(market_data):
    now = pd.Timestamp("2010-06-01 15:00", tz="UTC")  # the 2010-06-01 bar closes at midnight
    paper = PaperTradingService(
        market_data, InMemoryPaperRunnerRepository(), build_simulated_broker, clock=lambda: now
    )
    record = paper.start(request(feed="live", start=None, end=None))

    summary = paper.poll(record.runner_id)

    assert summary.cursor == pd.Timestamp("2010-05-28", tz="UTC")  # Friday; Monday a holiday
    assert paper.repository.get_runner(record.runner_id).status == "running"


def test_poll_of_stopped_runner_does_nothing(market_data):
    now = pd.Timestamp("2010-06-01 15:00", tz="UTC")
    paper = PaperTradingService(
        market_data, InMemoryPaperRunnerRepository(), build_simulated_broker, clock=lambda: now
    )
    record = paper.start(request(feed="live", start=None, end=None))
    paper.stop(record.runner_id)

    summary = paper.poll(record.runner_id)

    assert summary.bars == 0
    assert paper.repository.get_runner(record.runner_id).status == "stopped"


@pytest.mark.parametrize(
    ("timeframe", "now", "close"),
    [
        ("1d", "2024-01-02 10:20", "2024-01-03 00:00"),
        ("1h", "2024-01-02 10:20", "2024-01-02 11:00"),
        ("5m", "2024-01-02 10:20", "2024-01-02 10:25"),
    ],
    ids=["daily", "hourly", "5min"],
)
def test_next_bar_close_is_the_end_of_the_forming_bar(timeframe, now, close):
    assert next_bar_close(timeframe, pd.Timestamp(now, tz="UTC")) == pd.Timestamp(close, tz="UTC")


def test_for_user_sees_only_its_own_runners(market_data):
    paper = PaperTradingService(
        market_data, InMemoryPaperRunnerRepository(), build_simulated_broker
    )
    alice, bob = paper.for_user("alice"), paper.for_user("bob")
    mine = alice.start(request())
    theirs = bob.start(request())

    assert mine.runner_id != theirs.runner_id
    assert [r["runner_id"] for r in alice.status()] == [mine.runner_id]
    with pytest.raises(NotFound):
        alice.run(theirs.runner_id)
    with pytest.raises(NotFound):
        alice.place_order("SPX", OrderSide.BUY, 1, runner_id=theirs.runner_id)
    assert alice.stop() == [mine.runner_id]
    assert bob.repository.get_runner(theirs.runner_id).status == "created"


def test_saved_code_strategy_runs_by_id_through_the_sandbox(market_data):
    code_runner = SmaCrossCodeRunner()
    loaded = []

    def load(user_id, strategy_id):
        loaded.append((user_id, strategy_id))
        return SavedStrategy(code="def signals(data, params): ...")

    paper = PaperTradingService(
        market_data, InMemoryPaperRunnerRepository(), build_simulated_broker,
        code_runner=code_runner, load_strategy=load, user_id="u1",
    )  # fmt: skip
    record = paper.start(request(strategy=None, strategy_id="s42"))
    summary = paper.run(record.runner_id)

    assert loaded == [("u1", "s42")]
    assert record.config["strategy_id"] == "s42"
    assert record.config["code"] == "def signals(data, params): ..."
    assert summary.trades
    assert code_runner.calls == 1


def test_saved_unsafe_code_strategy_is_refused(market_data):
    paper = PaperTradingService(
        market_data, InMemoryPaperRunnerRepository(), build_simulated_broker,
        code_runner=UnsafeCodeRunner(),
        load_strategy=lambda user_id, sid: SavedStrategy(code="import os"),
    )  # fmt: skip

    with pytest.raises(SandboxViolation):
        paper.start(request(strategy=None, strategy_id="s1"))


def test_schedule_runner_puts_a_replay_on_the_scheduler_at_once(service):
    class Scheduler:
        def __init__(self):
            self.jobs = []

        def add_job(self, func, trigger=None, **options):
            self.jobs.append((func, trigger, options))

    record = service.start(request(speed=50.0))
    scheduler = Scheduler()

    service.schedule_runner(scheduler, record.runner_id)

    func, trigger, options = scheduler.jobs[0]
    assert trigger is None
    assert options["kwargs"] == {"speed": 50.0}
    assert func == service.run


def test_event_hub_delivers_from_other_threads_to_the_subscribed_user_only():
    import asyncio
    import threading

    from vibetrading.services.paper import PaperEvent, PaperEventHub

    hub = PaperEventHub()

    async def scenario():
        mine = hub.subscribe("alice")
        one_runner = hub.subscribe("alice", runner_id="r2")
        publish = [
            PaperEvent("order", "r1", {"n": 1}, user_id="bob"),
            PaperEvent("order", "r1", {"n": 2}, user_id="alice"),
            PaperEvent("fill", "r2", {"n": 3}, user_id="alice"),
        ]
        thread = threading.Thread(target=lambda: [hub.publish(e) for e in publish])
        thread.start()
        thread.join()
        got = [await asyncio.wait_for(anext(mine), 1.0) for _ in range(2)]
        only = await asyncio.wait_for(anext(one_runner), 1.0)
        mine.close()
        one_runner.close()
        return got, only

    got, only = asyncio.run(scenario())

    assert [e.data["n"] for e in got] == [2, 3]
    assert only.to_dict() == {"type": "fill", "runner_id": "r2", "data": {"n": 3}}
    assert hub.subscribers == 0


def test_event_hub_drops_the_oldest_events_of_a_slow_subscriber():
    import asyncio

    from vibetrading.services.paper import PaperEvent, PaperEventHub

    hub = PaperEventHub(max_queued=2)

    async def scenario():
        with_events = hub.subscribe(None)
        for n in range(5):
            hub.publish(PaperEvent("account", "r1", {"n": n}))
        await asyncio.sleep(0)  # the loop runs the queued hand-overs
        kept = [(await anext(with_events)).data["n"] for _ in range(2)]
        with_events.close()
        return kept

    assert asyncio.run(scenario()) == [3, 4]


def test_stored_manual_order_is_not_checked_again_for_market_hours_at_pickup(service):
    from vibetrading.domain.trading.orders import Order

    record = service.start(request())
    saturday = pd.Timestamp("2010-01-02 12:00", tz="UTC")  # e.g. stamped by the store's clock
    order = Order("m-sat", "SPX", OrderSide.BUY, quantity=1, created_at=saturday).accepted()
    service.repository.add_order(record.runner_id, order)

    service.run(record.runner_id)

    stored = {o.client_order_id: o for o in service.orders(record.runner_id)}
    assert stored["m-sat"].status is OrderStatus.FILLED
