"""Canaries that prove a sandbox breach, and the process accounting of the attack suite.

Attack files are strategy sources with placeholders the canaries fill in before a run:
``CANARY_FILE`` (a path outside the worker's directory; a breach leaves the file behind),
``CANARY_PORT`` (a TCP listener on 127.0.0.1; a breach is any accepted connection) and
``CANARY_PID`` (a sacrificial process standing in for the server; a breach kills it) and
``CANARY_SOCKET_DIR`` (a directory holding a Unix socket named like PostgreSQL's,
``.s.PGSQL.5432``; a breach is any accepted connection, which no network namespace stops).
The secret token sits in the parent's environment as ``VIBETRADING_CANARY_SECRET``; a
breach is the token showing up in anything the sandbox returns.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

__all__ = [
    "ATTACK_TIMES_S",
    "LEAK_MARKERS",
    "SECRET_ENV",
    "Canaries",
    "descendant_pids",
    "leftover_processes",
    "reap_zombies",
]

SECRET_ENV = "VIBETRADING_CANARY_SECRET"
# Text that only appears when a file outside the sandbox was read.
LEAK_MARKERS = ("root:x:0:0",)
# Seconds each attack run took, by attack file stem; conftest prints them at the end.
ATTACK_TIMES_S: dict[str, float] = {}


@dataclass
class Canaries:
    """The tripwires of one attack run; `tripped` lists every breach they saw."""

    file: Path
    listener: socket.socket
    process: subprocess.Popen[bytes]
    secret: str
    unix_listener: socket.socket
    accepted: list[str] = field(default_factory=list)

    def substitute(self, source: str) -> str:
        """Return `source` with the canary placeholders filled in."""
        source = re.sub(r"\bCANARY_FILE\b", repr(str(self.file)), source)
        source = re.sub(r"\bCANARY_PORT\b", str(self.listener.getsockname()[1]), source)
        source = re.sub(r"\bCANARY_PID\b", str(self.process.pid), source)
        directory = os.path.dirname(self.unix_listener.getsockname())
        return re.sub(r"\bCANARY_SOCKET_DIR\b", repr(directory), source)

    def leaks(self, text: str) -> list[str]:
        """Return what `text` gives away: the secret token or the content of a host file."""
        found = [f"the secret {SECRET_ENV}"] if self.secret in text else []
        return found + [f"host file content {m!r}" for m in LEAK_MARKERS if m in text]

    def tripped(self) -> list[str]:
        """Return a description of every canary the run set off."""
        problems = []
        if self.file.exists() or any(self.file.parent.glob(self.file.name + "*")):
            problems.append(f"canary file written: {self.file}")
        for listener in (self.listener, self.unix_listener):
            while True:
                try:
                    connection, peer = listener.accept()
                except BlockingIOError:
                    break
                connection.close()
                self.accepted.append(str(peer) or "a Unix socket peer")
        if self.accepted:
            problems.append(f"canary listener accepted connections from {self.accepted}")
        if self.process.poll() is not None:
            problems.append(f"canary process {self.process.pid} was killed")
        return problems


def descendant_pids() -> set[int]:
    """Return the ids of every live (non-zombie) descendant of this process."""
    pids = set()
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                pids.add(child.pid)
        except psutil.NoSuchProcess:
            continue
    return pids


def reap_zombies(ignore: set[int]) -> None:
    """Collect exit statuses of zombie children the sandbox adopted or forgot."""
    for child in psutil.Process().children():
        try:
            if child.pid not in ignore and child.status() == psutil.STATUS_ZOMBIE:
                os.waitpid(child.pid, os.WNOHANG)
        except (psutil.NoSuchProcess, ChildProcessError):
            continue


def leftover_processes(ignore: set[int], grace_s: float = 5.0) -> list[str]:
    """Return descendants still alive after `grace_s` (minus `ignore`); kill them after."""
    deadline = time.monotonic() + grace_s
    while True:
        reap_zombies(ignore)
        alive = descendant_pids() - ignore
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    described = []
    for pid in sorted(alive):
        try:
            process = psutil.Process(pid)
            described.append(f"{pid} {process.cmdline()[:4]}")
            process.kill()
        except psutil.NoSuchProcess:
            continue
    reap_zombies(ignore)
    return described
