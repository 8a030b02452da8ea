"""The strategy runner's I/O at max speed: quiet bars batched, a light check between bars,
a crash between writes replayed without lost or doubled orders, signals compiled once."""

import math

import pytest

from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.bootstrap_paper import build_simulated_broker
from vibetrading.domain.strategy.compile import compile_signals
from vibetrading.domain.strategy.dsl import parse_strategy
from vibetrading.domain.trading.enums import OrderSide, OrderStatus
from vibetrading.services.market_data import MarketDataService
from vibetrading.services.paper import PaperRequest, PaperTradingService
from vibetrading.services.paper_signals import SpecSignals
from vibetrading.testing import InMemoryBarStore
from vibetrading.testing.paper_fakes import InMemoryPaperRunnerRepository

SMA_CROSS = "buy when SMA(5) crosses above SMA(20), sell when SMA(5) crosses below SMA(20)"
START, END = "2010-01-01", "2011-12-31"


@pytest.fixture(scope="module")
def market_data():
    return MarketDataService(store=InMemoryBarStore(), providers={"sample": SampleProvider})


def request():
    return PaperRequest(symbol="SPX", strategy=SMA_CROSS, start=START, end=END)


def service_over(market_data, repository, **options):
    return PaperTradingService(market_data, repository, build_simulated_broker, **options)


class Killed(BaseException):
    """The process died: nothing after it runs, the runner's status included."""


class KilledRepository(InMemoryPaperRunnerRepository):
    """A repository whose process dies as it begins its `kill_at`-th write."""

    def __init__(self, kill_at):
        super().__init__()
        self.kill_at = kill_at
        self.killed_at = None  # the bar being written when the process died

    def save_step(self, step):
        if self.kill_at is not None and self.steps + 1 == self.kill_at:
            self.kill_at, self.killed_at = None, step.cursor
            raise Killed
        return super().save_step(step)


class SteppingClock:
    """A monotonic clock that moves `step_s` seconds each time it is read."""

    def __init__(self, step_s):
        self.step_s = step_s
        self.now = 0.0

    def __call__(self):
        self.now += self.step_s
        return self.now


def test_max_speed_writes_bars_with_orders_or_fills_and_carries_quiet_ones(market_data):
    repository = InMemoryPaperRunnerRepository()
    paper = service_over(market_data, repository, write_interval_s=math.inf)
    record = paper.start(request())

    summary = paper.run(record.runner_id)

    stored = repository.get_runner(record.runner_id)
    eventful = {o.created_at for o in repository.orders(record.runner_id)}
    eventful |= {f.timestamp for f in repository.fills(record.runner_id)}
    assert summary.bars == 504
    assert repository.steps == len(eventful) + 2  # and the first and last bars
    assert repository.steps < summary.bars / 5
    assert stored.cursor == summary.cursor
    assert stored.state["runner"]["bars_done"] == summary.bars
    assert repository.equity_snapshots(record.runner_id) == summary.equity


def test_paced_run_writes_and_checks_every_bar(market_data):
    repository = InMemoryPaperRunnerRepository()
    paper = service_over(market_data, repository, write_interval_s=math.inf)
    record = paper.start(request())

    summary = paper.run(record.runner_id, speed=1_000.0, sleep=lambda _s: None)

    assert repository.steps == summary.bars
    assert repository.inbox_reads == summary.bars


def test_max_speed_batches_quiet_bars_every_write_interval(market_data):
    repository = InMemoryPaperRunnerRepository()
    paper = service_over(market_data, repository)
    record = paper.start(request())
    runner, bars = paper._runner(repository.get_runner(record.runner_id))
    runner.clock = SteppingClock(0.01)  # a bar every 10 ms: a quiet write every 50 bars

    summary = runner.run(bars)

    eventful = {o.created_at for o in repository.orders(record.runner_id)}
    eventful |= {f.timestamp for f in repository.fills(record.runner_id)}
    assert len(eventful) < repository.steps <= len(eventful) + 504 / 50 + 2
    assert 504 / 21 <= repository.inbox_reads <= 504 / 20 + 1  # every 0.2 s: 20 bars
    assert repository.get_runner(record.runner_id).cursor == summary.cursor


@pytest.mark.parametrize("kill_at", [2, 4, 8], ids=["early", "mid", "late"])
def test_killed_between_writes_resumes_without_lost_or_doubled_orders(market_data, kill_at):
    whole_repository = InMemoryPaperRunnerRepository()
    whole_service = service_over(market_data, whole_repository, write_interval_s=math.inf)
    whole = whole_service.run(whole_service.start(request()).runner_id)
    repository = KilledRepository(kill_at)
    paper = service_over(market_data, repository, write_interval_s=math.inf)
    record = paper.start(request())

    with pytest.raises(Killed):
        paper.run(record.runner_id)
    killed = repository.get_runner(record.runner_id)
    resumed = paper.run(record.runner_id)

    bars = market_data.load_bars("SPX", start=START, end=END)
    replayed = bars.loc[killed.cursor : repository.killed_at].index[1:]
    assert len(replayed) > 1  # quiet bars, then the one whose write died, were replayed
    assert killed.status == "running"  # nothing ran after the kill
    assert resumed.trades == whole.trades
    assert resumed.final_equity == whole.final_equity
    assert resumed.bars == whole.bars
    orders = repository.orders(record.runner_id)
    ids = [o.client_order_id for o in orders]
    assert len(ids) == len(set(ids))
    assert [(o.status, o.filled_quantity, o.average_price) for o in orders] == [
        (o.status, o.filled_quantity, o.average_price)
        for o in whole_repository.orders(whole.runner_id)
    ]
    assert [
        (f.timestamp, f.quantity, f.price, f.fees) for f in repository.fills(record.runner_id)
    ] == [
        (f.timestamp, f.quantity, f.price, f.fees) for f in whole_repository.fills(whole.runner_id)
    ]
    assert repository.equity_snapshots(record.runner_id) == whole_repository.equity_snapshots(
        whole.runner_id
    )


def test_stop_from_elsewhere_at_max_speed_ends_the_run_within_a_check(market_data):
    repository = InMemoryPaperRunnerRepository()
    paper = service_over(market_data, repository)
    record = paper.start(request())
    runner, bars = paper._runner(repository.get_runner(record.runner_id))
    runner.clock = SteppingClock(0.05)  # a check every 4 bars
    accounts = []

    def on_event(event):  # "another process" stops the runner after 20 bars
        if event.kind == "account":
            accounts.append(event)
            if len(accounts) == 20:
                paper.stop(record.runner_id)

    runner.on_event = on_event
    runner.status = "running"

    runner.run(bars)

    stored = repository.get_runner(record.runner_id)
    assert runner.is_stopped
    assert 20 <= runner.bars_done <= 24
    assert stored.status == "stopped"
    assert stored.cursor <= runner.cursor
    assert paper.summary(record.runner_id).bars <= 24


def test_manual_order_at_max_speed_is_taken_within_a_check(market_data):
    repository = InMemoryPaperRunnerRepository()
    paper = service_over(market_data, repository)
    record = paper.start(request())
    runner, bars = paper._runner(repository.get_runner(record.runner_id))
    runner.clock = SteppingClock(0.05)
    accounts = []

    def on_event(event):  # a person places an order after 10 bars
        if event.kind == "account":
            accounts.append(event)
            if len(accounts) == 10:
                paper.place_order("SPX", OrderSide.BUY, 1, client_order_id="m1")

    runner.on_event = on_event

    runner.run(bars)

    stored = {o.client_order_id: o for o in repository.orders(record.runner_id)}
    fills = [f for f in repository.fills(record.runner_id) if f.client_order_id == "m1"]
    assert stored["m1"].status is OrderStatus.FILLED
    assert len(fills) == 1
    assert fills[0].timestamp <= bars.index[10 + 4 + 1]


class CountingSpecSignals(SpecSignals):
    """Spec signals that count how often the spec is compiled."""

    compiles = 0

    def _compile(self, bars):
        self.compiles += 1
        return super()._compile(bars)


def test_spec_signals_compile_once_per_run_and_equal_the_backtests(market_data):
    bars = market_data.load_bars("SPX", start=START, end=END)
    spec = parse_strategy(SMA_CROSS, default_symbol="SPX").spec
    source = CountingSpecSignals(spec, "SPX")
    full = compile_signals(spec, bars, symbol="SPX")

    source.prepare(bars)
    signals = [source.at(bars, i) for i in range(len(bars))]

    assert source.compiles == 1
    assert [e for e, _ in signals] == full.entries.tolist()
    assert [x for _, x in signals] == full.exits.tolist()


def test_spec_signals_of_a_bar_not_prepared_use_its_trailing_window(market_data):
    bars = market_data.load_bars("SPX", start=START, end=END)
    spec = parse_strategy(SMA_CROSS, default_symbol="SPX").spec
    source = CountingSpecSignals(spec, "SPX")
    full = compile_signals(spec, bars, symbol="SPX")
    crossing = int(full.entries.to_numpy().nonzero()[0][0])

    signal = source.at(bars, crossing)

    assert signal == (True, False)
    assert source.compiles == 1
