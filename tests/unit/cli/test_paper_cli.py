import json

import pytest
from typer.testing import CliRunner

from vibetrading.cli.main import app
from vibetrading.errors import ConfigError, NotFound, SandboxViolation

runner = CliRunner()
RSI = "buy when RSI(14) is below 30 and sell above 70 with a 5% stop"
PERIOD = ("--start", "2010-01-01", "--end", "2010-08-31")


def run(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def start(*extra):
    return run("paper", "start", "--strategy", RSI, "--symbol", "SPX", *PERIOD, *extra)


@pytest.mark.slow
def test_paper_start_json_matches_backtest_json_trades():
    paper = start("--speed", "max", "--format", "json")
    backtest = run("backtest", "--strategy", RSI, "--symbol", "SPX", *PERIOD, "--format", "json")

    document = json.loads(paper.stdout)
    assert paper.exit_code == 0
    assert document["trades"]
    assert document["trades"] == json.loads(backtest.stdout)["trades"]
    assert document["summary"]["mode"] == "paper"


@pytest.mark.slow
def test_paper_commands_show_status_orders_and_reset():
    started = start()

    status = run("paper", "status")
    status_json = json.loads(run("paper", "status", "--format", "json").stdout)
    orders = run("paper", "orders")
    orders_json = json.loads(run("paper", "orders", "--format", "json").stdout)
    late = run("paper", "order", "SPX", "buy", "1")
    late_json = json.loads(run("paper", "order", "SPX", "sell", "1", "--format", "json").stdout)
    stopped = run("paper", "stop")
    reset = run("paper", "reset")

    assert "mode PAPER" in started.stdout
    assert "final equity" in started.stdout
    assert "PAPER" in status.stdout
    assert status_json[0]["status"] == "finished"
    assert "filled" in orders.stdout
    assert orders_json[0]["status"] == "filled"
    assert late.exit_code == 1
    assert "PAPER buy 1 SPX: rejected" in late.stdout
    assert "has finished" in late.stdout
    assert late_json["side"] == "sell"
    assert late_json["mode"] == "paper"
    assert "stopped 0 runner(s)" in stopped.stdout
    assert "reset 1 runner(s)" in reset.stdout
    assert "No paper runners" in run("paper", "status").stdout


@pytest.mark.slow
def test_paper_order_during_a_run_fills_when_the_runner_resumes():
    from vibetrading.bootstrap_paper import build_paper
    from vibetrading.services.paper import PaperRequest

    service = build_paper()
    record = service.start(
        PaperRequest(symbol="SPX", strategy=RSI, start="2010-01-01", end="2010-08-31")
    )
    calls = iter(range(10_000))
    service.run(record.runner_id, should_stop=lambda: next(calls) >= 30)

    placed = run("paper", "order", "SPX", "buy", "1", "--client-order-id", "mine-1")
    again = run("paper", "order", "SPX", "buy", "1", "--client-order-id", "mine-1")
    rejected = run("paper", "order", "SPX", "buy", "1000000", "--limit", "1000")
    resumed = start("--format", "json")
    orders = json.loads(run("paper", "orders", "--format", "json").stdout)

    assert "PAPER buy 1 SPX: accepted" in placed.stdout
    assert "accepted" in again.stdout
    assert rejected.exit_code == 1
    assert "not enough cash" in rejected.stdout
    assert json.loads(resumed.stdout)["summary"]["runner_id"] == record.runner_id
    mine = [o for o in orders if o["client_order_id"] == "mine-1"]
    assert [o["status"] for o in mine] == ["filled"]


def test_paper_order_shows_the_dry_run_mode():
    start("--mode", "dry_run", "--end", "2010-01-31", "--speed", "max")

    result = run("paper", "order", "SPX", "buy", "1")

    assert result.stdout.startswith("DRY_RUN buy 1 SPX: rejected")


def test_paper_start_risk_cap_flag_rejects_big_orders():
    result = start("--max-order-notional", "1000", "--format", "json")

    orders = json.loads(run("paper", "orders", "--format", "json").stdout)
    assert json.loads(result.stdout)["summary"]["fills"] == 0
    assert orders
    assert all("cap of 1,000.00" in o["message"] for o in orders)


def test_paper_start_risk_cap_from_settings(monkeypatch):
    from vibetrading.settings import get_settings

    monkeypatch.setenv("VIBETRADING_PAPER_MAX_ORDER_NOTIONAL", "1000")
    get_settings.cache_clear()

    result = start("--format", "json")

    assert json.loads(result.stdout)["summary"]["fills"] == 0


def test_paper_start_without_symbol_is_a_usage_error():
    result = runner.invoke(app, ["paper", "start", "--strategy", RSI])

    assert result.exit_code == 2
    assert "--symbol" in result.stderr


def test_paper_start_dry_run_shows_the_mode():
    result = start("--mode", "dry_run", "--format", "json")

    assert json.loads(result.stdout)["summary"]["mode"] == "dry_run"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("--speed", "fast"), ConfigError),
        (("--speed", "0"), ConfigError),
    ],
    ids=["word", "zero"],
)
def test_paper_start_bad_speed_raises(args, error):
    with pytest.raises(error):
        start(*args)


def test_paper_start_unsafe_code_is_refused_with_report_and_nothing_saved(tmp_path):
    from vibetrading.bootstrap import build_store

    code = tmp_path / "s.py"
    code.write_text("import os\n\ndef signals(data, params):\n    return os.listdir()\n")

    result = runner.invoke(app, ["paper", "start", "--code", str(code), "--symbol", "SPX"])

    assert isinstance(result.exception, SandboxViolation)
    assert "import of 'os'" in str(result.exception)
    assert "Safety report" in result.stderr
    assert "FAILED" in result.stderr
    assert "No paper runners" in run("paper", "status").stdout
    store = build_store()
    assert (
        store.database.engine.connect().exec_driver_sql("select count(*) from strategies").scalar()
        == 0
    )


def test_paper_order_without_account_is_not_found():
    with pytest.raises(NotFound):
        run("paper", "order", "SPX", "buy", "1")


class LiveService:
    """A paper service whose live runner has two polls before someone stops it."""

    def __init__(self):
        self.calls = []
        self.polls = 0

    def resume(self, runner_id):
        self.calls.append("resume")

    def poll(self, runner_id):
        import pandas as pd

        from vibetrading.services.runner import RunSummary

        self.polls += 1
        self.calls.append("poll")
        cursor = pd.Timestamp("2024-01-02", tz="UTC") + pd.Timedelta(days=self.polls)
        return RunSummary(
            runner_id, "SPX", [], 100_000.0, 100_000.0, self.polls, 0, 0, cursor, "paper"
        )

    def next_poll_at(self, runner_id):
        import pandas as pd

        return pd.Timestamp.now(tz="UTC") + pd.Timedelta(hours=2)

    def runner(self, runner_id):
        return {"status": "running" if self.polls < 3 else "stopped"}


def test_paper_live_loop_sleeps_until_the_next_bar_close_and_ends_on_stop():
    from rich.console import Console

    from vibetrading.cli.paper import _run_live

    service = LiveService()
    sleeps = []

    summary = _run_live(service, "r1", Console(file=None, quiet=True), sleep=sleeps.append)

    assert service.calls == ["resume", "poll", "poll", "poll"]
    assert len(sleeps) == 2
    assert all(7_000 < s <= 7_200 for s in sleeps)  # about two hours: the next bar close
    assert summary.bars == 3


class ReplayService:
    """A paper service whose replay of four bars reports its progress, when asked."""

    def __init__(self):
        self.progress = None

    def run(self, runner_id, *, speed=None, progress=None):
        from vibetrading.services.runner import RunSummary

        self.progress = progress
        for done in range(1, 5):
            if progress is not None:
                progress(done / 4, f"{done}/4 bars")
        return RunSummary(runner_id, "SPX", [], 1.0, 1.0, 4, 0, 0, None, "paper")


@pytest.mark.parametrize(
    ("is_terminal", "expected"),
    [(True, "replaying 4/4 bars"), (False, "")],
    ids=["terminal", "piped"],
)
def test_paper_replay_shows_a_progress_bar_on_a_terminal_only(is_terminal, expected):
    import io

    from rich.console import Console

    from vibetrading.cli.paper import _run_replay

    service = ReplayService()
    console = Console(file=io.StringIO(), force_terminal=is_terminal, width=120)

    summary = _run_replay(service, "r1", None, console)

    assert summary.bars == 4
    assert (service.progress is not None) is is_terminal
    assert expected in console.file.getvalue()


def test_paper_replay_with_json_output_shows_no_progress():
    from vibetrading.cli.paper import _run_replay

    service = ReplayService()

    _run_replay(service, "r1", None, None)

    assert service.progress is None


@pytest.fixture
def sandbox_closed_after():
    from vibetrading.adapters.sandbox.code_runner import close_shared_sandbox

    yield
    close_shared_sandbox()


def _saved_code(code):
    from vibetrading.bootstrap import build_store
    from vibetrading.bootstrap_paper import LOCAL_USER_EMAIL

    store = build_store()
    user = store.users.get_by_email(LOCAL_USER_EMAIL) or store.users.create(
        email=LOCAL_USER_EMAIL, password_hash="!"
    )
    return store.strategies.create(user.id, name="saved code", kind="code", code=code).id


@pytest.mark.slow
@pytest.mark.usefixtures("sandbox_closed_after")
def test_paper_start_saved_code_strategy_by_id_runs_in_the_sandbox():
    from pathlib import Path

    examples = Path(__file__).parents[3] / "examples" / "code_strategies"
    strategy_id = _saved_code((examples / "sma_cross.py").read_text(encoding="utf-8"))

    result = run(
        "paper", "start", strategy_id, "--symbol", "SPX",
        "--start", "2005-01-01", "--end", "2012-12-31", "--format", "json",
    )  # fmt: skip

    document = json.loads(result.stdout)
    assert document["trades"]
    status = json.loads(run("paper", "status", "--format", "json").stdout)
    assert status[0]["status"] == "finished"


def test_paper_start_saved_unsafe_code_by_id_is_refused():
    strategy_id = _saved_code("import os\n\ndef signals(data, params):\n    return os.listdir()\n")

    with pytest.raises(SandboxViolation):
        run("paper", "start", strategy_id, "--symbol", "SPX")
