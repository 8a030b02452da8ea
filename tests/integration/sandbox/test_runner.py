"""The process layer of the sandbox: limits, recycling, crashes and leftovers."""

from __future__ import annotations

import os
import signal
import threading
import time

import psutil
import pytest

from vibetrading.adapters.sandbox import (
    CodeSandbox,
    SandboxCodeRunner,
    SandboxLimits,
    shared_sandbox,
)
from vibetrading.adapters.sandbox.code_runner import close_shared_sandbox
from vibetrading.errors import SandboxViolation, StrategyError
from vibetrading.testing import make_bars

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BENIGN = """
from vibetrading import indicators as ta

def signals(data, params):
    fast = ta.sma(data, period=params["fast"])
    above = data["close"] > fast
    print("bars", len(data))
    return above & ~above.shift(1, fill_value=False), ~above
"""
SPIN = "def signals(data, params):\n    x = 0\n    while x >= 0:\n        x += 1\n    return x, x\n"


@pytest.fixture(scope="module")
def bars():
    return make_bars(500, start="2015-01-02")


@pytest.fixture(scope="module")
def sandbox():
    limits = SandboxLimits(cpu_time_s=2, wall_time_s=8, memory_mb=256, max_output_bytes=1000)
    with CodeSandbox(limits=limits) as box:
        yield box


def descendants():
    return [p for p in psutil.Process().children(recursive=True) if p.is_running()]


def assert_gone(pid, timeout_s=15.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                time.sleep(0.05)
                continue
        except psutil.NoSuchProcess:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} is still there")


def test_run_benign_code_matches_direct_signals(sandbox, bars):
    result = sandbox.run(BENIGN, bars, {"fast": 20})

    close = bars["close"]
    above = close > close.rolling(20).mean()
    assert result.entries.tolist() == (above & ~above.shift(1, fill_value=False)).tolist()
    assert result.exits.index.equals(bars.index)
    assert result.report.is_safe
    assert result.output == "bars 500\n"
    assert "process limits" in {c.name for c in result.report.checks}


def test_run_recycles_the_worker_after_each_run(sandbox, bars):
    assert sandbox.warm_up()
    served = sandbox.worker_pids[0]

    sandbox.run(BENIGN, bars, {"fast": 5})

    assert sandbox.warm_up()
    assert served not in sandbox.worker_pids
    assert len(sandbox.worker_pids) == sandbox.workers
    assert_gone(served)


def test_run_back_to_back_runs_keep_the_pool_full(sandbox, bars):
    assert sandbox.warm_up()
    zygote = sandbox.zygote_pid
    served = set()

    for _ in range(10):
        served.add(sandbox.worker_pids[0] if sandbox.worker_pids else None)
        assert sandbox.run(BENIGN, bars, {"fast": 5}).report.is_safe

    assert sandbox.warm_up()
    assert len(served) == 10
    assert sandbox.zygote_pid == zygote
    assert set(sandbox.worker_pids).isdisjoint(served)


def test_zygote_is_started_fresh_single_threaded_without_secrets(sandbox):
    assert sandbox.warm_up()

    zygote = psutil.Process(sandbox.zygote_pid)

    assert zygote.ppid() == os.getpid()
    assert zygote.cmdline()[1:4] == ["-I", "-m", "vibetrading.adapters.sandbox.worker"]
    assert zygote.num_threads() == 1
    assert os.getsid(zygote.pid) == zygote.pid
    for pid in sandbox.worker_pids:
        worker = psutil.Process(pid)
        assert worker.ppid() == zygote.pid
        assert os.getsid(pid) == pid
        assert worker.uids().real != 0 or os.getuid() != 0


def test_run_endless_loop_is_stopped_by_a_limit(sandbox, bars):
    started = time.monotonic()

    with pytest.raises(SandboxViolation, match=r"CPU time|wall-clock") as caught:
        sandbox.run(SPIN, bars)

    assert time.monotonic() - started < 60
    assert caught.value.report.violations[-1].layer == "process"


def test_run_memory_bomb_hits_the_memory_limit(sandbox, bars):
    source = (
        "import numpy as np\ndef signals(data, params):\n"
        "    blocks = [np.ones(50_000_000) for i in range(40)]\n    return blocks, blocks\n"
    )

    with pytest.raises(SandboxViolation, match="memory"):
        sandbox.run(source, bars)


def test_run_bug_is_a_strategy_error_with_line(sandbox, bars):
    source = "def signals(data, params):\n    return data['nope'], data\n"

    with pytest.raises(StrategyError, match="line 2: KeyError") as caught:
        sandbox.run(source, bars)

    assert not isinstance(caught.value, SandboxViolation)


def test_run_output_flood_is_a_violation(sandbox, bars):
    source = "def signals(data, params):\n    for i in range(10000):\n        print(i)\n"

    with pytest.raises(SandboxViolation, match="output flood"):
        sandbox.run(source, bars)


def wait_for_idle_worker(sandbox):
    assert sandbox.warm_up()
    return sandbox.worker_pids[0]


def test_run_worker_killed_midway_leaves_the_parent_running(sandbox, bars):
    victim = wait_for_idle_worker(sandbox)
    errors: list[BaseException] = []

    def attempt():
        try:
            sandbox.run(SPIN, bars)
        except BaseException as e:
            errors.append(e)

    thread = threading.Thread(target=attempt)
    thread.start()
    time.sleep(1.0)
    os.kill(victim, signal.SIGKILL)
    thread.join(30)

    assert isinstance(errors[0], SandboxViolation)
    assert "killed" in str(errors[0]) or "limit" in str(errors[0])
    assert sandbox.run(BENIGN, bars, {"fast": 5}).report.is_safe


def test_run_secrets_never_reach_the_worker(sandbox, bars, monkeypatch):
    monkeypatch.setenv("VIBETRADING_TEST_SECRET", "hunter2")
    pid = wait_for_idle_worker(sandbox)

    environment = psutil.Process(pid).environ()

    assert "VIBETRADING_TEST_SECRET" not in environment
    assert set(environment) <= {
        "PATH", "LANG", "HOME", "TMPDIR", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
        "MKL_NUM_THREADS", "NUMBA_NUM_THREADS", "NUMBA_CACHE_DIR", "PYTHONHASHSEED",
        "JE_ARROW_MALLOC_CONF",
    }  # fmt: skip


def test_run_idle_worker_killed_is_replaced(sandbox, bars):
    victim = wait_for_idle_worker(sandbox)
    os.kill(victim, signal.SIGKILL)
    assert_gone(victim)

    result = sandbox.run(BENIGN, bars, {"fast": 5})

    assert result.report.is_safe


def test_run_after_the_zygote_died_starts_a_new_one(bars):
    with CodeSandbox(workers=1) as box:
        assert box.warm_up()
        zygote, idle = box.zygote_pid, box.worker_pids
        os.kill(zygote, signal.SIGKILL)
        assert_gone(zygote)

        result = box.run(BENIGN, bars, {"fast": 5})

        assert result.report.is_safe
        assert box.zygote_pid != zygote
        for pid in idle:
            assert_gone(pid)


def test_close_leaves_no_process_behind(bars):
    known = {p.pid for p in descendants()}
    box = CodeSandbox(workers=2)
    assert box.warm_up()
    started = {p.pid for p in descendants()} - known
    own = {box.zygote_pid, *box.worker_pids}
    with pytest.raises(SandboxViolation):
        box.run("import socket\ndef signals(d, p):\n    return d, d\n", bars)

    box.close()

    assert started == own
    assert len(own) == 3
    for pid in started:
        assert_gone(pid)
    assert not box.warm_up(timeout_s=0.1)
    with pytest.raises(Exception, match="closed"):
        box.run(BENIGN, bars, {"fast": 3})


def test_code_runner_adapter_returns_signals_and_report(bars):
    with CodeSandbox() as box:
        runner = SandboxCodeRunner(box)

        entries, _, report = runner.run(BENIGN, bars, {"fast": 10})

    assert entries.index.equals(bars.index)
    assert report["is_safe"] is True
    assert report["output"] == "bars 500\n"
    assert runner.check("import os")["is_safe"] is False


def test_run_report_lists_the_process_protections_in_force(sandbox, bars):
    result = sandbox.run(BENIGN, bars, {"fast": 5})

    process = {c.name: c.message for c in result.report.checks if c.layer == "process"}
    assert list(process) == [
        "process isolation", "network", "privileges", "process limits", "process count",
        "system calls", "audit hook",
    ]  # fmt: skip
    assert process["process isolation"].startswith("forked for this run only")
    assert process["process count"].startswith("RLIMIT_NPROC=0 in force")
    assert process["system calls"].startswith("seccomp filter on")
    if os.getuid() == 0:
        assert process["privileges"].startswith("dropped root to nobody")


def test_code_runner_warm_up_starts_the_sandbox_before_any_run(bars):
    built = []

    def build():
        if not built:
            built.append(CodeSandbox(workers=1))
        return built[0]

    runner = SandboxCodeRunner(build)
    try:
        started = runner.warm_up()

        assert started is True
        assert len(built) == 1
        assert runner.warm_up(wait=True) is True
        assert len(built[0].worker_pids) == 1
        _, _, report = runner.run(BENIGN, bars, {"fast": 10})
        assert report["is_safe"] is True
        assert built[0].cold_starts == 0
    finally:
        built[0].close()


def test_code_runner_warm_up_closed_sandbox_reports_not_ready():
    box = CodeSandbox(workers=1)
    box.close()

    assert SandboxCodeRunner(box).warm_up(wait=True, timeout_s=1) is False


def test_shared_sandbox_in_a_forked_child_is_its_own(bars):
    parent_box = shared_sandbox()
    assert parent_box.warm_up()
    read, write = os.pipe()

    pid = os.fork()
    if pid == 0:  # pragma: no cover - the forked child
        try:
            child_box = shared_sandbox()
            verdict = b"1" if child_box is not parent_box and child_box.warm_up() else b"0"
            close_shared_sandbox()
            parent_box.close()  # a copy: must leave the parent's zygote alone
            os.write(write, verdict)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)

    try:
        assert os.read(read, 1) == b"1"
        assert parent_box.run(BENIGN, bars, {"fast": 5}).report.is_safe
        assert shared_sandbox() is parent_box
    finally:
        os.close(read)
        os.close(write)
        close_shared_sandbox()
