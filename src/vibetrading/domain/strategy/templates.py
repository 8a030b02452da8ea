"""Named strategy templates: the concepts users ask for by name, as ready-made specs.

``TEMPLATES["mean_reversion"].build(oversold=25)`` returns a full StrategySpec (rules,
risk, explanation and metadata) in English, or in Chinese with ``lang="zh"``. Every
parameter has a default; unknown ones raise SpecError with close matches::

    >>> spec = TEMPLATES["golden_cross"].build()
    >>> spec.entry.kind
    'cross'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from vibetrading.domain.indicators.info import close_matches
from vibetrading.domain.strategy.expr import (
    Arithmetic,
    IndicatorRef,
    Lowest,
    PriceField,
    WithinBars,
    all_of,
    any_of,
    compare,
    crosses_above,
    crosses_below,
    indicator,
    price,
)
from vibetrading.domain.strategy.spec import Metadata, Risk, StrategySpec
from vibetrading.domain.strategy.template_texts import TEXTS
from vibetrading.errors import SpecError

__all__ = ["TEMPLATES", "Template", "get_template"]

Rules = dict[str, Any]


@dataclass(frozen=True)
class Template:
    """A named strategy recipe; ``build(**params)`` turns it into a StrategySpec.

    ``defaults`` lists every parameter with its default value; ``lang`` ("en" or "zh")
    picks the language of the explanation and metadata.
    """

    name: str
    title: str
    title_zh: str
    description: str
    description_zh: str
    defaults: Mapping[str, Any]
    rules: Callable[[Mapping[str, Any]], Rules]

    def build(self, *, lang: str = "en", **params: Any) -> StrategySpec:
        """Return the template's spec with `params` replacing the defaults.

        Raises SpecError for an unknown parameter or language, or values the spec refuses.
        """
        unknown = [key for key in params if key not in self.defaults]
        if unknown:
            hint = close_matches(unknown[0], self.defaults)
            maybe = f" Did you mean: {', '.join(hint)}?" if hint else ""
            raise SpecError(
                f"The {self.name} template has no parameter {unknown[0]!r}; it takes "
                f"{', '.join(self.defaults)}.{maybe}"
            )
        if lang not in ("en", "zh"):
            raise SpecError(f"Templates are written in 'en' or 'zh', not {lang!r}.")
        values = {**self.defaults, **params}
        text = {key: value.format(**values) for key, value in TEXTS[self.name][lang].items()}
        explanation = text.pop("explanation")
        try:
            return StrategySpec(
                name=self.title_zh if lang == "zh" else self.title,
                explanation=explanation,
                metadata=Metadata(**text, language=lang, template=self.name),  # type: ignore[arg-type]
                **self.rules(values),
            )
        except ValueError as e:
            raise SpecError(f"The {self.name} template cannot use these values: {e}") from e


def _universe(values: Mapping[str, Any]) -> list[str]:
    return [str(values["symbol"])]


def _momentum(v: Mapping[str, Any]) -> Rules:
    momentum = indicator("roc", period=v["lookback"])
    trend = indicator("sma", period=v["trend"])
    return {
        "universe": _universe(v),
        "entry": all_of(compare(momentum, ">", v["threshold"]), compare(price(), ">", trend)),
        "exit": any_of(compare(momentum, "<", 0), crosses_below(price(), trend)),
        "risk": Risk(trailing_stop=v["trailing_stop"]),
    }


def _mean_reversion(v: Mapping[str, Any]) -> Rules:
    if v["variant"] == "bollinger":
        bands = {"period": v["band_period"], "std": v["std"]}
        lower = IndicatorRef(name="bbands", params=bands, output="lower")
        middle = IndicatorRef(name="bbands", params=bands, output="middle")
        entry: Any = compare(price(), "<=", lower)
        exit_: Any = compare(price(), ">=", middle)
    elif v["variant"] == "rsi":
        rsi = indicator("rsi", period=v["period"])
        entry, exit_ = compare(rsi, "<", v["oversold"]), compare(rsi, ">", v["exit_level"])
    else:
        raise SpecError(f"mean_reversion variant is 'rsi' or 'bollinger', not {v['variant']!r}.")
    if v["trend"]:
        entry = all_of(entry, compare(price(), ">", indicator("sma", period=v["trend"])))
    return {
        "universe": _universe(v),
        "entry": entry,
        "exit": exit_,
        "risk": Risk(stop_loss=v["stop_loss"], max_holding_bars=v["max_holding_bars"]),
    }


def _breakout(v: Mapping[str, Any]) -> Rules:
    upper = IndicatorRef(name="donchian", params={"period": v["entry_period"]}, output="upper")
    lower = IndicatorRef(name="donchian", params={"period": v["exit_period"]}, output="lower")
    return {
        "universe": _universe(v),
        "entry": compare(price(), ">", upper),
        "exit": compare(price(), "<", lower),
        "risk": Risk(stop_loss=v["stop_loss"]),
    }


def _volatility(v: Mapping[str, Any]) -> Rules:
    bands = {"period": v["period"], "std": v["std"]}
    width = IndicatorRef(name="bbands", params=bands, output="bandwidth")
    upper = IndicatorRef(name="bbands", params=bands, output="upper")
    middle = IndicatorRef(name="bbands", params=bands, output="middle")
    squeeze = compare(width, "<=", Lowest(bars=v["squeeze_lookback"], item=width))
    return {
        "universe": _universe(v),
        "entry": all_of(
            WithinBars(bars=v["squeeze_within"], item=squeeze), crosses_above(price(), upper)
        ),
        "exit": crosses_below(price(), middle),
        "risk": Risk(stop_loss=v["stop_loss"]),
    }


def _pairs(v: Mapping[str, Any]) -> Rules:
    ratio = Arithmetic(op="/", left=price(), right=PriceField(field="close", symbol=v["other"]))
    z = IndicatorRef(name="zscore", params={"period": v["period"]}, input=ratio)
    entry, exit_ = v["entry_z"], v["exit_z"]
    return {
        "universe": [str(v["symbol"]), str(v["other"])],
        "direction": "both",
        "entry": crosses_below(z, -entry),
        "exit": crosses_above(z, -exit_),
        "short_entry": crosses_above(z, entry),
        "short_exit": crosses_below(z, exit_),
        "risk": Risk(stop_loss=v["stop_loss"], max_holding_bars=v["max_holding_bars"]),
    }


def _golden_cross(v: Mapping[str, Any]) -> Rules:
    fast, slow = indicator("sma", period=v["fast"]), indicator("sma", period=v["slow"])
    return {
        "universe": _universe(v),
        "entry": crosses_above(fast, slow),
        "exit": crosses_below(fast, slow),
        "risk": Risk(stop_loss=v["stop_loss"]),
    }


def _template(name: str, defaults: dict[str, Any], rules: Callable[..., Rules]) -> Template:
    titles = TEXTS[name]["titles"]
    return Template(
        name, titles["title"], titles["title_zh"], titles["description"],
        titles["description_zh"], {"symbol": "SPX", **defaults}, rules,
    )  # fmt: skip


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        _template(
            "momentum",
            {"lookback": 126, "trend": 200, "threshold": 0.0, "trailing_stop": 0.1},
            _momentum,
        ),
        _template(
            "mean_reversion",
            {
                "variant": "rsi",
                "period": 14,
                "oversold": 30,
                "exit_level": 50,
                "band_period": 20,
                "std": 2.0,
                "trend": 200,
                "stop_loss": 0.05,
                "max_holding_bars": 20,
            },
            _mean_reversion,
        ),
        _template(
            "breakout",
            {"entry_period": 20, "exit_period": 10, "stop_loss": 0.08},
            _breakout,
        ),
        _template(
            "volatility",
            {
                "period": 20,
                "std": 2.0,
                "squeeze_lookback": 120,
                "squeeze_within": 10,
                "stop_loss": 0.05,
            },
            _volatility,
        ),
        _template(
            "pairs",
            {
                "other": "IXIC",
                "period": 60,
                "entry_z": 2.0,
                "exit_z": 0.5,
                "stop_loss": 0.1,
                "max_holding_bars": 60,
            },
            _pairs,
        ),
        _template("golden_cross", {"fast": 50, "slow": 200, "stop_loss": 0.1}, _golden_cross),
    )
}
"""Every template by name: momentum, mean_reversion, breakout, volatility, pairs, golden_cross."""


def get_template(name: str) -> Template:
    """Return the template called `name` (case and separators ignored) or raise SpecError."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key in TEMPLATES:
        return TEMPLATES[key]
    hint = close_matches(name, TEMPLATES)
    maybe = f" Did you mean: {', '.join(hint)}?" if hint else ""
    raise SpecError(f"Unknown template {name!r}; have {', '.join(TEMPLATES)}.{maybe}")
