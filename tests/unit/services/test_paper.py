import pandas as pd
import pytest

from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.bootstrap_paper import build_simulated_broker
from vibetrading.domain.strategy import StrategySpec
from vibetrading.domain.strategy.compile import compile_signals
from vibetrading.domain.strategy.expr import compare, crosses_above, indicator
from vibetrading.domain.trading.enums import OrderSide, OrderStatus, TradingMode
from vibetrading.errors import ConfigError, NotFound, SpecError
from vibetrading.services.market_data import MarketDataService
from vibetrading.services.paper import PaperRequest, PaperTradingService
from vibetrading.services.runner import SpecSignals, spec_window
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

    rows = service.status()
    orders = service.orders()
    stopped = service.stop(record.runner_id)
    reset = service.reset()

    assert rows[0]["mode"] == "paper"
    assert rows[0]["status"] == "finished"
    assert orders
    assert all(o.status is OrderStatus.FILLED for o in orders)
    assert stopped == reset == [record.runner_id]
    assert service.status() == []
    assert {e.kind for e in events} >= {"runner", "order", "fill", "position", "account"}


def test_place_manual_order_is_checked_and_idempotent(service):
    record = service.start(request())
    service.run(record.runner_id)

    placed = service.place_order("SPX", OrderSide.BUY, 1, client_order_id="m1")
    again = service.place_order("SPX", OrderSide.BUY, 1, client_order_id="m1")
    too_big = service.place_order("SPX", OrderSide.BUY, 1e6, limit_price=1000.0)

    assert placed.status is OrderStatus.ACCEPTED
    assert again.client_order_id == placed.client_order_id
    assert too_big.status is OrderStatus.REJECTED
    ids = [o.client_order_id for o in service.orders(record.runner_id)]
    assert ids.count("m1") == 1
    with pytest.raises(NotFound):
        service.place_order("GOOG", OrderSide.BUY, 1)


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
        return {"ok": True}


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
