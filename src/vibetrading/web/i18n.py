"""English and Chinese strings of the web UI, and the language switch kept per browser.

``t("chat.send")`` returns the string in the current browser's language (stored in
``app.storage.user["lang"]``); outside a page (tests, startup) it falls back to English.
Every key exists in both languages; a unit test pins that.
"""

# Chinese text keeps its full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

from typing import Any, Literal

__all__ = ["LANGUAGES", "STRINGS", "Lang", "current_language", "set_language", "t"]

Lang = Literal["en", "zh"]
LANGUAGES: dict[Lang, str] = {"en": "English", "zh": "中文"}

STRINGS: dict[str, dict[Lang, str]] = {
    "app.title": {"en": "VibeTrading", "zh": "VibeTrading"},
    "app.tagline": {
        "en": "Ideas in words, strategies you can test",
        "zh": "用一句话描述想法，立刻回测",
    },
    "nav.chat": {"en": "Chat", "zh": "对话"},
    "nav.editor": {"en": "Strategy editor", "zh": "策略编辑"},
    "nav.dashboard": {"en": "Backtest", "zh": "回测"},
    "nav.strategies": {"en": "Strategies", "zh": "我的策略"},
    "nav.market": {"en": "Market", "zh": "行情"},
    "nav.paper": {"en": "Paper trading", "zh": "模拟交易"},
    "nav.settings": {"en": "Settings", "zh": "设置"},
    "nav.login": {"en": "Log in", "zh": "登录"},
    "nav.logout": {"en": "Log out", "zh": "退出登录"},
    "nav.menu": {"en": "Menu", "zh": "菜单"},
    "theme.dark": {"en": "Dark mode", "zh": "深色模式"},
    "theme.to_dark": {"en": "Switch to dark mode", "zh": "切换到深色模式"},
    "theme.to_light": {"en": "Switch to light mode", "zh": "切换到浅色模式"},
    "lang.switch": {"en": "Language", "zh": "语言"},
    "common.not_available": {
        "en": "Not available in this build: {what}.",
        "zh": "此版本尚未提供：{what}。",
    },
    "common.error": {"en": "Error", "zh": "错误"},
    "common.empty": {"en": "Nothing here yet.", "zh": "暂无内容。"},
    "common.cancel": {"en": "Cancel", "zh": "取消"},
    "chat.placeholder": {
        "en": "Describe a trading idea, e.g. buy when RSI(14) is below 30 and sell above 70",
        "zh": "描述你的交易想法，例如：RSI(14)低于30买入，高于70卖出，止损5%",
    },
    "chat.hint": {"en": "Enter sends · Shift+Enter new line", "zh": "回车发送 · Shift+回车换行"},
    "chat.send": {"en": "Send", "zh": "发送"},
    "chat.input": {"en": "Your trading idea", "zh": "你的交易想法"},
    "chat.new": {"en": "New chat", "zh": "新对话"},
    "chat.conversations": {"en": "Conversations", "zh": "对话列表"},
    "chat.welcome": {
        "en": "Tell me a trading idea in plain English or Chinese. I will turn it into a "
        "strategy you can read, backtest and save.",
        "zh": "用中文或英文告诉我你的交易想法，我会把它变成一个可以阅读、回测和保存的策略。",
    },
    "chat.empty_input": {"en": "Type an idea first.", "zh": "请先输入一个想法。"},
    "chat.thinking": {"en": "Reading your idea…", "zh": "正在理解你的想法…"},
    "chat.offline_note": {
        "en": "Offline parser (no LLM configured).",
        "zh": "离线解析器（未配置大模型）。",
    },
    "card.rules": {"en": "Rules", "zh": "规则"},
    "card.assumptions": {"en": "Assumptions", "zh": "假设"},
    "card.warnings": {"en": "Warnings", "zh": "警告"},
    "card.suggestions": {"en": "Suggestions", "zh": "建议"},
    "card.safety": {"en": "Safety report", "zh": "安全报告"},
    "card.safety_spec": {
        "en": "Declarative spec: data only, never executed as code.",
        "zh": "声明式策略：只是数据，不会作为代码执行。",
    },
    "card.backtest": {"en": "Backtest", "zh": "回测"},
    "card.edit": {"en": "Edit", "zh": "编辑"},
    "card.save": {"en": "Save", "zh": "保存"},
    "card.saved": {"en": "Saved as version {version}.", "zh": "已保存为第{version}版。"},
    "card.no_changes": {
        "en": "No changes since version {version}; nothing to save.",
        "zh": "与第{version}版相比没有改动，无需保存。",
    },
    "card.open_dashboard": {"en": "Open dashboard", "zh": "打开回测面板"},
    "bt.running": {"en": "Running backtest…", "zh": "正在回测…"},
    "bt.done": {"en": "Backtest finished", "zh": "回测完成"},
    "progress.loading_bars": {"en": "loading bars", "zh": "加载K线"},
    "progress.computing_signals": {"en": "computing signals", "zh": "计算信号"},
    "progress.simulating": {"en": "simulating", "zh": "模拟成交"},
    "progress.computing_statistics": {"en": "computing statistics", "zh": "计算统计指标"},
    "progress.using_synthetic_data": {"en": "using synthetic data", "zh": "使用合成数据"},
    "progress.done": {"en": "done", "zh": "完成"},
    "progress.failed": {"en": "failed", "zh": "失败"},
    "bt.failed": {"en": "Backtest failed", "zh": "回测失败"},
    "bt.none": {
        "en": "No backtest yet. Describe an idea in the chat and press Backtest.",
        "zh": "还没有回测。在对话中描述一个想法，然后点击“回测”。",
    },
    "bt.settings": {"en": "Run settings", "zh": "回测设置"},
    "bt.not_found": {
        "en": "Run not found: it does not exist, has expired or belongs to another account.",
        "zh": "找不到这次回测：它不存在、已过期，或属于其他账户。",
    },
    "bt.bad_date": {
        "en": "{value!r} is not a date; write YYYY-MM-DD.",
        "zh": "“{value}”不是日期，请写成 YYYY-MM-DD。",
    },
    "bt.need_symbol": {"en": "Name at least one symbol.", "zh": "请至少填写一个标的。"},
    "bt.need_cash": {"en": "The cash must be above zero.", "zh": "初始资金必须大于零。"},
    "bt.symbol": {"en": "Symbol", "zh": "标的"},
    "bt.symbols": {"en": "Symbols (comma separated)", "zh": "标的（逗号分隔）"},
    "bt.start": {"en": "Start (YYYY-MM-DD)", "zh": "开始日期"},
    "bt.end": {"en": "End (YYYY-MM-DD)", "zh": "结束日期"},
    "bt.cash": {"en": "Cash", "zh": "初始资金"},
    "bt.fee_rate": {"en": "Fee rate", "zh": "手续费率"},
    "bt.slippage": {"en": "Slippage (bps)", "zh": "滑点（基点）"},
    "bt.fill": {"en": "Fill model", "zh": "成交模型"},
    "bt.rerun": {"en": "Re-run", "zh": "重新回测"},
    "bt.download_json": {"en": "JSON", "zh": "JSON"},
    "bt.download_csv": {"en": "Trades CSV", "zh": "交易 CSV"},
    "bt.download_html": {"en": "HTML report", "zh": "HTML 报告"},
    "bt.window": {"en": "Window", "zh": "区间"},
    "bt.window_all": {"en": "All", "zh": "全部"},
    "bt.window_3m": {"en": "3M", "zh": "3个月"},
    "bt.window_1y": {"en": "1Y", "zh": "1年"},
    "bt.window_5y": {"en": "5Y", "zh": "5年"},
    "fill.next_open": {"en": "Next bar's open", "zh": "下一根K线开盘价"},
    "fill.close": {"en": "This bar's close", "zh": "当前K线收盘价"},
    "bt.decimated": {
        "en": "{count} bars shown as {shown} candles; pick a shorter window for every bar.",
        "zh": "{count} 根K线合并显示为 {shown} 根；选择更短区间可查看全部细节。",
    },
    "bt.synthetic": {"en": "SYNTHETIC DATA", "zh": "合成数据"},
    "chart.price": {"en": "Price, volume and trades", "zh": "价格、成交量与交易"},
    "chart.equity": {"en": "Equity vs benchmark", "zh": "权益与基准"},
    "chart.drawdown": {"en": "Drawdown", "zh": "回撤"},
    "chart.cumulative": {"en": "Cumulative return", "zh": "累计收益"},
    "chart.monthly": {"en": "Monthly returns (%)", "zh": "月度收益（%）"},
    "chart.strategy": {"en": "Strategy", "zh": "策略"},
    "chart.volume": {"en": "Volume", "zh": "成交量"},
    "chart.entry": {"en": "Entry", "zh": "买入"},
    "chart.exit": {"en": "Exit", "zh": "卖出"},
    "chart.stop_loss": {"en": "Stop-loss", "zh": "止损"},
    "chart.take_profit": {"en": "Take-profit", "zh": "止盈"},
    "chart.trailing_stop": {"en": "Trailing stop", "zh": "移动止损"},
    "chart.end": {"en": "End of data", "zh": "数据结束"},
    "chart.benchmark": {"en": "Benchmark", "zh": "基准"},
    "month.jan": {"en": "Jan", "zh": "1月"},
    "month.feb": {"en": "Feb", "zh": "2月"},
    "month.mar": {"en": "Mar", "zh": "3月"},
    "month.apr": {"en": "Apr", "zh": "4月"},
    "month.may": {"en": "May", "zh": "5月"},
    "month.jun": {"en": "Jun", "zh": "6月"},
    "month.jul": {"en": "Jul", "zh": "7月"},
    "month.aug": {"en": "Aug", "zh": "8月"},
    "month.sep": {"en": "Sep", "zh": "9月"},
    "month.oct": {"en": "Oct", "zh": "10月"},
    "month.nov": {"en": "Nov", "zh": "11月"},
    "month.dec": {"en": "Dec", "zh": "12月"},
    "month.year": {"en": "Year", "zh": "全年"},
    "side.long": {"en": "long", "zh": "做多"},
    "side.short": {"en": "short", "zh": "做空"},
    "side.both": {"en": "long & short", "zh": "多空双向"},
    "reason.signal": {"en": "signal", "zh": "信号"},
    "reason.stop_loss": {"en": "stop-loss", "zh": "止损"},
    "reason.take_profit": {"en": "take-profit", "zh": "止盈"},
    "reason.trailing_stop": {"en": "trailing stop", "zh": "移动止损"},
    "reason.end": {"en": "end of data", "zh": "数据结束"},
    "metric.total_return": {"en": "Total return", "zh": "总收益"},
    "metric.cagr": {"en": "CAGR", "zh": "年化收益"},
    "metric.sharpe": {"en": "Sharpe", "zh": "夏普比率"},
    "metric.sortino": {"en": "Sortino", "zh": "索提诺比率"},
    "metric.max_drawdown": {"en": "Max drawdown", "zh": "最大回撤"},
    "metric.calmar": {"en": "Calmar", "zh": "卡玛比率"},
    "metric.win_rate": {"en": "Win rate", "zh": "胜率"},
    "metric.exposure": {"en": "Exposure", "zh": "持仓时间占比"},
    "metric.volatility": {"en": "Volatility", "zh": "波动率"},
    "metric.profit_factor": {"en": "Profit factor", "zh": "盈亏比"},
    "metric.num_trades": {"en": "Trades", "zh": "交易次数"},
    "metric.benchmark_return": {"en": "Benchmark", "zh": "基准收益"},
    "trades.title": {"en": "Trade log", "zh": "交易记录"},
    "trades.symbol": {"en": "Symbol", "zh": "标的"},
    "trades.direction": {"en": "Side", "zh": "方向"},
    "trades.entry_time": {"en": "Entry", "zh": "买入时间"},
    "trades.entry_price": {"en": "Entry price", "zh": "买入价"},
    "trades.exit_time": {"en": "Exit", "zh": "卖出时间"},
    "trades.exit_price": {"en": "Exit price", "zh": "卖出价"},
    "trades.quantity": {"en": "Quantity", "zh": "数量"},
    "trades.pnl": {"en": "P&L", "zh": "盈亏"},
    "trades.return": {"en": "Return", "zh": "收益率"},
    "trades.bars_held": {"en": "Bars", "zh": "持有K线"},
    "trades.exit_reason": {"en": "Reason", "zh": "原因"},
    "editor.text": {"en": "Natural language", "zh": "自然语言"},
    "editor.json": {"en": "Spec (JSON)", "zh": "策略规格（JSON）"},
    "editor.apply_text": {"en": "Read text → JSON", "zh": "解析文本 → JSON"},
    "editor.apply_json": {"en": "Check JSON → text", "zh": "校验 JSON → 文本"},
    "editor.valid": {"en": "Valid spec.", "zh": "策略有效。"},
    "editor.code": {"en": "Code strategy (Python)", "zh": "代码策略（Python）"},
    "editor.check_code": {"en": "Check code safety", "zh": "检查代码安全"},
    "editor.no_spec": {
        "en": "Type an idea in words, or paste a spec as JSON.",
        "zh": "用文字输入想法，或粘贴策略 JSON。",
    },
    "editor.fix_first": {
        "en": "Fix the error above to see the strategy again.",
        "zh": "请先修正上面的错误，再查看策略。",
    },
    "editor.live_hint": {
        "en": "Both sides follow each other a moment after you stop typing.",
        "zh": "停止输入片刻后，两边会自动同步。",
    },
    "strategies.versions": {"en": "Versions", "zh": "版本"},
    "strategies.diff": {"en": "Diff", "zh": "差异"},
    "strategies.restore": {"en": "Restore", "zh": "恢复此版本"},
    "strategies.delete": {"en": "Delete", "zh": "删除"},
    "strategies.deleted": {"en": "Deleted.", "zh": "已删除。"},
    "strategies.restored": {"en": "Restored as a new version.", "zh": "已恢复为新版本。"},
    "strategies.confirm_delete": {
        "en": "Delete {name}? It disappears from your list; its past runs stay.",
        "zh": "删除“{name}”？它会从列表中消失，过去的回测记录会保留。",
    },
    "market.search": {"en": "Search symbols", "zh": "搜索标的"},
    "market.indicators": {"en": "Indicators", "zh": "指标"},
    "market.insight": {"en": "Market insight", "zh": "市场洞察"},
    "market.synthetic": {"en": "synthetic", "zh": "合成"},
    "market.no_insight": {
        "en": "No research notes on {symbol} yet.",
        "zh": "暂无关于 {symbol} 的研究笔记。",
    },
    "paper.account": {"en": "Account", "zh": "账户"},
    "paper.positions": {"en": "Positions", "zh": "持仓"},
    "paper.orders": {"en": "Orders", "zh": "委托"},
    "paper.fills": {"en": "Fills", "zh": "成交"},
    "paper.ticket": {"en": "Order ticket", "zh": "下单"},
    "paper.symbol": {"en": "Symbol", "zh": "标的"},
    "paper.side": {"en": "Side", "zh": "方向"},
    "paper.quantity": {"en": "Quantity", "zh": "数量"},
    "paper.submit": {"en": "Submit order", "zh": "提交订单"},
    "paper.limit": {"en": "Limit price (optional)", "zh": "限价（可选）"},
    "paper.mode": {"en": "Orders go to: {mode}", "zh": "订单去向：{mode}"},
    "paper.no_account": {
        "en": "No paper account trades {symbol}: start a runner first.",
        "zh": "没有交易 {symbol} 的模拟账户：请先启动一个运行器。",
    },
    "paper.no_runners": {
        "en": "No paper runners yet: start one with `vibetrading paper start`.",
        "zh": "还没有模拟交易运行器：用 `vibetrading paper start` 启动一个。",
    },
    "settings.llm": {"en": "LLM providers", "zh": "大模型服务"},
    "settings.data": {"en": "Data providers", "zh": "数据源"},
    "settings.costs": {"en": "Default costs", "zh": "默认交易成本"},
    "settings.appearance": {"en": "Language and appearance", "zh": "语言与外观"},
    "settings.saved": {"en": "Saved.", "zh": "已保存。"},
    "settings.key": {"en": "API key", "zh": "API 密钥"},
    "settings.base_url": {"en": "Base URL", "zh": "接口地址"},
    "settings.model": {"en": "Model", "zh": "模型"},
    "settings.provider": {"en": "Provider", "zh": "服务商"},
    "settings.remove": {"en": "Remove", "zh": "移除"},
    "settings.removed": {"en": "Removed.", "zh": "已移除。"},
    "settings.llm_none": {
        "en": "No provider of your own: the chat uses the server's (or the offline parser).",
        "zh": "未设置自己的服务：对话使用服务器的配置（或离线解析器）。",
    },
    "settings.llm_hint": {
        "en": "Your key is stored encrypted and never shown again in full.",
        "zh": "密钥加密保存，之后不会再完整显示。",
    },
    "settings.key_stored": {"en": "key {hint}", "zh": "密钥 {hint}"},
    "settings.costs_hint": {
        "en": "Used by every backtest you run here, unless you change them for one run.",
        "zh": "在这里运行的每次回测都会使用，除非单次回测另行修改。",
    },
    "provider.bundled": {"en": "bundled, works offline", "zh": "内置，离线可用"},
    "provider.ready": {"en": "installed", "zh": "已安装"},
    "provider.needs_key": {"en": "needs an API key", "zh": "需要 API 密钥"},
    "provider.not_installed": {"en": "not installed", "zh": "未安装"},
    "login.title": {"en": "Log in", "zh": "登录"},
    "login.register": {"en": "Create account", "zh": "注册"},
    "login.email": {"en": "Email", "zh": "邮箱"},
    "login.password": {"en": "Password", "zh": "密码"},
    "login.checking": {"en": "Checking your session…", "zh": "正在检查登录状态…"},
    "login.local_mode": {
        "en": "Local mode: no login needed. Everything stays on this machine.",
        "zh": "本地模式：无需登录，所有数据都保存在本机。",
    },
}


def current_language() -> Lang:
    """Return the language chosen in this browser, English when none or outside a page."""
    try:
        from nicegui import app

        value = app.storage.user.get("lang", "en")
    except (RuntimeError, AssertionError, KeyError):
        return "en"
    return "zh" if value == "zh" else "en"


def set_language(lang: Lang) -> None:
    """Remember `lang` for this browser (takes effect on the next page render)."""
    from nicegui import app

    app.storage.user["lang"] = lang


def t(key: str, lang: Lang | None = None, **values: Any) -> str:
    """Return the string `key` in `lang` (default: the browser's), formatted with `values`.

    An unknown key returns the key itself, so a missing string shows rather than crashes.
    """
    entry = STRINGS.get(key)
    if entry is None:
        return key
    text = entry[lang or current_language()]
    return text.format(**values) if values else text
