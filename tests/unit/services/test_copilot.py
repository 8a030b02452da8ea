import pytest

from vibetrading.adapters.llm.offline import OfflineDrafter
from vibetrading.bootstrap import build_backtests
from vibetrading.errors import NotFound
from vibetrading.services.copilot import ChatEvent, CopilotService
from vibetrading.services.copilot_prompts import Redactor, build_system_prompt, detect_language
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
