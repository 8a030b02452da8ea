"""The web UI in a real browser: an idea typed in the chat to a dashboard with trade markers.

Each test drives headless Debian chromium against ``vibetrading serve`` and saves
screenshots under test-output/screenshots/ for a person to look at. Ideas are typed key
by key with the keyboard (as a person types), never pasted into the field.
"""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IDEA_EN = "buy when RSI(14) is below 30 and sell above 70 with a 5% stop"
IDEA_ZH = "RSI(14)低于30买入，高于70卖出，止损5%"


def _type_idea(page, idea: str) -> None:
    composer = page.get_by_role("textbox").first
    composer.click()
    page.keyboard.type(idea, delay=5)


def _ask(page, idea: str) -> None:
    _type_idea(page, idea)
    page.keyboard.press("Enter")
    page.locator(".vt-strategy-card").first.wait_for()


def _copilot_result_to_dashboard(page, *, open_dashboard: str) -> None:
    from playwright.sync_api import expect

    summaries = page.get_by_text(open_dashboard)
    expect(summaries).to_have_count(1, timeout=120_000)  # the copilot's run, shown once
    page.wait_for_timeout(1_000)
    expect(summaries).to_have_count(1)  # and never run a second time by the page
    summaries.first.click()
    page.wait_for_url(re.compile(r".*/backtest\?run=\w+"))
    expect(page.locator(".js-plotly-plot")).to_have_count(5, timeout=60_000)


def _expect_markers(page, *names: str) -> None:
    from playwright.sync_api import expect

    for name in names:
        expect(page.locator(".legendtext", has_text=name).first).to_be_visible()
    points = page.locator(".js-plotly-plot").first.locator(".scatterlayer .point")
    expect(points.first).to_be_attached()


def test_typing_keeps_every_key_and_shift_enter_makes_a_new_line(page, server_url, shot):
    from playwright.sync_api import expect

    page.goto(f"{server_url}/")
    composer = page.get_by_role("textbox").first

    _type_idea(page, "buy when RSI(14) is below 30")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("and sell above 70 with a 5% stop", delay=5)

    assert composer.input_value() == (
        "buy when RSI(14) is below 30\nand sell above 70 with a 5% stop"
    )
    expect(page.get_by_text("Type an idea first.")).to_have_count(0)
    expect(page.locator(".vt-bubble-user")).to_have_count(0)  # nothing sent yet
    shot(page, "en-chat-typed")
    page.keyboard.press("Enter")
    expect(page.locator(".vt-bubble-user")).to_have_count(1)
    expect(page.locator(".vt-strategy-card").first).to_contain_text("stop loss 5%")
    expect(composer).to_have_value("", timeout=60_000)


def test_english_idea_to_dashboard_with_trade_markers(page, server_url, shot):
    from playwright.sync_api import expect

    page.goto(f"{server_url}/")

    _ask(page, IDEA_EN)
    card = page.locator(".vt-strategy-card").first
    expect(card).to_contain_text("RSI(14) strategy on SPX")
    expect(card).to_contain_text("stop loss 5%")
    summary = page.locator(".q-card", has_text="Backtest finished").first
    expect(summary.locator(".js-plotly-plot")).to_have_count(1, timeout=120_000)  # sparkline
    expect(summary.locator(".js-plotly-plot .main-svg").first).to_be_visible()  # drawn
    expect(page).to_have_url(re.compile(r".*/\?c=\w+"))
    shot(page, "en-chat-card", full_page=False)
    _copilot_result_to_dashboard(page, open_dashboard="Open dashboard")
    page.wait_for_timeout(1_500)  # let plotly finish drawing before the screenshot

    expect(page.get_by_text("Max drawdown").first).to_be_visible()
    _expect_markers(page, "Entry", "Exit", "Stop-loss")
    assert page.evaluate("document.documentElement.lang") == "en-US"
    assert page.title() == "VibeTrading · Backtest"
    shot(page, "en-dashboard")


def test_chinese_idea_to_dashboard_with_trade_markers(page, server_url, shot):
    from playwright.sync_api import expect

    page.goto(f"{server_url}/")
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_text("回车发送 · Shift+回车换行")).to_be_visible()

    _ask(page, IDEA_ZH)
    card = page.locator(".vt-strategy-card").first
    expect(card).to_contain_text("止损5%")
    expect(card).to_contain_text("做多")
    expect(card).to_contain_text("未指定标的：使用 SPX")  # assumptions read in Chinese
    expect(card).not_to_contain_text("no instrument named")
    summary = page.locator(".q-card", has_text="回测完成").first
    expect(summary.locator(".js-plotly-plot .main-svg").first).to_be_visible(timeout=120_000)
    shot(page, "zh-chat-card", full_page=False)
    _copilot_result_to_dashboard(page, open_dashboard="打开回测面板")
    page.wait_for_timeout(1_500)

    expect(page.get_by_text("最大回撤").first).to_be_visible()
    _expect_markers(page, "买入", "卖出", "止损")
    for text in ("全部", "3个月", "每页", "做多", "1月", "全年"):
        expect(page.get_by_text(text).first).to_be_attached()
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.title() == "VibeTrading · 回测"
    shot(page, "zh-dashboard")


def test_synthetic_data_run_shows_badge_sparkline_and_dashboard_link(page, server_url, shot):
    from playwright.sync_api import expect

    page.goto(f"{server_url}/")

    _ask(page, "buy 0700.HK when RSI(14) is below 30 and sell above 70")
    summary = page.locator(".q-card", has_text="Backtest finished").first
    expect(summary).to_contain_text("SYNTHETIC DATA", timeout=120_000)
    expect(summary.locator(".js-plotly-plot")).to_have_count(1)
    shot(page, "synthetic-chat")
    _copilot_result_to_dashboard(page, open_dashboard="Open dashboard")

    expect(page.get_by_text("SYNTHETIC DATA").first).to_be_visible()


def test_nonsense_idea_unknown_symbol_and_unknown_run_show_readable_errors(page, server_url, shot):
    from playwright.sync_api import expect

    page.goto(f"{server_url}/")
    _type_idea(page, "asdf qwer banana")
    page.keyboard.press("Enter")

    expect(page.get_by_text(re.compile("No usable trading rule")).first).to_be_visible()
    expect(page.locator(".vt-strategy-card")).to_have_count(0)
    shot(page, "error-nonsense")

    page.goto(f"{server_url}/market?symbol=NOPE123")
    expect(page.locator(".vt-error", has_text="NOPE123")).to_be_visible()
    shot(page, "error-unknown-symbol")

    page.goto(f"{server_url}/backtest?run=doesnotexist")
    expect(page.get_by_text("Run not found")).to_be_visible()

    page.goto(f"{server_url}/backtest")
    page.get_by_text("Run settings").click()
    page.get_by_label("Symbols (comma separated)").fill("NOPE123")
    page.get_by_role("button", name="Re-run").click()
    field = page.locator(".q-field--error", has_text="NOPE123")
    expect(field).to_be_visible(timeout=60_000)  # under the field that caused it
    expect(field).to_contain_text("Symbols")
    shot(page, "error-rerun-symbol", full_page=False)


def test_phone_width_chat_conversations_and_dashboard(browser, server_url, shot):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        page.goto(f"{server_url}/")
        expect(page.locator(".q-drawer--left")).not_to_be_in_viewport()  # collapsed on phones
        expect(page.get_by_role("button", name="New chat")).to_be_visible()
        page.get_by_role("button", name="Conversations").click()
        expect(page.locator(".q-menu").get_by_text("buy when RSI(14)").first).to_be_visible()
        page.wait_for_timeout(500)  # the menu fades in
        box = page.locator(".q-menu").bounding_box()
        shot(page, "phone-conversations", full_page=False)
        page.keyboard.press("Escape")
        _ask(page, IDEA_EN)
        shot(page, "phone-chat")
        _copilot_result_to_dashboard(page, open_dashboard="Open dashboard")
        page.wait_for_timeout(1_500)
        width = page.evaluate("document.documentElement.scrollWidth")
        cell_numbers = page.locator(".vt-monthly .heatmap-label").first
        expect(cell_numbers).to_be_hidden()  # the heatmap keeps colours only on a phone
        shot(page, "phone-dashboard")
    finally:
        context.close()

    assert width <= 400  # nothing wider than the phone
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390  # the conversation menu fits on the screen
