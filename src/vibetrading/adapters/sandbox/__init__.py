"""The sandbox that runs code strategies: AST policy, RestrictedPython, worker processes.

Layers of defence, each with its own checks in the SafetyReport:

1. ``policy``: static checks on the syntax tree, before anything runs;
2. ``restricted``: RestrictedPython compilation and guarded, allowlisted module views;
3. ``runner``, ``pool``, ``forkserver``, ``worker``, ``lockdown``, ``seccomp``: a
   single-use process per run, forked from a freshly started zygote (never from the
   server), without network or root, under resource limits, a seccomp filter and an
   audit hook;
4. ``output``: the returned signals are checked before the backtester sees them.
"""

from vibetrading.adapters.sandbox.code_runner import SandboxCodeRunner, shared_sandbox
from vibetrading.adapters.sandbox.report import SafetyCheck, SafetyReport
from vibetrading.adapters.sandbox.runner import (
    CodeSandbox,
    SandboxLimits,
    SandboxResult,
    check_code,
)

__all__ = [
    "CodeSandbox",
    "SafetyCheck",
    "SafetyReport",
    "SandboxCodeRunner",
    "SandboxLimits",
    "SandboxResult",
    "check_code",
    "shared_sandbox",
]
