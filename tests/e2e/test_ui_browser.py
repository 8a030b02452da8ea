"""The web UI in a real browser: an idea in the chat to a dashboard with trade markers.

Each test drives headless Debian chromium against ``vibetrading serve`` and saves
screenshots under test-output/screenshots/ for a person to look at.
"""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IDEA_EN = "buy when RSI(14) is below 30 and sell above 70 with a 5% stop"
IDEA_ZH = "RSI(14)低于30买入，高于70卖出，止损5%"


def _ask(page, idea: str) -> None:
    composer = page.locator("textarea").first
    composer.fill(idea)
    composer.press("Enter")
    page.locator(".vt-strategy-card").first.wait_for()


def _backtest_to_dashboard(page, *, backtest: str, open_dashboard: str) -> None:
    from playwright.sync_api import expect

    page.locator(".vt-strategy-card").first.get_by_text(backtest).click()
    summaries = page.get_by_text(open_dashboard)
    expect(summaries).to_have_count(2, timeout=120_000)  # the copilot's run and ours
    summaries.last.click()
    page.wait_for_url(re.compile(r".*/backtest\?run=\w+"))
    expect(page.locator(".js-plotly-plot")).to_have_count(5, timeout=60_000)


def _expect_markers(page, *names: str) -> None:
    from playwright.sync_api import expect

    for name in names:
        expect(page.locator(".legendtext", has_text=name).first).to_be_visible()
    points = page.locator(".js-plotly-plot").first.locator(".scatterlayer .point")
    expect(points.first).to_be_attached()


def test_english_idea_to_dashboard_with_trade_markers(page, server_url, shot):
    from playwright.sync_api import expect

    page.goto(f"{server_url}/")

    _ask(page, IDEA_EN)
    card = page.locator(".vt-strategy-card").first
    expect(card).to_contain_text("RSI(14) strategy on SPX")
    expect(card).to_contain_text("stop loss 5%")
    shot(page, "en-chat-card")
    _backtest_to_dashboard(page, backtest="Backtest", open_dashboard="Open dashboard")
    page.wait_for_timeout(1_500)  # let plotly finish drawing before the screenshot

    expect(page.get_by_text("Max drawdown").first).to_be_visible()
    _expect_markers(page, "Entry", "Exit", "Stop-loss")
    shot(page, "en-dashboard")


def test_chinese_idea_to_dashboard_with_trade_markers(page, server_url, shot):
    from playwright.sync_api import expect

    page.goto(f"{server_url}/")
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_text("回车发送 · Shift+回车换行")).to_be_visible()

    _ask(page, IDEA_ZH)
    expect(page.locator(".vt-strategy-card").first).to_contain_text("止损5%")
    shot(page, "zh-chat-card")
    _backtest_to_dashboard(page, backtest="回测", open_dashboard="打开回测面板")
    page.wait_for_timeout(1_500)

    expect(page.get_by_text("最大回撤").first).to_be_visible()
    _expect_markers(page, "买入", "卖出", "止损")
    shot(page, "zh-dashboard")


def test_nonsense_idea_and_unknown_symbol_show_readable_errors(page, server_url, shot):
    from playwright.sync_api import expect

    page.goto(f"{server_url}/")
    composer = page.locator("textarea").first
    composer.fill("asdf qwer banana")
    composer.press("Enter")

    expect(page.get_by_text(re.compile("No usable trading rule")).first).to_be_visible()
    expect(page.locator(".vt-strategy-card")).to_have_count(0)
    shot(page, "error-nonsense")

    page.goto(f"{server_url}/market?symbol=NOPE123")
    expect(page.locator(".vt-error", has_text="NOPE123")).to_be_visible()
    shot(page, "error-unknown-symbol")


def test_phone_width_chat_and_dashboard(browser, server_url, shot):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        page.goto(f"{server_url}/")
        expect(page.locator(".q-drawer--left")).not_to_be_in_viewport()  # collapsed on phones
        _ask(page, IDEA_EN)
        shot(page, "phone-chat")
        _backtest_to_dashboard(page, backtest="Backtest", open_dashboard="Open dashboard")
        page.wait_for_timeout(1_500)
        width = page.evaluate("document.documentElement.scrollWidth")
        shot(page, "phone-dashboard")
    finally:
        context.close()

    assert width <= 400  # nothing wider than the phone
