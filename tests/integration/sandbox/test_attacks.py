"""Every file in attacks/ tries a different way out of the sandbox; each must be blocked.

An attack file is a code strategy whose docstring states the route, then three header
lines: ``layer:`` (static, restricted, process or output: the layer meant to stop it),
``expect:`` (SandboxViolation, or StrategyError for bad output and ordinary failures) and
``message:`` (keywords separated by ``|``; the error must name at least one); an optional
``poison: yes`` line marks attacks that try to change shared state, after which a benign
probe must still compute the same signals in the same sandbox. A run is a breach when it
returns signals, raises the wrong error, sets off a canary (see conftest), leaks the
secret token, runs past the wall limit (plus a small margin), leaves a process behind,
or poisons the next run. Every run's time is recorded; the terminal summary shows the
median, the maximum and the slowest attacks (all of them with ``-v``).
"""

from __future__ import annotations

import ast
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sandbox_canaries import ATTACK_TIMES_S, Canaries, descendant_pids, leftover_processes

from vibetrading.adapters.sandbox import CodeSandbox, SandboxLimits, check_code
from vibetrading.errors import SandboxViolation, StrategyError

pytestmark = pytest.mark.integration

ATTACKS_DIR = Path(__file__).parent / "attacks"
BENIGN_PROBE = Path(__file__).parent / "benign" / "01_sma_cross.py"
PROBE_PARAMS = {"fast": 10, "slow": 50}
LIMITS = SandboxLimits(cpu_time_s=3.0, wall_time_s=6.0)
# A run takes a warm worker at once (forked from the warm zygote), so it lasts at most the
# wall limit plus the checks before and the kill after; the margin absorbs a loaded machine.
MARGIN_S = 2.0
MAX_MESSAGE_CHARS = 2_000
_EXPECTED = {"SandboxViolation": SandboxViolation, "StrategyError": StrategyError}


@dataclass(frozen=True)
class Attack:
    """One attack file and what its header promises."""

    path: Path
    summary: str
    layer: str
    expect: type[StrategyError]
    keywords: tuple[str, ...]
    is_poison: bool

    @property
    def source(self) -> str:
        """Return the attack's source with the canary placeholders still in place."""
        return self.path.read_text(encoding="utf-8")


def _read_attack(path: Path) -> Attack:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    header = dict(
        line.split(": ", 1)
        for line in docstring.splitlines()
        if line.startswith(("layer: ", "expect: ", "message: ", "poison: "))
    )
    return Attack(
        path=path,
        summary=docstring.splitlines()[0],
        layer=header["layer"],
        expect=_EXPECTED[header["expect"]],
        keywords=tuple(word.strip() for word in header["message"].split("|")),
        is_poison=header.get("poison") == "yes",
    )


ATTACKS = [_read_attack(path) for path in sorted(ATTACKS_DIR.glob("[0-9]*.py"))]
STATIC = [attack for attack in ATTACKS if attack.layer == "static"]
SLOW_LAYERS = {"process"}


def _params(attacks: list[Attack]) -> list[pytest.param]:  # type: ignore[type-arg]
    return [
        pytest.param(
            attack,
            id=attack.path.stem,
            marks=[pytest.mark.slow] if attack.layer in SLOW_LAYERS else [],
        )
        for attack in attacks
    ]


def _plain_signals(source: str, bars: pd.DataFrame, params: dict) -> tuple[pd.Series, pd.Series]:  # type: ignore[type-arg]
    namespace: dict[str, object] = {"__name__": "benign"}
    exec(compile(source, "benign", "exec"), namespace)  # noqa: S102 - our own benign file
    return namespace["signals"](bars.copy(), dict(params))  # type: ignore[operator,no-any-return]


def _error_text(error: BaseException) -> str:
    report = getattr(error, "report", None)
    parts = [str(error)]
    if report is not None:
        parts += [f"{check.name}: {check.message}" for check in report.violations]
    return " ".join(parts)


@pytest.fixture(scope="module")
def box(canary_secret: str, subreaper: bool) -> Iterator[CodeSandbox]:
    """Start one warm sandbox for the module, after the secret is in the environment."""
    with CodeSandbox(limits=LIMITS, workers=2) as sandbox:
        assert sandbox.warm_up(), "the sandbox did not warm up"
        yield sandbox


def _own_processes(box: CodeSandbox) -> set[int]:
    box.warm_up()  # the pool refills in the background; let it settle first
    return {box.zygote_pid, *box.worker_pids}


@pytest.fixture(scope="module")
def probe_signals(spx_bars: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Return the benign probe's signals computed in plain Python."""
    return _plain_signals(BENIGN_PROBE.read_text(encoding="utf-8"), spx_bars, PROBE_PARAMS)


def _blocking_problems(
    attack: Attack, error: StrategyError | None, canaries: Canaries
) -> list[str]:
    if error is None:
        return ["not blocked: the run returned signals"]
    problems = []
    text = _error_text(error)
    if not isinstance(error, attack.expect):
        name, expected = type(error).__name__, attack.expect.__name__
        problems.append(f"raised {name}, expected {expected}: {text[:300]!r}")
    if not any(word.lower() in text.lower() for word in attack.keywords):
        problems.append(f"message names none of {attack.keywords}: {text[:300]!r}")
    if len(str(error)) > MAX_MESSAGE_CHARS:
        problems.append(f"message is {len(str(error))} characters long")
    report = getattr(error, "report", None)
    leaked = text + (json.dumps(report.as_dict()) if report is not None else "")
    problems += [f"leaked {what}" for what in canaries.leaks(leaked)]
    return problems


def _poisoning(
    box: CodeSandbox, bars: pd.DataFrame, expected: tuple[pd.Series, pd.Series]
) -> list[str]:
    probe = box.run(BENIGN_PROBE.read_text(encoding="utf-8"), bars, PROBE_PARAMS)
    if np.array_equal(probe.entries, expected[0]) and np.array_equal(probe.exits, expected[1]):
        return []
    return ["the next run in the same sandbox computed different signals"]


@pytest.mark.parametrize("attack", _params(ATTACKS))
def test_sandbox_attack_is_blocked_without_breach(
    attack: Attack,
    box: CodeSandbox,
    canaries: Canaries,
    spx_bars: pd.DataFrame,
    probe_signals: tuple[pd.Series, pd.Series],
) -> None:
    baseline = descendant_pids() - _own_processes(box)
    source = canaries.substitute(attack.source)

    started = time.monotonic()
    error: StrategyError | None = None
    leaked: list[str] = []
    try:
        result = box.run(source, spx_bars, {})
    except StrategyError as e:
        error = e
    else:
        leaked = canaries.leaks(result.output)
    elapsed_s = time.monotonic() - started
    ATTACK_TIMES_S[attack.path.stem] = elapsed_s

    problems = _blocking_problems(attack, error, canaries) + [f"printed {x}" for x in leaked]
    problems += canaries.tripped()
    if elapsed_s > LIMITS.wall_time_s + MARGIN_S:
        limit = f"{LIMITS.wall_time_s:g} s wall limit + {MARGIN_S:g} s"
        problems.append(f"took {elapsed_s:.1f} s, over the {limit}")
    ignore = baseline | _own_processes(box) | {canaries.process.pid}
    problems += [f"process left behind: {p}" for p in leftover_processes(ignore)]
    if attack.is_poison:
        problems += _poisoning(box, spx_bars, probe_signals)
    assert not problems, f"{attack.path.name} ({attack.summary}): " + "; ".join(problems)


@pytest.mark.parametrize("attack", _params(STATIC))
def test_check_code_static_attack_rejected_before_running(
    attack: Attack, canaries: Canaries
) -> None:
    report = check_code(canaries.substitute(attack.source))

    text = " ".join(f"{check.name}: {check.message}" for check in report.violations)
    assert not report.is_safe
    assert any(word.lower() in text.lower() for word in attack.keywords), text
    assert all(check.line is not None for check in report.violations), text
    assert not canaries.tripped()


def test_attack_suite_covers_every_layer_with_forty_files() -> None:
    layers = {attack.layer for attack in ATTACKS}

    assert len(ATTACKS) >= 40
    assert len({attack.path.stem.split("_", 1)[1] for attack in ATTACKS}) == len(ATTACKS)
    assert layers == {"static", "restricted", "process", "output"}


@pytest.mark.slow
def test_sandbox_close_after_attacks_leaves_no_process(
    canaries: Canaries, spx_bars: pd.DataFrame, subreaper: bool
) -> None:
    baseline = descendant_pids()
    hanging = next(a for a in ATTACKS if a.path.stem.endswith("unreachable_break"))
    sandbox = CodeSandbox(limits=LIMITS, workers=2)

    with pytest.raises(SandboxViolation, match="limit"):
        sandbox.run(canaries.substitute(hanging.source), spx_bars, {})
    sandbox.close()

    assert leftover_processes(baseline | {canaries.process.pid}) == []
    with pytest.raises(Exception, match="closed"):
        sandbox.run(BENIGN_PROBE.read_text(encoding="utf-8"), spx_bars, PROBE_PARAMS)


def test_canaries_detect_each_kind_of_breach(canaries: Canaries) -> None:
    canaries.file.write_text("breach")
    socket.create_connection(canaries.listener.getsockname(), timeout=5).close()
    with socket.socket(socket.AF_UNIX) as client:
        client.connect(canaries.unix_listener.getsockname())
    canaries.process.kill()
    canaries.process.wait()

    tripped = canaries.tripped()

    assert [problem.split()[1] for problem in tripped] == ["file", "listener", "process"]
    assert len(canaries.accepted) == 2
    assert len(canaries.leaks(f"{canaries.secret} root:x:0:0:root:/root")) == 2
    assert canaries.leaks("nothing to see") == []


def test_leftover_processes_finds_an_orphaned_grandchild(subreaper: bool) -> None:
    if not subreaper:
        pytest.skip("needs PR_SET_CHILD_SUBREAPER (Linux)")
    baseline = descendant_pids()
    subprocess.run(["sh", "-c", "sleep 60 >/dev/null 2>&1 &"], check=True)

    leftovers = leftover_processes(baseline, grace_s=0.5)

    assert len(leftovers) == 1
    assert "sleep" in leftovers[0]
    assert leftover_processes(baseline, grace_s=0.5) == []


# Sources that attack the checks in the calling process itself (parser, visitors, size).
PATHOLOGICAL = {
    "long_operator_chain": "def signals(data, params):\n    return " + "+".join(["1"] * 200_000),
    "deep_unary_chain": "def signals(data, params):\n    return " + "-" * 1_000_000 + "1",
    "lone_surrogate": 'def signals(data, params):\n    return "\ud800"',
    "oversized_source": "def signals(data, params):\n" + "    x = 1\n" * 100_000 + "    return x",
}


@pytest.mark.slow
@pytest.mark.parametrize("source", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_sandbox_pathological_source_refused_within_wall_limit(
    source: str, box: CodeSandbox, spx_bars: pd.DataFrame
) -> None:
    started = time.monotonic()

    with pytest.raises(StrategyError) as caught:
        box.run(source, spx_bars, {})

    assert time.monotonic() - started <= LIMITS.wall_time_s, "checking the source took too long"
    assert len(str(caught.value)) <= MAX_MESSAGE_CHARS
