"""Two users of a multi-user server in real browsers: login, logout, and private runs.

Alice and Bob register through the login page, each in their own browser context. Bob
never reaches Alice's run; Enter in the password field logs in and returns to the page
that asked for it; the API key Alice saves is only ever shown back masked.
"""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery staple 1"
KEY = "sk-e2e-secret-0123456789WXYZ"


def _register(page, base: str, email: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/")
    page.wait_for_url(re.compile(r".*/login\?next=.*"))
    expect(page.get_by_label("Email")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{base}/")


def _new_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(90_000)
    return context, page


def test_two_users_keep_their_runs_apart_and_log_in_and_out(browser, multi_user_url, shot):
    from playwright.sync_api import expect

    alice_context, alice = _new_page(browser)
    bob_context, bob = _new_page(browser)
    try:
        _register(alice, multi_user_url, "alice@example.com")
        expect(alice.get_by_text("Log out")).to_be_attached()
        expect(alice.get_by_text("Log in", exact=True)).to_have_count(0)
        alice.get_by_role("textbox").first.click()
        alice.keyboard.type("buy when RSI(14) is below 30 and sell above 70", delay=5)
        alice.keyboard.press("Enter")
        expect(alice.get_by_text("Open dashboard")).to_have_count(1, timeout=120_000)
        alice.get_by_text("Open dashboard").click()
        alice.wait_for_url(re.compile(r".*/backtest\?run=\w+"))
        alice_run = alice.url

        _register(bob, multi_user_url, "bob@example.com")
        bob.goto(f"{multi_user_url}/backtest")
        expect(bob.get_by_text("No backtest yet")).to_be_visible()
        bob.goto(alice_run)
        expect(bob.get_by_text("Run not found")).to_be_visible()
        expect(bob.locator(".js-plotly-plot")).to_have_count(0)
        shot(bob, "multi-user-bob-not-found", full_page=False)

        alice.get_by_text("Log out").click()
        alice.wait_for_url(re.compile(r".*/login.*"))
        alice.goto(alice_run)
        alice.wait_for_url(re.compile(r".*/login\?next=.*"))
        expect(alice.get_by_label("Password")).to_be_visible()
        alice.get_by_label("Email").fill("alice@example.com")
        alice.get_by_label("Password").fill(PASSWORD)
        alice.get_by_label("Password").press("Enter")
        alice.wait_for_url(alice_run)
        expect(alice.locator(".js-plotly-plot")).to_have_count(5, timeout=60_000)
    finally:
        alice_context.close()
        bob_context.close()


def test_settings_need_a_login_and_show_a_saved_key_masked(browser, multi_user_url, shot):
    from playwright.sync_api import expect

    context, page = _new_page(browser)
    try:
        page.goto(f"{multi_user_url}/settings")
        page.wait_for_url(re.compile(r".*/login\?next=%2Fsettings"))
        _register(page, multi_user_url, "carol@example.com")
        page.goto(f"{multi_user_url}/settings")
        page.get_by_label("Provider").click()
        page.get_by_role("option", name="deepseek").click()
        page.get_by_label("API key").fill(KEY)
        page.locator(".q-card", has_text="LLM providers").get_by_role("button", name="Save").click()
        expect(page.get_by_text("sk-…WXYZ")).to_be_visible()
        page.reload()
        expect(page.get_by_text("sk-…WXYZ")).to_be_visible()
        shot(page, "multi-user-settings", full_page=False)
        html = page.content()
    finally:
        context.close()

    assert KEY not in html
