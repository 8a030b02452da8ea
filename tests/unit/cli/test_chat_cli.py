import json
import threading

import pytest
from typer.testing import CliRunner

from vibetrading.cli.chat import collect_reply, result_table, stoppable
from vibetrading.cli.main import app
from vibetrading.errors import ConfigError, NotFound
from vibetrading.services.copilot import ChatEvent

runner = CliRunner()


@pytest.mark.slow
def test_chat_once_json_offline_has_reply_spec_backtest_engine():
    result = runner.invoke(
        app,
        [
            "chat",
            "--once",
            "Buy when RSI crosses below 30, sell above 70, stop loss 5%",
            "--format",
            "json",
        ],
        catch_exceptions=False,
    )

    document = json.loads(result.stdout)
    assert result.exit_code == 0
    assert document["engine"] == "offline"
    assert document["fallback_reason"] == "no LLM provider is configured"
    assert document["spec"]["risk"]["stop_loss"] == 0.05
    assert document["backtest"]["num_trades"] > 0
    assert "total_return" in document["backtest"]["summary"]
    assert document["conversation_id"]
    assert document["usage"]["total_tokens"] == 0
    assert document["reply"].startswith("(Offline mode")


def test_chat_once_table_prints_reply_and_results():
    result = runner.invoke(
        app,
        ["chat", "--once", "RSI低于30买入，高于70卖出", "--symbol", "IXIC"],
        catch_exceptions=False,
    )

    assert result.exit_code == 0
    assert "离线模式" in result.stdout
    assert "IXIC" in result.stdout
    assert "total return" in result.stdout
    assert "offline" in result.stdout


def test_chat_interactive_answers_until_quit():
    result = runner.invoke(
        app,
        ["chat"],
        input="Buy when RSI crosses below 30, sell above 70\n/new\n\n/quit\n",
        catch_exceptions=False,
    )

    assert result.exit_code == 0
    assert "Offline mode" in result.stdout


def test_chat_interactive_end_of_input_exits():
    result = runner.invoke(app, ["chat"], input="", catch_exceptions=False)

    assert result.exit_code == 0


def test_collect_reply_gathers_errors_and_code():
    events = [
        ChatEvent("spec", {"kind": "code", "code": "x = 1", "name": "c"}),
        ChatEvent("error", {"message": "needs the sandbox"}),
        ChatEvent(
            "done",
            {
                "reply": "r",
                "engine": "offline",
                "fallback_reason": None,
                "conversation_id": "c1",
                "usage": {},
            },
        ),
    ]

    document = collect_reply(events)

    assert (document["code"], document["errors"]) == ("x = 1", ["needs the sandbox"])


def test_result_table_marks_synthetic_data():
    table = result_table(
        {"symbols": ["0700.HK"], "start": "a", "end": "b", "synthetic": True, "summary": {}}
    )

    assert "synthetic" in str(table.title)


def test_stoppable_passes_events_and_errors_through():
    def failing():
        yield ChatEvent("token", {"text": "a"})
        raise NotFound("gone")

    events = stoppable(failing(), threading.Event())

    assert next(events).data == {"text": "a"}
    with pytest.raises(NotFound):
        next(events)


def test_chat_once_unknown_conversation_is_an_error():
    result = runner.invoke(app, ["chat", "--once", "hi", "--conversation", "nope"])

    assert isinstance(result.exception, NotFound)


IDEA = "Buy when RSI crosses below 30, sell above 70"
ONCE_KEYS = {
    "reply",
    "spec",
    "code",
    "backtest",
    "engine",
    "fallback_reason",
    "conversation_id",
    "usage",
    "errors",
    "strategy",
}


def once_json(*extra):
    result = runner.invoke(
        app, ["chat", "--once", IDEA, "--format", "json", *extra], catch_exceptions=False
    )
    return json.loads(result.stdout)


def test_chat_once_json_keys_are_unchanged():
    document = once_json()

    assert set(document) == ONCE_KEYS


def test_chat_once_table_footer_names_the_conversation():
    result = runner.invoke(app, ["chat", "--once", IDEA], catch_exceptions=False)

    footer = result.stdout.strip().splitlines()[-1]
    assert footer.startswith("offline · 0 tokens · conversation ")
    conversation = footer.rsplit(" ", 1)[-1]
    listed = runner.invoke(app, ["chat", "--list", "--format", "json"], catch_exceptions=False)
    assert [row["id"] for row in json.loads(listed.stdout)] == [conversation]


def test_chat_list_json_has_id_title_updated_and_message_count():
    first = once_json()
    once_json("--conversation", first["conversation_id"])
    once_json()

    result = runner.invoke(app, ["chat", "--list", "--format", "json"], catch_exceptions=False)

    rows = json.loads(result.stdout)
    assert result.exit_code == 0
    assert len(rows) == 2
    resumed = next(row for row in rows if row["id"] == first["conversation_id"])
    assert resumed["messages"] == 4
    assert resumed["title"] == IDEA
    assert resumed["updated_at"].startswith("20")
    assert rows[0]["updated_at"] >= rows[1]["updated_at"]


def test_chat_list_table_shows_the_conversations():
    document = once_json()

    result = runner.invoke(app, ["chat", "--list"], catch_exceptions=False)

    assert result.exit_code == 0
    assert document["conversation_id"] in result.stdout
    assert "messages" in result.stdout


def test_chat_list_with_no_conversations_says_so():
    result = runner.invoke(app, ["chat", "--list"], catch_exceptions=False)

    assert "No conversations yet" in result.stdout


def test_chat_interactive_history_lists_and_resume_continues():
    first = once_json()
    conversation = first["conversation_id"]

    result = runner.invoke(
        app,
        ["chat"],
        input=f"/history\n/resume {conversation}\ntighter stop\n/quit\n",
        catch_exceptions=False,
    )

    assert result.exit_code == 0
    assert result.stdout.count(conversation) >= 3  # listed, resumed, footer
    listed = runner.invoke(app, ["chat", "--list", "--format", "json"], catch_exceptions=False)
    assert json.loads(listed.stdout)[0]["messages"] == 4


def test_chat_interactive_resume_unknown_conversation_reports_and_continues():
    result = runner.invoke(
        app, ["chat"], input=f"/resume nope\n{IDEA}\n{IDEA}\n/quit\n", catch_exceptions=False
    )

    assert result.exit_code == 0
    assert "error: " in result.stdout
    assert "· conversation " in result.stdout


def test_chat_interactive_unknown_command_prints_help():
    result = runner.invoke(app, ["chat"], input="/what\n/quit\n", catch_exceptions=False)

    assert result.stdout.count("/history lists conversations") == 2


def test_chat_once_keyed_provider_without_key_names_the_variable(monkeypatch):
    monkeypatch.delenv("DEEPSEEK_API_KEY", raising=False)

    result = runner.invoke(app, ["chat", "--once", "hi", "--provider", "deepseek"])

    assert isinstance(result.exception, ConfigError)
    assert str(result.exception).endswith("set DEEPSEEK_API_KEY.")
