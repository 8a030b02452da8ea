"""The safety validation report: one line per check, each passed or failed, why and where.

Every layer of the sandbox adds its checks (static AST policy, RestrictedPython
compilation, the worker process, output validation); the CLI, the API and the UI show
the same report beside the strategy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Layer", "SafetyCheck", "SafetyReport", "failed", "passed"]

Layer = Literal["static", "restricted", "process", "output"]
_LAYERS = ("static", "restricted", "process", "output")


@dataclass(frozen=True)
class SafetyCheck:
    """One line of the safety report: a named check, its layer, its verdict and why."""

    name: str
    layer: Layer
    passed: bool
    message: str
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the check as a JSON-ready dict."""
        return {
            "name": self.name,
            "layer": self.layer,
            "passed": self.passed,
            "message": self.message,
            "line": self.line,
        }


def passed(name: str, layer: Layer, message: str) -> SafetyCheck:
    """Return a passing check."""
    return SafetyCheck(name=name, layer=layer, passed=True, message=message)


def failed(name: str, layer: Layer, message: str, line: int | None = None) -> SafetyCheck:
    """Return a failing check, pointing at `line` when it is known."""
    return SafetyCheck(name=name, layer=layer, passed=False, message=message, line=line)


@dataclass(frozen=True)
class SafetyReport:
    """Every check a code strategy went through; safe only when all of them passed."""

    checks: tuple[SafetyCheck, ...] = ()

    @property
    def is_safe(self) -> bool:
        """Return True when no check failed."""
        return all(check.passed for check in self.checks)

    @property
    def violations(self) -> tuple[SafetyCheck, ...]:
        """Return the failed checks, in report order."""
        return tuple(check for check in self.checks if not check.passed)

    def extend(self, *checks: SafetyCheck) -> SafetyReport:
        """Return a new report with `checks` appended."""
        return SafetyReport(checks=self.checks + tuple(checks))

    def summary(self) -> str:
        """Return the first violation as one sentence, or a note that every check passed."""
        if self.is_safe:
            return f"All {len(self.checks)} safety checks passed."
        first = self.violations[0]
        where = f" (line {first.line})" if first.line else ""
        more = len(self.violations) - 1
        tail = f"; {more} more violation{'s' if more > 1 else ''}" if more else ""
        return f"{first.name}{where}: {first.message}{tail}"

    def as_dict(self) -> dict[str, Any]:
        """Return ``{"is_safe": bool, "checks": [{name, layer, passed, message, line}]}``."""
        return {"is_safe": self.is_safe, "checks": [check.as_dict() for check in self.checks]}

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> SafetyReport:
        """Rebuild a report from ``as_dict`` output; unknown keys are ignored."""
        checks = []
        for item in document.get("checks", []):
            line = item.get("line")
            layer = item.get("layer")
            checks.append(
                SafetyCheck(
                    name=str(item["name"]),
                    layer=layer if layer in _LAYERS else "process",
                    passed=bool(item["passed"]),
                    message=str(item["message"]),
                    line=int(line) if isinstance(line, int) else None,
                )
            )
        return cls(checks=tuple(checks))
