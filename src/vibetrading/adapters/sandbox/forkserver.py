"""Layer 3, outside: the sandbox zygote and the single-use workers it forks, from the server.

``ForkServer`` starts the zygote (``python -I -m vibetrading.adapters.sandbox.worker FD``)
fresh, never as a fork of the server, with an empty working directory and an environment
without secrets, and asks it for workers over a Unix control socket. A ``Worker`` is one
forked worker: its request and reply pipes, its empty directory and its process group.
Only JSON crosses the control socket; nothing that comes back is unpickled.

Forking a warm zygote costs milliseconds where starting Python with numpy, pandas and the
numba kernels costs seconds, so every run can have a warm worker of its own.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from vibetrading.adapters.sandbox.protocol import (
    FrameError,
    dumps,
    read_frame_before,
    write_frame,
)

__all__ = ["ForkServer", "Worker", "minimal_env"]

_MODULE = "vibetrading.adapters.sandbox.worker"


def minimal_env(home: str) -> dict[str, str]:
    """Return the whole environment of the zygote: no secrets, and no threads to fork with."""
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": home,
        "TMPDIR": home,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMBA_NUM_THREADS": "1",
        "JE_ARROW_MALLOC_CONF": "background_thread:false",  # pandas loads pyarrow's jemalloc
        "NUMBA_CACHE_DIR": home,
        "PYTHONHASHSEED": "0",
    }


def _empty_directory() -> str:
    directory = tempfile.mkdtemp(prefix="vt-sandbox-")
    os.chmod(directory, 0o711)  # noqa: S103 - a worker that dropped root must still enter it
    return directory


class Worker:
    """One forked worker: send it one request, read its reply, then stop it."""

    def __init__(
        self, server: ForkServer, pid: int, requests: int, replies: int, directory: str
    ) -> None:
        self.server = server
        self.pid = pid
        self.directory = directory
        self._requests = os.fdopen(requests, "wb")
        self._replies = replies
        self._is_stopped = False
        self.is_ready = False

    def wait_ready(self, timeout_s: float) -> None:
        """Wait for the worker's ready frame (it has left the network and dropped root)."""
        if self.is_ready:
            return
        frame = read_frame_before(self._replies, time.monotonic() + timeout_s, limit=4096)
        if json.loads(frame).get("status") != "ready":
            raise FrameError("the worker did not start")
        self.is_ready = True

    def send(self, document: dict[str, Any], *blobs: bytes) -> None:
        """Send the request frames and close the pipe; a dead worker raises OSError."""
        if self.server.has_exited(self.pid):
            raise FrameError("the worker is gone")
        write_frame(self._requests, dumps(document))
        for blob in blobs:
            write_frame(self._requests, blob)
        self._requests.close()

    def receive(self, deadline: float, limit: int) -> bytes:
        """Return the next reply frame, read before the monotonic `deadline`."""
        return read_frame_before(self._replies, deadline, limit=limit)

    def kill(self) -> None:
        """Kill the worker's whole process group now (nothing once it was stopped)."""
        if not self._is_stopped:
            self.server.kill(self.pid)

    def exit_signal(self) -> int | None:
        """Return the signal that ended the worker, or None (still running, or it exited)."""
        code = self.server.wait_exit(self.pid, 2.0)
        return -code if code is not None and code < 0 else None

    def stop(self) -> None:
        """Kill the worker, wait until it is reaped and remove its pipes and directory."""
        if self._is_stopped:
            return
        self.kill()
        self._is_stopped = True
        self.server.wait_exit(self.pid, 10.0)
        with contextlib.suppress(OSError):
            self._requests.close()
        with contextlib.suppress(OSError):
            os.close(self._replies)
        shutil.rmtree(self.directory, ignore_errors=True)
        self.server.forget(self.pid)


class ForkServer:
    """The zygote process: started fresh and warmed once, it forks a worker per request.

    `on_change` is called (from a background thread, with no lock held) whenever the
    zygote reports something: ready, a worker forked or ended, or its own end.
    """

    def __init__(self, *, on_change: Callable[[], None] | None = None) -> None:
        self.directory = _empty_directory()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
                [sys.executable, "-I", "-m", _MODULE, str(theirs.fileno())],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=self.directory,
                env=minimal_env(self.directory),
                start_new_session=True,
                close_fds=True,
                pass_fds=(theirs.fileno(),),
            )
        except BaseException:
            ours.close()
            shutil.rmtree(self.directory, ignore_errors=True)
            raise
        finally:
            theirs.close()
        self._control = ours
        self._owner_pid = os.getpid()  # a forked copy of this process must not touch it
        self._on_change = on_change
        self._changed = threading.Condition()
        self._is_ready = False
        self._is_gone = False
        self._replies: dict[int, dict[str, Any]] = {}
        self._abandoned: set[int] = set()
        self._exits: dict[int, int] = {}
        self._sequence = itertools.count(1)
        self._sending = threading.Lock()
        self._reader = threading.Thread(
            target=self._read_events, name="sandbox-zygote", daemon=True
        )
        self._reader.start()

    @property
    def pid(self) -> int:
        """Return the zygote's process id."""
        return self.process.pid

    @property
    def is_alive(self) -> bool:
        """Return False once the zygote has closed its control socket (it stopped)."""
        with self._changed:
            return not self._is_gone

    def _read_events(self) -> None:
        while True:
            try:
                message = self._control.recv(1 << 16)
            except OSError:
                message = b""
            if not message:
                with self._changed:
                    self._is_gone = True
                    self._changed.notify_all()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=5)  # reap it now, not when the sandbox closes
                self._notify()
                return
            with contextlib.suppress(ValueError, KeyError, TypeError):
                self._record(json.loads(message))
            self._notify()

    def _notify(self) -> None:
        if self._on_change is not None:
            self._on_change()

    def _record(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        with self._changed:
            if kind == "ready":
                self._is_ready = True
            elif kind in {"forked", "refused"}:
                sequence = int(event["sequence"])
                if sequence in self._abandoned and kind == "forked":
                    self._abandoned.discard(sequence)
                    self._signal(int(event["pid"]))
                else:
                    self._replies[sequence] = event
            elif kind == "exited":
                self._exits[int(event["pid"])] = int(event["returncode"])
            self._changed.notify_all()

    def wait_ready(self, timeout_s: float) -> None:
        """Wait until the zygote has warmed up; raise TimeoutError or FrameError."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._is_ready or self._is_gone, timeout_s):
                raise TimeoutError
            if self._is_gone:
                raise FrameError("the sandbox zygote stopped")

    def fork(self, timeout_s: float) -> Worker:
        """Return a new worker (not yet ready); wait at most `timeout_s` for a warm zygote."""
        deadline = time.monotonic() + timeout_s
        self.wait_ready(timeout_s)
        directory = _empty_directory()
        requests_read, requests_write = os.pipe()
        replies_read, replies_write = os.pipe()
        sequence = next(self._sequence)
        try:
            with self._sending:
                document = dumps({"sequence": sequence, "directory": directory})
                socket.send_fds(self._control, [document], [requests_read, replies_write])
            pid = self._forked(sequence, deadline)
        except BaseException:
            os.close(requests_write)
            os.close(replies_read)
            shutil.rmtree(directory, ignore_errors=True)
            raise
        finally:
            os.close(requests_read)
            os.close(replies_write)
        return Worker(self, pid, requests_write, replies_read, directory)

    def _forked(self, sequence: int, deadline: float) -> int:
        with self._changed:
            arrived = self._changed.wait_for(
                lambda: sequence in self._replies or self._is_gone,
                max(0.0, deadline - time.monotonic()),
            )
            event = self._replies.pop(sequence, None)
            if event is None:
                self._abandoned.add(sequence)  # a late worker is killed when it shows up
                if not arrived:
                    raise TimeoutError
                raise FrameError("the sandbox zygote stopped")
        if event.get("event") != "forked":
            raise FrameError("the zygote refused to start a worker")
        return int(event["pid"])

    def has_exited(self, pid: int) -> bool:
        """Return True once the zygote reported that worker `pid` ended."""
        with self._changed:
            return pid in self._exits

    def wait_exit(self, pid: int, timeout_s: float) -> int | None:
        """Return worker `pid`'s exit code (negative: the signal), or None if unknown."""
        with self._changed:
            self._changed.wait_for(lambda: pid in self._exits or self._is_gone, timeout_s)
            return self._exits.get(pid)

    def kill(self, pid: int) -> None:
        """Kill worker `pid`'s process group, unless it was already reaped."""
        with self._changed:
            self._signal(pid)

    def _signal(self, pid: int) -> None:
        # a reaped worker's id may be reused: signal only while no reaping was reported
        # (the report follows the reaping within milliseconds; ids wrap only at pid_max)
        if pid not in self._exits and os.getpid() == self._owner_pid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)

    def forget(self, pid: int) -> None:
        """Drop what is known about a stopped worker."""
        with self._changed:
            self._exits.pop(pid, None)

    def close(self) -> None:
        """Stop the zygote; it kills every worker it still has before it exits."""
        if os.getpid() != self._owner_pid:
            return  # the zygote belongs to the process that started it
        with contextlib.suppress(OSError):
            self._control.shutdown(socket.SHUT_RDWR)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        self._reader.join(timeout=5)
        self._control.close()
        shutil.rmtree(self.directory, ignore_errors=True)
