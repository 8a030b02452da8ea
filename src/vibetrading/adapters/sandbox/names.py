"""The names code strategies may and may not use, shared by the static and runtime guards.

The static policy reports these names with a line number before anything runs; the
RestrictedPython guards enforce the same rules on every attribute access at run time.
"""

from __future__ import annotations

__all__ = [
    "ALLOWED_IMPORTS",
    "DISPATCH_METHODS",
    "FORBIDDEN_BUILTINS",
    "attribute_denial",
]

ALLOWED_IMPORTS = frozenset(
    {"numpy", "pandas", "math", "statistics", "vibetrading", "vibetrading.indicators"}
)
"""Modules a code strategy may import; each reaches the code as an allowlisted view."""

FORBIDDEN_BUILTINS = frozenset(
    {
        "eval", "exec", "compile", "open", "globals", "locals", "vars", "dir", "__import__",
        "input", "breakpoint", "help", "exit", "quit", "memoryview", "setattr", "delattr",
        "type", "object", "super", "classmethod", "staticmethod", "property", "__build_class__",
        "copyright", "credits", "license", "__loader__", "__spec__", "__builtins__",
    }
)  # fmt: skip
"""Builtins that reach the interpreter, the file system or object internals."""

# Methods that look a function up by the name given as a string (s.agg("to_pickle", ...)).
DISPATCH_METHODS = frozenset(
    {"agg", "aggregate", "apply", "transform", "map", "applymap", "pipe", "resample"}
)

_DENIED = frozenset(
    {
        # files, serialisation, interpreter state
        "load", "loads", "save", "savez", "savez_compressed", "savetxt", "loadtxt",
        "genfromtxt", "fromfile", "fromregex", "tofile", "dump", "dumps", "memmap",
        "ctypes", "ctypeslib", "lib", "testing", "f2py", "distutils", "DataSource",
        "pickle", "io", "api", "core", "compat", "util", "plotting", "plot", "hist",
        "boxplot", "style", "options", "set_option", "get_option", "reset_option",
        "describe_option", "option_context", "set_printoptions", "get_printoptions",
        "printoptions", "setbufsize", "seterrcall", "show_config", "show_runtime",
        "show_versions", "info", "source", "lookfor", "who", "get_include", "eval",
        "query", "ExcelWriter", "ExcelFile", "HDFStore", "rec", "ma", "char", "emath",
        "polynomial", "typing", "exceptions", "errors", "arrays", "tseries", "offsets",
        "format", "format_map", "mro", "system", "popen", "environ", "getenv",
        # frames, code objects and generators (escape hatches to globals)
        "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "cr_await",
        "cr_origin", "ag_frame", "ag_code", "ag_await", "f_back", "f_globals", "f_locals",
        "f_builtins", "f_code", "f_trace", "f_generator", "tb_frame", "tb_next",
        "co_code", "func_globals", "func_code", "test", "set_eng_float_format",
        "set_string_function",
    }
)  # fmt: skip
_DENIED_PREFIXES = ("read_", "to_", "from_pickle", "_")
# to_* methods that only convert in memory, never touch files or the clipboard
_SAFE_TO = frozenset(
    {
        "to_numpy", "to_list", "to_frame", "to_dict", "to_series", "to_flat_index",
        "to_datetime", "to_timedelta", "to_numeric", "to_offset", "to_period",
        "to_timestamp", "to_pydatetime", "to_records",
    }
)  # fmt: skip


def attribute_denial(name: str) -> str | None:
    """Return why attribute `name` is refused to code strategies, or None when it is allowed.

    Names starting with an underscore, file and serialisation methods (``read_*``,
    ``to_csv``, ``load``, ``tofile``...), option setters and frame internals are refused.
    """
    if name.startswith("_"):
        return f"attribute {name!r} starts with an underscore (object internals are off limits)"
    if name in _SAFE_TO:
        return None
    if name in _DENIED:
        return f"attribute {name!r} reaches files, settings or interpreter internals"
    for prefix in _DENIED_PREFIXES:
        if name.startswith(prefix):
            return f"attribute {name!r} may read or write files or change global settings"
    return None
