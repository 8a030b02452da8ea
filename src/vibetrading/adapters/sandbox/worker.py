"""Layer 3, inside: the zygote and the single-use workers it forks.

The server starts the zygote fresh (``python -I -m ...sandbox.worker FD``, never a fork
of the server) with an empty working directory and an environment without secrets. The
zygote warms up once (numpy, pandas, TA-Lib, the indicators and their numba kernels),
says it is ready on its control socket ``FD``, then forks one worker per request; a
request carries two pipe ends (requests in, replies out) and an empty directory. The
zygote never runs user code; it reaps its workers, tells the server how each one ended,
and when the server goes away it kills its workers and exits.

A worker starts its own session, isolates itself (``lockdown.isolate``: network
namespace, root dropped), says it is ready, reads one request, then restricts itself
(``lockdown.restrict``: resource limits, process count, seccomp) and installs an audit
hook that refuses files, sockets, processes, signals and ctypes before it touches user
code. It answers once and exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys
from typing import IO, Any, NoReturn

from vibetrading.adapters.sandbox import lockdown

__all__ = ["main"]

_BLOCKED_PREFIXES = (
    "socket.", "subprocess.", "os.exec", "os.spawn", "os.posix_spawn", "os.fork",
    "os.forkpty", "os.kill", "os.killpg", "os.system", "os.startfile", "os.putenv",
    "os.unsetenv", "os.remove", "os.unlink", "os.rename", "os.rmdir", "os.mkdir",
    "os.chmod", "os.chown", "os.lchown", "os.chdir", "os.chflags", "os.link", "os.symlink",
    "os.truncate", "os.utime", "os.setxattr", "os.removexattr", "os.mkfifo", "os.mknod",
    "os.add_dll_directory", "os.setuid", "os.setgid", "ctypes.", "shutil.", "pty.",
    "urllib.", "http.", "ftplib.", "smtplib.", "telnetlib.", "poplib.", "imaplib.",
    "nntplib.", "webbrowser.", "sqlite3.", "mmap.", "resource.", "signal.", "syslog.",
    "gc.get_referrers", "gc.get_referents", "gc.get_objects", "sys.settrace",
    "sys.setprofile", "sys.addaudithook", "sys._current_frames", "sys.remote_exec",
    "cpython.remote_debugger", "setopencode", "_thread.start_new_thread",
    "threading.", "builtins.input", "pdb.",
)  # fmt: skip
_BLOCKED_IMPORTS = frozenset(
    {
        "socket", "_socket", "subprocess", "_posixsubprocess", "ctypes", "_ctypes",
        "multiprocessing", "pty", "urllib.request", "http.client", "ssl", "asyncio",
        "ftplib", "smtplib", "webbrowser", "sqlite3", "mmap", "pdb", "code", "codeop",
    }
)  # fmt: skip
# database and network clients the worker never needs, whatever submodule is asked for
_BLOCKED_IMPORT_ROOTS = frozenset(
    {
        "sqlalchemy", "psycopg", "psycopg2", "pg8000", "asyncpg", "redis", "requests",
        "httpx", "httpcore", "urllib3", "aiohttp", "socket", "asyncio", "ssl", "ctypes",
        "multiprocessing", "pytest", "IPython",
    }
)  # fmt: skip
_ISOLATION = (
    "forked for this run only from a freshly started zygote (never from the server), "
    "in its own session; the whole group is killed after the run"
)
_AUDIT = "audit hook on: files, sockets, processes, signals and ctypes are refused"


def _warm_up() -> None:
    import numpy as np
    import pandas as pd

    from vibetrading import indicators
    from vibetrading.adapters.sandbox import execute, protocol, restricted

    restricted.module_views()
    index = pd.date_range("2020-01-01", periods=300, freq="D", tz="UTC")
    close = np.linspace(100.0, 130.0, 300) + np.sin(np.arange(300))
    bars = pd.DataFrame(
        {"open": close, "high": close + 1, "low": close - 1, "close": close, "volume": 1e6},
        index=index,
    )
    for name in indicators.__all__:
        if name != "compute":
            getattr(indicators, name)(bars)
    execute.check_source("def signals(data, params):\n    return data.close > 0, data.close < 0\n")
    header, stamps, values = protocol.encode_bars(bars)
    protocol.decode_bars(header, stamps, values)


def _install_audit_hook(state: Any) -> None:  # pragma: no cover - worker process only
    readable = tuple(
        {
            os.path.realpath(path) + os.sep
            for path in (sys.prefix, sys.base_prefix, sys.exec_prefix, *sys.path)
            if path and os.path.isabs(path) and path != os.sep
        }
    )

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode = args[0], args[1]
            writing = isinstance(mode, str) and any(c in mode for c in "wax+")
            flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
            writing = writing or bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
            if writing or not isinstance(path, str | bytes):
                state.deny("opening files is not allowed in the sandbox", layer="process")
            text = os.fsdecode(path)
            if not os.path.realpath(text).startswith(readable):
                state.deny("reading files is not allowed in the sandbox", layer="process")
        elif event == "import" and args and _is_blocked_import(str(args[0])):
            state.deny(f"import of {args[0]!r} is not allowed", layer="process")
        elif event.startswith(_BLOCKED_PREFIXES):
            state.deny(
                f"the sandbox refused {event!r} (no files, network or processes)", layer="process"
            )

    sys.addaudithook(hook)


def _is_blocked_import(name: str) -> bool:
    return name in _BLOCKED_IMPORTS or name.split(".")[0] in _BLOCKED_IMPORT_ROOTS


def _serve(
    reader: IO[bytes], writer: IO[bytes], zygote_pid: int
) -> None:  # pragma: no cover - worker process only
    from vibetrading.adapters.sandbox.protocol import decode_bars, dumps, read_frame, write_frame

    isolation = lockdown.isolate(zygote_pid)
    write_frame(writer, dumps({"status": "ready"}))
    request = json.loads(read_frame(reader, limit=64 << 20))
    index = read_frame(reader, limit=1 << 30)
    values = read_frame(reader, limit=1 << 30)
    bars = decode_bars(request["bars"], index, values)
    os.environ.clear()
    restrictions = lockdown.restrict(request["limits"])
    checks = [("process isolation", _ISOLATION), *isolation, *restrictions, ("audit hook", _AUDIT)]
    _answer(writer, request, bars, checks)


def _answer(
    writer: IO[bytes], request: dict[str, Any], bars: Any, protections: list[tuple[str, str]]
) -> None:  # pragma: no cover - worker process only
    from vibetrading.adapters.sandbox.execute import clean_message, execute_strategy
    from vibetrading.adapters.sandbox.protocol import dumps, write_frame
    from vibetrading.adapters.sandbox.report import passed
    from vibetrading.adapters.sandbox.restricted import GuardState
    from vibetrading.errors import SandboxViolation, StrategyError

    state = GuardState(max_output_bytes=int(request["limits"]["max_output_bytes"]))
    process = [passed(name, "process", message) for name, message in protections]
    _install_audit_hook(state)
    reply: dict[str, Any]
    try:
        run = execute_strategy(
            request["source"], bars, request["params"], state=state, process_checks=process
        )
    except StrategyError as e:
        report = e.report.as_dict() if e.report is not None else {"checks": []}
        status = "violation" if isinstance(e, SandboxViolation) else "error"
        reply = {"status": status, "message": clean_message(str(e)), **report}
        write_frame(writer, dumps({**reply, "output": state.printed}))
        return
    reply = {"status": "ok", "checks": [c.as_dict() for c in run.checks], "output": run.output}
    write_frame(writer, dumps(reply))
    write_frame(writer, run.entries.astype("uint8").tobytes())
    write_frame(writer, run.exits.astype("uint8").tobytes())


def _become_worker(
    request: dict[str, Any], pipes: list[int], zygote_pid: int
) -> NoReturn:  # pragma: no cover - worker process only
    try:
        os.setsid()
        os.chdir(str(request["directory"]))
        reader = os.fdopen(pipes[0], "rb")
        writer = os.fdopen(pipes[1], "wb", buffering=0)
        _serve(reader, writer, zygote_pid)
    except BaseException:  # noqa: S110 - the server reports a silent exit; never leak a trace
        pass
    finally:
        os._exit(0)


class _Zygote:  # pragma: no cover - zygote process only
    def __init__(self, control: socket.socket) -> None:
        self.control = control
        self.workers: set[int] = set()
        self.wake_read, self.wake_write = os.pipe()
        os.set_blocking(self.wake_write, False)

    def send(self, event: dict[str, Any]) -> None:
        self.control.send(json.dumps(event).encode("utf-8"))

    def serve(self) -> None:
        signal.signal(signal.SIGCHLD, lambda number, frame: None)
        signal.set_wakeup_fd(self.wake_write)
        self.send({"event": "ready", "pid": os.getpid()})
        while True:
            ready, _, _ = select.select([self.control.fileno(), self.wake_read], [], [])
            if self.wake_read in ready:
                os.read(self.wake_read, 4096)
                self.reap()
            if self.control.fileno() in ready and not self.fork_one():
                return

    def fork_one(self) -> bool:
        message, pipes, _, _ = socket.recv_fds(self.control, 1 << 16, 2)
        if not message:
            return False
        request = json.loads(message)
        pid = self.fork_worker(request, pipes) if len(pipes) == 2 else None
        for fd in pipes:
            os.close(fd)
        if pid is None:
            self.send({"event": "refused", "sequence": request.get("sequence")})
            return True
        self.workers.add(pid)
        self.send({"event": "forked", "pid": pid, "sequence": request.get("sequence")})
        return True

    def fork_worker(self, request: dict[str, Any], pipes: list[int]) -> int | None:
        try:
            pid = os.fork()
        except OSError:  # out of processes or memory: refuse this one, keep serving
            return None
        if pid == 0:
            self.leave()
            _become_worker(request, pipes, os.getppid())
        return pid

    def leave(self) -> None:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.close(self.wake_read)
        os.close(self.wake_write)
        self.control.close()

    def reap(self) -> None:
        while self.workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.workers.discard(pid)
            code = os.waitstatus_to_exitcode(status)
            self.send({"event": "exited", "pid": pid, "returncode": code})

    def kill_workers(self) -> None:
        for pid in self.workers:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)


def main() -> None:  # pragma: no cover - zygote process only
    """Warm up, then fork a sandbox worker per request on the control socket in argv[1]."""
    control = socket.socket(fileno=int(sys.argv[1]))
    zygote = _Zygote(control)
    try:
        _warm_up()
        zygote.serve()
    except Exception:  # noqa: S110 - the server sees the socket close; never leak a trace
        pass
    finally:
        zygote.kill_workers()
        os._exit(0)


if __name__ == "__main__":
    main()
