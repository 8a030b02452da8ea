"""Fixtures for the sandbox suites: real bars, armed canaries, a subreaper for orphans."""

from __future__ import annotations

import ctypes
import secrets
import socket
import statistics
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sandbox_canaries import ATTACK_TIMES_S, SECRET_ENV, Canaries

from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.domain.data import Timeframe
from vibetrading.domain.trading import Symbol

_PR_SET_CHILD_SUBREAPER = 36
_SLOWEST_SHOWN = 5


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how long the attack runs took: median, maximum, the slowest (all with -v)."""
    if not ATTACK_TIMES_S:
        return
    times = sorted(ATTACK_TIMES_S.items(), key=lambda item: item[1], reverse=True)
    median = statistics.median(ATTACK_TIMES_S.values())
    terminalreporter.section("sandbox attack timings")
    terminalreporter.write_line(
        f"{len(times)} attack runs: median {median:.3f} s, max {times[0][1]:.3f} s ({times[0][0]})"
    )
    shown = times if terminalreporter.config.option.verbose > 0 else times[:_SLOWEST_SHOWN]
    for name, seconds in shown:
        terminalreporter.write_line(f"  {seconds:7.3f} s  {name}")


@pytest.fixture(scope="session")
def spx_bars() -> pd.DataFrame:
    """Return the bundled real S&P 500 daily bars (1999-2018)."""
    return SampleProvider().fetch_bars(Symbol.parse("SPX"), timeframe=Timeframe.D1).bars


@pytest.fixture(scope="module")
def canary_secret() -> Iterator[str]:
    """Put a random secret in this process's environment before any worker starts."""
    token = "vt-canary-" + secrets.token_hex(16)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SECRET_ENV, token)
        yield token


@pytest.fixture
def canaries(tmp_path: Path, canary_secret: str) -> Iterator[Canaries]:
    """Arm a canary file path, TCP and Unix listeners and a sacrificial process."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.setblocking(False)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    (tmp_path / "outside").mkdir()
    (tmp_path / "sockets").mkdir(mode=0o777)
    unix_listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix_listener.bind(str(tmp_path / "sockets" / ".s.PGSQL.5432"))
    unix_listener.listen(16)
    unix_listener.setblocking(False)
    armed = Canaries(
        tmp_path / "outside" / "canary.txt", listener, sleeper, canary_secret, unix_listener
    )
    yield armed
    unix_listener.close()
    listener.close()
    sleeper.kill()
    sleeper.wait()


@pytest.fixture(scope="module")
def subreaper() -> Iterator[bool]:
    """Make this process adopt orphaned descendants, so escaped grandchildren stay visible."""
    libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
    is_on = libc is not None and libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    yield is_on
    if is_on and libc is not None:
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
