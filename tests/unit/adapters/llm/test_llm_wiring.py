import pytest
from pydantic import SecretStr

from vibetrading.adapters.llm.presets import PRESETS, get_preset
from vibetrading.bootstrap import build_copilot, build_llm_clients, llm_secrets
from vibetrading.errors import ConfigError, NotFound
from vibetrading.services.records import ListQuery
from vibetrading.settings import Settings, _with_llm_environment
from vibetrading.testing.memory_store import (
    MemoryConversationRepository,
    MemoryStrategyRepository,
)


def test_get_preset_alias_and_unknown():
    assert get_preset("Kimi").name == "moonshot"
    assert not get_preset("ollama").needs_key
    with pytest.raises(ConfigError, match="deepseek"):
        get_preset("nope")


def test_presets_cover_the_issue_providers():
    assert {"openai", "deepseek", "qwen", "siliconflow", "moonshot", "ollama", "vllm"} <= set(
        PRESETS
    )


def test_llm_environment_reads_preset_keys_and_base_url():
    environ = {"DEEPSEEK_API_KEY": "dk-1", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}

    settings = _with_llm_environment(Settings(), environ)

    assert settings.llm_keys["deepseek"].get_secret_value() == "dk-1"
    assert (settings.llm_provider, settings.llm_base_url) == ("openai", "http://127.0.0.1:9/v1")


def test_build_llm_clients_one_per_keyed_preset_plus_the_chosen_one():
    settings = Settings(
        llm_provider="ollama",
        llm_model="llama3",
        llm_keys={"deepseek": SecretStr("dk-1"), "qwen": SecretStr("qk-2")},
    )

    clients = build_llm_clients(settings)

    assert set(clients) == {"deepseek", "qwen", "ollama"}
    assert clients["ollama"].model == "llama3"
    assert clients["deepseek"].model == "deepseek-chat"
    assert sorted(llm_secrets(settings)) == ["dk-1", "qk-2"]


def test_build_llm_clients_none_configured_is_empty():
    assert build_llm_clients(Settings()) == {}


def test_build_copilot_offline_and_named_provider():
    offline = build_copilot(Settings())
    keyed = build_copilot(Settings(llm_keys={"moonshot": SecretStr("mk")}), provider="kimi")

    assert offline.llm is None
    assert keyed.llm is not None
    assert keyed.llm.provider == "moonshot"
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        build_copilot(Settings(), provider="openai")


def test_memory_strategies_versions_restore_and_delete():
    repo = MemoryStrategyRepository()
    strategy = repo.create("u", name="s", kind="code", code="a")
    repo.add_version("u", strategy.id, code="b")

    restored = repo.restore_version("u", strategy.id, 1)
    repo.update("u", strategy.id, name="t")

    assert (restored.version, restored.code) == (3, "a")
    assert repo.list_versions("u", strategy.id, ListQuery()).total == 3
    assert repo.list("u", ListQuery()).items[0].name == "t"
    repo.soft_delete("u", strategy.id)
    with pytest.raises(NotFound):
        repo.get("u", strategy.id)
    with pytest.raises(ConfigError):
        repo.create("u", name="x", kind="spec")
    with pytest.raises(NotFound):
        repo.get_version("u", "missing")


def test_memory_conversations_rename_list_delete():
    repo = MemoryConversationRepository()
    conversation = repo.create("u", title="a")

    repo.rename("u", conversation.id, "b")

    assert repo.list("u", ListQuery(filters={"title": "b"})).total == 1
    repo.delete("u", conversation.id)
    with pytest.raises(NotFound):
        repo.get("u", conversation.id)


@pytest.mark.parametrize(
    ("provider", "base_url"),
    [("ollama", "http://127.0.0.1:11434/v1"), ("vllm", "http://127.0.0.1:8000/v1")],
    ids=["ollama", "vllm"],
)
def test_build_copilot_keyless_provider_argument_builds_a_client(provider, base_url):
    copilot = build_copilot(Settings(), provider=provider)

    assert copilot.llm is not None
    assert (copilot.llm.provider, copilot.llm.base_url) == (provider, base_url)
    assert copilot.llm.price_per_1k == (0.0, 0.0)


@pytest.mark.parametrize(
    ("provider", "variable"),
    [
        ("openai", "OPENAI_API_KEY"),
        ("deepseek", "DEEPSEEK_API_KEY"),
        ("qwen", "DASHSCOPE_API_KEY"),
        ("kimi", "MOONSHOT_API_KEY"),
    ],
    ids=["openai", "deepseek", "qwen", "kimi-alias"],
)
def test_build_copilot_keyed_provider_without_key_names_the_variable(provider, variable):
    with pytest.raises(ConfigError, match=f"set {variable}") as caught:
        build_copilot(Settings(), provider=provider)

    assert "None" not in str(caught.value)


def test_build_copilot_provider_argument_overrides_the_configured_one():
    settings = Settings(llm_provider="deepseek", llm_model="deepseek-reasoner")

    copilot = build_copilot(settings, provider="ollama")

    assert (copilot.llm.provider, copilot.llm.model) == ("ollama", "qwen2.5:7b")


def test_build_copilot_provider_argument_takes_the_model_when_none_is_configured():
    copilot = build_copilot(Settings(llm_model="llama3"), provider="ollama")

    assert copilot.llm.model == "llama3"


def test_build_copilot_keyed_preset_with_custom_base_url_needs_no_key():
    settings = Settings(llm_provider="openai", llm_base_url="http://127.0.0.1:9/v1")

    copilot = build_copilot(settings)

    assert copilot.llm.base_url == "http://127.0.0.1:9/v1"
    assert copilot.llm.price_per_1k is None


@pytest.mark.parametrize("name", ["qwen", "siliconflow", "moonshot"])
def test_build_llm_clients_chinese_presets_have_a_price(name):
    clients = build_llm_clients(Settings(llm_keys={name: SecretStr("k-123456")}))

    assert clients[name].price_per_1k is not None


def test_build_llm_clients_overridden_model_drops_the_preset_price():
    settings = Settings(llm_provider="deepseek", llm_model="deepseek-reasoner")

    clients = build_llm_clients(settings.model_copy(update={"llm_api_key": SecretStr("dk-1")}))

    assert clients["deepseek"].price_per_1k is None


def test_build_llm_clients_price_setting_replaces_the_preset_price():
    settings = Settings(
        llm_provider="deepseek",
        llm_model="deepseek-reasoner",
        llm_api_key=SecretStr("dk-1"),
        llm_price_per_1k_tokens=(0.00055, 0.0022),
    )

    clients = build_llm_clients(settings)

    assert clients["deepseek"].price_per_1k == (0.00055, 0.0022)


@pytest.mark.parametrize("mode", ["tools", "response_format"])
def test_build_copilot_structured_output_setting_is_passed_on(mode):
    copilot = build_copilot(Settings(llm_structured_output=mode))

    assert copilot.structured_output == mode
