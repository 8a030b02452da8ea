"""Layer 3, inside: the sandbox worker process (``python -I -m ...sandbox.worker``).

The server starts it fresh (never a fork) with an empty working directory and an
environment without secrets. It warms up (numpy, pandas, TA-Lib, the indicators), says
it is ready, reads one request, then locks itself down before touching user code:
network namespace where the kernel allows it, dropped root, resource limits (CPU time,
address space, file size 0, no new processes, few descriptors) and an audit hook that
refuses files, sockets, processes, signals and ctypes. It answers once and exits.
"""

from __future__ import annotations

import ctypes
import json
import math
import os
import resource
import stat
import sys
from typing import IO, Any

__all__ = ["main"]

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_NOBODY = 65534
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


def _isolate_network() -> str:  # pragma: no cover - worker process only
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        for flags, label in (
            (_CLONE_NEWUSER | _CLONE_NEWNET, "a new user and network namespace"),
            (_CLONE_NEWNET, "a new network namespace"),
        ):
            if libc.unshare(flags) == 0:
                return f"no network: runs in {label}"
    except (OSError, AttributeError):
        pass
    return "no network namespace (the kernel refused one); sockets are blocked by the audit hook"


def _reachable_by_others(path: str) -> bool:
    path = os.path.realpath(path)
    while True:
        if not os.stat(path).st_mode & stat.S_IXOTH:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def _drop_root() -> str:  # pragma: no cover - worker process only
    if os.getuid() != 0:
        return "runs as an unprivileged user"
    if not all(_reachable_by_others(p) for p in (sys.base_prefix, sys.prefix, _package_root())):
        return "runs as root (the Python install is private to root)"
    try:
        os.setgroups([])
        os.setgid(_NOBODY)
        os.setuid(_NOBODY)
    except OSError:
        return "runs as root (could not drop privileges)"
    return "dropped root to user nobody"


def _package_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _warm_up() -> None:
    import numpy as np
    import pandas as pd

    from vibetrading import indicators
    from vibetrading.adapters.sandbox import execute, restricted

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


def _apply_limits(limits: dict[str, Any]) -> str:  # pragma: no cover - worker process only
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = math.ceil(used.ru_utime + used.ru_stime + float(limits["cpu_time_s"]))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    statm = os.open("/proc/self/statm", os.O_RDONLY)
    try:
        current = int(os.read(statm, 256).split()[0]) * resource.getpagesize()
    finally:
        os.close(statm)
    address_space = current + int(limits["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    highest = max(int(fd) for fd in os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (highest + 1, highest + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return (
        f"CPU {limits['cpu_time_s']} s, memory +{limits['memory_mb']} MB, "
        "file size 0, no new processes"
    )


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


def _serve(reader: IO[bytes], writer: IO[bytes]) -> None:  # pragma: no cover - worker process only
    from vibetrading.adapters.sandbox.protocol import decode_bars, dumps, read_frame, write_frame

    isolation = _isolate_network()
    _warm_up()
    privileges = _drop_root()
    write_frame(writer, dumps({"status": "ready"}))
    request = json.loads(read_frame(reader, limit=64 << 20))
    index = read_frame(reader, limit=1 << 30)
    values = read_frame(reader, limit=1 << 30)
    bars = decode_bars(request["bars"], index, values)
    os.environ.clear()
    limits = _apply_limits(request["limits"])
    _answer(writer, request, bars, f"{isolation}; {privileges}; limits: {limits}")


def _answer(
    writer: IO[bytes], request: dict[str, Any], bars: Any, isolation: str
) -> None:  # pragma: no cover - worker process only
    from vibetrading.adapters.sandbox.execute import clean_message, execute_strategy
    from vibetrading.adapters.sandbox.protocol import dumps, write_frame
    from vibetrading.adapters.sandbox.report import passed
    from vibetrading.adapters.sandbox.restricted import GuardState
    from vibetrading.errors import SandboxViolation, StrategyError

    state = GuardState(max_output_bytes=int(request["limits"]["max_output_bytes"]))
    process = passed("process limits", "process", f"separate process: {isolation}")
    _install_audit_hook(state)
    reply: dict[str, Any]
    try:
        run = execute_strategy(
            request["source"], bars, request["params"], state=state, process_checks=[process]
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


def main() -> None:  # pragma: no cover - worker process only
    """Serve one sandbox run over stdin and stdout, then exit."""
    protocol = os.fdopen(os.dup(1), "wb", buffering=0)
    sink = os.open(os.devnull, os.O_WRONLY)
    os.dup2(sink, 1)
    os.close(sink)
    try:
        _serve(sys.stdin.buffer, protocol)
    except Exception:  # noqa: S110 - the parent reports a silent exit; never leak a trace
        pass
    finally:
        sys.stdout.flush()
        os._exit(0)


if __name__ == "__main__":
    main()
