"""LLM clients: any OpenAI-compatible endpoint (by preset), and the offline fallback."""

from vibetrading.adapters.llm.offline import OfflineDrafter
from vibetrading.adapters.llm.openai_compat import OpenAICompatLLMClient
from vibetrading.adapters.llm.presets import PRESETS, Preset, get_preset

__all__ = ["PRESETS", "OfflineDrafter", "OpenAICompatLLMClient", "Preset", "get_preset"]
