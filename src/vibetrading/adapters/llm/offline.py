"""The copilot's offline engine: the rule-based parser and summaries, no network, no key.

``OfflineDrafter.draft`` reads a new idea with the offline parser. Given the current
strategy, it applies the refinements the parser's vocabulary makes possible:

* a symbol named anywhere ("try it on Tencent", "换成腾讯") replaces the universe;
* "stop loss 3%" / "止损3%", "take profit 10%", "trailing stop 8%" set that risk exit;
* "tighter stop" / "收紧止损" scales the stop loss by 0.6 (a 5% stop when there was none),
  "wider stop" / "放宽止损" by 1.5;
* "add a volume filter" / "成交量过滤" adds volume above its 20-bar average to the entry;
* any other text is read together with the previous idea, then alone as a new idea.

What it cannot apply it says, in the user's language. Summaries of backtests are rule
based too, in English or Chinese.
"""

# Chinese text is matched and written on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

from typing import Any

from vibetrading.domain.strategy import Risk, StrategySpec
from vibetrading.domain.strategy.dsl.tokens import tokenize
from vibetrading.domain.strategy.expr import all_of, compare, indicator, price
from vibetrading.domain.strategy.message_words import localize_note, localize_notes
from vibetrading.domain.strategy.render import name_spec, render_spec
from vibetrading.services.copilot_prompts import detect_language
from vibetrading.services.ports import StrategyDraft
from vibetrading.services.strategies import read_strategy

__all__ = ["OfflineDrafter"]

_RISK_WORDS = {"STOP": "stop_loss", "TP": "take_profit", "TRAIL": "trailing_stop"}
_TIGHTER = (
    "tighter stop",
    "tighten the stop",
    "smaller stop",
    "收紧止损",
    "止损收紧",
    "止损小一点",
)
_WIDER = ("wider stop", "looser stop", "widen the stop", "放宽止损", "止损放宽", "止损大一点")
_VOLUME = ("volume filter", "volume confirmation", "成交量过滤", "放量", "成交量确认", "量能过滤")

_TEXTS = {
    "en": {
        "new": "Here is the strategy, {name}: {explanation}",
        "refined": "Updated the strategy ({changes}): {explanation}",
        "assumed": "Assumed: {line}",
        "unparsed": "Not understood: {words}",
        "failed": "I could not turn that into a strategy: {errors}",
        "no_change": "I could not apply that change offline ({text}). Offline I can switch "
        "the symbol, set or tighten the stop, take profit or trailing stop, add a volume "
        "filter, or read a whole new idea.",
        "symbol": "symbol {value}",
        "stop_loss": "stop loss {value}",
        "take_profit": "take profit {value}",
        "trailing_stop": "trailing stop {value}",
        "volume": "volume above its 20-bar average on entry",
        "summary": "Backtest on {symbols}{synthetic}, {start} to {end} ({bars} bars): total "
        "return {total_return}, CAGR {cagr}, Sharpe {sharpe}, max drawdown {max_drawdown}, "
        "{num_trades} trades, win rate {win_rate}.",
        "benchmark": " Benchmark ({label}): {benchmark_return}.",
        "synthetic": " (synthetic demo data, not real prices)",
        "no_trades": " It never traded: loosen the entry rule or try another symbol.",
        "deep": " The drawdown is deep: consider a tighter stop or a trend filter.",
    },
    "zh": {
        "new": "策略「{name}」：{explanation}",
        "refined": "已更新策略（{changes}）：{explanation}",
        "assumed": "假设：{line}",
        "unparsed": "未能理解：{words}",
        "failed": "无法把这段话变成策略：{errors}",
        "no_change": "离线模式无法应用这个修改（{text}）。离线时可以：换标的、设置或收紧止损、"
        "止盈、移动止损、加成交量过滤，或者重新描述一个完整的策略。",
        "symbol": "标的 {value}",
        "stop_loss": "止损 {value}",
        "take_profit": "止盈 {value}",
        "trailing_stop": "移动止损 {value}",
        "volume": "入场需成交量高于20日均量",
        "summary": "回测 {symbols}{synthetic}，{start} 至 {end}（{bars} 根K线）：总收益 "
        "{total_return}，年化 {cagr}，夏普 {sharpe}，最大回撤 {max_drawdown}，"
        "交易 {num_trades} 次，胜率 {win_rate}。",
        "benchmark": "基准（{label}）：{benchmark_return}。",
        "synthetic": "（合成演示数据，并非真实价格）",
        "no_trades": "没有任何交易：可以放宽入场条件或换一个标的。",
        "deep": "回撤较深：可以考虑收紧止损或加趋势过滤。",
    },
}


class OfflineDrafter:
    """Read ideas and refinements with the offline parser; summarise backtests by rule."""

    def draft(
        self, text: str, *, current: StrategySpec | None = None, default_symbol: str = "SPX"
    ) -> StrategyDraft:
        """Read `text` as a new idea, or as a change to `current` when one is given."""
        lang = detect_language(text)
        if current is not None:
            refined = _refine(current, text, lang)
            if refined is not None:
                return refined
        parsed = read_strategy(text, default_symbol=default_symbol)
        words = _TEXTS[parsed.language]
        if parsed.spec is None:
            message = (
                words["no_change"].format(text=text.strip()[:80])
                if current is not None
                else words["failed"].format(
                    errors=" ".join(localize_notes(parsed.errors, parsed.language))
                )
            )
            return StrategyDraft(
                spec=None, language=parsed.language, reply=message, errors=tuple(parsed.errors)
            )
        lines = [words["new"].format(name=parsed.spec.name, explanation=parsed.spec.explanation)]
        lines += [
            words["assumed"].format(line=a)
            for a in localize_notes(parsed.assumptions, parsed.language)
        ]
        if parsed.unparsed:
            lines.append(words["unparsed"].format(words=", ".join(parsed.unparsed)))
        lines += localize_notes(parsed.warnings, parsed.language)
        return StrategyDraft(
            spec=parsed.spec,
            language=parsed.language,
            reply="\n".join(lines) + "\n",
            notes=tuple(parsed.assumptions + parsed.warnings),
        )

    def summarise(self, result: dict[str, Any], *, language: str) -> str:
        """Return two or three sentences on a ``backtest_result``, in `language`."""
        words = _TEXTS["zh" if language == "zh" else "en"]
        stats = result.get("summary", {})
        text = words["summary"].format(
            symbols=", ".join(result.get("symbols") or []),
            synthetic=words["synthetic"] if result.get("synthetic") else "",
            start=result.get("start"),
            end=result.get("end"),
            bars=f"{result.get('bars', 0):,}",
            total_return=_percent(stats.get("total_return"), signed=True),
            cagr=_percent(stats.get("cagr"), signed=True),
            sharpe=_number(stats.get("sharpe")),
            max_drawdown=_percent(stats.get("max_drawdown")),
            num_trades=result.get("num_trades", 0),
            win_rate=_percent(stats.get("win_rate")),
        )
        if result.get("benchmark_label") and stats.get("benchmark_return") is not None:
            text += words["benchmark"].format(
                label=localize_note(str(result["benchmark_label"]), language),
                benchmark_return=_percent(stats["benchmark_return"], signed=True),
            )
        if not result.get("num_trades"):
            text += words["no_trades"]
            why = [w for w in result.get("warnings") or [] if "never held on the data" in w]
            gap = "" if language == "zh" else " "
            text += "".join(gap + line for line in localize_notes(why, language))
        elif (stats.get("max_drawdown") or 0) < -0.3:
            text += words["deep"]
        return text


def _refine(current: StrategySpec, text: str, lang: str) -> StrategyDraft | None:
    words = _TEXTS["zh" if lang == "zh" else "en"]
    spec, changes = _apply_keywords(current, text, words)
    if not changes:
        reread = _reread(current, text)
        if reread is None:
            return None
        spec, changes = reread, [text.strip()[:80]]
    spec = _renamed(spec, current, text)
    explanation = render_spec(spec, "zh" if lang == "zh" else "en")
    reply = words["refined"].format(changes=", ".join(changes), explanation=explanation)
    return StrategyDraft(spec=spec, language=lang, reply=reply + "\n", notes=tuple(changes))


def _reread(current: StrategySpec, text: str) -> StrategySpec | None:
    tokens = tokenize(text).tokens
    if not any(t.kind in ("ind", "price") or (t.kind == "word" and t.key != "IT") for t in tokens):
        return None
    combined = f"{current.metadata.source_text or ''}\n{text}".strip()
    parsed = read_strategy(combined, default_symbol=current.universe[0])
    if parsed.spec is None or _rules(parsed.spec) == _rules(current):
        return None
    # Keep what earlier refinements set unless this text changes it.
    kept = {
        name: value
        for name, value in current.risk.model_dump().items()
        if getattr(parsed.spec.risk, name) is None
    }
    update: dict[str, Any] = {"risk": Risk(**{**parsed.spec.risk.model_dump(), **kept})}
    if not any(t.kind == "sym" for t in tokens):
        update["universe"] = list(current.universe)
    return parsed.spec.model_copy(update=update)


def _rules(spec: StrategySpec) -> dict[str, Any]:
    return spec.model_dump(exclude={"name", "explanation", "metadata", "risk", "universe"})


def _apply_keywords(
    spec: StrategySpec, text: str, words: dict[str, str]
) -> tuple[StrategySpec, list[str]]:
    tokens = tokenize(text).tokens
    lowered = text.casefold()
    changes: list[str] = []
    symbols = [t.key for t in tokens if t.kind == "sym"]
    if symbols and symbols[-1] not in spec.universe:
        spec = spec.model_copy(update={"universe": [symbols[-1]]})
        changes.append(words["symbol"].format(value=symbols[-1]))
    risk = _risk_numbers(tokens)
    if any(phrase in lowered for phrase in _TIGHTER):
        risk.setdefault("stop_loss", round((spec.risk.stop_loss or 0.0833) * 0.6, 4))
    if any(phrase in lowered for phrase in _WIDER) and spec.risk.stop_loss:
        risk.setdefault("stop_loss", min(round(spec.risk.stop_loss * 1.5, 4), 0.5))
    if risk:
        spec = spec.model_copy(update={"risk": Risk(**{**spec.risk.model_dump(), **risk})})
        changes += [words[name].format(value=f"{value:.1%}") for name, value in risk.items()]
    if any(phrase in lowered for phrase in _VOLUME):
        volume = compare(price("volume"), ">", indicator("volume_sma", period=20))
        spec = spec.model_copy(update={"entry": all_of(spec.entry, volume)})
        changes.append(words["volume"])
    return spec, changes


def _risk_numbers(tokens: Any) -> dict[str, float]:
    found: dict[str, float] = {}
    pending: str | None = None
    for token in tokens:
        if token.kind == "word" and token.key in _RISK_WORDS:
            pending = _RISK_WORDS[token.key]
        elif token.kind == "num" and pending and token.value is not None:
            value = float(token.value)
            found[pending] = value / 100 if token.unit == "%" or value >= 1 else value
            pending = None
    return {k: v for k, v in found.items() if 0 < v < 1}


def _renamed(spec: StrategySpec, current: StrategySpec, text: str) -> StrategySpec:
    source = f"{current.metadata.source_text or ''}\n{text}".strip()
    metadata = spec.metadata.model_copy(update={"source_text": source})
    spec = spec.model_copy(update={"metadata": metadata})
    language = spec.metadata.language
    return spec.model_copy(
        update={"explanation": render_spec(spec, language), "name": name_spec(spec, language)}
    )


def _percent(value: Any, *, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.2%}" if signed else f"{value:.2%}"


def _number(value: Any) -> str:
    return "n/a" if value is None else f"{value:.2f}"
