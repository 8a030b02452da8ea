"""Layer 3, inside: how a worker locks itself down, and what it can truthfully claim.

Two steps, each returning a (check name, sentence) pair per protection for the safety
report, worded after what the kernel actually granted (a refused namespace or an
ineffective limit is said as such, never glossed over):

- ``isolate`` (before the worker says it is ready): its own network namespace where
  the kernel allows one, root dropped to ``nobody``, death with its parent;
- ``restrict`` (after the request is read, before user code runs): CPU time, address
  space, file size, descriptors, no core files, a process count of zero (probed: as
  root the kernel ignores RLIMIT_NPROC) and the seccomp filter.

Root and the process count: the kernel skips RLIMIT_NPROC for root and for holders of
CAP_SYS_RESOURCE or CAP_SYS_ADMIN, and a user namespace alone does not change that (the
kernel user stays root). So a root worker becomes ``nobody``; when the Python install is
private to root (``/root/.pyenv``), it keeps one capability, CAP_DAC_READ_SEARCH, to read
it. That lets the kernel allow reading any file, so the report says so; the audit hook
still limits opens to the Python install, and the seccomp filter refuses
``open_by_handle_at``, the known escape through that capability.
"""

from __future__ import annotations

import ctypes
import math
import os
import resource
import signal
import stat
import sys
from collections.abc import Mapping
from typing import Any

from vibetrading.adapters.sandbox import seccomp

__all__ = ["NOBODY", "isolate", "restrict"]

NOBODY = 65534
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_PR_SET_PDEATHSIG = 1
_PR_SET_KEEPCAPS = 8
_CAPABILITY_VERSION_3 = 0x20080522
_CAP_DAC_READ_SEARCH = 2


class _CapabilityHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapabilityData(ctypes.Structure):
    _fields_ = (
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    )


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def isolate(parent_pid: int) -> list[tuple[str, str]]:  # pragma: no cover - worker process only
    """Leave the network, drop root and die with `parent_pid`; return what holds.

    Call it in a fresh single-threaded process before reading any untrusted input.
    """
    uid = os.getuid()  # a new user namespace shows it as the overflow uid afterwards
    network = _isolate_network(uid == 0)
    user = _drop_root() if uid == 0 else f"runs as uid {uid}, not root"
    _die_with(parent_pid)
    return [("network", network), ("privileges", user)]


def _isolate_network(is_root: bool) -> str:  # pragma: no cover - worker process only
    flags = _CLONE_NEWNET if is_root else _CLONE_NEWUSER | _CLONE_NEWNET
    where = "network namespace" if is_root else "user and network namespace"
    guards = "the seccomp filter and the audit hook" if seccomp.is_supported() else "the audit hook"
    try:
        if _libc().unshare(flags) == 0:
            return (
                f"own {where}, with no interface up (not even loopback); "
                f"sockets are refused by {guards} as well"
            )
        reason = os.strerror(ctypes.get_errno())
    except (OSError, AttributeError) as e:
        reason = str(e)
    return f"no network namespace (the kernel refused one: {reason}); sockets refused by {guards}"


def _drop_root() -> str:  # pragma: no cover - worker process only
    needs_reading = not all(_readable_by_others(path) for path in _install_paths())
    libc = _libc()
    try:
        if needs_reading and libc.prctl(_PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_KEEPCAPS) failed")
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
        if needs_reading:
            _keep_only(libc, 1 << _CAP_DAC_READ_SEARCH)
            libc.prctl(_PR_SET_KEEPCAPS, 0, 0, 0, 0)
    except OSError as e:
        if os.getuid() == 0:
            return f"runs as root (could not drop privileges: {e.strerror or e})"
        raise  # half-dropped privileges are not a state to run user code in
    if needs_reading:
        return (
            f"dropped root to nobody (uid {NOBODY}), keeping only CAP_DAC_READ_SEARCH "
            "(the kernel lets it read any file; the audit hook allows only the Python "
            "install) because the Python install is private to root"
        )
    return f"dropped root to nobody (uid {NOBODY}) with no capabilities"


def _keep_only(libc: ctypes.CDLL, mask: int) -> None:  # pragma: no cover - worker process only
    header = _CapabilityHeader(_CAPABILITY_VERSION_3, 0)
    data = (_CapabilityData * 2)()
    data[0].effective = data[0].permitted = mask
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def _install_paths() -> list[str]:
    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    paths = {sys.base_prefix, sys.prefix, sys.executable, package}
    paths.update(path for path in sys.path if path and os.path.isdir(path))
    return sorted(paths)


def _readable_by_others(path: str) -> bool:
    path = os.path.realpath(path)
    mode = os.stat(path).st_mode
    wanted = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
    if mode & wanted != wanted:
        return False
    while path != os.path.dirname(path):
        path = os.path.dirname(path)
        if not os.stat(path).st_mode & stat.S_IXOTH:
            return False
    return True


def _die_with(parent_pid: int) -> None:  # pragma: no cover - worker process only
    # set after the uid change, which clears it; the parent may already be gone
    _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


def restrict(
    limits: Mapping[str, Any],
) -> list[tuple[str, str]]:  # pragma: no cover - worker process only
    """Apply the resource limits and the seccomp filter; return what holds.

    `limits` holds ``cpu_time_s`` and ``memory_mb`` (beyond the current size). Raises
    OSError when the seccomp filter cannot be installed on a system that supports it.
    """
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = math.ceil(used.ru_utime + used.ru_stime + float(limits["cpu_time_s"]))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    address_space = _address_space() + int(limits["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    highest = max(int(fd) for fd in os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (highest + 1, highest + 1))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    processes = _process_count()
    calls = seccomp.install_filter()
    limits_line = (
        f"CPU {float(limits['cpu_time_s']):g} s, memory +{int(limits['memory_mb'])} MB, "
        f"file size 0, no core files, {highest + 1} file descriptors"
    )
    return [("process limits", limits_line), ("process count", processes), ("system calls", calls)]


def _address_space() -> int:
    statm = os.open("/proc/self/statm", os.O_RDONLY)
    try:
        return int(os.read(statm, 256).split()[0]) * resource.getpagesize()
    finally:
        os.close(statm)


def _process_count() -> str:  # pragma: no cover - worker process only
    # probe the limit: as root (or with CAP_SYS_RESOURCE) the kernel lets the fork through
    try:
        child = os.fork()
    except OSError:
        return "RLIMIT_NPROC=0 in force (the kernel refuses fork and threads)"
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)
    who = "as root" if os.getuid() == 0 else "for a user with CAP_SYS_RESOURCE"
    if seccomp.is_supported():
        backup = "fork, clone and exec are refused by the seccomp filter and the audit hook"
    else:
        backup = "only the audit hook refuses fork and subprocesses"
    return f"RLIMIT_NPROC not effective {who}; {backup}"
