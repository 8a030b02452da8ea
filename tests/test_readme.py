"""Docs are tests: every ``$ vibetrading ...`` command in the README runs, and prints what
the README shows (lines shown, in order; ``...`` stands for lines left out)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

pytestmark = pytest.mark.slow


def console_examples() -> list[tuple[str, list[str]]]:
    examples: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, *output = chunk.rstrip("\n").split("\n")
            examples.append((command, [line.rstrip() for line in output]))
    return examples


def test_readme_has_console_examples():
    assert len(console_examples()) >= 8


@pytest.fixture(scope="module")
def shell_env(tmp_path_factory):
    env = dict(os.environ)
    env.update(
        VIBETRADING_HOME=str(tmp_path_factory.mktemp("readme-home")),
        COLUMNS="100",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


@pytest.mark.parametrize(("command", "expected"), console_examples(), ids=lambda v: str(v)[:60])
def test_readme_command_prints_what_readme_shows(command, expected, shell_env):
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env=shell_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    actual = [line.rstrip() for line in (result.stdout + result.stderr).splitlines()]
    shown = [line for line in expected if line.strip() not in {"...", ""}]
    is_error = any(line.startswith("error:") for line in expected)
    assert (result.returncode != 0) == is_error, result.stderr
    missing = [line for line in shown if line not in actual]
    assert not missing, "\n".join(["README shows lines the command did not print:", *missing])


def test_readme_python_blocks_run_in_order(tmp_path, monkeypatch, shell_env):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}

    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README

    assert len(blocks) >= 2
    assert (tmp_path / "report.html").exists()
