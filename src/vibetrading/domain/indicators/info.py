"""What the registry knows about one indicator: names, parameters, outputs, ranges, maths.

``IndicatorInfo`` is read by the parser (names and aliases in English and Chinese), the
compiler (``compute``), the validator (ranges, warm-up) and the UI and docs (titles).
"""

from __future__ import annotations

import difflib
import functools
import math
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from vibetrading.errors import SpecError

__all__ = [
    "Calculator",
    "FloatArray",
    "IndicatorInfo",
    "ParamInfo",
    "WarmupRule",
    "close_matches",
    "normalize_name",
]

FloatArray = npt.NDArray[np.float64]
Calculator = Callable[[Mapping[str, np.ndarray], Mapping[str, float]], dict[str, FloatArray]]
WarmupRule = Callable[[Mapping[str, float]], int]
Range = tuple[float | None, float | None]

_SEPARATORS = str.maketrans("", "", " \t\n_-·・")


@functools.lru_cache(maxsize=4096)
def normalize_name(text: str) -> str:
    """Return `text` folded for name lookups: NFKC width, case, separators removed.

    ``"Bollinger Bands"``, ``"bollinger_bands"`` and full-width letters all fold to one
    key; Chinese text is left as it is apart from width. Results are cached: compiling a
    spec folds every alias of every parameter it names.
    """
    return unicodedata.normalize("NFKC", text).casefold().strip().translate(_SEPARATORS)


def close_matches(word: str, candidates: Iterable[str], *, limit: int = 3) -> list[str]:
    """Return up to `limit` of `candidates` that look like `word` (for "did you mean")."""
    pool = {normalize_name(c): c for c in candidates}
    found = difflib.get_close_matches(normalize_name(word), list(pool), n=limit, cutoff=0.6)
    return [pool[key] for key in found]


@dataclass(frozen=True)
class ParamInfo:
    """One indicator parameter: its name, default, allowed range and other names.

    A parameter whose default is an int takes whole numbers only (periods); a float
    default accepts any number in [minimum, maximum] (e.g. Bollinger's band width in
    standard deviations).
    """

    name: str
    default: int | float
    minimum: float
    maximum: float
    aliases: tuple[str, ...] = ()

    @property
    def is_integer(self) -> bool:
        """Return True when the parameter takes whole numbers (a period)."""
        return isinstance(self.default, int)

    def coerce(self, value: Any, *, indicator: str) -> int | float:
        """Return `value` as this parameter's number type, checked against the range.

        Numeric strings ("14", "2.5") are accepted. Raises SpecError for anything that is
        not a number, a fractional period or a value outside [minimum, maximum].
        """
        where = f"{indicator.upper()} {self.name}"
        number = _to_number(value, where)
        if self.is_integer:
            if not float(number).is_integer():
                raise SpecError(f"{where} must be a whole number of bars; got {value!r}.")
            number = int(number)
        if not self.minimum <= number <= self.maximum:
            raise SpecError(
                f"{where} must be between {_fmt(self.minimum)} and {_fmt(self.maximum)}; "
                f"got {_fmt(number)}."
            )
        return number


def _to_number(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise SpecError(f"{where} must be a number; got {value!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError) as e:
        raise SpecError(f"{where} must be a number; got {value!r}.") from e
    if not math.isfinite(number):
        raise SpecError(f"{where} must be a finite number; got {value!r}.")
    return number


def _fmt(number: float) -> str:
    return f"{number:g}"


@dataclass(frozen=True)
class IndicatorInfo:
    """An indicator of the registry.

    ``compute`` takes the bar fields named in ``inputs`` (float64 arrays of equal length,
    plus ``timestamp`` as int64 nanoseconds for VWAP) and returns one float64 array per
    output, NaN during the warm-up. ``value_range`` bounds the default output (None: no
    bound); ``output_ranges`` overrides it for other outputs.
    """

    name: str
    title: str
    title_zh: str
    aliases: tuple[str, ...]
    params: tuple[ParamInfo, ...]
    outputs: tuple[str, ...]
    default_output: str
    output_aliases: dict[str, tuple[str, ...]]
    value_range: Range
    inputs: tuple[str, ...]
    is_price_scale: bool
    calculator: Calculator = field(repr=False, compare=False)
    warmup_rule: WarmupRule = field(repr=False, compare=False)
    output_ranges: dict[str, Range] = field(default_factory=dict)
    unitless_outputs: tuple[str, ...] = ()
    description: str = ""
    description_zh: str = ""

    def warmup(self, params: Mapping[str, Any]) -> int:
        """Return how many bars come before the first non-NaN value with `params`."""
        return self.warmup_rule(self.resolve_params(params))

    def compute(
        self, data: Mapping[str, np.ndarray], params: Mapping[str, Any]
    ) -> dict[str, FloatArray]:
        """Return every output of the indicator on `data`, keyed by output name.

        Missing parameters take their defaults. Raises SpecError for bad parameters or a
        missing input field.
        """
        missing = [name for name in self.inputs if name not in data]
        if missing:
            raise SpecError(f"{self.name.upper()} needs the bar fields: {', '.join(missing)}.")
        return self.calculator(data, self.resolve_params(params))

    def resolve_params(self, params: Mapping[str, Any]) -> dict[str, int | float]:
        """Return the full parameter set: `params` by name or alias, defaults for the rest.

        Raises SpecError naming the parameter for unknown names (with close matches),
        duplicates given under two names, non-numbers and values out of range.
        """
        resolved: dict[str, int | float] = {}
        for key, value in params.items():
            param = self.param(key)
            if param.name in resolved:
                raise SpecError(f"{self.name.upper()} {param.name} is given twice.")
            resolved[param.name] = param.coerce(value, indicator=self.name)
        for param in self.params:
            resolved.setdefault(param.name, param.default)
        return {param.name: resolved[param.name] for param in self.params}

    def param(self, name: str) -> ParamInfo:
        """Return the parameter called `name` (or one of its aliases); raise SpecError if none."""
        key = normalize_name(name)
        for param in self.params:
            if key in {normalize_name(n) for n in (param.name, *param.aliases)}:
                return param
        if not self.params:
            raise SpecError(f"{self.name.upper()} takes no parameters; got {name!r}.")
        names = [p.name for p in self.params]
        hint = close_matches(name, names + [a for p in self.params for a in p.aliases])
        maybe = f" Did you mean: {', '.join(hint)}?" if hint else ""
        raise SpecError(
            f"{self.name.upper()} has no parameter {name!r}; it takes {', '.join(names)}.{maybe}"
        )

    def resolve_output(self, output: str | None) -> str:
        """Return the canonical output for `output` or its alias (None: the default output).

        Raises SpecError listing the outputs, with close matches, for an unknown one.
        """
        if output is None:
            return self.default_output
        key = normalize_name(output)
        for name in self.outputs:
            if key in {normalize_name(n) for n in (name, *self.output_aliases.get(name, ()))}:
                return name
        words = list(self.outputs) + [a for names in self.output_aliases.values() for a in names]
        hint = close_matches(output, words)
        maybe = f" Did you mean: {', '.join(hint)}?" if hint else ""
        raise SpecError(
            f"{self.name.upper()} has no output {output!r}; it has "
            f"{', '.join(self.outputs)}.{maybe}"
        )

    def range_of(self, output: str | None = None) -> Range:
        """Return the (low, high) bounds of `output` (None: the default output)."""
        name = self.resolve_output(output)
        return self.output_ranges.get(name, self.value_range)

    def is_output_price_scale(self, output: str | None = None) -> bool:
        """Return True when `output` is in price units (Bollinger's upper band, not its %b)."""
        return self.is_price_scale and self.resolve_output(output) not in self.unitless_outputs

    def label(self, params: Mapping[str, Any] | None = None, output: str | None = None) -> str:
        """Return a readable label such as ``SMA(50)`` or ``MACD(12,26,9).signal``.

        The output is shown only for multi-output indicators.
        """
        values = self.resolve_params(params or {})
        args = ",".join(_fmt(float(v)) for v in values.values())
        text = f"{self.name.upper()}({args})" if args else self.name.upper()
        if len(self.outputs) > 1:
            text += f".{self.resolve_output(output)}"
        return text
