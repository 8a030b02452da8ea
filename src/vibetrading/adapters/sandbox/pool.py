"""Layer 3, outside: the pool that keeps warm sandbox workers idle and ready.

A background thread keeps ``size`` idle workers forked from the zygote, each already
isolated and ready for a request, so that back-to-back runs find a warm worker at once.
Idle workers that die are dropped and replaced; a zygote that dies is replaced by a
fresh one, which warms up in the background.
"""

from __future__ import annotations

import os
import threading

from vibetrading.adapters.sandbox.forkserver import ForkServer, Worker
from vibetrading.adapters.sandbox.protocol import FrameError
from vibetrading.errors import ConfigError

__all__ = ["FAILURES", "WorkerPool"]

FAILURES = (FrameError, TimeoutError, OSError, ValueError)
"""What starting or talking to a worker raises when the worker or the zygote died."""


class WorkerPool:
    """Keep `size` warm workers idle; hand them out one run at a time."""

    def __init__(self, *, size: int, startup_timeout_s: float) -> None:
        if size < 1:
            raise ConfigError("A sandbox needs at least one worker.")
        self.size = size
        self.startup_timeout_s = startup_timeout_s
        self._idle: list[Worker] = []
        self._changed = threading.Condition()
        self._is_closed = False
        self._cold_starts = 0
        self._owner_pid = os.getpid()
        self._server = self._start_server()
        self._filler = threading.Thread(target=self._keep_filled, name="sandbox-pool", daemon=True)
        self._filler.start()

    def _start_server(self) -> ForkServer:
        return ForkServer(on_change=self._wake)

    def _wake(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def _needs_work(self) -> bool:
        return (
            self._is_closed
            or not self._server.is_alive
            or len(self._idle) < self.size
            or any(worker.server.has_exited(worker.pid) for worker in self._idle)
        )

    def _prune(self) -> list[Worker]:
        dead = [w for w in self._idle if w.server is not self._server or w.server.has_exited(w.pid)]
        self._idle = [worker for worker in self._idle if worker not in dead]
        return dead

    def _keep_filled(self) -> None:
        failures = 0
        while True:
            with self._changed:
                self._changed.wait_for(self._needs_work)
                if self._is_closed:
                    return
                server, dead = self._server, self._prune()
                is_full = len(self._idle) >= self.size
            for worker in dead:
                worker.stop()
            if not server.is_alive:
                self.revive(server)
            if is_full or not server.is_alive:
                continue
            try:
                worker = self._fork_ready(server)
            except FAILURES:
                failures += 1
                with self._changed:  # back off, but wake at once on close
                    self._changed.wait_for(lambda: self._is_closed, min(0.05 * 2**failures, 5.0))
                continue
            failures = 0
            self._add(worker)

    def _fork_ready(self, server: ForkServer) -> Worker:
        worker = server.fork(self.startup_timeout_s)
        try:
            worker.wait_ready(self.startup_timeout_s)
        except BaseException:
            worker.stop()
            raise
        return worker

    def _add(self, worker: Worker) -> None:
        with self._changed:
            if not self._is_closed:
                self._idle.append(worker)
                self._changed.notify_all()
                return
        worker.stop()

    def revive(self, server: ForkServer) -> None:
        """Replace `server` with a fresh zygote if it is still the current one and died."""
        if server.is_alive:
            return
        with self._changed:
            if self._is_closed or self._server is not server:
                return
            self._server = self._start_server()
        server.close()

    @property
    def server(self) -> ForkServer:
        """Return the current zygote."""
        with self._changed:
            return self._server

    def take(self, *, is_fresh: bool = False) -> Worker:
        """Return an idle live worker, or fork one now when there is none (or `is_fresh`)."""
        with self._changed:
            if self._is_closed:
                raise ConfigError("The sandbox is closed.")
            dead = self._prune()
            worker = self._idle.pop(0) if self._idle and not is_fresh else None
            server = self._server
            if worker is None:
                self._cold_starts += 1
            self._changed.notify_all()
        for corpse in dead:
            corpse.stop()
        return worker or server.fork(self.startup_timeout_s)

    @property
    def cold_starts(self) -> int:
        """Return how many runs found no idle worker and had to wait for a new one."""
        with self._changed:
            return self._cold_starts

    @property
    def worker_pids(self) -> list[int]:
        """Return the process ids of the idle workers."""
        with self._changed:
            return [worker.pid for worker in self._idle]

    def wait_full(self, timeout_s: float) -> bool:
        """Wait until `size` live workers are idle; return False on timeout or close."""

        def is_full() -> bool:
            server = self._server
            live = [w for w in self._idle if w.server is server and not server.has_exited(w.pid)]
            return server.is_alive and len(live) >= self.size

        with self._changed:
            self._changed.wait_for(lambda: self._is_closed or is_full(), timeout_s)
            return not self._is_closed and is_full()

    def close(self) -> None:
        """Stop the idle workers and the zygote; refuse to hand out more."""
        with self._changed:
            self._is_closed = True
            idle, self._idle = self._idle, []
            server = self._server
            self._changed.notify_all()
        if os.getpid() != self._owner_pid:
            return  # a forked copy: the workers and the zygote belong to the parent
        for worker in idle:
            worker.stop()
        server.close()
        self._filler.join(timeout=10)
