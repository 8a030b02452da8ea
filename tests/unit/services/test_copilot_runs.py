import pytest

from vibetrading.adapters.llm.offline import OfflineDrafter
from vibetrading.bootstrap import build_backtests
from vibetrading.domain.strategy.expr import compare, indicator
from vibetrading.domain.strategy.spec import StrategySpec
from vibetrading.errors import NotFound, SpecError
from vibetrading.services.copilot_prompts import CODE_TOOL, Proposal, read_tool_call
from vibetrading.services.copilot_runs import BacktestRunner
from vibetrading.services.records import ListQuery

SPEC = StrategySpec(
    entry=compare(indicator("rsi", period=14), "<", 30),
    exit=compare(indicator("rsi", period=14), ">", 70),
)


def proposal(spec=SPEC):
    return Proposal(kind="spec", spec=spec, name=spec.name, universe=tuple(spec.universe))


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        (CODE_TOOL, "{", "not valid JSON"),
        (CODE_TOOL, '{"universe": ["SPX"]}', "`code`"),
        (CODE_TOOL, '{"code": "x", "universe": []}', "non-empty list"),
        ("run_shell", "{}", "Unknown tool"),
        ("propose_strategy", '{"entry": {"kind": "const", "value": 1}}', "condition"),
    ],
    ids=["bad-json", "no-code", "empty-universe", "unknown-tool", "not-a-condition"],
)
def test_read_tool_call_bad_arguments_say_what_to_fix(name, arguments, message):
    with pytest.raises(SpecError, match=message):
        read_tool_call(name, arguments)


def test_runner_unreadable_symbol_ends_in_an_error_event():
    runner = BacktestRunner(build_backtests())
    spec = SPEC.model_copy(update={"universe": ["@@@"]})

    events = list(runner.stream("u", proposal(spec), {}))

    assert events[0][0] == "backtest_started"
    assert events[-1][0] == "error"


class _BrokenBacktests:
    def __init__(self, real):
        self.market_data = real.market_data

    def run(self, request, *, progress=None):
        raise RuntimeError("boom")


def test_runner_unexpected_failure_is_reported_not_hung():
    runner = BacktestRunner(_BrokenBacktests(build_backtests()))

    events = list(runner.stream("u", proposal(), {}))

    assert events[-1] == ("error", {"stage": "backtest", "message": "internal error: boom"})


class _FailingRuns:
    def create_run(self, user_id, **_):
        raise NotFound("no such user")


def test_runner_store_failure_becomes_a_warning():
    runner = BacktestRunner(build_backtests(), runs=_FailingRuns(), start="2015-01-01")

    events = list(runner.stream("u", proposal(), {}))

    kind, result = events[-1]
    assert kind == "backtest_result"
    assert result["run_id"] is None
    assert "not saved" in result["warnings"][-1]


def test_offline_drafter_adds_a_rule_read_with_the_previous_idea():
    drafter = OfflineDrafter()
    first = drafter.draft("Buy when RSI crosses below 30, sell above 70, stop loss 4%")

    draft = drafter.draft(
        "only when the close is above the 200-day moving average", current=first.spec
    )

    assert draft.spec is not None
    assert "sma" in str(draft.spec.model_dump())
    assert draft.spec.risk.stop_loss == 0.04


def test_offline_drafter_wider_stop_and_trailing_stop():
    drafter = OfflineDrafter()
    first = drafter.draft("Buy when RSI crosses below 30, sell above 70, stop loss 4%")

    draft = drafter.draft("wider stop and trailing stop 8%", current=first.spec)

    assert draft.spec.risk.stop_loss == 0.06
    assert draft.spec.risk.trailing_stop == 0.08


def test_offline_drafter_summary_in_chinese_without_trades():
    text = OfflineDrafter().summarise(
        {"symbols": ["SPX"], "start": "a", "end": "b", "bars": 10, "num_trades": 0, "summary": {}},
        language="zh",
    )

    assert "没有任何交易" in text
    assert "n/a" in text


def test_offline_drafter_chinese_summary_names_the_benchmark_in_chinese():
    result = {
        "symbols": ["SPX"], "start": "a", "end": "b", "bars": 10, "num_trades": 2,
        "benchmark_label": "SPX buy & hold", "summary": {"benchmark_return": 0.5},
    }  # fmt: skip

    assert "基准（SPX 买入持有）：+50.00%" in OfflineDrafter().summarise(result, language="zh")
    assert "Benchmark (SPX buy & hold)" in OfflineDrafter().summarise(result, language="en")


def test_offline_drafter_no_trade_summary_says_how_close_the_entry_came_in_chinese():
    warning = (
        "Entry never held on the data (10 bars, 2020-01-01 to 2020-01-14): 'close > 100' "
        "never held; its highest value was 12 on 2020-01-03."
    )
    result = {"symbols": ["SPX"], "start": "a", "end": "b", "bars": 10, "num_trades": 0,
              "summary": {}, "warnings": [warning]}  # fmt: skip

    text = OfflineDrafter().summarise(result, language="zh")

    assert text.endswith("入场条件在数据上从未成立（10 根K线，2020-01-01 至 2020-01-14）："
                         "“close > 100”从未成立；最高值为 12（2020-01-03）。")  # fmt: skip
    assert warning in OfflineDrafter().summarise(result, language="en")


# -- backtests as jobs --------------------------------------------------------------------


@pytest.fixture
def job_store(tmp_path):
    """Return a migrated SQLite store and a user id."""
    from vibetrading.adapters.store.db import SqlStore, upgrade

    url = f"sqlite:///{(tmp_path / 'chat.db').as_posix()}"
    upgrade(url)
    store = SqlStore(url)
    yield store, store.users.create(email="chat@example.com", password_hash="x").id
    store.close()


def _job_runner(store, handler=None, start=None):
    from concurrent.futures import ThreadPoolExecutor

    from vibetrading.services.copilot_runs import COPILOT_BACKTEST_JOB, run_copilot_backtest_job
    from vibetrading.services.jobs import JobService
    from vibetrading.workers import WorkerResources, in_process_runner

    backtests = build_backtests()
    here = WorkerResources(settings=None, store=store, _cache={"backtests": backtests})
    jobs = JobService(
        store.jobs,
        runner=lambda handler, job_id: "unused",
        handlers={},
        executor_factory=lambda: ThreadPoolExecutor(1),
        in_process={COPILOT_BACKTEST_JOB: handler or run_copilot_backtest_job},
        in_process_runner=in_process_runner(here),
    )
    runner = BacktestRunner(backtests, runs=store.backtests, start=start)
    runner.use_jobs(jobs, store)
    return runner, jobs


def test_runner_with_jobs_runs_the_backtest_as_a_job_of_its_run(job_store):
    store, user_id = job_store
    runner, jobs = _job_runner(store, start="2015-01-01")

    events = list(
        runner.stream(user_id, proposal(SPEC.model_copy(update={"universe": ["SPX"]})), {})
    )
    jobs.shutdown(wait=True)

    kind, result = events[-1]
    job = store.jobs.get(user_id, result["job_id"])
    run = store.backtests.get_run(user_id, result["run_id"])
    assert kind == "backtest_result"
    assert result["symbols"] == ["SPX"]
    assert (job.kind, job.state.value) == ("copilot_backtest", "succeeded")
    assert run.job_id == job.id
    assert run.status.value == "succeeded"
    assert store.backtests.get_result(user_id, run.id).meta["synthetic"] is False


def test_runner_with_jobs_symbol_without_data_runs_on_the_demo_series(job_store):
    store, user_id = job_store
    runner, jobs = _job_runner(store)

    events = list(
        runner.stream(user_id, proposal(SPEC.model_copy(update={"universe": ["0700.HK"]})), {})
    )
    jobs.shutdown(wait=True)

    kind, result = events[-1]
    assert kind == "backtest_result"
    assert result["synthetic"] is True
    assert result["job_id"]


def test_runner_with_jobs_failure_ends_in_an_error_with_its_problem(job_store):
    store, user_id = job_store
    runner, jobs = _job_runner(store)

    events = list(
        runner.stream(user_id, proposal(SPEC.model_copy(update={"universe": ["@@@"]})), {})
    )
    jobs.shutdown(wait=True)

    kind, error = events[-1]
    assert kind == "error"
    assert error["problem"]["type"].startswith("https://vibetrading.dev/problems/")
    assert error["problem"]["detail"] == error["message"]


def test_runner_with_jobs_cancel_cancels_the_job_and_its_run(job_store):
    import threading

    from vibetrading.testing.jobs import wait_job

    store, user_id = job_store
    runner, jobs = _job_runner(store, handler=wait_job)
    cancel = threading.Event()
    events = []

    for event in runner.stream(user_id, proposal(), {}, cancel):
        events.append(event)
        if event[0] == "backtest_progress":
            cancel.set()
    jobs.shutdown(wait=True)

    job_id = events[-1][1]["job_id"]
    job = store.jobs.get(user_id, job_id)
    run = store.backtests.list_runs(user_id, ListQuery(filters={"job_id": job_id})).items[0]
    assert job.state.value == "cancelled"
    assert run.status.value == "cancelled"
