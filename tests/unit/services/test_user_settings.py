import pytest

from vibetrading.errors import ConfigError
from vibetrading.services.user_settings import CostDefaults, mask_key
from vibetrading.testing.settings_fakes import memory_user_settings

KEY = "sk-proj-1234567890abcdWXYZ"


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        (None, ""),
        ("short", "••••"),
        (KEY, "sk-…WXYZ"),
        ("abcdefghijklmnopqrstuvwxyz", "…wxyz"),
    ],
    ids=["none", "short", "dashed", "plain"],
)
def test_mask_key_cases(key, shown):
    assert mask_key(key) == shown


def test_save_llm_key_is_encrypted_and_shown_masked():
    service = memory_user_settings()

    choice = service.save_llm("alice", provider="DeepSeek", api_key=KEY, model="deepseek-chat")

    stored = service.repository.rows["alice"]["llm"]["api_key"]
    assert KEY not in str(service.repository.rows)
    assert stored.startswith("enc:")
    assert choice.provider == "deepseek"
    assert choice.key_hint == "sk-…WXYZ"
    assert service.llm_credentials("alice").api_key == KEY


def test_save_llm_empty_key_keeps_the_stored_one_for_the_same_provider():
    service = memory_user_settings()
    service.save_llm("alice", provider="openai", api_key=KEY)

    service.save_llm("alice", provider="openai", api_key="", model="gpt-4o")
    kept = service.llm_credentials("alice")
    service.save_llm("alice", provider="deepseek", api_key=None)

    assert kept.api_key == KEY
    assert kept.model == "gpt-4o"
    assert service.llm_credentials("alice").api_key is None


def test_settings_are_per_user():
    service = memory_user_settings()

    service.save_llm("alice", provider="openai", api_key=KEY)
    service.save_costs("alice", fee_rate=0.001, slippage_bps=5)

    assert service.llm("bob") is None
    assert service.costs("bob") == CostDefaults()
    assert service.costs("alice").as_overrides() == {"fee_rate": 0.001, "slippage_bps": 5.0}


@pytest.mark.parametrize(
    ("fee_rate", "slippage_bps"),
    [(-0.1, None), (0.5, None), (None, 5000)],
    ids=["negative-fee", "huge-fee", "huge-slippage"],
)
def test_save_costs_out_of_range_raises_config_error(fee_rate, slippage_bps):
    with pytest.raises(ConfigError, match="between 0 and"):
        memory_user_settings().save_costs("a", fee_rate=fee_rate, slippage_bps=slippage_bps)


def test_save_llm_bad_base_url_and_clear():
    service = memory_user_settings()

    with pytest.raises(ConfigError, match="http"):
        service.save_llm("a", provider="ollama", base_url="localhost:11434")
    service.save_llm("a", provider="ollama", base_url="http://127.0.0.1:11434/v1")
    service.clear_llm("a")

    assert service.llm("a") is None
