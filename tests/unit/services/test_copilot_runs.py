import pytest

from vibetrading.adapters.llm.offline import OfflineDrafter
from vibetrading.bootstrap import build_backtests
from vibetrading.domain.strategy.expr import compare, indicator
from vibetrading.domain.strategy.spec import StrategySpec
from vibetrading.errors import NotFound, SpecError
from vibetrading.services.copilot_prompts import CODE_TOOL, Proposal, read_tool_call
from vibetrading.services.copilot_runs import BacktestRunner

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
