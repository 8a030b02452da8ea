"""Logic tests of the pages with NiceGUI's simulated user (no browser)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

# Each page test starts NiceGUI's app and renders real pages: a few seconds each.
pytestmark = pytest.mark.slow

IDEA = "buy when RSI(14) is below 30 and sell above 70 with a 5% stop"


async def _send(user: Any, text: str) -> None:
    user.find(marker="chat-input").type(text)
    user.find(marker="chat-input").trigger("keydown.enter")


async def _open_in_chinese(user: Any) -> None:
    # the language is a per-browser choice kept in the user storage of a visited page
    await user.open("/settings")
    from nicegui import app

    with user:
        app.storage.user["lang"] = "zh"
    await user.open("/")


async def _until(predicate: Any, tries: int = 200) -> None:
    for _ in range(tries):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the condition never held")


def test_chat_idea_enter_shows_strategy_card(run_ui):
    async def scenario(user, state):
        await user.open("/")
        await _send(user, IDEA)
        await user.should_see(marker="strategy-name", retries=50)
        await user.should_see("RSI(14) strategy on SPX")
        await user.should_see(marker="card-backtest")

    state = run_ui(scenario)

    assert len(state.proposals) == 1


@pytest.mark.slow
def test_chat_backtest_button_shows_summary_and_dashboard(run_ui):
    async def scenario(user, state):
        await user.open("/")
        await _send(user, IDEA)
        await user.should_see(marker="card-backtest", retries=50)
        user.find(marker="card-backtest").click()
        await user.should_see(marker="run-summary", retries=200)
        await user.should_see(marker="metric-sharpe")
        run_id = next(iter(state.runs))
        await user.open(f"/backtest?run={run_id}")
        await user.should_see(marker="price-chart")
        await user.should_see(marker="equity-chart")
        await user.should_see(marker="monthly-chart")
        await user.should_see(marker="metric-calmar")
        from nicegui import ui

        assert len(user.find(ui.table).elements.pop().rows) == 39

    state = run_ui(scenario)

    record = next(iter(state.runs.values()))
    assert record.error is None
    assert record.outcome is not None


def test_chat_nonsense_shows_readable_error(run_ui):
    async def scenario(user, state):
        await user.open("/")
        await _send(user, "asdf qwer banana")
        await user.should_see(marker="chat-error", retries=50)
        await user.should_see("No usable trading rule")

    state = run_ui(scenario)

    assert not state.proposals


def test_chat_empty_input_says_type_first(run_ui):
    async def scenario(user, state):
        await user.open("/")
        user.find(marker="chat-input").trigger("keydown.enter")
        await user.should_see("Type an idea first.")

    run_ui(scenario)


def test_chat_other_keys_never_send(run_ui):
    async def scenario(user, state):
        await user.open("/")
        user.find(marker="chat-input").type("buy when").trigger("keydown").trigger("keyup")
        await asyncio.sleep(0.2)
        await user.should_not_see("Type an idea first.")
        await user.should_not_see(marker="user-message")
        assert user.find(marker="chat-input").elements.pop().value == "buy when"

    run_ui(scenario)


def test_chat_conversation_is_listed_and_resumable(run_ui):
    async def scenario(user, state):
        await user.open("/")
        await _send(user, IDEA)
        await user.should_see(marker="strategy-name", retries=50)
        conversation = next(iter(state.conversations))
        await user.open("/")
        await user.should_see(marker="conversation-link")
        await user.open(f"/?c={conversation}")
        await user.should_see(IDEA)
        await user.should_see(marker="strategy-name")

    run_ui(scenario)


def test_dashboard_without_run_explains_what_to_do(run_ui):
    async def scenario(user, state):
        await user.open("/backtest")
        await user.should_see(marker="no-run")

    run_ui(scenario)


@pytest.mark.slow
def test_dashboard_rerun_unknown_symbol_shows_error_under_settings(run_ui):
    async def scenario(user, state):
        await user.open("/")
        await _send(user, IDEA)
        await user.should_see(marker="card-backtest", retries=50)
        user.find(marker="card-backtest").click()
        await user.should_see(marker="run-summary", retries=200)
        await user.open(f"/backtest?run={next(iter(state.runs))}")
        user.find(marker="set-symbols").clear().type("NOPE123")
        user.find(marker="rerun").click()
        field = user.find(marker="set-symbols").elements.pop()
        await _until(lambda: bool(field.error))
        assert "NOPE123" in field.error
        assert user.find(marker="set-start").elements.pop().error is None

    state = run_ui(scenario)

    assert list(state.runs.values())[-1].error


def test_chinese_language_renders_chinese_navigation(run_ui):
    async def scenario(user, state):
        await _open_in_chinese(user)
        await user.should_see("对话")
        await user.should_see("回车发送 · Shift+回车换行")

    run_ui(scenario)


def test_chinese_card_shows_chinese_assumptions_and_direction(run_ui):
    async def scenario(user, state):
        await _open_in_chinese(user)
        await _send(user, "RSI低于30买入腾讯，RSI高于70卖出，止损5%")
        await user.should_see(marker="strategy-name", retries=50)
        await user.should_see("RSI 未给出周期：使用 14")
        await user.should_see("做多")
        await user.should_see("未设止盈")
        await user.should_not_see("period not given")

    run_ui(scenario)


def test_editor_text_to_json_and_back(run_ui):
    async def scenario(user, state):
        await user.open("/editor")
        user.find(marker="editor-text").type(IDEA)
        user.find(marker="apply-text").click()
        await user.should_see(marker="strategy-name", retries=50)
        json_editor = user.find(marker="editor-json").elements.pop()
        assert '"rsi"' in json_editor.value
        json_editor.value = json_editor.value.replace("70.0", "75.0")
        user.find(marker="apply-json").click()
        await user.should_see("RSI(14) is above 75")

    run_ui(scenario)


def test_editor_bad_json_shows_error_next_to_it(run_ui):
    async def scenario(user, state):
        await user.open("/editor")
        user.find(marker="editor-json").elements.pop().value = '{"name": 1'
        user.find(marker="apply-json").click()
        await user.should_see(marker="json-error")
        await user.should_see("Invalid JSON")

    run_ui(scenario)


def test_editor_opens_a_chat_proposal(run_ui):
    async def scenario(user, state):
        await user.open("/")
        await _send(user, IDEA)
        await user.should_see(marker="card-edit", retries=50)
        proposal = next(iter(state.proposals))
        await user.open(f"/editor?proposal={proposal}")
        await user.should_see(marker="strategy-name")
        assert user.find(marker="editor-text").elements.pop().value == IDEA

    run_ui(scenario)


def test_strategies_without_repository_says_not_available(run_ui):
    async def scenario(user, state):
        await user.open("/strategies")
        await user.should_see(marker="not-available")

    run_ui(scenario)


def test_paper_without_service_says_not_available(run_ui):
    async def scenario(user, state):
        await user.open("/paper")
        await user.should_see(marker="not-available")

    run_ui(scenario)


def test_market_page_draws_chart_and_reports_unknown_symbol(run_ui):
    async def scenario(user, state):
        await user.open("/market?symbol=GOOG")
        await user.should_see(marker="market-chart")
        await user.open("/market?symbol=NOPE123")
        await user.should_see(marker="market-error")
        await user.should_see("NOPE123")

    run_ui(scenario)


def test_settings_and_login_render_in_local_mode(run_ui):
    async def scenario(user, state):
        await user.open("/settings")
        await user.should_see("Default costs")
        await user.should_see("sample")
        await user.open("/login")
        await user.should_see(marker="local-mode")

    run_ui(scenario)


def test_strategies_save_versions_diff_restore_delete(run_ui, web_services):
    from dataclasses import replace

    from vibetrading.testing.memory_store import MemoryStrategyRepository

    repository = MemoryStrategyRepository()
    services = replace(web_services, strategies=repository)

    async def scenario(user, state):
        await user.open("/")
        await _send(user, IDEA)
        await user.should_see(marker="card-save", retries=50)
        user.find(marker="card-save").click()
        await user.should_see("Saved as version 1.")
        user.find(marker="card-save").click()  # the same spec: nothing new to save
        await user.should_see("No changes since version 1")
        proposal = next(iter(state.proposals))
        await user.open(f"/editor?proposal={proposal}")
        json_editor = user.find(marker="editor-json").elements.pop()
        json_editor.value = json_editor.value.replace("70.0", "75.0")
        user.find(marker="apply-json").click()
        await user.should_see("RSI(14) is above 75")
        user.find(marker="card-save").click()
        await user.should_see("Saved as version 2.")
        strategy_id = next(iter(repository.strategies))
        await user.open(f"/strategies?id={strategy_id}")
        await user.should_see("v2")
        await user.should_see("Diff")
        user.find(marker="restore").click()
        await _until(lambda: repository.strategies[strategy_id].current_version == 3)
        await user.open(f"/strategies?id={strategy_id}")
        user.find(marker="delete-strategy").click()
        await user.should_see(marker="confirm-delete")
        assert repository.strategies[strategy_id].deleted_at is None  # asks first
        user.find(marker="confirm-delete-button").click()
        await _until(lambda: repository.strategies[strategy_id].deleted_at is not None)

    run_ui(scenario, services=services)

    assert len(repository.versions[next(iter(repository.versions))]) == 3
