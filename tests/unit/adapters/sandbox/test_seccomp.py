import errno
import struct

import pytest

from vibetrading.adapters.sandbox import seccomp

ALLOW = 0x7FFF0000
KILL = 0x80000000
DENY = 0x00050000 | errno.EPERM
NO_SYSCALL = 0x00050000 | errno.ENOSYS
X86_64 = 0xC000003E
OWN_PID = 4242


def evaluate(program, number, *, arch=X86_64, first_argument=0):
    """Run a classic-BPF seccomp program on one system call, as the kernel would."""
    data = struct.pack("<iIQ6Q", number, arch, 0, first_argument, 0, 0, 0, 0, 0)
    accumulator, pc = 0, 0
    while True:
        code, jump_true, jump_false, k = program[pc]
        if code == 0x20:
            (accumulator,) = struct.unpack_from("<I", data, k)
            pc += 1
        elif code == 0x06:
            return k
        else:
            taken = {
                0x15: accumulator == k,
                0x35: accumulator >= k,
                0x45: bool(accumulator & k),
            }[code]
            pc += 1 + (jump_true if taken else jump_false)


@pytest.fixture(scope="module")
def program():
    return seccomp._program(OWN_PID)


def test_program_jumps_only_forward_within_the_program(program):
    for pc, (code, jump_true, jump_false, _) in enumerate(program):
        if code in {0x15, 0x35, 0x45}:
            assert pc + 1 + max(jump_true, jump_false) < len(program)
            assert max(jump_true, jump_false) <= 255
    assert program[-1][0] == 0x06


@pytest.mark.parametrize("name", sorted(seccomp.BLOCKED_CALLS))
def test_program_blocked_call_is_denied(program, name):
    assert evaluate(program, seccomp.BLOCKED_CALLS[name]) == DENY


@pytest.mark.parametrize(
    ("number", "expected"),
    [(0, ALLOW), (1, ALLOW), (9, ALLOW), (231, ALLOW), (435, NO_SYSCALL)],
    ids=["read", "write", "mmap", "exit_group", "clone3"],
)
def test_program_ordinary_calls_pass_and_clone3_falls_back(program, number, expected):
    assert evaluate(program, number) == expected


def test_program_clone_allows_threads_only(program):
    clone_thread = 0x00010000

    assert evaluate(program, 56, first_argument=clone_thread | 0x100) == ALLOW
    assert evaluate(program, 56, first_argument=0x11) == DENY
    assert evaluate(program, 56, first_argument=0x4000 | 0x100) == DENY


def test_program_tgkill_only_to_this_process(program):
    assert evaluate(program, 234, first_argument=OWN_PID) == ALLOW
    assert evaluate(program, 234, first_argument=1) == DENY


def test_program_other_architectures_and_x32_calls_are_killed(program):
    assert evaluate(program, 2, arch=0x40000003) == KILL
    assert evaluate(program, 0x40000000 | 57) == KILL
