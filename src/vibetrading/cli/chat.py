"""``vibetrading chat``: talk a strategy into shape, with streamed replies and backtests.

Interactive by default (``/quit`` or Ctrl-D leaves, ``/new`` starts a new conversation,
``/history`` lists conversations, ``/resume <id>`` continues one); ``--once "idea"``
answers one message and exits, as text or as JSON with the reply, the spec (with its
``risk``), the backtest summary and the engine that answered. Every reply ends with a
footer naming its conversation, to continue with ``--conversation <id>``; ``--list``
shows the conversations (id, title, last update, number of messages).
"""

from __future__ import annotations

import json
import queue
import secrets
import threading
from collections.abc import Iterable, Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from vibetrading.errors import NotFound

if TYPE_CHECKING:
    from vibetrading.services.copilot import ChatEvent, CopilotService

__all__ = [
    "ChatFormat",
    "chat",
    "collect_reply",
    "conversations_table",
    "result_table",
    "stoppable",
]

_LIST_LIMIT = 50
_HELP = (
    "Describe a trading idea. /new starts over, /history lists conversations, "
    "/resume <id> continues one, /quit or Ctrl-D leaves."
)
_ROWS = (
    ("total return", "total_return", "{:+.2%}"),
    ("CAGR", "cagr", "{:+.2%}"),
    ("Sharpe", "sharpe", "{:.2f}"),
    ("max drawdown", "max_drawdown", "{:.2%}"),
    ("win rate", "win_rate", "{:.2%}"),
    ("benchmark", "benchmark_return", "{:+.2%}"),
)


class ChatFormat(StrEnum):
    """How ``chat --once`` and ``chat --list`` print their answer."""

    table = "table"
    json = "json"


def chat(
    once: Annotated[
        str | None, typer.Option("--once", help="Answer this one message and exit.")
    ] = None,
    output: Annotated[
        ChatFormat, typer.Option("--format", help="table or json (with --once or --list).")
    ] = ChatFormat.table,
    symbol: Annotated[
        str, typer.Option("--symbol", help="Symbol used when the idea names none.")
    ] = "SPX",
    provider: Annotated[
        str | None, typer.Option("--provider", help="LLM preset (openai, deepseek, ...).")
    ] = None,
    conversation: Annotated[
        str | None, typer.Option("--conversation", help="Continue this conversation id.")
    ] = None,
    list_conversations: Annotated[
        bool, typer.Option("--list", help="List your conversations and exit.")
    ] = False,
) -> None:
    """Chat a trading idea into a backtested strategy; offline when no LLM is configured."""
    copilot, user_id = _build(provider, symbol)
    console = Console(highlight=False, soft_wrap=True)
    if list_conversations:
        rows = copilot.list_conversations(user_id, limit=_LIST_LIMIT)
        if output is ChatFormat.json:
            console.file.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        else:
            console.print(conversations_table(rows))
        return
    if once is not None:
        if output is ChatFormat.json:
            document = collect_reply(copilot.chat(user_id, once, conversation_id=conversation))
            console.file.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        else:
            _render_reply(console, copilot.chat(user_id, once, conversation_id=conversation))
        return
    _interactive(console, copilot, user_id, conversation)


def _build(provider: str | None, symbol: str) -> tuple[CopilotService, str]:
    from vibetrading.bootstrap import build_copilot
    from vibetrading.settings import get_settings

    settings = get_settings()
    store, user_id = _open_store(settings)
    copilot = build_copilot(settings, provider=provider, store=store, default_symbol=symbol)
    return copilot, user_id


def _open_store(settings: Any) -> tuple[Any, str]:
    from vibetrading.bootstrap import build_store
    from vibetrading.services.auth import AuthService

    store = build_store(settings)
    # The local user never logs in, so the token secret is never used to sign anything.
    auth = AuthService(store.users, store.tokens, secret=secrets.token_hex(16))
    return store, auth.local_user().id


def collect_reply(events: Iterable[ChatEvent]) -> dict[str, Any]:
    """Run a reply to the end and return the ``chat --once --format json`` document."""
    document: dict[str, Any] = {
        "reply": "",
        "spec": None,
        "code": None,
        "backtest": None,
        "engine": None,
        "fallback_reason": None,
        "conversation_id": None,
        "usage": None,
        "errors": [],
    }
    for event in events:
        data = event.data
        if event.type == "spec":
            document["spec"] = data.get("spec")
            document["code"] = data.get("code")
            document["strategy"] = {k: data.get(k) for k in ("strategy_id", "version", "name")}
        elif event.type == "backtest_result":
            document["backtest"] = {k: v for k, v in data.items() if k != "warnings"}
            document["backtest"]["warnings"] = data.get("warnings", [])
        elif event.type == "error":
            document["errors"].append(data.get("message"))
        elif event.type == "done":
            document.update(
                reply=data["reply"],
                engine=data["engine"],
                fallback_reason=data["fallback_reason"],
                conversation_id=data["conversation_id"],
                usage=data["usage"],
            )
    return document


def result_table(result: dict[str, Any]) -> Table:
    """Return the headline numbers of a ``backtest_result`` event as a small table."""
    stats = result.get("summary", {})
    title = f"{', '.join(result.get('symbols') or [])} {result.get('start')} → {result.get('end')}"
    if result.get("synthetic"):
        title += " (synthetic data)"
    table = Table(title=title, show_header=False, box=None, padding=(0, 2))
    table.add_column(style="dim")
    table.add_column(justify="right", style="bold")
    for label, key, pattern in _ROWS:
        value = stats.get(key)
        table.add_row(label, "—" if value is None else pattern.format(value))
    table.add_row("trades", str(result.get("num_trades", 0)))
    return table


def conversations_table(rows: list[dict[str, Any]]) -> Table:
    """Return conversations (from ``CopilotService.list_conversations``) as a table."""
    table = Table(title="Conversations" if rows else "No conversations yet", box=None)
    table.add_column("id", no_wrap=True)
    table.add_column("title")
    table.add_column("updated (UTC)", no_wrap=True)
    table.add_column("messages", justify="right")
    for row in rows:
        updated = str(row["updated_at"])[:16].replace("T", " ")
        table.add_row(row["id"], row["title"], updated, str(row["messages"]))
    return table


def _render_reply(console: Console, events: Iterable[ChatEvent]) -> str | None:
    if not console.is_terminal:
        return _print_reply(console, events)
    text = ""
    conversation_id = None
    parts: list[Any] = []
    with Live(Text(""), console=console, refresh_per_second=12) as live:
        for event in events:
            if event.type == "token":
                text += event.data["text"]
            elif event.type == "backtest_progress":
                live.update(Group(Text(text), *parts, Text(event.data["message"], "dim")))
                continue
            elif event.type == "done":
                conversation_id = event.data["conversation_id"]
            part = _part(event)
            if part is not None:
                parts.append(part)
            live.update(Group(Text(text), *parts))
    return conversation_id


def _print_reply(console: Console, events: Iterable[ChatEvent]) -> str | None:
    conversation_id = None
    for event in events:
        if event.type == "token":
            console.file.write(event.data["text"])
            console.file.flush()
            continue
        if event.type == "done":
            conversation_id = event.data["conversation_id"]
            console.file.write("\n")
        part = _part(event)
        if part is not None:
            console.print(part)
    return conversation_id


def _part(event: ChatEvent) -> Any:
    if event.type == "backtest_result":
        return result_table(event.data)
    if event.type == "error":
        return Text(f"error: {event.data.get('message')}", style="red")
    if event.type == "done":
        return Text(_footer(event.data), style="dim")
    return None


def _footer(data: dict[str, Any]) -> str:
    usage = data.get("usage") or {}
    tokens = f"{'~' if usage.get('estimated') else ''}{usage.get('total_tokens', 0)} tokens"
    footer = f"{data['engine']} · {tokens}"
    if data.get("cancelled"):
        footer += " · stopped"
    if data.get("conversation_id"):
        footer += f" · conversation {data['conversation_id']}"
    return footer


def _interactive(
    console: Console, copilot: CopilotService, user_id: str, conversation: str | None
) -> None:
    console.print(_HELP, style="dim")
    while True:
        try:
            text = console.input("[bold cyan]you>[/] ").strip()
        except EOFError:
            return
        if text in {"/quit", "/exit"}:
            return
        if text.startswith("/"):
            conversation = _command(console, copilot, user_id, text, conversation)
        elif text:
            conversation = _answer(console, copilot, user_id, text, conversation)


def _command(
    console: Console, copilot: CopilotService, user_id: str, text: str, conversation: str | None
) -> str | None:
    """Run a slash command; return the conversation to continue."""
    command, _, argument = text.partition(" ")
    if command == "/new":
        return None
    if command == "/history":
        console.print(conversations_table(copilot.list_conversations(user_id, limit=_LIST_LIMIT)))
        return conversation
    if command == "/resume" and argument.strip():
        console.print(f"continuing conversation {argument.strip()}", style="dim")
        return argument.strip()
    console.print(_HELP, style="dim")
    return conversation


def _answer(
    console: Console, copilot: CopilotService, user_id: str, text: str, conversation: str | None
) -> str | None:
    cancel = threading.Event()
    events = copilot.chat(user_id, text, conversation_id=conversation, cancel=cancel)
    try:
        return _render_reply(console, stoppable(events, cancel)) or conversation
    except NotFound as e:
        console.print(f"error: {e} Not sent; your next message starts a new one.", style="red")
        return None


def stoppable(events: Iterator[ChatEvent], cancel: threading.Event) -> Iterator[ChatEvent]:
    """Yield `events`, produced in a worker thread; Ctrl-C sets `cancel` and the reply ends
    cleanly (the copilot stops the model, saves what it has and sends ``done``)."""
    pipe: queue.Queue[ChatEvent | Exception | None] = queue.Queue()

    def produce() -> None:
        try:
            for event in events:
                pipe.put(event)
        except Exception as e:  # handed to the reading thread, which raises it
            pipe.put(e)
        pipe.put(None)

    threading.Thread(target=produce, name="chat-reply", daemon=True).start()
    while True:
        try:
            event = pipe.get()
        except KeyboardInterrupt:
            cancel.set()
            continue
        if event is None:
            return
        if isinstance(event, Exception):
            raise event
        yield event
