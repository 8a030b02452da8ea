"""Layer 1: static checks on the syntax tree of a code strategy, before anything runs.

Each finding names the check, the line and what to do instead. Checks: syntax, size,
imports, dunder access, builtins, attributes, statements, loops, complexity and the
``signals(data, params)`` contract. None of them executes the code.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from vibetrading.adapters.sandbox.names import (
    ALLOWED_IMPORTS,
    FORBIDDEN_BUILTINS,
    attribute_denial,
)
from vibetrading.adapters.sandbox.report import SafetyCheck, failed, passed

__all__ = ["CHECK_NAMES", "MAX_SOURCE_BYTES", "static_checks"]

CHECK_NAMES = (
    "imports",
    "dunder access",
    "builtins",
    "attributes",
    "statements",
    "loops",
    "complexity",
    "signals function",
)
_PASS_MESSAGES = {
    "imports": "only numpy, pandas, math, statistics and vibetrading.indicators are imported",
    "dunder access": "no dunder or underscore names or attributes",
    "builtins": "no eval, exec, compile, open, globals, vars or computed getattr",
    "attributes": "no file, option or interpreter-internal attributes",
    "statements": "no class, global, nonlocal or async statements",
    "loops": "every while loop has a way out",
    "complexity": "size, nesting and literals are within bounds",
    "signals function": "defines signals(data, params) at the top level",
}
MAX_SOURCE_BYTES = 200_000
MAX_NODES = 20_000
MAX_DEPTH = 40
MAX_POWER_EXPONENT = 128
MAX_REPEAT = 1_000_000


@dataclass
class _Findings:
    items: list[SafetyCheck] = field(default_factory=list)

    def add(self, name: str, message: str, node: ast.AST | None = None) -> None:
        line = getattr(node, "lineno", None) if node is not None else None
        self.items.append(failed(name, "static", message, line))


def static_checks(source: str) -> list[SafetyCheck]:
    """Return the static checks of `source`: one failed line per finding, else one pass line.

    A syntax error or an oversized file stops the analysis with a single failed check.
    """
    if len(source.encode("utf-8", "replace")) > MAX_SOURCE_BYTES:
        return [
            failed(
                "complexity",
                "static",
                f"the file is larger than {MAX_SOURCE_BYTES // 1000} kB; keep strategies short",
            )
        ]
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        return [failed("syntax", "static", f"invalid Python: {e.msg}", e.lineno)]
    except (RecursionError, MemoryError):
        return [failed("syntax", "static", "the code is nested too deeply to read; simplify it")]
    except ValueError:  # lone surrogates and NUL characters (UnicodeError is a ValueError)
        return [failed("syntax", "static", "the source holds characters Python cannot read")]
    findings = _Findings()
    _Visitor(findings).visit(tree)
    _check_complexity(tree, findings)
    _check_signals(tree, findings)
    checks: list[SafetyCheck] = []
    for name in CHECK_NAMES:
        found = sorted((c for c in findings.items if c.name == name), key=lambda c: c.line or 0)
        checks += found or [passed(name, "static", _PASS_MESSAGES[name])]
    return checks


class _Visitor(ast.NodeVisitor):
    def __init__(self, findings: _Findings) -> None:
        self.findings = findings

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(alias.name, node)
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            self.findings.add("imports", "relative imports are not allowed", node)
        elif node.module is not None:
            self._check_module(node.module, node)
            for alias in node.names:
                if alias.name == "*":
                    self.findings.add(
                        "imports", "'import *' is not allowed; name what you use", node
                    )
                elif alias.name.startswith("_"):
                    self.findings.add(
                        "dunder access", f"importing {alias.name!r} is not allowed", node
                    )
                elif attribute_denial(alias.name) is not None or (
                    node.module == "vibetrading" and alias.name != "indicators"
                ):
                    self.findings.add(
                        "imports",
                        f"importing {alias.name!r} from {node.module} is not allowed",
                        node,
                    )
        self.generic_visit(node)

    def _check_module(self, name: str, node: ast.AST) -> None:
        if name not in ALLOWED_IMPORTS:
            allowed = "numpy, pandas, math, statistics, vibetrading.indicators"
            self.findings.add(
                "imports", f"import of {name!r} is not allowed; use only {allowed}", node
            )

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in FORBIDDEN_BUILTINS:
            self.findings.add("builtins", f"{node.id!r} is not available in code strategies", node)
        elif node.id.startswith("_"):
            self.findings.add("dunder access", f"name {node.id!r} starts with an underscore", node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if (
            isinstance(node.value, ast.Name)
            and node.value.id == "vibetrading"
            and node.attr != "indicators"
        ):
            self.findings.add(
                "attributes", f"vibetrading.{node.attr} is not available; use indicators", node
            )
        reason = attribute_denial(node.attr)
        if reason is not None:
            kind = "dunder access" if node.attr.startswith("_") else "attributes"
            self.findings.add(kind, reason, node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        if isinstance(function, ast.Name) and function.id in {"getattr", "hasattr"}:
            name = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                self.findings.add(
                    "builtins",
                    f"{function.id}() with a computed attribute name is not allowed",
                    node,
                )
            elif attribute_denial(name.value) is not None:
                self.findings.add(
                    "dunder access", f"{function.id}() of {name.value!r} is not allowed", node
                )
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if (
            isinstance(node.value, str)
            and node.value.startswith("__")
            and node.value.endswith("__")
        ):
            self.findings.add(
                "dunder access", f"the string {node.value!r} names object internals", node
            )

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.findings.add("statements", "classes are not allowed; write functions", node)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.findings.add("statements", "'global' is not allowed; pass values as arguments", node)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.findings.add("statements", "'nonlocal' is not allowed", node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.findings.add("statements", "async code is not allowed", node)
        self.generic_visit(node)

    def visit_While(self, node: ast.While) -> None:
        if _is_constant_true(node.test) and not _has_exit(node.body):
            self.findings.add(
                "loops",
                "this 'while' loop never ends: its condition is always true and it has no "
                "break, return or raise",
                node,
            )
        self.generic_visit(node)


def _is_constant_true(test: ast.expr) -> bool:
    if isinstance(test, ast.Constant):
        return bool(test.value)
    return isinstance(test, ast.Name) and test.id == "True"


def _has_exit(body: list[ast.stmt]) -> bool:
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Break | ast.Return | ast.Raise):
            return True
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.While):
            continue  # a break there leaves another loop
        stack.extend(ast.iter_child_nodes(node))
    return False


def _check_complexity(tree: ast.Module, findings: _Findings) -> None:
    nodes = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    deepest = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        deepest = max(deepest, depth)
        if isinstance(node, ast.BinOp):
            _check_literal(node, findings)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    if nodes > MAX_NODES:
        findings.add("complexity", f"the code has {nodes} syntax nodes, over {MAX_NODES}")
    if deepest > MAX_DEPTH:
        findings.add("complexity", f"the code nests {deepest} levels deep, over {MAX_DEPTH}")


def _number(node: ast.expr) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        base, exponent = _number(node.left), _number(node.right)
        if base is not None and exponent is not None and exponent <= MAX_POWER_EXPONENT:
            try:
                return float(base**exponent)
            except OverflowError:
                return float("inf")
        return float("inf") if base is not None and exponent is not None else None
    return None


def _check_literal(node: ast.BinOp, findings: _Findings) -> None:
    if isinstance(node.op, ast.Pow):
        base, exponent = _number(node.left), _number(node.right)
        if (
            base is not None
            and exponent is not None
            and abs(base) > 1
            and exponent > MAX_POWER_EXPONENT
        ):
            findings.add(
                "complexity", "this power makes a huge number; use a smaller exponent", node
            )
    elif isinstance(node.op, ast.Mult | ast.LShift):
        for side, other in ((node.left, node.right), (node.right, node.left)):
            count = _number(side)
            sequence = isinstance(other, ast.Constant | ast.List | ast.Tuple) and not isinstance(
                getattr(other, "value", None), int | float
            )
            shift = isinstance(node.op, ast.LShift) and side is node.right
            if count is not None and count > MAX_REPEAT and (sequence or shift):
                findings.add(
                    "complexity", "this expression builds a huge object; use smaller sizes", node
                )
                return


def _check_signals(tree: ast.Module, findings: _Findings) -> None:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "signals":
            arguments = node.args.posonlyargs + node.args.args
            if len(arguments) >= 2 or node.args.vararg is not None:
                return
            findings.add(
                "signals function", "signals must take two arguments: (data, params)", node
            )
            return
    findings.add(
        "signals function",
        "define a top-level function signals(data, params) returning (entries, exits)",
    )
