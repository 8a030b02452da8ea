"""Layer 2: RestrictedPython compilation and the guards that watch every access at run time.

User code is compiled with ``compile_restricted``; every attribute access, item access,
iteration, write, in-place operation and import goes through a guard defined here.
Item access refuses modules and keys that name object internals (``"__class__"``) on
anything but a plain dict; iteration refuses modules and interpreter internals (frames,
tracebacks, code objects); and neither may hand user code a module, frame, traceback or
code object, not even inside a small tuple.
numpy, pandas, math, statistics and the project's indicators reach the code only as
``ModuleView`` objects that expose an allowlist; methods that look functions up by name
(``agg``, ``apply``...) are wrapped so a string cannot name a forbidden method.
"""

from __future__ import annotations

import builtins
import math
import operator
import re
import statistics
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import Any, NoReturn

from RestrictedPython.compile import compile_restricted_exec
from RestrictedPython.Guards import (
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
)
from RestrictedPython.PrintCollector import PrintCollector

from vibetrading.adapters.sandbox.names import (
    DISPATCH_METHODS,
    FORBIDDEN_BUILTINS,
    attribute_denial,
)
from vibetrading.adapters.sandbox.report import Layer, SafetyCheck, failed, passed

__all__ = [
    "USER_FILENAME",
    "GuardState",
    "ModuleView",
    "SandboxAccessError",
    "compile_strategy",
    "module_views",
    "restricted_globals",
    "user_line",
]

USER_FILENAME = "<strategy>"
_LINE = re.compile(r"Line (\d+)")


class SandboxAccessError(Exception):
    """A guard refused an access; the message says what and why."""


class GuardState:
    """What one run's guards saw: the first breach and the printed output (capped)."""

    def __init__(self, *, max_output_bytes: int = 65_536) -> None:
        self.max_output_bytes = max_output_bytes
        self.breach: tuple[str, int | None] | None = None
        self.breach_layer: Layer = "restricted"
        self.output: list[str] = []
        self.output_bytes = 0
        self.truncated = False

    def deny(self, message: str, *, layer: Layer = "restricted") -> NoReturn:
        """Record `message` as the breach (the first one wins) and raise SandboxAccessError."""
        if self.breach is None:
            self.breach = (message, user_line())
            self.breach_layer = layer
        raise SandboxAccessError(message)

    def write(self, text: str) -> None:
        """Add printed `text`; past the cap, keep nothing more and record an output flood."""
        size = len(text.encode("utf-8", "replace"))
        if self.output_bytes + size > self.max_output_bytes:
            self.truncated = True
            self.deny(f"printed more than {self.max_output_bytes} bytes (output flood)")
        self.output_bytes += size
        self.output.append(text)

    @property
    def printed(self) -> str:
        """Return everything printed so far."""
        return "".join(self.output)


def user_line(depth: int = 2, limit: int = 30) -> int | None:
    """Return the line of user code nearest on the call stack, or None."""
    frame: types.FrameType | None = sys._getframe(depth)
    for _ in range(limit):
        if frame is None:
            return None
        if frame.f_code.co_filename == USER_FILENAME:
            return frame.f_lineno
        frame = frame.f_back
    return None


_ACTIVE: list[GuardState] = []  # the state of the run in progress (one per worker process)


def _refuse(message: str) -> NoReturn:
    if _ACTIVE:
        _ACTIVE[-1].deny(message)
    raise SandboxAccessError(message)


class ModuleView:
    """An allowlisted view of a module: only the listed members exist, nothing can be set.

    Asking for a member the real module has but the view hides is a violation; asking
    for a name the module does not have at all is an ordinary AttributeError.
    """

    __slots__ = ("_hidden", "_members", "_view_name")

    def __init__(self, name: str, members: dict[str, Any], hidden: Iterable[str] = ()) -> None:
        object.__setattr__(self, "_view_name", name)
        object.__setattr__(self, "_members", dict(members))
        object.__setattr__(self, "_hidden", frozenset(hidden) - set(members))

    def __getattribute__(self, name: str) -> Any:
        if name == "__class__":  # isinstance() asks; user code can never name it
            return object.__getattribute__(self, name)
        view = object.__getattribute__(self, "_view_name")
        if name.startswith("_"):
            _refuse(f"attribute {name!r} of module {view} is off limits")
        members: dict[str, Any] = object.__getattribute__(self, "_members")
        if name in members:
            return members[name]
        if name in object.__getattribute__(self, "_hidden"):
            _refuse(f"{view}.{name} is not available in code strategies")
        raise AttributeError(f"module {view} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        _refuse("modules cannot be changed")

    def __dir__(self) -> list[str]:
        return sorted(object.__getattribute__(self, "_members"))

    def __repr__(self) -> str:
        return f"<module view {object.__getattribute__(self, '_view_name')}>"


def _public_members(module: types.ModuleType, names: Iterable[str]) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for name in names:
        if attribute_denial(name) is not None or name.startswith("set"):
            continue
        try:
            value = getattr(module, name)
        except Exception:  # noqa: S112 - deprecated or lazy names that fail are simply left out
            continue
        if not isinstance(value, types.ModuleType):
            members[name] = value
    return members


@cache
def module_views() -> dict[str, ModuleView]:
    """Return the importable module views by import name (built once per process)."""
    import numpy as np
    import pandas as pd

    import vibetrading
    from vibetrading import indicators

    numpy_members = _public_members(np, dir(np))
    for sub in ("random", "linalg", "fft"):
        module = getattr(np, sub)
        numpy_members[sub] = _view(f"numpy.{sub}", module, _public_members(module, dir(module)))
    indicator_view = _view(
        "vibetrading.indicators", indicators, _public_members(indicators, indicators.__all__)
    )
    return {
        "numpy": _view("numpy", np, numpy_members),
        "pandas": _view("pandas", pd, _public_members(pd, dir(pd))),
        "math": _view("math", math, _public_members(math, dir(math))),
        "statistics": _view(
            "statistics", statistics, _public_members(statistics, statistics.__all__)
        ),
        "vibetrading.indicators": indicator_view,
        "vibetrading": _view("vibetrading", vibetrading, {"indicators": indicator_view}),
    }


def _view(name: str, module: types.ModuleType, members: dict[str, Any]) -> ModuleView:
    hidden = {*dir(module), *_KNOWN_SUBMODULES}
    return ModuleView(name, members, hidden)


# submodules that dir() may not list until imported
_KNOWN_SUBMODULES = (
    "f2py", "distutils", "testing", "ctypeslib", "lib", "core", "io", "api", "settings",
    "bootstrap", "adapters", "services", "cli", "data", "errors", "domain", "os", "sys",
)  # fmt: skip


def _check_names(state: GuardState, value: Any, depth: int = 0) -> None:
    if depth > 4:
        state.deny("function names nest too deeply; pass plain strings or functions")
    if isinstance(value, str):
        reason = attribute_denial(value)
        if reason is not None:
            state.deny(f"naming a method by string is refused: {reason}")
    elif isinstance(value, list | tuple | set | frozenset | dict):
        items = (*value.keys(), *value.values()) if isinstance(value, dict) else value
        for item in items:
            _check_names(state, item, depth + 1)
    elif _is_array_like(value):
        _check_array(state, value)
    elif isinstance(value, Iterable):
        state.deny("pass method names as plain strings, lists or dicts")


def _check_array(state: GuardState, value: Any) -> None:
    if not _is_numeric(value):
        state.deny(
            "naming a method inside an array is refused; pass names as plain strings, not arrays"
        )


def _is_array_like(value: Any) -> bool:
    import numpy as np
    import pandas as pd

    return isinstance(value, np.ndarray | pd.Index | pd.Series | pd.DataFrame)


def _is_numeric(value: Any) -> bool:
    import pandas as pd

    dtypes = value.dtypes if isinstance(value, pd.DataFrame) else [value.dtype]
    return all(
        pd.api.types.is_numeric_dtype(d)
        or pd.api.types.is_bool_dtype(d)
        or pd.api.types.is_datetime64_any_dtype(d)
        for d in dtypes
    )


def _dispatching(state: GuardState, method: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            _check_names(state, value)
        return method(*args, **kwargs)

    return call


_INTERNALS = (types.ModuleType, types.FrameType, types.TracebackType, types.CodeType)
_NO_ITEMS = (ModuleView, types.ModuleType, types.FrameType, types.TracebackType, types.CodeType)
_MAX_TUPLE_CHECK = 8


def _internal_kind(value: Any) -> str | None:
    if isinstance(value, _INTERNALS):
        return type(value).__name__
    if type(value) is tuple and len(value) <= _MAX_TUPLE_CHECK:
        for item in value:
            if isinstance(item, _INTERNALS):
                return type(item).__name__
    return None


def _names_internals(key: Any) -> bool:
    if isinstance(key, str):
        return key.startswith("__")
    if isinstance(key, tuple | list) and len(key) <= _MAX_TUPLE_CHECK:
        return any(isinstance(part, str) and part.startswith("__") for part in key)
    return False


def _is_plain_array(value: Any) -> bool:
    import numpy as np
    import pandas as pd

    if isinstance(value, np.ndarray | pd.Series | pd.Index):
        return bool(value.dtype != object)
    return False


_UNWRITABLE = (
    ModuleView,
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
)


class _Guards:
    def __init__(self, state: GuardState) -> None:
        self.state = state

    def getattr(self, obj: Any, name: Any, *default: Any) -> Any:
        state = self.state
        if not isinstance(name, str):
            state.deny("attribute names must be strings")
        reason = attribute_denial(name)
        if reason is not None:
            state.deny(reason)
        if isinstance(obj, types.ModuleType):
            state.deny("real modules are off limits")
        value = getattr(obj, name, *default)
        if isinstance(value, types.ModuleType):
            state.deny(f"attribute {name!r} is a module, which is off limits")
        kind = _internal_kind(value)
        if kind is not None:
            state.deny(f"attribute {name!r} is a {kind} object (interpreter internals)")
        if name in DISPATCH_METHODS and callable(value):
            return _dispatching(state, value)
        return value

    def hasattr(self, obj: Any, name: Any) -> bool:
        try:
            self.getattr(obj, name)
        except AttributeError:
            return False
        return True

    def getitem(self, obj: Any, key: Any) -> Any:
        if isinstance(obj, _NO_ITEMS):
            self.state.deny(f"item access on a {_describe(obj)} is not allowed")
        if _names_internals(key) and not isinstance(obj, dict):
            self.state.deny(f"item {key!r} names object internals, which are off limits")
        value = obj[key]
        kind = _internal_kind(value)
        if kind is not None:
            self.state.deny(f"item access gave a {kind} object (interpreter internals)")
        return value

    def getiter(self, obj: Any) -> Iterator[Any]:
        if isinstance(obj, _NO_ITEMS):
            self.state.deny(f"iterating over a {_describe(obj)} is not allowed")
        if isinstance(obj, range | str | bytes) or _is_plain_array(obj):
            return iter(obj)  # they can only yield numbers, text and timestamps
        return self._checked(iter(obj))

    def _checked(self, iterator: Iterator[Any]) -> Iterator[Any]:
        for item in iterator:
            kind = _internal_kind(item)
            if kind is not None:
                self.state.deny(f"iteration gave a {kind} object (interpreter internals)")
            yield item

    def write(self, obj: Any) -> Any:
        if isinstance(obj, _UNWRITABLE):
            self.state.deny(f"{type(obj).__name__} objects cannot be changed")
        return obj

    def import_(
        self,
        name: str,
        globals_: Any = None,
        locals_: Any = None,
        fromlist: Any = None,
        level: int = 0,
    ) -> ModuleView:
        views = module_views()
        if level != 0 or name not in views:
            self.state.deny(f"import of {name!r} is not allowed")
        if "." in name and not fromlist:
            return views[name.split(".")[0]]
        return views[name]

    def printer(self) -> type[PrintCollector]:
        state = self.state

        class CappedPrint(PrintCollector):
            def write(self, text: str) -> None:
                state.write(text)
                super().write(text)

        return CappedPrint


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "&=": operator.iand,
    "|=": operator.ior,
    "^=": operator.ixor,
    "@=": operator.imatmul,
}


def _inplace(op: str, left: Any, right: Any) -> Any:
    return _INPLACE[op](left, right)


def _describe(obj: Any) -> str:
    if isinstance(obj, ModuleView | types.ModuleType):
        return "module"
    return f"{type(obj).__name__} object"


def _apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


_EXTRA_BUILTINS = (
    "list", "dict", "set", "frozenset", "min", "max", "sum", "any", "all", "enumerate",
    "map", "filter", "reversed", "zip", "sorted", "abs", "round", "isinstance", "len",
)  # fmt: skip


def restricted_globals(state: GuardState) -> dict[str, Any]:
    """Return the globals a strategy module runs with: safe builtins and the guards."""
    guards = _Guards(state)
    _ACTIVE[:] = [state]
    safe = {
        name: value
        for name, value in safe_builtins.items()
        if name not in FORBIDDEN_BUILTINS and not name.startswith("_")
    }
    safe.update({name: getattr(builtins, name) for name in _EXTRA_BUILTINS})
    safe.update(getattr=guards.getattr, hasattr=guards.hasattr, __import__=guards.import_)
    return {
        "__builtins__": safe,
        "__name__": "strategy",
        "_getattr_": guards.getattr,
        "_getitem_": guards.getitem,
        "_getiter_": guards.getiter,
        "_write_": guards.write,
        "_inplacevar_": _inplace,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_apply_": _apply,
        "_print_": guards.printer(),
    }


def compile_strategy(source: str) -> tuple[types.CodeType | None, list[SafetyCheck]]:
    """Compile `source` with RestrictedPython; return the code (None on failure) and checks."""
    try:
        result = compile_restricted_exec(source, filename=USER_FILENAME)
    except (RecursionError, MemoryError, ValueError):
        message = "the code is too deeply nested or holds characters Python cannot read"
        return None, [failed("restricted compile", "restricted", message)]
    if result.errors or result.code is None:
        checks = []
        for error in result.errors or ("the code could not be compiled",):
            match = _LINE.search(error)
            message = _LINE.sub("", error).lstrip(": ").strip()
            checks.append(
                failed(
                    "restricted compile",
                    "restricted",
                    message,
                    int(match.group(1)) if match else None,
                )
            )
        return None, checks
    return result.code, [
        passed(
            "restricted compile",
            "restricted",
            "compiled with guarded attribute, item, iteration and write access",
        )
    ]
