import threading

import pytest

from vibetrading.adapters.llm.openai_compat import OpenAICompatLLMClient
from vibetrading.errors import ProviderError, TemporaryProviderError
from vibetrading.services.ports import LLMUsage
from vibetrading.testing.llm_server import ScriptedReply

pytestmark = pytest.mark.integration

MESSAGES = [{"role": "user", "content": "hello"}]


def test_stream_chat_text_arrives_in_order_then_usage(server, client):
    server.script(ScriptedReply(text="one two three four", pieces=4, usage=(10, 5)))

    chunks = list(client.stream_chat(MESSAGES))

    assert "".join(c.text for c in chunks) == "one two three four"
    assert len([c for c in chunks if c.text]) == 4
    assert chunks[-1].finish_reason == "stop"
    assert chunks[-1].usage.total_tokens == 15
    assert chunks[-1].usage.cost_usd == pytest.approx((10 * 0.001 + 5 * 0.002) / 1000)
    assert server.requests[0]["stream"] is True


def test_stream_chat_tool_call_deltas_are_joined(server, client):
    server.script(ScriptedReply(text="Sure.", tool_calls=[("propose_strategy", '{"a": 1}')]))

    chunks = list(client.stream_chat(MESSAGES, tools=[{"type": "function"}]))

    call = chunks[-1].tool_calls[0]
    assert (call.name, call.arguments, call.id) == ("propose_strategy", '{"a": 1}', "call_0")
    assert server.requests[0]["tools"] == [{"type": "function"}]


def test_complete_returns_text_tool_calls_and_usage(server, client):
    server.script(ScriptedReply(text="hi", tool_calls=[("f", "{}")], usage=(3, 4)))

    reply = client.complete(MESSAGES, response_format={"type": "json_object"})

    assert reply.text == "hi"
    assert reply.tool_calls[0].name == "f"
    assert reply.usage.total_tokens == 7
    assert server.requests[0]["response_format"] == {"type": "json_object"}


def test_stream_chat_429_then_success_retries(server, client):
    server.script(ScriptedReply(status=429, text="slow down"), ScriptedReply(text="ok"))

    chunks = list(client.stream_chat(MESSAGES))

    assert "".join(c.text for c in chunks) == "ok"
    assert len(server.requests) == 2


def test_complete_500_until_retries_spent_raises_temporary(server, client):
    server.script(*[ScriptedReply(status=500) for _ in range(3)])

    with pytest.raises(TemporaryProviderError):
        client.complete(MESSAGES)

    assert len(server.requests) == 3


def test_stream_chat_401_is_not_retried_and_hides_key(server, client):
    server.script(ScriptedReply(status=401, text=f"bad key {client._secret}"))

    with pytest.raises(ProviderError) as caught:
        list(client.stream_chat(MESSAGES))

    assert not isinstance(caught.value, TemporaryProviderError)
    assert client._secret not in str(caught.value)
    assert len(server.requests) == 1


def test_stream_chat_slow_server_times_out(server):
    slow = OpenAICompatLLMClient(
        provider="standin",
        model="m",
        base_url=server.base_url,
        timeout_s=0.2,
        max_retries=0,
    )
    server.script(ScriptedReply(text="late", delay_s=1.0))

    with pytest.raises(TemporaryProviderError, match="timed out"):
        list(slow.stream_chat(MESSAGES))


def test_stream_chat_cancel_mid_stream_stops(server, client):
    server.script(ScriptedReply(text="a" * 50, pieces=50, chunk_delay_s=0.02))
    cancel = threading.Event()
    seen = []

    for chunk in client.stream_chat(MESSAGES, cancel=cancel):
        seen.append(chunk)
        if len(seen) == 3:
            cancel.set()

    assert seen[-1].finish_reason == "cancelled"
    assert len("".join(c.text for c in seen)) < 50


def test_stream_chat_cancel_while_the_model_is_silent_ends_the_stream(server, client):
    gate = threading.Event()
    server.script(ScriptedReply(text="first second", pieces=2, gate=gate))
    cancel = threading.Event()
    stream = client.stream_chat(MESSAGES, cancel=cancel)
    first = next(stream)

    cancel.set()  # the server is now holding the rest back until the gate opens
    rest = list(stream)
    gate.set()

    assert first.text == "first "
    assert [c.finish_reason for c in rest] == ["cancelled"]


def make_client(server, **options):
    defaults = {"timeout_s": 2.0, "max_retries": 2, "backoff_s": 0.01}
    return OpenAICompatLLMClient(
        provider="standin", model="m", base_url=server.base_url, **{**defaults, **options}
    )


def test_stream_chat_malformed_chunk_raises_provider_error(server, client):
    server.script(ScriptedReply(text="first second", pieces=2, malformed="{not json"))

    stream = client.stream_chat(MESSAGES)
    first = next(stream)

    with pytest.raises(ProviderError, match="malformed") as caught:
        next(stream)

    assert not isinstance(caught.value, TemporaryProviderError)
    assert first.text == "first "
    assert len(server.requests) == 1


def test_complete_cancel_while_the_request_runs_returns_cancelled(server, client):
    gate = threading.Event()
    server.script(ScriptedReply(text="late answer", gate=gate))
    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()

    reply = client.complete(MESSAGES, cancel=cancel)
    answered = gate.is_set()
    gate.set()

    assert answered is False
    assert (reply.text, reply.finish_reason) == ("", "cancelled")
    assert reply.usage.is_estimated
    assert reply.usage.prompt_tokens > 0


def test_stream_chat_cancel_during_backoff_stops_without_retrying(server):
    client = make_client(server, backoff_s=30.0)
    server.script(ScriptedReply(status=503), ScriptedReply(text="too late"))
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()

    chunks = list(client.stream_chat(MESSAGES, cancel=cancel))

    assert [c.finish_reason for c in chunks] == ["cancelled"]
    assert len(server.requests) == 1


def test_complete_cancel_during_backoff_stops_without_retrying(server):
    client = make_client(server, backoff_s=30.0)
    server.script(ScriptedReply(status=503), ScriptedReply(text="too late"))
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()

    reply = client.complete(MESSAGES, cancel=cancel)

    assert reply.finish_reason == "cancelled"
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("headers", "expected_s"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({}, 0.01),
        ({"Retry-After": "0"}, 0.01),
    ],
    ids=["seconds", "milliseconds", "none-backoff", "zero-backoff"],
)
def test_stream_chat_429_waits_as_the_server_asks(server, headers, expected_s):
    waits = []
    client = make_client(server, sleep=waits.append)
    server.script(ScriptedReply(status=429, headers=headers), ScriptedReply(text="ok"))

    chunks = list(client.stream_chat(MESSAGES))

    assert "".join(c.text for c in chunks) == "ok"
    assert waits == [pytest.approx(expected_s)]


def test_complete_429_asking_too_long_a_wait_is_not_retried(server):
    waits = []
    client = make_client(server, sleep=waits.append, max_retry_after_s=20.0)
    server.script(ScriptedReply(status=429, headers={"Retry-After": "120"}), ScriptedReply())

    with pytest.raises(TemporaryProviderError, match="HTTP 429"):
        client.complete(MESSAGES)

    assert (waits, len(server.requests)) == ([], 1)


def test_stream_chat_cancel_before_usage_estimates_the_tokens(server, client):
    server.script(ScriptedReply(text="a" * 400, pieces=100, chunk_delay_s=0.01))
    cancel = threading.Event()
    seen = []

    for chunk in client.stream_chat(MESSAGES, cancel=cancel):
        seen.append(chunk)
        if len(seen) == 20:
            cancel.set()

    usage = seen[-1].usage
    assert seen[-1].finish_reason == "cancelled"
    assert usage.is_estimated
    assert usage.completion_tokens == len("".join(c.text for c in seen)) // 4
    assert usage.prompt_tokens > 0
    assert usage.cost_usd == pytest.approx(
        (usage.prompt_tokens * 0.001 + usage.completion_tokens * 0.002) / 1000
    )


def test_stream_chat_server_without_usage_estimates_the_tokens(server, client):
    server.script(ScriptedReply(text="你好世界", include_usage=False))

    chunks = list(client.stream_chat(MESSAGES))

    usage = chunks[-1].usage
    assert (usage.completion_tokens, usage.is_estimated) == (4, True)
    assert usage.as_dict()["estimated"] is True


def test_stream_chat_reported_usage_is_not_estimated(server, client):
    server.script(ScriptedReply(text="ok", usage=(7, 1)))

    chunks = list(client.stream_chat(MESSAGES))

    assert chunks[-1].usage == LLMUsage(7, 1, (7 * 0.001 + 1 * 0.002) / 1000, False)
