"""Layer 3, kernel side: a seccomp filter that refuses new processes, sockets and escapes.

The worker installs it on itself just before it runs user code. The filter is a small
classic-BPF program built here and handed to ``prctl(PR_SET_SECCOMP)`` through ctypes,
so it needs no library. Refused system calls fail with EPERM (``clone3`` with ENOSYS, so
the C library falls back to ``clone``, which is allowed for threads only); any other
architecture than the one the table was written for, and x32 calls, kill the process.

The table covers x86-64 only; elsewhere ``install_filter`` installs nothing and says so.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform

__all__ = ["BLOCKED_CALLS", "install_filter", "is_supported"]

_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_SYSCALL_BIT = 0x40000000
_CLONE_THREAD = 0x00010000

_LOAD = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JUMP_EQUAL = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JUMP_AT_LEAST = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_JUMP_ANY_BIT = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_RETURN = 0x06  # BPF_RET | BPF_K
_ALLOW = 0x7FFF0000
_KILL_PROCESS = 0x80000000
_ERRNO = 0x00050000

# offsets in struct seccomp_data: nr, arch, instruction pointer, args[6] (little endian)
_NR, _ARCH, _ARG0 = 0, 4, 16

BLOCKED_CALLS: dict[str, int] = {
    # new processes and programs (threads go through clone with CLONE_THREAD, see below)
    "fork": 57, "vfork": 58, "execve": 59, "execveat": 322,
    # network and local sockets
    "socket": 41, "socketpair": 53, "connect": 42, "bind": 49, "listen": 50,
    # other processes: signals, tracing, their memory and file descriptors
    "kill": 62, "tkill": 200, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297,
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
    "pidfd_open": 434, "pidfd_send_signal": 424, "pidfd_getfd": 438, "kcmp": 312,
    # namespaces, mounts, privileges
    "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155,
    "chroot": 161, "setuid": 105, "setgid": 106, "setreuid": 113, "setregid": 114,
    "setresuid": 117, "setresgid": 119, "setgroups": 116, "capset": 126,
    # known kernel attack surface
    "open_by_handle_at": 304, "name_to_handle_at": 303, "bpf": 321, "userfaultfd": 323,
    "perf_event_open": 298, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "keyctl": 250, "add_key": 248, "request_key": 249,
    "init_module": 175, "finit_module": 313, "kexec_load": 246, "reboot": 169,
}  # fmt: skip
_CLONE, _CLONE3, _TGKILL = 56, 435, 234


class _Instruction(ctypes.Structure):
    _fields_ = (
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint32),
    )


class _Program(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction)))


def is_supported() -> bool:
    """Return True on Linux x86-64, the one system-call table this module knows."""
    return platform.system() == "Linux" and platform.machine() in {"x86_64", "AMD64"}


def _program(own_pid: int) -> list[tuple[int, int, int, int]]:
    blocked = sorted(set(BLOCKED_CALLS.values()))
    # classic BPF jumps forward only: the checks, ALLOW, the clone and tgkill argument
    # checks, then the shared exits DENY, KILL and NO_SYSCALL
    allow = 5 + len(blocked) + 2
    clone_check, tgkill_check = allow + 1, allow + 5
    deny, kill, no_syscall = allow + 9, allow + 10, allow + 11
    code: list[tuple[int, int, int, int]] = [
        (_LOAD, 0, 0, _ARCH),
        (_JUMP_EQUAL, 0, kill - 2, _AUDIT_ARCH_X86_64),
        (_LOAD, 0, 0, _NR),
        (_JUMP_AT_LEAST, kill - 4, 0, _X32_SYSCALL_BIT),
        (_JUMP_EQUAL, no_syscall - 5, 0, _CLONE3),
    ]
    for number in blocked:
        code.append((_JUMP_EQUAL, deny - len(code) - 1, 0, number))
    code.append((_JUMP_EQUAL, clone_check - len(code) - 1, 0, _CLONE))
    code.append((_JUMP_EQUAL, tgkill_check - len(code) - 1, 0, _TGKILL))
    code += [
        (_RETURN, 0, 0, _ALLOW),
        # clone: a thread of this process is fine, a new process is not
        (_LOAD, 0, 0, _ARG0),
        (_JUMP_ANY_BIT, 0, 1, _CLONE_THREAD),
        (_RETURN, 0, 0, _ALLOW),
        (_RETURN, 0, 0, _ERRNO | errno.EPERM),
        # tgkill: only to this process (abort() and raise() use it)
        (_LOAD, 0, 0, _ARG0),
        (_JUMP_EQUAL, 0, 1, own_pid),
        (_RETURN, 0, 0, _ALLOW),
        (_RETURN, 0, 0, _ERRNO | errno.EPERM),
        (_RETURN, 0, 0, _ERRNO | errno.EPERM),
        (_RETURN, 0, 0, _KILL_PROCESS),
        (_RETURN, 0, 0, _ERRNO | errno.ENOSYS),
    ]
    return code


def install_filter() -> str:  # pragma: no cover - worker process only
    """Install the filter on the calling process (for good); return what is now refused.

    Sets ``no_new_privs`` first, as the kernel requires. Raises OSError when the kernel
    refuses the filter, and does nothing (saying so) on an unsupported system.
    """
    if not is_supported():
        return f"no seccomp filter: no system-call table for {platform.machine()}"
    code = _program(os.getpid())
    instructions = (_Instruction * len(code))(*(_Instruction(*item) for item in code))
    program = _Program(len(code), instructions)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
    return (
        "seccomp filter on: new processes, exec, sockets, signals to other processes, "
        "ptrace, namespaces and privilege changes are refused by the kernel"
    )
