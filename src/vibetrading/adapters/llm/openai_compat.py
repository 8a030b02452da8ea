"""An LLMClient over any OpenAI-compatible ``/v1/chat/completions`` endpoint.

The official ``openai`` client does the HTTP; its own retries are off (``max_retries=0``)
so that this adapter alone decides: rate limits (429), server errors (5xx), timeouts and
connection failures are retried with exponential backoff (or after the server's
``Retry-After``, when it asks for at most `max_retry_after_s`), but only before the first
chunk of a reply reaches the caller (a retry after that would repeat text). A cancel
ends a stream, a non-streamed request and a backoff wait at once. Every failure of a
request (``openai`` and ``httpx`` errors, a malformed reply) leaves this module as
ProviderError or TemporaryProviderError, with the API key scrubbed from its message.
When the provider reports no token usage (a cancelled stream ends before the usage
chunk), the usage is estimated from the text's length and flagged ``is_estimated``::

    client = OpenAICompatLLMClient(provider="ollama", model="qwen2.5:7b",
                                   base_url="http://127.0.0.1:11434/v1")
    for chunk in client.stream_chat([{"role": "user", "content": "hi"}]):
        print(chunk.text, end="")
"""

from __future__ import annotations

import json
import math
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import httpx
import openai

from vibetrading.errors import ProviderError, TemporaryProviderError
from vibetrading.services.ports import LLMChunk, LLMMessage, LLMToolCall, LLMUsage

__all__ = ["OpenAICompatLLMClient", "estimate_tokens"]

_CANCEL_POLL_S = 0.05
_MESSAGE_OVERHEAD_TOKENS = 4


@dataclass
class _ToolCallParts:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class OpenAICompatLLMClient:
    """Chat with one model of one provider; streamed or not, with tools or a JSON schema."""

    def __init__(
        self,
        *,
        provider: str,
        model: str,
        base_url: str,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        backoff_s: float = 1.0,
        price_per_1k: tuple[float, float] | None = None,
        max_retry_after_s: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.provider = provider
        self.model = model
        self.base_url = base_url
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_retry_after_s = max_retry_after_s
        self.price_per_1k = price_per_1k
        self._sleep = sleep
        self._secret = api_key or ""
        # Local servers take no key, but the client refuses to start without one.
        self._client = openai.OpenAI(
            api_key=api_key or "no-key",
            base_url=base_url,
            timeout=timeout_s,
            max_retries=0,
        )

    def __repr__(self) -> str:
        return f"OpenAICompatLLMClient(provider={self.provider!r}, model={self.model!r})"

    def stream_chat(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        response_format: dict[str, Any] | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[LLMChunk]:
        """Yield the reply as the provider sends it; the last chunk holds tool calls and usage.

        When `cancel` is set the HTTP stream is closed and a last chunk with finish reason
        ``cancelled`` (and estimated usage) is yielded. Raises TemporaryProviderError once
        retries are spent, ProviderError for errors a retry cannot fix.
        """
        options = self._options(messages, tools, response_format)
        attempt = 0
        while True:
            emitted = False
            try:
                for chunk in self._stream_once(options, cancel):
                    emitted = emitted or bool(chunk.text)
                    yield chunk
                return
            except TemporaryProviderError as e:
                if emitted or attempt >= self.max_retries or _is_set(cancel):
                    raise
                delay = self._retry_delay(attempt, e)
            if self._wait(delay, cancel):
                yield LLMChunk(finish_reason="cancelled")
                return
            attempt += 1

    def complete(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        response_format: dict[str, Any] | None = None,
        cancel: threading.Event | None = None,
    ) -> LLMChunk:
        """Return the whole reply at once (text, tool calls, usage), retrying like a stream.

        A cancel returns at once an empty chunk with finish reason ``cancelled``; the
        abandoned request finishes (or times out) in the background.
        """
        options = self._options(messages, tools, response_format)
        attempt = 0
        while True:
            try:
                return self._complete_cancellable(options, cancel)
            except TemporaryProviderError as e:
                if attempt >= self.max_retries or _is_set(cancel):
                    raise
                delay = self._retry_delay(attempt, e)
            if self._wait(delay, cancel):
                return LLMChunk(finish_reason="cancelled")
            attempt += 1

    # -- retries -------------------------------------------------------------------------

    def _retry_delay(self, attempt: int, error: TemporaryProviderError) -> float:
        """Return the wait before the next attempt; re-raise if the server asks for longer
        than `max_retry_after_s` (waiting that long would only stall the user)."""
        delay: float = self.backoff_s * 2.0**attempt
        asked = _retry_after_s(error.__cause__)
        if asked is None:
            return delay
        if asked > self.max_retry_after_s:
            raise error
        return max(delay, asked)

    def _wait(self, delay_s: float, cancel: threading.Event | None) -> bool:
        """Wait `delay_s`; return True when `cancel` was set meanwhile."""
        if cancel is None:
            self._sleep(delay_s)
            return False
        return cancel.wait(delay_s)

    # -- one request ---------------------------------------------------------------------

    def _options(
        self,
        messages: Sequence[LLMMessage],
        tools: Sequence[dict[str, Any]] | None,
        response_format: dict[str, Any] | None,
    ) -> dict[str, Any]:
        options: dict[str, Any] = {"model": self.model, "messages": list(messages)}
        if tools:
            options["tools"] = list(tools)
        if response_format is not None:
            options["response_format"] = response_format
        return options

    def _stream_once(
        self, options: dict[str, Any], cancel: threading.Event | None
    ) -> Iterator[LLMChunk]:
        parts: dict[int, _ToolCallParts] = {}
        usage: LLMUsage | None = None
        finish: str | None = None
        text: list[str] = []
        with self._translated():
            stream = self._client.chat.completions.create(
                **options, stream=True, stream_options={"include_usage": True}
            )
        done = _watch_cancel(stream, cancel)
        try:
            with self._translated():
                for event in stream:
                    if event.usage is not None:
                        usage = self._usage(event.usage)
                    for choice in event.choices:
                        finish = choice.finish_reason or finish
                        _collect_tool_calls(parts, choice.delta.tool_calls)
                        if choice.delta.content and not _is_set(cancel):
                            text.append(choice.delta.content)
                            yield LLMChunk(text=choice.delta.content)
                    if _is_set(cancel):
                        break
        except Exception:
            if not _is_set(cancel):
                raise
        finally:
            done.set()
            stream.close()
        calls = _tool_calls(parts)
        if usage is None:
            reply = "".join(text) + "".join(call.name + call.arguments for call in calls)
            usage = self._estimate(options, reply)
        finish = "cancelled" if _is_set(cancel) else finish
        yield LLMChunk(tool_calls=calls, usage=usage, finish_reason=finish)

    def _complete_cancellable(
        self, options: dict[str, Any], cancel: threading.Event | None
    ) -> LLMChunk:
        if cancel is None:
            return self._complete_once(options)
        # The request blocks until the whole reply is ready, so it runs in a worker and
        # this thread watches `cancel` meanwhile.
        box: queue.Queue[LLMChunk | Exception] = queue.Queue(maxsize=1)

        def request() -> None:
            try:
                box.put(self._complete_once(options))
            except Exception as e:  # handed to the waiting thread, which raises it
                box.put(e)

        threading.Thread(target=request, name="llm-complete", daemon=True).start()
        while True:
            try:
                answer = box.get(timeout=_CANCEL_POLL_S)
            except queue.Empty:
                if cancel.is_set():
                    return LLMChunk(usage=self._estimate(options, ""), finish_reason="cancelled")
                continue
            if isinstance(answer, Exception):
                raise answer
            return answer

    def _complete_once(self, options: dict[str, Any]) -> LLMChunk:
        with self._translated():
            response = self._client.chat.completions.create(**options)
        usage = self._usage(response.usage) if response.usage is not None else None
        if not response.choices:
            return LLMChunk(usage=usage)
        choice = response.choices[0]
        calls = tuple(
            LLMToolCall(id=call.id, name=call.function.name, arguments=call.function.arguments)
            for call in choice.message.tool_calls or ()
            if call.type == "function"
        )
        return LLMChunk(
            text=choice.message.content or "",
            tool_calls=calls,
            usage=usage,
            finish_reason=choice.finish_reason,
        )

    def _usage(self, raw: Any) -> LLMUsage:
        return self._priced(int(raw.prompt_tokens or 0), int(raw.completion_tokens or 0))

    def _estimate(self, options: dict[str, Any], reply: str) -> LLMUsage:
        prompt = sum(
            _MESSAGE_OVERHEAD_TOKENS + estimate_tokens(json.dumps(m, ensure_ascii=False))
            for m in options["messages"]
        )
        for key in ("tools", "response_format"):
            if key in options:
                prompt += estimate_tokens(json.dumps(options[key], ensure_ascii=False))
        return self._priced(prompt, estimate_tokens(reply), is_estimated=True)

    def _priced(self, prompt: int, completion: int, *, is_estimated: bool = False) -> LLMUsage:
        cost = None
        if self.price_per_1k is not None:
            cost = (prompt * self.price_per_1k[0] + completion * self.price_per_1k[1]) / 1000
        return LLMUsage(prompt, completion, cost, is_estimated)

    def _translated(self) -> _Translate:
        return _Translate(f"{self.provider}/{self.model}", self._secret)


class _Translate:
    """Turn openai exceptions raised inside the block into our provider errors."""

    def __init__(self, provider: str, secret: str) -> None:
        self.provider = provider
        self.secret = secret

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _tb: Any
    ) -> Literal[False]:
        if error is None or not isinstance(error, _REQUEST_ERRORS):
            return False
        message = _scrub(_describe(error), self.secret)
        if isinstance(error, openai.APIStatusError) and not _is_temporary_status(error.status_code):
            raise ProviderError(self.provider, message) from error
        if isinstance(error, _TEMPORARY_ERRORS):
            raise TemporaryProviderError(self.provider, message) from error
        raise ProviderError(self.provider, message) from error


_TEMPORARY_ERRORS = (
    openai.APIStatusError,
    openai.APIConnectionError,
    httpx.TimeoutException,
    httpx.TransportError,
    OSError,
)
# A reply that is not the JSON the protocol promises surfaces as one of the latter.
_REQUEST_ERRORS = (
    openai.OpenAIError,
    httpx.HTTPError,
    OSError,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
)


def _is_temporary_status(status: int) -> bool:
    return status in (408, 409, 429) or status >= 500


def _describe(error: BaseException) -> str:
    if isinstance(error, openai.APITimeoutError | httpx.TimeoutException | TimeoutError):
        return "the request timed out"
    if isinstance(error, openai.APIConnectionError | httpx.TransportError | OSError):
        return f"could not connect ({error})"
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code}: {error.message}"
    if isinstance(error, openai.OpenAIError):
        return str(error)
    return f"sent a malformed reply ({type(error).__name__}: {error})"


def _retry_after_s(cause: BaseException | None) -> float | None:
    """Return the wait the server asked for (``retry-after-ms`` or ``Retry-After``)."""
    if not isinstance(cause, openai.APIStatusError):
        return None
    headers = cause.response.headers
    try:
        if headers.get("retry-after-ms"):
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        value = headers.get("retry-after")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            when = parsedate_to_datetime(value)
            return max(0.0, (when - datetime.now(UTC)).total_seconds())
    except (ValueError, TypeError):
        return None


def estimate_tokens(text: str) -> int:
    """Return a rough token count: one per CJK character, one per four other characters."""
    wide = sum(1 for char in text if "\u3000" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef")
    return wide + math.ceil((len(text) - wide) / 4)


def _scrub(text: str, secret: str) -> str:
    return text.replace(secret, "[redacted]") if len(secret) >= 4 else text


def _watch_cancel(stream: Any, cancel: threading.Event | None) -> threading.Event:
    """Close `stream` as soon as `cancel` is set, even while the model is silent (reasoning
    models pause for long before their first token); set the returned event to stop."""
    done = threading.Event()
    if cancel is not None:
        threading.Thread(
            target=_close_on_cancel, args=(stream, cancel, done), name="llm-cancel", daemon=True
        ).start()
    return done


def _close_on_cancel(stream: Any, cancel: threading.Event, done: threading.Event) -> None:
    while not done.is_set():
        if cancel.wait(timeout=0.05):
            stream.close()
            return


def _is_set(cancel: threading.Event | None) -> bool:
    return cancel is not None and cancel.is_set()


def _collect_tool_calls(parts: dict[int, _ToolCallParts], deltas: Any) -> None:
    for delta in deltas or ():
        part = parts.setdefault(delta.index, _ToolCallParts())
        part.id = delta.id or part.id
        if delta.function is not None:
            part.name = delta.function.name or part.name
            if delta.function.arguments:
                part.arguments.append(delta.function.arguments)


def _tool_calls(parts: dict[int, _ToolCallParts]) -> tuple[LLMToolCall, ...]:
    return tuple(
        LLMToolCall(
            id=part.id or f"call_{index}", name=part.name, arguments="".join(part.arguments)
        )
        for index, part in sorted(parts.items())
    )
