"""The offline strategy language: English and Chinese ideas to StrategySpecs.

``parse_strategy(text)`` is the entry point; ``render_spec`` (in ``strategy.render``)
goes the other way. See ``parser.py`` for the pipeline and SEMANTICS.md for the
conventions every reading follows.
"""

from vibetrading.domain.strategy.dsl.canon import canonical_expr, canonical_indicator
from vibetrading.domain.strategy.dsl.parser import EXAMPLES, ParseResult, parse_strategy

__all__ = ["EXAMPLES", "ParseResult", "canonical_expr", "canonical_indicator", "parse_strategy"]
