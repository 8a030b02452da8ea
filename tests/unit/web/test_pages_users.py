"""Page tests of users and stored runs: owners, restarts, the copilot's runs, settings, login.

Multi-user mode runs with a token table standing in for the auth service; the runs are
stored in a SQLite run store, as ``vibetrading serve`` does.
"""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import replace
from typing import Any

import pytest

from vibetrading.adapters.store.db import SqlStore, upgrade
from vibetrading.errors import PermissionDenied
from vibetrading.services.backtests import BacktestRequest
from vibetrading.services.records import JobState
from vibetrading.services.stored_runs import save_outcome
from vibetrading.services.strategies import read_strategy
from vibetrading.testing.memory_store import MemoryConversationRepository
from vibetrading.testing.settings_fakes import memory_user_settings

pytestmark = pytest.mark.slow

IDEA = "buy when RSI(14) is below 30 and sell above 70 with a 5% stop"
KEY = "sk-test-0123456789abcdefWXYZ"


class _TokenAuth:
    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens

    def verify_access(self, token: str) -> str:
        if token not in self.tokens:
            raise PermissionDenied("The access token is not valid.")
        return self.tokens[token]


@pytest.fixture
def store(tmp_path):
    store = SqlStore(f"sqlite:///{tmp_path / 'ui.db'}")
    upgrade(store.database)
    yield store
    store.close()


@pytest.fixture
def users(store):
    return {
        name: store.users.create(email=f"{name}@example.com", password_hash="x").id
        for name in ("alice", "bob")
    }


@pytest.fixture
def multi(web_services, store, users):
    return replace(
        web_services,
        is_multi_user=True,
        auth=_TokenAuth({f"tok-{name}": uid for name, uid in users.items()}),
        run_store=store.backtests,
        user_settings=memory_user_settings(),
    )


def _login(user: Any, name: str | None) -> None:
    user.http_client.cookies.clear()
    if name is not None:
        user.http_client.cookies.set("vt_access", f"tok-{name}")


async def _send(user: Any, text: str) -> None:
    user.find(marker="chat-input").type(text)
    user.find(marker="chat-input").trigger("keydown.enter")


async def _until(predicate: Any, tries: int = 300) -> None:
    for _ in range(tries):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the condition never held")


async def _backtest_from_chat(user: Any, idea: str = IDEA) -> None:
    await user.open("/")
    await _send(user, idea)
    await user.should_see(marker="card-backtest", retries=60)
    user.find(marker="card-backtest").click()
    await user.should_see(marker="run-summary", retries=300)


def _figure(user: Any, marker: str) -> dict[str, Any]:
    return user.find(marker=marker).elements.pop().figure


def test_multi_user_bob_never_sees_alices_run_or_proposal(run_ui, multi, users):
    async def scenario(user, state):
        _login(user, "alice")
        await _backtest_from_chat(user)
        run_id = next(iter(state.runs))
        proposal_id = next(iter(state.proposals))

        _login(user, "bob")
        await user.open("/backtest")
        await user.should_see(marker="no-run")
        await user.open(f"/backtest?run={run_id}")
        await user.should_see(marker="run-not-found")
        await user.should_not_see(marker="price-chart")
        await user.open(f"/editor?proposal={proposal_id}")
        await user.should_not_see(marker="strategy-name")

        _login(user, "alice")
        await user.open("/backtest")
        await user.should_see(marker="price-chart")

    state = run_ui(scenario, services=multi)

    assert {record.owner for record in state.runs.values()} == {users["alice"]}


def test_run_survives_a_restart_through_the_run_store(run_ui, multi, store, users):
    async def first(user, state):
        _login(user, "alice")
        await _backtest_from_chat(user)

    state = run_ui(first, services=multi)
    run_id = next(iter(state.runs))
    stored = store.backtests.get_run(users["alice"], run_id)

    async def after_restart(user, state):
        _login(user, "alice")
        await user.open(f"/backtest?run={run_id}")
        await user.should_see(marker="price-chart")
        await user.should_see(marker="metric-calmar")
        await user.open("/backtest?run=unknown123")
        await user.should_see(marker="run-not-found")
        await user.open("/backtest")
        await user.should_see(marker="equity-chart")

    run_ui(after_restart, services=multi)

    assert stored.status is JobState.SUCCEEDED


def test_multi_user_pages_redirect_to_login_and_settings_is_guarded(run_ui, multi):
    refreshes: list[str] = []

    async def scenario(user, state):
        user.javascript_rules[re.compile(".*auth/refresh.*")] = lambda m: (
            refreshes.append(m.group(0)) or False
        )
        _login(user, None)
        await user.open("/settings")
        await user.should_see(marker="login-email", retries=40)
        await user.should_not_see(marker="llm-settings")
        _login(user, "alice")
        await user.open("/settings")
        await user.should_see(marker="llm-settings")
        await user.should_see(marker="nav-logout")
        await user.should_not_see(marker="nav-login")

    run_ui(scenario, services=multi)

    assert refreshes  # the expired token was first refreshed silently


def test_login_password_enter_submits_and_returns_to_the_page(run_ui, multi):
    posted: list[str] = []

    async def scenario(user, state):

        user.javascript_rules[re.compile(".*auth/refresh.*")] = lambda _m: False
        user.javascript_rules[re.compile(r".*auth/login.*", re.S)] = lambda m: (
            posted.append(m.group(0)) or {"ok": True}
        )
        _login(user, None)
        await user.open("/login?next=%2Fbacktest")
        await user.should_see(marker="login-password", retries=40)
        user.find(marker="login-email").type("alice@example.com")
        user.find(marker="login-password").type("pw").trigger("keydown.enter")
        await _until(lambda: bool(posted))

    run_ui(scenario, services=multi)

    assert "alice@example.com" in posted[0]


def test_settings_llm_key_is_stored_encrypted_and_shown_masked(run_ui, multi, users):
    built: list[dict[str, Any]] = []
    services = replace(
        multi, llm_factory=lambda **kw: built.append(kw), llm_providers=("openai", "deepseek")
    )

    async def scenario(user, state):
        _login(user, "alice")
        await user.open("/settings")
        user.find(marker="llm-provider").elements.pop().value = "deepseek"
        user.find(marker="llm-key").type(KEY)
        user.find(marker="llm-save").click()
        await user.should_see("sk-…WXYZ")
        await user.open("/settings")
        await user.should_see("sk-…WXYZ")
        assert user.find(marker="llm-key").elements.pop().value == ""
        await user.should_not_see(KEY)

    run_ui(scenario, services=services)

    stored = services.user_settings.repository.rows[users["alice"]]["llm"]
    assert built[0]["api_key"] == KEY
    assert KEY not in str(stored)
    assert services.user_settings.llm(users["bob"]) is None


def test_saved_costs_apply_to_ui_backtests_and_prefill_the_dashboard(run_ui, multi):
    async def scenario(user, state):
        _login(user, "alice")
        await user.open("/settings")
        user.find(marker="costs-fee").elements.pop().value = 0.002
        user.find(marker="costs-slippage").elements.pop().value = 7
        user.find(marker="costs-save").click()
        await user.should_see("Saved.")
        await user.open("/settings")
        assert user.find(marker="costs-fee").elements.pop().value == 0.002
        await _backtest_from_chat(user)
        await user.open(f"/backtest?run={next(iter(state.runs))}")
        assert user.find(marker="set-fee").elements.pop().value == 0.002
        assert user.find(marker="set-slippage").elements.pop().value == 7

    state = run_ui(scenario, services=multi)

    request = next(iter(state.runs.values())).request
    assert (request.fee_rate, request.slippage_bps) == (0.002, 7.0)


class _ScriptedCopilot:
    """A copilot that replays fixed events, waiting for `gate` before the last one."""

    def __init__(self, events: list[dict[str, Any]], gate: threading.Event | None = None):
        self.events, self.gate, self.calls = events, gate, 0

    def chat(self, user_id, text, *, conversation_id=None):
        self.calls += 1
        for index, event in enumerate(self.events):
            if self.gate is not None and index == len(self.events) - 1:
                self.gate.wait(10)
            yield event


def _stored_synthetic_run(web_services, store, owner):
    spec = read_strategy(IDEA).spec
    request = BacktestRequest(spec=spec)
    outcome = web_services.backtests.run(request)
    return spec, save_outcome(store.backtests, owner, request, outcome, is_synthetic=True)


def test_chat_shows_the_copilots_run_once_with_sparkline_link_and_badge(
    run_ui, multi, store, users, web_services
):
    spec, run = _stored_synthetic_run(web_services, store, users["alice"])
    result = {
        "summary": {"total_return": 0.1, "sharpe": 1.2, "num_trades": 3},
        "run_id": run.id,
        "synthetic": True,
        "warnings": [],
    }
    copilot = _ScriptedCopilot(
        [
            {"type": "token", "data": {"text": "Here it is."}},
            {"type": "spec", "data": {"spec": spec.model_dump(mode="json")}},
            {"type": "backtest_started", "data": {}},
            {"type": "backtest_result", "data": result},
            {"type": "done", "data": {}},
        ]
    )
    services = replace(multi, copilot=copilot)

    async def scenario(user, state):
        _login(user, "alice")
        await user.open("/")
        await _send(user, IDEA)
        await user.should_see(marker="run-summary", retries=100)
        await user.should_see(marker="synthetic-badge")
        await user.should_see(marker="sparkline")
        await user.should_see(marker="open-dashboard")
        assert len(user.find(marker="run-summary").elements) == 1
        await user.open(f"/backtest?run={run.id}")
        await user.should_see(marker="price-chart")
        await user.should_see("SYNTHETIC DATA")

    state = run_ui(scenario, services=services)

    assert copilot.calls == 1
    assert all(r.id == run.id for r in state.runs.values())  # only read back, never re-run


def test_chat_composer_is_disabled_while_the_reply_streams(run_ui, web_services):
    gate = threading.Event()
    copilot = _ScriptedCopilot(
        [{"type": "token", "data": {"text": "Thinking"}}, {"type": "done", "data": {}}], gate
    )
    services = replace(web_services, copilot=copilot)

    async def scenario(user, state):
        await user.open("/")
        await _send(user, IDEA)
        composer = user.find(marker="chat-input").elements.pop()
        await _until(lambda: not composer.enabled)
        gate.set()
        await _until(lambda: composer.enabled)
        await user.should_see(marker="conversation-link")  # the list refreshed by itself

    run_ui(scenario, services=services)


def test_resumed_conversation_shows_its_past_backtest_result(
    run_ui, multi, store, users, web_services
):
    spec, run = _stored_synthetic_run(web_services, store, users["alice"])
    conversations = MemoryConversationRepository()
    chat = conversations.create(users["alice"], title="rsi idea")
    conversations.add_message(users["alice"], chat.id, role="user", content=IDEA)
    conversations.add_message(
        users["alice"],
        chat.id,
        role="assistant",
        content="Backtested on synthetic data.",
        spec=spec.model_dump(mode="json"),
        meta={"backtest": {"run_id": run.id, "sharpe": 0.5, "synthetic": True}},
    )
    services = replace(multi, copilot=_ScriptedCopilot([]), conversations=conversations)

    async def scenario(user, state):
        _login(user, "alice")
        await user.open(f"/?c={chat.id}")
        await user.should_see(IDEA)
        await user.should_see(marker="strategy-name")
        await user.should_see(marker="run-summary")
        await user.should_see(marker="sparkline")
        _login(user, "bob")
        await user.open(f"/?c={chat.id}")
        await user.should_not_see(IDEA)

    run_ui(scenario, services=services)


def test_dashboard_multi_symbol_run_has_a_symbol_picker(run_ui, web_services):
    async def scenario(user, state):
        await _backtest_from_chat(user, IDEA + " on SPX, IXIC")
        run_id = next(iter(state.runs))
        await user.open(f"/backtest?run={run_id}")
        await user.should_see(marker="symbol-picker")
        assert _figure(user, "price-chart")["data"][0]["name"] == "SPX"
        await user.open(f"/backtest?run={run_id}&symbol=IXIC")
        figure = _figure(user, "price-chart")
        trades = next(iter(state.runs.values())).outcome.result.trades
        ixic_entries = int((trades["symbol"].astype(str) == "IXIC").sum())
        entries = [t for t in figure["data"] if t.get("meta") == "marker-entry"]
        assert figure["data"][0]["name"] == "IXIC"
        assert len(entries[0]["x"]) == ixic_entries
        assert any(t.get("name") == "RSI(14)" for t in figure["data"])

    run_ui(scenario)


def test_editor_json_error_clears_the_old_card(run_ui):
    async def scenario(user, state):
        await user.open("/editor")
        user.find(marker="editor-text").type(IDEA)
        user.find(marker="apply-text").click()
        await user.should_see(marker="strategy-name", retries=50)
        user.find(marker="editor-json").elements.pop().value = '{"name": 1'
        user.find(marker="apply-json").click()
        await user.should_see("Invalid JSON")
        await user.should_see(marker="card-cleared")
        await user.should_not_see(marker="strategy-name")

    run_ui(scenario)


def test_editor_live_sync_fills_the_json_after_typing_stops(run_ui):
    async def scenario(user, state):
        await user.open("/editor")
        user.find(marker="editor-text").type(IDEA)
        json_editor = user.find(marker="editor-json").elements.pop()
        await _until(lambda: '"rsi"' in (json_editor.value or ""))
        await user.should_see(marker="strategy-name")

    run_ui(scenario)


def test_market_indicators_use_the_full_history_and_no_insight_card(run_ui):
    async def scenario(user, state):
        await user.open("/market?symbol=SPX")
        figure = _figure(user, "market-chart")
        sma = next(t for t in figure["data"] if t.get("name") == "SMA(200)")
        candles = figure["data"][0]
        assert sma["x"][0] == candles["x"][0]  # defined from the first bar shown
        await user.should_not_see("Market insight")

    run_ui(scenario)
