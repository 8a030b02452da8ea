"""Parser speed: a typical idea in English and in Chinese, to a validated StrategySpec.

There is no obvious peer for an offline English/Chinese strategy parser, so the floor is
reading the same spec from JSON (``json.loads`` + Pydantic validation): what a parser
that did no work at all would still cost. The last case is the issue's end-to-end target:
parse a sentence and compile its spec on ten years of daily bars.
"""

# Chinese text keeps its full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import json

from _timing import Case, measure, print_cases
from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.domain.data import Timeframe
from vibetrading.domain.strategy.compile import compile_signals
from vibetrading.domain.strategy.dsl import parse_strategy
from vibetrading.domain.strategy.spec import StrategySpec
from vibetrading.domain.trading import Symbol

ENGLISH = (
    "Buy Apple when the 50-day moving average crosses above the 200-day moving average "
    "and RSI is below 70; sell when RSI rises above 80; stop loss 5%."
)
CHINESE = "5日均线上穿20日均线且RSI低于70时买入腾讯，RSI高于80卖出，止损5%"


def json_floor(text: str) -> StrategySpec:
    """Return the spec read back from JSON: the cost of no parsing at all."""
    return StrategySpec.model_validate(json.loads(text))


def run() -> list[Case]:
    cases = []
    for label, text in (("English", ENGLISH), ("Chinese", CHINESE)):
        spec = parse_strategy(text).spec
        if spec is None:
            raise SystemExit(f"the {label} benchmark sentence no longer parses")
        document = spec.model_dump_json()
        ours = measure(lambda text=text: parse_strategy(text), repeat=51)
        peer = measure(lambda document=document: json_floor(document), repeat=51)
        cases.append(
            Case(f"parse a typical {label} idea", ours, "json.loads + Pydantic", peer, "a few ms")
        )
    bars = SampleProvider().fetch_bars(Symbol.parse("SPX"), timeframe=Timeframe.D1).bars
    bars = bars.loc["2009-01-01":"2018-12-31"]
    spec = parse_strategy(ENGLISH).spec

    def parse_and_compile() -> object:
        parsed = parse_strategy(ENGLISH).spec
        return compile_signals(parsed, bars) if parsed is not None else None

    ours = measure(parse_and_compile, repeat=21)
    peer = measure(lambda: compile_signals(spec, bars), repeat=21)
    name = f"parse + compile on {len(bars)} daily bars"
    cases.append(Case(name, ours, "compile only", peer, "a few ms"))
    print_cases("Strategy parser", cases)
    return cases


if __name__ == "__main__":
    run()
