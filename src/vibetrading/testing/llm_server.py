"""A stand-in OpenAI-compatible server for tests: ``/v1/chat/completions``, scripted.

It listens on 127.0.0.1 on a random port, answers each request with the next scripted
``ScriptedReply`` (text, tool calls, an HTTP error with headers such as ``Retry-After``, a
delay, or a malformed stream chunk), streamed as server-sent events (``data: {...}`` then
``data: [DONE]``) when the request asks for ``stream``, and records every request body so
tests can check what the prompts contained::

    with StandInLLMServer() as server:
        server.script(ScriptedReply(text="Hello"))
        client = OpenAICompatLLMClient(provider="test", model="m", base_url=server.base_url)
"""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["ScriptedReply", "StandInLLMServer"]


@dataclass
class ScriptedReply:
    """One answer: text (streamed in `pieces`), tool calls, or an HTTP error status."""

    text: str = ""
    tool_calls: list[tuple[str, str]] = field(default_factory=list)
    """(function name, JSON arguments) pairs."""
    status: int = 200
    delay_s: float = 0.0
    """Wait before answering (to provoke client timeouts)."""
    chunk_delay_s: float = 0.0
    """Wait between streamed chunks (to test cancellation)."""
    pieces: int = 3
    usage: tuple[int, int] = (100, 20)
    gate: threading.Event | None = None
    """When given, the server sends the first text chunk, then waits for this event
    (at most 10 s) before sending the rest: proof that the client does not buffer. A
    non-streamed answer waits for it before it is sent at all."""
    headers: dict[str, str] = field(default_factory=dict)
    """Extra response headers (``Retry-After`` on a 429, say)."""
    malformed: str | None = None
    """A raw ``data:`` payload (``{not json``) sent after the first text chunk."""
    include_usage: bool = True
    """False sends no usage chunk, as some servers do even when asked for one."""


class StandInLLMServer:
    """A threaded HTTP server speaking the chat-completions wire format."""

    def __init__(self) -> None:
        self.replies: queue.Queue[ScriptedReply] = queue.Queue()
        self.requests: list[dict[str, Any]] = []
        self.disconnects = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """Return the ``/v1`` base URL to give the client."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, *replies: ScriptedReply) -> None:
        """Queue answers for the next requests, in order."""
        for reply in replies:
            self.replies.put(reply)

    def prompts(self) -> str:
        """Return every message content received so far, joined (for secret checks)."""
        return "\n".join(
            str(message.get("content") or "")
            for request in self.requests
            for message in request.get("messages", [])
        )

    def __enter__(self) -> StandInLLMServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "stand-in",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _split(text: str, pieces: int) -> list[str]:
    if not text:
        return []
    size = max(1, -(-len(text) // max(1, pieces)))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _stream_events(reply: ScriptedReply, include_usage: bool) -> list[dict[str, Any]]:
    events = [_chunk({"role": "assistant", "content": ""})]
    events += [_chunk({"content": piece}) for piece in _split(reply.text, reply.pieces)]
    for index, (name, arguments) in enumerate(reply.tool_calls):
        half = len(arguments) // 2
        first = {"index": index, "id": f"call_{index}", "type": "function"}
        events.append(
            _chunk({"tool_calls": [{**first, "function": {"name": name, "arguments": ""}}]})
        )
        for part in (arguments[:half], arguments[half:]):
            events.append(
                _chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]})
            )
    events.append(_chunk({}, "tool_calls" if reply.tool_calls else "stop"))
    if include_usage:
        prompt, completion = reply.usage
        events.append(
            {
                **_chunk({}),
                "choices": [],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            }
        )
    return events


def _completion(reply: ScriptedReply) -> dict[str, Any]:
    prompt, completion = reply.usage
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
            for i, (name, arguments) in enumerate(reply.tool_calls)
        ]
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "stand-in",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def _handler_for(server: StandInLLMServer) -> type[BaseHTTPRequestHandler]:
    return type("Handler", (_Handler,), {"owner": server})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: StandInLLMServer

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.owner.requests.append(body)
        try:
            reply = self.owner.replies.get_nowait()
        except queue.Empty:
            reply = ScriptedReply(status=500, text="no scripted reply left")
        time.sleep(reply.delay_s)
        try:
            if reply.status != 200:
                error = {"error": {"message": reply.text or "error"}}
                self._json(reply.status, error, reply.headers)
            elif body.get("stream"):
                asked = bool((body.get("stream_options") or {}).get("include_usage"))
                self._stream(reply, asked and reply.include_usage)
            else:
                if reply.gate is not None:
                    reply.gate.wait(timeout=10)
                self._json(200, _completion(reply), reply.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.owner.disconnects += 1

    def _json(self, status: int, document: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, reply: ScriptedReply, include_usage: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for index, event in enumerate(_stream_events(reply, include_usage)):
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
            time.sleep(reply.chunk_delay_s)
            if index == 1 and reply.malformed is not None:
                self.wfile.write(f"data: {reply.malformed}\n\n".encode())
                self.wfile.flush()
            if index == 1 and reply.gate is not None:
                reply.gate.wait(timeout=10)
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True
