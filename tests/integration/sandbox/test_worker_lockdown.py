"""The worker's own lockdown, tested as if layers 1 and 2 had already fallen.

Each test starts a fresh Python that applies some of the lockdown steps and then runs
plain, unrestricted code that tries to start processes, open sockets or signal its
parent. It prints what happened as JSON. Whatever the report claims must match what the
kernel did, and no process may be left behind.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from sandbox_canaries import descendant_pids, leftover_processes

pytestmark = [pytest.mark.integration, pytest.mark.slow]

IS_ROOT = os.getuid() == 0
SCRIPT = r"""
import json, os, resource, signal, socket, subprocess, sys, threading
from vibetrading.adapters.sandbox import lockdown, seccomp

steps, port = sys.argv[1].split(","), int(sys.argv[2])
report = {}
if "isolate" in steps:
    report.update(lockdown.isolate(os.getppid()))
if "nproc" in steps:
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    report["process count"] = lockdown._process_count()
if "seccomp" in steps:
    report["system calls"] = seccomp.install_filter()
if "restrict" in steps:
    report.update(lockdown.restrict({"cpu_time_s": 5, "memory_mb": 256}))
if "hook" in steps:
    from vibetrading.adapters.sandbox.restricted import GuardState
    from vibetrading.adapters.sandbox.worker import _install_audit_hook
    _install_audit_hook(GuardState())

def fork():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid

def spawn():
    pid = os.posix_spawn("/bin/true", ["true"], {})
    os.waitpid(pid, 0)
    return pid

def system():
    code = os.system("true")
    if code != 0:
        raise OSError(f"system() returned {code}")
    return code

def thread():
    worker = threading.Thread(target=lambda: None)
    worker.start()
    worker.join()
    return "started"

def raise_to_self():
    signal.signal(signal.SIGUSR1, lambda number, frame: None)
    signal.raise_signal(signal.SIGUSR1)
    return "delivered"

results = {}
attempts = {
    "fork": fork, "posix_spawn": spawn, "system": system,
    "subprocess": lambda: subprocess.run(["/bin/true"], check=True).returncode,
    "socket": lambda: socket.create_connection(("127.0.0.1", port), timeout=2).close(),
    "signal parent": lambda: os.kill(os.getppid(), 0),
    "thread": thread, "signal self": raise_to_self,
    "read host file": lambda: open("/etc/shadow").read(1) and "read",
}
for name, action in attempts.items():
    if name in steps or "all" in steps:
        try:
            results[name] = "ran: " + repr(action())
        except BaseException as e:
            results[name] = f"refused: {type(e).__name__}: {e}"
print(json.dumps({"uid": os.getuid(), "report": report, "results": results}))
"""


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """Listen on 127.0.0.1 so that a connection from the worker would be seen."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        yield server


def lock_down(steps: str, listener: socket.socket) -> dict:  # type: ignore[type-arg]
    baseline = descendant_pids()
    completed = subprocess.run(
        [sys.executable, "-I", "-c", SCRIPT, steps, str(listener.getsockname()[1])],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1"},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert leftover_processes(baseline) == []
    with pytest.raises(BlockingIOError):
        listener.accept()
    return json.loads(completed.stdout)  # type: ignore[no-any-return]


def test_lockdown_full_worker_refuses_processes_sockets_and_signals(
    listener: socket.socket, subreaper: bool
) -> None:
    outcome = lock_down("isolate,restrict,hook,all", listener)

    results = outcome["results"]
    for route in (
        "fork", "posix_spawn", "system", "subprocess", "socket", "signal parent", "read host file",
    ):  # fmt: skip
        assert results[route].startswith("refused: "), (route, results[route])
    assert "the sandbox refused 'os.fork'" in results["fork"]
    assert "the sandbox refused 'subprocess.Popen'" in results["subprocess"]
    assert "the sandbox refused 'socket." in results["socket"]
    assert "reading files is not allowed" in results["read host file"]
    assert set(outcome["report"]) == {
        "network", "privileges", "process limits", "process count", "system calls",
    }  # fmt: skip


def test_lockdown_kernel_refuses_processes_without_the_audit_hook(
    listener: socket.socket, subreaper: bool
) -> None:
    outcome = lock_down("isolate,restrict,all", listener)

    results, report = outcome["results"], outcome["report"]
    for route in ("fork", "posix_spawn", "system", "subprocess", "socket", "signal parent"):
        assert results[route].startswith("refused: "), (route, results[route])
    assert "Operation not permitted" in results["fork"]
    assert report["process count"].startswith("RLIMIT_NPROC=0 in force")
    assert report["system calls"].startswith("seccomp filter on")
    assert results["signal self"] == "ran: 'delivered'"
    # without the audit hook, file reads are up to the kernel: the report says which way
    can_read = "read any file" in report["privileges"] or "as root" in report["privileges"]
    assert results["read host file"].startswith("ran: " if can_read else "refused: ")


def test_lockdown_process_count_in_force_after_isolate(
    listener: socket.socket, subreaper: bool
) -> None:
    outcome = lock_down("isolate,nproc,fork,thread", listener)

    assert outcome["uid"] != 0
    assert outcome["report"]["process count"].startswith("RLIMIT_NPROC=0 in force")
    assert outcome["results"]["fork"].startswith("refused: BlockingIOError")
    assert outcome["results"]["thread"].startswith("refused: ")


@pytest.mark.skipif(not IS_ROOT, reason="needs root: checks what the report says as root")
def test_lockdown_process_count_as_root_is_reported_not_effective(
    listener: socket.socket, subreaper: bool
) -> None:
    outcome = lock_down("nproc,fork", listener)

    assert outcome["uid"] == 0
    assert outcome["report"]["process count"].startswith("RLIMIT_NPROC not effective as root")
    assert outcome["results"]["fork"].startswith("ran: ")


@pytest.mark.skipif(not IS_ROOT, reason="needs root: the seccomp filter is the backstop there")
def test_lockdown_seccomp_refuses_fork_as_root(listener: socket.socket, subreaper: bool) -> None:
    outcome = lock_down("seccomp,fork,posix_spawn,thread,signal parent,signal self", listener)

    results = outcome["results"]
    assert outcome["uid"] == 0
    assert results["fork"] == "refused: PermissionError: [Errno 1] Operation not permitted"
    assert results["posix_spawn"].startswith("refused: PermissionError")
    assert results["signal parent"].startswith("refused: PermissionError")
    assert results["thread"] == "ran: 'started'"
    assert results["signal self"] == "ran: 'delivered'"


def test_lockdown_isolate_leaves_the_network_and_root(
    listener: socket.socket, subreaper: bool
) -> None:
    outcome = lock_down("isolate,socket", listener)

    report = outcome["report"]
    assert report["network"].startswith("own ")
    assert outcome["results"]["socket"].startswith("refused: OSError")
    if IS_ROOT:
        assert outcome["uid"] == 65534
        assert report["privileges"].startswith("dropped root to nobody")
    else:
        assert report["privileges"] == f"runs as uid {os.getuid()}, not root"
