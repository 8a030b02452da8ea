"""The stand-in OpenAI-compatible server and a copilot wired to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from vibetrading.adapters.llm.offline import OfflineDrafter
from vibetrading.adapters.llm.openai_compat import OpenAICompatLLMClient
from vibetrading.bootstrap import build_backtests
from vibetrading.services.copilot import CopilotService
from vibetrading.testing.llm_server import StandInLLMServer
from vibetrading.testing.memory_store import (
    MemoryConversationRepository,
    MemoryStrategyRepository,
)

SECRET = "sk-test-SECRET-0123456789abcdef"


@pytest.fixture
def server() -> Iterator[StandInLLMServer]:
    with StandInLLMServer() as running:
        yield running


@pytest.fixture
def client(server: StandInLLMServer) -> OpenAICompatLLMClient:
    return OpenAICompatLLMClient(
        provider="standin",
        model="test-model",
        base_url=server.base_url,
        api_key=SECRET,
        timeout_s=2.0,
        max_retries=2,
        backoff_s=0.01,
        price_per_1k=(0.001, 0.002),
    )


@pytest.fixture
def copilot(client: OpenAICompatLLMClient) -> CopilotService:
    return CopilotService(
        llm=client,
        backtests=build_backtests(),
        conversations=MemoryConversationRepository(),
        strategies=MemoryStrategyRepository(),
        drafter=OfflineDrafter(),
        secrets=[SECRET],
    )


@pytest.fixture
def secret() -> str:
    return SECRET
