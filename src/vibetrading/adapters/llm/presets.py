"""Presets for OpenAI-compatible chat endpoints: base URL, default model, key variable, prices.

A preset only fills in defaults; the base URL, model and key can each be overridden from
the settings. Prices are list prices in US dollars per 1,000 tokens (input, output) at the
time of writing (Chinese providers' yuan prices at 7.2 CNY per USD); local servers (Ollama,
vLLM) cost nothing. ``VIBETRADING_LLM_PRICE_PER_1K_TOKENS`` replaces them::

    >>> get_preset("deepseek").base_url
    'https://api.deepseek.com/v1'
"""

from __future__ import annotations

from dataclasses import dataclass

from vibetrading.errors import ConfigError

__all__ = ["PRESETS", "Preset", "get_preset"]


@dataclass(frozen=True)
class Preset:
    """One provider's defaults."""

    name: str
    base_url: str
    model: str
    key_env: str | None
    """Environment variable holding the API key; None when the server needs no key."""
    price_per_1k: tuple[float, float] | None = None
    """US dollars per 1,000 prompt and completion tokens, or None when unknown."""

    @property
    def needs_key(self) -> bool:
        """Return True when requests must carry an API key."""
        return self.key_env is not None


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "openai",
            "https://api.openai.com/v1",
            "gpt-4o-mini",
            "OPENAI_API_KEY",
            (0.00015, 0.0006),
        ),
        Preset(
            "deepseek",
            "https://api.deepseek.com/v1",
            "deepseek-chat",
            "DEEPSEEK_API_KEY",
            (0.00027, 0.0011),
        ),
        Preset(
            "qwen",
            "https://dashscope.aliyuncs.com/compatible-mode/v1",
            "qwen-plus",
            "DASHSCOPE_API_KEY",
            (0.00011, 0.00028),
        ),
        Preset(
            "siliconflow",
            "https://api.siliconflow.cn/v1",
            "deepseek-ai/DeepSeek-V3",
            "SILICONFLOW_API_KEY",
            (0.00028, 0.0011),
        ),
        Preset(
            "moonshot",
            "https://api.moonshot.cn/v1",
            "moonshot-v1-8k",
            "MOONSHOT_API_KEY",
            (0.00167, 0.00167),
        ),
        Preset("ollama", "http://127.0.0.1:11434/v1", "qwen2.5:7b", None, (0.0, 0.0)),
        Preset("vllm", "http://127.0.0.1:8000/v1", "Qwen/Qwen2.5-7B-Instruct", None, (0.0, 0.0)),
    )
}
"""Every known preset by name; ``kimi`` and ``dashscope`` are accepted as aliases."""

_ALIASES = {"kimi": "moonshot", "dashscope": "qwen"}


def get_preset(name: str) -> Preset:
    """Return the preset called `name` (case-insensitive); raise ConfigError listing them."""
    key = _ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in PRESETS:
        raise ConfigError(f"Unknown LLM provider {name!r}: use one of {', '.join(PRESETS)}.")
    return PRESETS[key]
