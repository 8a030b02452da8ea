"""An LLMClient over any OpenAI-compatible ``/v1/chat/completions`` endpoint.

The official ``openai`` client does the HTTP; its own retries are off (``max_retries=0``)
so that this adapter alone decides: rate limits (429), server errors (5xx), timeouts and
connection failures are retried with exponential backoff, but only before the first
chunk of a reply reaches the caller (a retry after that would repeat text). Every
``openai`` exception leaves this module as ProviderError or TemporaryProviderError, with
the API key scrubbed from its message::

    client = OpenAICompatLLMClient(provider="ollama", model="qwen2.5:7b",
                                   base_url="http://127.0.0.1:11434/v1")
    for chunk in client.stream_chat([{"role": "user", "content": "hi"}]):
        print(chunk.text, end="")
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import openai

from vibetrading.errors import ProviderError, TemporaryProviderError
from vibetrading.services.ports import LLMChunk, LLMMessage, LLMToolCall, LLMUsage

__all__ = ["OpenAICompatLLMClient"]


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
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.provider = provider
        self.model = model
        self.base_url = base_url
        self.max_retries = max_retries
        self.backoff_s = backoff_s
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
        ``cancelled`` is yielded. Raises TemporaryProviderError once retries are spent.
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
            except TemporaryProviderError:
                if emitted or attempt >= self.max_retries or _is_set(cancel):
                    raise
            self._sleep(self.backoff_s * 2**attempt)
            attempt += 1

    def complete(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        response_format: dict[str, Any] | None = None,
        cancel: threading.Event | None = None,
    ) -> LLMChunk:
        """Return the whole reply at once (text, tool calls, usage), retrying like a stream."""
        options = self._options(messages, tools, response_format)
        attempt = 0
        while True:
            try:
                return self._complete_once(options)
            except TemporaryProviderError:
                if attempt >= self.max_retries or _is_set(cancel):
                    raise
            self._sleep(self.backoff_s * 2**attempt)
            attempt += 1

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
        with self._translated():
            stream = self._client.chat.completions.create(
                **options, stream=True, stream_options={"include_usage": True}
            )
        done = threading.Event()
        if cancel is not None:
            # Close the HTTP stream as soon as the user stops, even while the model is
            # silent (reasoning models pause for long before their first token).
            threading.Thread(
                target=_close_on_cancel, args=(stream, cancel, done), daemon=True
            ).start()
        try:
            with self._translated():
                for event in stream:
                    if event.usage is not None:
                        usage = self._usage(event.usage)
                    for choice in event.choices:
                        finish = choice.finish_reason or finish
                        _collect_tool_calls(parts, choice.delta.tool_calls)
                        if choice.delta.content and not _is_set(cancel):
                            yield LLMChunk(text=choice.delta.content)
                    if _is_set(cancel):
                        break
        except Exception:
            if not _is_set(cancel):
                raise
        finally:
            done.set()
            stream.close()
        if _is_set(cancel):
            finish = "cancelled"
        yield LLMChunk(tool_calls=_tool_calls(parts), usage=usage, finish_reason=finish)

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
        prompt = int(raw.prompt_tokens or 0)
        completion = int(raw.completion_tokens or 0)
        cost = None
        if self.price_per_1k is not None:
            cost = (prompt * self.price_per_1k[0] + completion * self.price_per_1k[1]) / 1000
        return LLMUsage(prompt_tokens=prompt, completion_tokens=completion, cost_usd=cost)

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
        if error is None or not isinstance(error, openai.OpenAIError):
            return False
        message = _scrub(_describe(error), self.secret)
        if isinstance(error, openai.APIStatusError) and not _is_temporary_status(error.status_code):
            raise ProviderError(self.provider, message) from error
        if isinstance(error, openai.APIStatusError | openai.APIConnectionError):
            raise TemporaryProviderError(self.provider, message) from error
        raise ProviderError(self.provider, message) from error


def _is_temporary_status(status: int) -> bool:
    return status in (408, 409, 429) or status >= 500


def _describe(error: openai.OpenAIError) -> str:
    if isinstance(error, openai.APITimeoutError):
        return "the request timed out"
    if isinstance(error, openai.APIConnectionError):
        return f"could not connect ({error})"
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code}: {error.message}"
    return str(error)


def _scrub(text: str, secret: str) -> str:
    return text.replace(secret, "[redacted]") if len(secret) >= 4 else text


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
