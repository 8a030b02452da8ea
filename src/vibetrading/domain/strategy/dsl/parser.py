"""The offline strategy parser: an idea in English, Chinese or both, to a StrategySpec.

No LLM and no network: the text is tokenized against the lexicon and the indicator
registry, cut into clauses, and each rule read by a small grammar (see ``clauses.py``,
``grammar.py``). Every default it fills in is listed in ``assumptions``, every word it
could not use is quoted back in ``unparsed``, and contradictions are ``errors``::

    >>> result = parse_strategy("RSI低于30买入, sell when above 70, 止损5%")
    >>> result.spec.risk.stop_loss
    0.05
    >>> result.assumptions[0]
    'RSI period not given: used 14'
"""

# Chinese text and look-alike characters are matched on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from vibetrading.domain.strategy.dsl.assembly import Options, Rules, combine_rules, read_options
from vibetrading.domain.strategy.dsl.canon import drop_symbol
from vibetrading.domain.strategy.dsl.clauses import Clauses, is_quiet, read_clauses
from vibetrading.domain.strategy.dsl.cursor import Context
from vibetrading.domain.strategy.dsl.rules import ParsedRule, parse_rule, span_of
from vibetrading.domain.strategy.dsl.tokens import Token, tokenize
from vibetrading.domain.strategy.render import name_spec, render_spec
from vibetrading.domain.strategy.spec import Metadata, Risk, StrategySpec
from vibetrading.domain.strategy.validate import validate_spec

__all__ = ["EXAMPLES", "Language", "ParseResult", "parse_strategy"]

Language = Literal["en", "zh"]

EXAMPLES: dict[str, tuple[str, str, str]] = {
    "en": (
        "Buy when RSI(14) crosses below 30; sell when it crosses above 70; stop loss 5%.",
        "Buy Apple when the 50-day moving average crosses above the 200-day moving average.",
        "Buy bitcoin after three down days in a row, hold 5 days then sell.",
    ),
    "zh": (
        "RSI低于30买入，高于70卖出，止损5%",
        "5日均线上穿20日均线时买入腾讯，下穿时卖出",
        "连续三天下跌买入茅台，持有5天后卖出",
    ),
}
"""Three phrasings per language, shown when a text yields no rule."""


@dataclass
class ParseResult:
    """What the parser made of a text.

    `spec` is None when the text yields no valid strategy; `errors` then says why (a
    contradiction, an impossible condition, or nothing usable with three `examples`).
    """

    spec: StrategySpec | None
    assumptions: list[str] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    language: Language = "en"
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        """Return True when a spec was produced without errors."""
        return self.spec is not None and not self.errors

    def report(self) -> dict[str, Any]:
        """Return the report keys that ``strategy parse --format json`` adds to the spec."""
        return {
            "assumptions": self.assumptions,
            "unparsed": self.unparsed,
            "warnings": self.warnings,
            "errors": self.errors,
            "suggestions": self.suggestions,
        }


def _language(tokens: list[Token]) -> Language:
    for token in tokens:
        if token.kind in ("word", "fill", "price", "tf") and token.lang in ("en", "zh"):
            return "zh" if token.lang == "zh" else "en"
    has_chinese = any(t.lang == "zh" for t in tokens)
    return "zh" if has_chinese else "en"


def _unparsed(tokens: list[Token], used: set[tuple[int, int]], text: str) -> list[str]:
    phrases: list[tuple[int, int]] = []
    for token in tokens:
        if span_of(token) in used or is_quiet(token):
            continue
        if phrases and not text[phrases[-1][1] : token.start].strip():
            phrases[-1] = (phrases[-1][0], token.end)
        else:
            phrases.append((token.start, token.end))
    return [text[start:end] for start, end in phrases]


def _used_spans(
    clauses: Clauses, parsed: list[ParsedRule], tokens: list[Token]
) -> set[tuple[int, int]]:
    used = {span_of(t) for match in clauses.settings for t in match.tokens}
    used.update(span_of(t) for t in tokens if t.kind in ("sym", "tf"))
    for rule in parsed:
        used.update(rule.used)
    return used


class _Builder:
    def __init__(self, text: str, default_symbol: str) -> None:
        self.text = text
        self.default_symbol = default_symbol
        tokenized = tokenize(text)
        self.tokens = tokenized.tokens
        self.language = _language(self.tokens)
        self.context = Context(lang=self.language)
        self.result = ParseResult(spec=None, language=self.language)
        for wrong, right in tokenized.corrections:
            self.context.assume(f"read {wrong!r} as {right!r}")

    def build(self) -> ParseResult:
        clauses = read_clauses(self.tokens)
        parsed = [parse_rule(rule, self.context) for rule in clauses.rules]
        options = read_options(clauses.settings)
        rules = combine_rules(parsed, options)
        result = self.result
        result.unparsed = _unparsed(
            self.tokens, _used_spans(clauses, parsed, self.tokens), self.text
        )
        self.note_empty_rules(parsed, options)
        universe = self.universe(clauses, parsed, rules)
        result.errors += self.context.errors + options.errors + rules.errors
        result.warnings += rules.warnings
        spec = self.spec(clauses, options, rules, universe)
        result.assumptions = self.context.assumptions + clauses.assumptions
        result.assumptions += options.assumptions + rules.assumptions
        if spec is not None:
            self.check(spec)
        return result

    def note_empty_rules(self, parsed: list[ParsedRule], options: Options) -> None:
        has_risk = bool(options.risk) or options.hold_bars is not None
        for rule in parsed:
            if rule.condition is not None or (rule.role in ("sell", "cover") and has_risk):
                continue
            self.result.warnings.append(f"No condition was found for the {rule.role} rule.")

    def universe(self, clauses: Clauses, parsed: list[ParsedRule], rules: Rules) -> list[str]:
        named = list(dict.fromkeys(clauses.universe + [s for r in parsed for s in r.universe]))
        pairs = {s for r in parsed for s in r.pair_symbols}
        if not named and len(pairs) == 1:
            named = list(pairs)
        if len(named) == 1 and named[0] in pairs:
            for name in ("entry", "exit", "short_entry", "short_exit"):
                rule = getattr(rules, name)
                if rule is not None:
                    setattr(rules, name, drop_symbol(rule, named[0]))
        if not named:
            named = [self.default_symbol]
            self.context.assume(f"no instrument named: used {self.default_symbol}")
        return named

    def spec(
        self, clauses: Clauses, options: Options, rules: Rules, universe: list[str]
    ) -> StrategySpec | None:
        if rules.entry is None:
            self.nothing_usable()
            return None
        fields: dict[str, Any] = {
            "universe": universe,
            "direction": rules.direction,
            "entry": rules.entry,
            "exit": rules.exit,
            "short_entry": rules.short_entry,
            "short_exit": rules.short_exit,
            "metadata": Metadata(language=self.language, source_text=self.text),
        }
        timeframes = list(dict.fromkeys(t.key for t in clauses.timeframes))
        if len(timeframes) > 1:
            self.result.errors.append(
                f"Contradiction: several timeframes ({', '.join(timeframes)})."
            )
        if timeframes:
            fields["timeframe"] = timeframes[0]
        if options.sizing is not None:
            fields["sizing"] = options.sizing
        try:
            fields["risk"] = Risk(**options.risk)
            return StrategySpec(**fields)
        except ValidationError as e:
            self.result.errors += [
                f"{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors()
            ]
            return None

    def nothing_usable(self) -> None:
        examples = list(EXAMPLES[self.language])
        self.result.examples = examples
        if self.language == "zh":
            head = "没有找到可用的交易规则（何时买入、何时卖出）。可以这样写："
        else:
            head = "No usable trading rule (when to buy or sell) was found. Try, for example:"
        self.result.errors.append("\n  ".join([head, *examples]))

    def check(self, spec: StrategySpec) -> None:
        report = validate_spec(spec)
        result = self.result
        result.errors += report.errors
        result.warnings += report.warnings
        result.suggestions = [s.as_dict() for s in report.suggestions]
        if result.errors:
            return
        explanation = render_spec(spec, self.language)
        result.spec = spec.model_copy(
            update={"name": name_spec(spec, self.language), "explanation": explanation}
        )


def parse_strategy(text: str, *, default_symbol: str = "SPX") -> ParseResult:
    """Read a trading idea in English, Chinese or both into a StrategySpec.

    Returns a ParseResult with the spec (None when the text yields no valid strategy),
    the assumptions made ("RSI period not given: used 14"), the words that could not be
    used (quoted verbatim), warnings, and errors: contradictions such as "RSI > 80 and
    RSI < 20", or, when nothing usable is found, a message with three example phrasings
    in the user's language. `default_symbol` is traded when the text names no instrument.
    """
    return _Builder(text, default_symbol).build()
