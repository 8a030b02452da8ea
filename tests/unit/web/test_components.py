"""Unit tests of the UI's pure parts: charts and decimation, formats, strings, adapters."""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from vibetrading.services.strategies import read_strategy
from vibetrading.web.components import charts
from vibetrading.web.components.metric_cards import CARD_METRICS, format_metric
from vibetrading.web.components.progress import ProgressState
from vibetrading.web.components.trade_table import trade_rows
from vibetrading.web.copilot_adapter import chat_events, proposal_from_text
from vibetrading.web.i18n import STRINGS, t
from vibetrading.web.pages.editor import check_code_safety, spec_from_json
from vibetrading.web.pages.login import login_script
from vibetrading.web.pages.market import compute_indicators
from vibetrading.web.pages.paper import check_ticket
from vibetrading.web.pages.settings import mask_key
from vibetrading.web.pages.strategies import version_diff
from vibetrading.web.state import Proposal, UiState, WebServices


def _bars(count: int, freq: str = "D") -> pd.DataFrame:
    index = pd.date_range("2000-01-01", periods=count, freq=freq, tz="UTC")
    close = 100.0 + np.cumsum(np.random.default_rng(7).normal(0, 1, count))
    return pd.DataFrame(
        {
            "open": close,
            "high": close + 1.0,
            "low": close - 1.0,
            "close": close,
            "volume": np.full(count, 1_000.0),
        },
        index=index,
    )


def _trades(bars: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "entry_time": [bars.index[10], bars.index[50]],
            "entry_price": [100.0, 101.0],
            "exit_time": [bars.index[20], bars.index[60]],
            "exit_price": [99.0, 105.0],
            "exit_reason": ["stop_loss", "take_profit"],
            "symbol": ["X", "X"],
            "direction": ["long", "long"],
            "quantity": [1.0, 2.0],
            "pnl": [-1.0, 8.0],
            "return": [-0.01, 0.04],
            "bars_held": [10, 10],
        }
    )


@pytest.mark.slow
def test_price_chart_100k_intraday_bars_sends_at_most_5000_candles():
    bars = _bars(100_000, "min")

    data, factor = charts.price_chart(bars, None, {"SMA": bars["close"].rolling(20).mean()})

    candles = next(trace for trace in data["data"] if trace["type"] == "candlestick")
    assert len(candles["x"]) <= 5_000
    assert factor == 20
    assert all(len(trace.get("x", [])) <= 10_001 for trace in data["data"])


def test_price_chart_markers_named_per_exit_reason():
    bars = _bars(100)

    data, factor = charts.price_chart(bars, _trades(bars))

    names = {trace.get("meta") for trace in data["data"]}
    assert {"marker-entry", "marker-stop_loss", "marker-take_profit"} <= names
    assert factor == 1


def test_price_chart_oscillator_gets_its_own_panel():
    bars = _bars(300) + 1_000.0
    rsi = pd.Series(50.0, index=bars.index)

    data, _ = charts.price_chart(bars, None, {"RSI": rsi})

    rsi_trace = next(trace for trace in data["data"] if trace.get("name") == "RSI")
    assert rsi_trace["yaxis"] == "y3"


def test_price_chart_chinese_marker_names():
    bars = _bars(100)

    data, _ = charts.price_chart(bars, _trades(bars), lang="zh")

    assert "止损" in {trace.get("name") for trace in data["data"]}


@pytest.mark.parametrize(
    ("window", "expected"),
    [("All", 3000), ("1Y", 367), ("3M", 92)],
    ids=["all", "one-year", "three-months"],
)
def test_window_bars_keeps_the_recent_window(window, expected):
    bars = _bars(3000)

    shown = charts.window_bars(bars, window)

    assert len(shown) == expected
    assert shown.index[-1] == bars.index[-1]


def test_equity_drawdown_cumulative_monthly_figures_stay_small():
    equity = pd.Series(
        100_000.0 + np.arange(50_000.0), index=pd.date_range("2000", periods=50_000, freq="h")
    )
    benchmark = equity * 0.9

    figures = [
        charts.equity_chart(equity, benchmark, benchmark_label="B", dark=True),
        charts.drawdown_chart(equity / equity.cummax() - 1.0),
        charts.cumulative_figure(equity, 100_000.0),
        charts.monthly_chart(equity),
        charts.sparkline(equity),
    ]

    for figure in figures:
        assert all(len(trace.get("x") or []) <= 10_001 for trace in figure["data"])
    assert figures[0]["layout"]["template"]["layout"]["paper_bgcolor"]
    assert [trace["name"] for trace in figures[0]["data"]] == ["B", "Strategy"]


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("cagr", 0.0366, "+3.66%"),
        ("max_drawdown", -0.3685, "-36.85%"),
        ("sharpe", 0.342, "0.34"),
        ("num_trades", 39, "39"),
        ("calmar", None, "—"),
        ("profit_factor", float("nan"), "—"),
    ],
    ids=["signed-percent", "percent", "ratio", "count", "none", "nan"],
)
def test_format_metric_cases(name, value, text):
    assert format_metric(name, value) == text


def test_card_metrics_cover_the_issue_list():
    wanted = {"cagr", "sharpe", "sortino", "max_drawdown", "calmar", "win_rate", "exposure"}

    assert wanted | {"volatility", "profit_factor"} <= set(CARD_METRICS)


def test_trade_rows_percent_returns_and_dates():
    bars = _bars(100)

    rows = trade_rows(_trades(bars))

    assert rows[0]["return"] == -1.0
    assert rows[0]["entry_time"] == "2000-01-11"
    assert rows[1]["id"] == 1


def test_strings_exist_in_both_languages():
    assert all(set(entry) == {"en", "zh"} and all(entry.values()) for entry in STRINGS.values())
    assert t("nav.chat", "zh") == "对话"
    assert t("common.not_available", "en", what="x") == "Not available in this build: x."
    assert t("no.such.key") == "no.such.key"


def test_progress_state_clamps_fraction():
    state = ProgressState()

    state.update(1.7, "done")

    assert state.snapshot() == (1.0, "done")


def test_offline_chat_streams_tokens_then_a_spec():
    services = SimpleNamespace(copilot=None)

    events = list(chat_events(services, "buy when RSI(14) is below 30", user_id="u"))

    kinds = [event["type"] for event in events]
    assert kinds.count("token") > 3
    assert kinds[-2:] == ["spec", "done"]
    assert events[-2]["data"]["proposal"].spec.entry is not None


def test_offline_chat_chinese_idea_streams_chinese():
    services = SimpleNamespace(copilot=None)

    events = list(chat_events(services, "RSI(14)低于30买入，高于70卖出，止损5%", user_id="u"))

    text = "".join(e["data"]["text"] for e in events if e["type"] == "token")
    assert "买入" in text
    assert events[-2]["data"]["proposal"].spec.risk.stop_loss == 0.05


def test_offline_chat_nonsense_yields_error_then_done():
    services = SimpleNamespace(copilot=None)

    events = list(chat_events(services, "asdf qwer banana", user_id="u"))

    assert [e["type"] for e in events] == ["error", "done"]
    assert "No usable trading rule" in events[0]["data"]["message"]


@dataclass
class _Event:
    type: str
    data: dict

    def as_dict(self):
        return {"type": self.type, "data": self.data}


class _FakeCopilot:
    def __init__(self, spec):
        self.spec = spec

    def chat(self, user_id, text, *, conversation_id=None):
        yield _Event("token", {"text": "Here it is."})
        yield _Event("spec", {"spec": self.spec, "strategy_id": "s1", "version": 1})
        yield _Event("done", {"conversation_id": "c1"})


def test_copilot_events_become_proposals_with_strategy_id():
    spec = read_strategy("buy when RSI(14) is below 30").spec.model_dump(mode="json")
    services = SimpleNamespace(copilot=_FakeCopilot(spec), user_settings=None, llm_factory=None)

    events = list(chat_events(services, "anything", user_id="u"))

    proposal = events[1]["data"]["proposal"]
    assert proposal.strategy_id == "s1"
    assert events[2]["data"]["conversation_id"] == "c1"


def test_spec_from_json_reports_json_schema_and_contradiction_errors():
    good = read_strategy("buy when RSI(14) is below 30").spec.model_dump_json()
    bad_field = json.loads(good) | {"timeframe": "7x"}

    assert spec_from_json(good)[0] is not None
    assert "line 1" in spec_from_json("{")[1][0]
    assert spec_from_json(json.dumps(bad_field))[1][0].startswith("timeframe")


def test_check_code_safety_reports_violations():
    report = check_code_safety("import os\nos.system('ls')\n")

    assert report is not None
    assert report["is_safe"] is False
    assert any("os" in line for line in report["violations"])


@pytest.mark.parametrize(
    ("symbol", "side", "quantity", "problem"),
    [
        ("", "buy", 1, "Name the symbol"),
        ("AAPL", "hold", 1, "Side"),
        ("AAPL", "buy", 0, "Quantity"),
        ("600519.SH", "buy", 150, "lots of 100"),
    ],
    ids=["no-symbol", "bad-side", "zero-quantity", "a-share-lot"],
)
def test_check_ticket_problems(symbol, side, quantity, problem):
    assert any(problem in p for p in check_ticket(symbol, side, quantity))


def test_check_ticket_good_order_has_no_problem():
    assert check_ticket("600519.SH", "buy", 200) == []


def test_mask_key_never_shows_the_whole_key():
    assert mask_key("sk-1234567890abcd") == "sk-…abcd"
    assert mask_key("short") == "••••"
    assert mask_key(None) == ""


def test_version_diff_shows_changed_lines():
    old = SimpleNamespace(version=1, spec={"a": 1, "b": 2}, code=None)
    new = SimpleNamespace(version=2, spec={"a": 1, "b": 3}, code=None)

    diff = version_diff(old, new)

    assert '-  "b": 2' in diff
    assert '+  "b": 3' in diff


def test_login_script_escapes_credentials():
    script = login_script("/api/v1/auth/login", 'a"b@x.io', "p'w\\")

    assert "/api/v1/auth/login" in script
    assert 'a\\\\\\"b@x.io' in script


def test_compute_indicators_names_and_lengths():
    bars = _bars(300)

    found = compute_indicators(bars, ["SMA(20)", "RSI(14)", "unknown"])

    assert list(found) == ["SMA(20)", "RSI(14)"]
    assert found["SMA(20)"].iloc[19] == pytest.approx(bars["close"].iloc[:20].mean())


class _Auth:
    def verify_access(self, token):
        if token != "good":
            from vibetrading.errors import PermissionDenied

            raise PermissionDenied("bad token")
        return "user-1"


def test_web_services_from_container_takes_store_repositories_and_owner():
    container = SimpleNamespace(
        market_data="m",
        backtests="b",
        store=SimpleNamespace(strategies="repo", conversations="conv"),
        auth=_Auth(),
        copilot=None,
        multi_user=True,
    )

    services = WebServices.from_container(container)

    assert (services.strategies, services.conversations) == ("repo", "conv")
    assert services.owner("good") == "user-1"
    assert services.owner("bad") is None
    assert services.owner(None) is None
    assert WebServices.from_container(services) is services


def test_web_services_local_mode_owner():
    container = SimpleNamespace(
        market_data="m", backtests="b", user_id_for_local_mode=lambda: "local-1"
    )

    assert WebServices.from_container(container).owner(None) == "local-1"


def test_ui_state_keeps_newest_items_and_owners_conversations():
    state = UiState(max_items=2)
    proposal, _ = proposal_from_text("buy when RSI(14) is below 30")
    assert isinstance(proposal, Proposal)

    for _ in range(3):
        state.add_proposal(
            Proposal(**{**proposal.__dict__, "id": str(len(state.proposals))}), owner="alice"
        )
    first, turns = state.conversation("alice", None)
    same, _ = state.conversation("alice", first)
    other, _ = state.conversation("bob", first)

    assert len(state.proposals) == 2
    assert state.proposal_of("alice", "2") is not None
    assert state.proposal_of("bob", "2") is None
    assert same == first
    assert other != first
    assert state.conversations_of("alice") == []
    assert turns == []


def test_price_chart_multi_symbol_marks_only_that_symbols_trades():
    bars = _bars(100)
    trades = _trades(bars)
    trades.loc[1, "symbol"] = "Y"

    data, _ = charts.price_chart(bars, trades, symbol="X")

    markers = [trace for trace in data["data"] if str(trace.get("meta", "")).startswith("marker")]
    assert {trace["meta"] for trace in markers} == {"marker-entry", "marker-stop_loss"}
    assert all(len(trace["x"]) == 1 for trace in markers)
    assert data["data"][0]["name"] == "X"


def test_session_breaks_skip_weekends_and_holidays_of_daily_bars_only():
    days = pd.bdate_range("2024-01-01", "2024-03-29", tz="UTC").delete([10])  # a holiday
    crypto = pd.date_range("2024-01-01", periods=90, freq="D", tz="UTC")
    hours = pd.date_range("2024-01-01", periods=90, freq="h", tz="UTC")

    breaks = charts.session_breaks(days)

    assert breaks[0] == {"bounds": ["sat", "mon"]}
    assert breaks[1]["values"] == ["2024-01-15T00:00:00"]
    assert charts.session_breaks(crypto) == []
    assert charts.session_breaks(hours) == []


def test_price_chart_daily_bars_get_range_breaks():
    index = pd.bdate_range("2024-01-01", periods=60, tz="UTC")
    bars = _bars(60).set_axis(index)

    data, _ = charts.price_chart(bars)

    assert data["layout"]["xaxis"]["rangebreaks"][0]["bounds"] == ["sat", "mon"]


def test_sparkline_has_no_toolbar_and_show_figure_defaults_to_hover():
    equity = _bars(50)["close"]

    spark = charts.sparkline(equity)

    assert spark["config"]["displayModeBar"] is False


def test_monthly_chart_chinese_month_names():
    equity = _bars(400)["close"]

    data = charts.monthly_chart(equity, lang="zh")

    assert data["data"][0]["x"][:2] == ["1月", "2月"]
    assert data["data"][0]["x"][-1] == "全年"


@pytest.mark.parametrize(
    ("label", "lang", "name"),
    [
        ("SPX buy & hold", "zh", "SPX 买入持有"),
        ("SPX buy & hold", "en", "SPX buy & hold"),
        ("S&P 500 (SPX)", "zh", "S&P 500 (SPX)"),
        (None, "zh", "基准"),
    ],
    ids=["zh-buy-hold", "en-buy-hold", "index", "none"],
)
def test_benchmark_name_cases(label, lang, name):
    assert charts.benchmark_name(label, lang) == name


def test_window_labels_chinese_and_english():
    assert charts.window_labels("zh") == {"3M": "3个月", "1Y": "1年", "5Y": "5年", "All": "全部"}
    assert list(charts.window_labels("en").values()) == ["3M", "1Y", "5Y", "All"]


def test_trade_rows_chinese_side_and_reason():
    rows = trade_rows(_trades(_bars(100)), lang="zh")

    assert (rows[0]["direction"], rows[0]["exit_reason"]) == ("做多", "止损")
    assert rows[1]["exit_reason"] == "止盈"


def test_distinct_titles_cut_and_number_duplicates():
    from vibetrading.web.pages.chat import distinct_titles

    items = [("c3", "buy SPX"), ("c2", "x" * 80), ("c1", "buy SPX")]

    titles = distinct_titles(items)

    assert titles[0] == ("c3", "buy SPX (2)")
    assert titles[2] == ("c1", "buy SPX")
    assert len(titles[1][1]) == 48
    assert titles[1][1].endswith("…")


def test_symbol_indicators_of_a_multi_symbol_run():
    from vibetrading.web.pages.dashboard import symbol_indicators

    series = pd.Series([1.0])
    indicators = {"SPX RSI(14)": series, "IXIC RSI(14)": series * 2}

    assert list(symbol_indicators(indicators, "IXIC", ["SPX", "IXIC"])) == ["RSI(14)"]
    assert symbol_indicators({"RSI(14)": series}, "SPX", ["SPX"]) == {"RSI(14)": series}


@pytest.mark.parametrize(
    ("path", "safe"),
    [("/backtest?run=1", "/backtest?run=1"), ("//evil.com", "/"), ("https://x", "/"), (None, "/")],
    ids=["page", "protocol-relative", "absolute", "none"],
)
def test_safe_next_refuses_other_sites(path, safe):
    from vibetrading.web.pages.login import safe_next

    assert safe_next(path) == safe


def test_provider_status_bundled_and_polygon_key():
    from vibetrading.web.pages.settings import provider_status

    assert provider_status("sample", has_polygon_key=False) == "bundled"
    assert provider_status("polygon", has_polygon_key=False) in {"needs_key", "not_installed"}


def test_default_request_applies_saved_costs_unless_overridden():
    from vibetrading.web.backtest_runner import default_request

    spec = read_strategy("buy when RSI(14) is below 30").spec
    costs = {"fee_rate": 0.002, "slippage_bps": 3.0}

    assert default_request(spec, costs=costs).fee_rate == 0.002
    assert default_request(spec, costs=costs, fee_rate=0.0).fee_rate == 0.0
    assert default_request(spec).slippage_bps is None


def test_option_label_shows_code_market_description():
    from vibetrading.web.pages.market import option_label

    row = {"symbol": "SPX", "market": "US", "description": "S&P 500", "synthetic": False}

    assert option_label(row) == "SPX · US · S&P 500"


def test_copilot_for_talks_to_the_users_own_provider_with_their_key():
    from vibetrading.testing.settings_fakes import memory_user_settings
    from vibetrading.web.preferences import copilot_for

    key = "sk-user-0123456789abcdef"
    settings = memory_user_settings()
    settings.save_llm("alice", provider="deepseek", api_key=key, model="deepseek-chat")

    class Copilot(SimpleNamespace):
        def with_llm(self, llm, *, secrets):
            return Copilot(llm=llm, secrets=(*self.secrets, *secrets))

    base = Copilot(llm="server-llm", secrets=("server-key",))
    built: list[dict] = []
    services = SimpleNamespace(
        copilot=base, user_settings=settings, llm_factory=lambda **kw: built.append(kw) or "mine"
    )

    mine = copilot_for(services, "alice")

    assert mine.llm == "mine"
    assert key in mine.secrets  # redacted from the copilot's output
    assert base.llm == "server-llm"
    assert built == [
        {"provider": "deepseek", "api_key": key, "base_url": None, "model": "deepseek-chat"}
    ]
    assert copilot_for(services, "bob") is base


def test_progress_status_text_in_chinese_and_unknown_kept():
    from vibetrading.web.components.progress import status_text

    assert status_text("loading bars", "zh") == "加载K线"
    assert status_text("done", "en") == "done"
    assert status_text("something new", "zh") == "something new"
