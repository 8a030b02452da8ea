import pytest

from vibetrading.adapters.llm.offline import OfflineDrafter
from vibetrading.bootstrap import build_backtests
from vibetrading.domain.strategy.expr import compare, indicator
from vibetrading.domain.strategy.spec import StrategySpec
from vibetrading.errors import NotFound
from vibetrading.services.copilot import ChatEvent, CopilotService
from vibetrading.services.copilot_prompts import (
    Proposal,
    Redactor,
    build_system_prompt,
    detect_language,
    redact_proposal,
)
from vibetrading.services.ports import LLMChunk, LLMUsage
from vibetrading.testing.memory_store import (
    MemoryConversationRepository,
    MemoryStrategyRepository,
)


@pytest.fixture
def copilot():
    return CopilotService(
        llm=None,
        backtests=build_backtests(),
        conversations=MemoryConversationRepository(),
        strategies=MemoryStrategyRepository(),
        drafter=OfflineDrafter(),
        start="2009-01-01",
    )


def reply(copilot, text, conversation_id=None):
    events = list(copilot.chat("local", text, conversation_id=conversation_id))
    return events, events[-1].data


def spec_of(events):
    return next(e for e in events if e.type == "spec").data


def test_chat_offline_idea_streams_spec_backtest_and_summary(copilot):
    events, done = reply(copilot, "Buy when RSI crosses below 30, sell above 70, stop loss 5%")

    kinds = [e.type for e in events]
    assert kinds[0] == "token"
    assert kinds.index("spec") < kinds.index("backtest_result") < kinds.index("done")
    assert done["engine"] == "offline"
    assert done["fallback_reason"] == "no LLM provider is configured"
    assert done["reply"].splitlines()[0].startswith("(Offline mode")
    assert "Backtest on SPX, 2009-01-02" in done["reply"]
    assert spec_of(events)["spec"]["risk"]["stop_loss"] == 0.05
    result = next(e for e in events if e.type == "backtest_result").data
    assert result["synthetic"] is False
    assert result["num_trades"] == result["summary"]["num_trades"]


@pytest.mark.parametrize(
    ("refinement", "field", "expected"),
    [
        ("tighter stop", ("risk", "stop_loss"), 0.03),
        ("止损改成2%", ("risk", "stop_loss"), 0.02),
        ("take profit 10%", ("risk", "take_profit"), 0.10),
        ("try it on Nasdaq", ("universe",), ["IXIC"]),
    ],
    ids=["tighter", "zh-stop", "take-profit", "symbol"],
)
def test_chat_offline_refinement_saves_a_new_version(copilot, refinement, field, expected):
    first, done = reply(copilot, "Buy when RSI crosses below 30, sell above 70, stop loss 5%")

    events, _ = reply(copilot, refinement, done["conversation_id"])

    spec = spec_of(events)
    value = spec["spec"]
    for key in field:
        value = value[key]
    assert value == expected
    assert spec["version"] == 2
    assert spec["strategy_id"] == spec_of(first)["strategy_id"]


def test_chat_offline_volume_filter_is_added_to_entry(copilot):
    _, done = reply(copilot, "Buy when RSI crosses below 30, sell above 70")

    events, _ = reply(copilot, "add a volume filter", done["conversation_id"])

    entry = spec_of(events)["spec"]["entry"]
    assert entry["kind"] == "all"
    assert "volume_sma" in str(entry)


def test_chat_offline_unknown_refinement_says_what_it_can_do(copilot):
    _, done = reply(copilot, "Buy when RSI crosses below 30, sell above 70")

    events, final = reply(copilot, "make it better somehow", done["conversation_id"])

    assert "spec" not in [e.type for e in events]
    assert "Offline I can switch the symbol" in final["reply"]


def test_chat_offline_symbol_without_data_uses_labelled_synthetic_bars(copilot):
    events, done = reply(copilot, "RSI低于30买入腾讯，高于70卖出")

    result = next(e for e in events if e.type == "backtest_result").data
    assert result["synthetic"] is True
    assert "合成演示数据" in done["reply"]
    assert done["reply"].startswith("（离线模式")


def test_chat_offline_text_without_rules_gives_examples_and_no_backtest(copilot):
    events, done = reply(copilot, "hello there")

    assert [e.type for e in events if e.type.startswith("backtest")] == []
    assert "Try, for example" in done["reply"]


def test_chat_other_users_conversation_is_not_found(copilot):
    _, done = reply(copilot, "Buy when RSI crosses below 30, sell above 70")

    with pytest.raises(NotFound):
        list(copilot.chat("someone-else", "hi", conversation_id=done["conversation_id"]))


def test_chat_without_store_still_answers():
    copilot = CopilotService(
        llm=None,
        backtests=build_backtests(),
        conversations=None,
        strategies=None,
        drafter=OfflineDrafter(),
    )

    events = list(copilot.chat("local", "Buy when RSI crosses below 30, sell above 70"))

    assert spec_of(events)["version"] is None
    assert events[-1].data["conversation_id"]
    assert copilot.usage("local")["total_tokens"] == 0


def test_with_llm_copy_uses_the_new_model_and_redacts_its_key(copilot):
    mine = copilot.with_llm(None, secrets=["sk-user-0123456789", ""])

    assert mine is not copilot
    assert mine.llm is None
    assert mine.secrets == (*copilot.secrets, "sk-user-0123456789")
    assert mine.conversations is copilot.conversations


def test_chat_event_as_dict_has_type_and_data():
    assert ChatEvent("token", {"text": "a"}).as_dict() == {"type": "token", "data": {"text": "a"}}


def test_redactor_secret_split_across_chunks_is_removed():
    redactor = Redactor(["sk-abcdef123456"])

    shown = redactor.feed("key: sk-abc") + redactor.feed("def123456 done") + redactor.flush()

    assert shown == "key: [redacted] done"


def test_redactor_without_secrets_passes_text_through():
    assert Redactor([]).feed("sk-") == "sk-"


def test_detect_language_cjk_is_zh():
    assert (detect_language("买入"), detect_language("buy")) == ("zh", "en")


def test_build_system_prompt_lists_data_and_indicators_without_secrets():
    prompt = build_system_prompt(
        language="zh",
        default_symbol="SPX",
        listings=[{"symbol": "SPX", "timeframe": "1d", "start": "1999", "end": "2018"}],
        last_backtest={"total_return": 0.1},
        insight="calm markets",
    )

    assert "SPX 1d 1999 to 2018" in prompt
    assert "- rsi(period=14)" in prompt
    assert "Chinese" in prompt
    assert "calm markets" in prompt


def test_chat_empty_message_still_ends_with_done(copilot):
    events, done = reply(copilot, "   ")

    assert events[-1].type == "done"
    assert copilot.conversations.get("local", done["conversation_id"]).title == "New conversation"


class BrokenLLMClient:
    """An LLM client that sends some text, then fails in a way no adapter translated."""

    provider = "broken"
    model = "m"

    def stream_chat(self, messages, *, tools=None, response_format=None, cancel=None):
        yield LLMChunk(text="ab")
        raise RuntimeError("unexpected shape")

    def complete(self, messages, *, tools=None, response_format=None, cancel=None):
        raise RuntimeError("unexpected shape")


def broken_copilot(structured_output="tools"):
    return CopilotService(
        llm=BrokenLLMClient(),
        backtests=build_backtests(),
        conversations=MemoryConversationRepository(),
        strategies=MemoryStrategyRepository(),
        drafter=OfflineDrafter(),
        start="2009-01-01",
        structured_output=structured_output,
    )


@pytest.mark.parametrize("mode", ["tools", "response_format"])
def test_chat_unexpected_llm_failure_falls_back_offline_and_ends_with_done(mode, caplog):
    events = list(broken_copilot(mode).chat("local", "Buy when RSI is below 30, sell above 70"))

    done = events[-1]
    assert done.type == "done"
    assert done.data["engine"] == "offline"
    assert done.data["fallback_reason"] == (
        "the model's reply could not be used (RuntimeError: unexpected shape)"
    )
    assert "backtest_result" in [e.type for e in events]
    assert "answering offline" in caplog.text


def test_chat_offline_note_after_partial_text_starts_a_new_line():
    events = list(broken_copilot().chat("local", "Buy when RSI is below 30, sell above 70"))

    assert events[-1].data["reply"].startswith("ab\n(Offline mode: the model's reply")


def test_chat_unexpected_failure_in_chinese_gives_a_chinese_reason():
    events = list(broken_copilot().chat("local", "RSI低于30买入，高于70卖出"))

    assert events[-1].data["fallback_reason"].startswith("大模型的回复无法使用")


def test_chat_offline_chinese_reason_is_chinese_in_done(copilot):
    _, done = reply(copilot, "RSI低于30买入，高于70卖出")

    assert done["fallback_reason"] == "未配置大模型"


def test_redact_proposal_scrubs_spec_strings_and_code():
    spec = StrategySpec(
        entry=compare(indicator("rsi", period=14), "<", 30),
        exit=compare(indicator("rsi", period=14), ">", 70),
    ).model_copy(update={"name": "n sk-abcdef123456", "explanation": "sk-abcdef123456"})
    redactor = Redactor(["sk-abcdef123456"])

    clean = redact_proposal(Proposal(kind="spec", spec=spec, name=spec.name), redactor)
    code = redact_proposal(Proposal(kind="code", code="k='sk-abcdef123456'", name="x"), redactor)

    assert (clean.spec.name, clean.name, clean.spec.explanation) == (
        "n [redacted]",
        "n [redacted]",
        "[redacted]",
    )
    assert code.code == "k='[redacted]'"


def test_redact_proposal_without_secrets_returns_it_unchanged():
    proposal = Proposal(kind="code", code="x = 1")

    assert redact_proposal(proposal, Redactor([])) is proposal


def test_llm_usage_sum_keeps_the_estimated_flag():
    total = LLMUsage(1, 2, None) + LLMUsage(3, 4, 0.5, is_estimated=True)

    assert total == LLMUsage(4, 6, 0.5, True)
    assert total.as_dict()["estimated"] is True


def test_list_conversations_newest_first_with_message_counts(copilot):
    _, first = reply(copilot, "Buy when RSI crosses below 30, sell above 70")
    _, second = reply(copilot, "hello there")
    reply(copilot, "tighter stop", first["conversation_id"])

    rows = copilot.list_conversations("local")

    assert [(r["id"], r["messages"]) for r in rows] == [
        (first["conversation_id"], 4),
        (second["conversation_id"], 2),
    ]
    assert copilot.list_conversations("someone-else") == []


def test_list_conversations_without_store_is_empty():
    copilot = CopilotService(
        llm=None,
        backtests=build_backtests(),
        conversations=None,
        strategies=None,
        drafter=OfflineDrafter(),
    )

    assert copilot.list_conversations("local") == []
