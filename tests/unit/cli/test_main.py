import pytest

from vibetrading.cli import main as cli_main
from vibetrading.errors import (
    ConfigError,
    EmptyData,
    ProviderError,
    SandboxViolation,
    UnknownSymbol,
    VibeTradingError,
)


def run_main(monkeypatch, *args):
    monkeypatch.setattr("sys.argv", ["vibetrading", *args])
    with pytest.raises(SystemExit) as info:
        cli_main.main()
    return info.value.code


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError("x"), 2),
        (UnknownSymbol("x"), 3),
        (EmptyData("x"), 3),
        (ProviderError("p", "x"), 4),
        (SandboxViolation("x"), 5),
        (VibeTradingError("x"), 1),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_exit_code_for_each_branch(error, code):
    assert cli_main.exit_code_for(error) == code


def test_main_vibetrading_error_one_red_line(monkeypatch, capsys):
    code = run_main(monkeypatch, "data", "show", "APPL")

    assert code == 3
    err = capsys.readouterr().err
    assert err.startswith("error: No data for APPL")
    assert "Traceback" not in err


def test_missing_data_error_names_a_working_command_and_never_suggests_itself(monkeypatch, capsys):
    code = run_main(monkeypatch, "data", "show", "AAPL")

    assert code == 3
    err = capsys.readouterr().err
    assert "vibetrading data fetch AAPL --provider demo" in err
    assert "Did you mean: AAPL" not in err


def test_main_usage_error_exit_code_two(monkeypatch, capsys):
    code = run_main(monkeypatch, "data", "show")

    assert code == 2
    assert "Missing argument" in capsys.readouterr().err


def test_main_help_exits_zero(monkeypatch, capsys):
    code = run_main(monkeypatch, "--help")

    assert code in (0, None)
    assert "data" in capsys.readouterr().out


def test_main_unexpected_error_reported_as_bug_without_traceback(monkeypatch, capsys):
    def explode():
        raise RuntimeError("boom")

    monkeypatch.setattr(cli_main, "app", explode)

    with pytest.raises(SystemExit) as info:
        cli_main.main()

    assert info.value.code == 70
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err
    assert "Traceback" not in err


def test_main_unexpected_error_debug_reraises(monkeypatch):
    monkeypatch.setenv("VIBETRADING_DEBUG", "1")
    monkeypatch.setattr(cli_main, "app", lambda: (_ for _ in ()).throw(RuntimeError("boom")))

    with pytest.raises(RuntimeError, match="boom"):
        cli_main.main()


def test_tour_shows_samples_and_2008(monkeypatch, capsys):
    code = run_main(monkeypatch, "tour")

    out = capsys.readouterr().out
    assert code in (0, None)
    assert "Market data available offline" in out
    assert "SPX · S&P 500 · 1d · 253 bars" in out
    assert "RSI(14) strategy on GOOG" in out
    assert "26 trades" in out
