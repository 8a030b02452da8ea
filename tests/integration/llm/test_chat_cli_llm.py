import json

import pytest
from typer.testing import CliRunner

from vibetrading.cli.main import app
from vibetrading.testing.llm_server import ScriptedReply

pytestmark = pytest.mark.integration

runner = CliRunner()


@pytest.mark.parametrize(
    ("provider", "model"), [("ollama", "qwen2.5:7b"), ("vllm", "Qwen/Qwen2.5-7B-Instruct")]
)
def test_chat_once_keyless_provider_answers_with_the_model(server, monkeypatch, provider, model):
    monkeypatch.setenv("VIBETRADING_LLM_BASE_URL", server.base_url)
    server.script(ScriptedReply(text="RSI measures momentum."))

    result = runner.invoke(
        app,
        ["chat", "--once", "what is RSI?", "--provider", provider, "--format", "json"],
        catch_exceptions=False,
    )

    document = json.loads(result.stdout)
    assert result.exit_code == 0
    assert document["engine"] == f"llm:{provider}/{model}"
    assert document["fallback_reason"] is None
    assert document["reply"] == "RSI measures momentum."
    assert document["usage"]["cost_usd"] == 0.0
    assert server.requests[0]["model"] == model
