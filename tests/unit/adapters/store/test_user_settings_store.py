import stat

import pytest
from sqlalchemy import text

from vibetrading import bootstrap
from vibetrading.adapters.store.db import SqlStore, upgrade
from vibetrading.adapters.store.secret_cipher import FernetCipher
from vibetrading.errors import ConfigError
from vibetrading.settings import get_settings

KEY = "sk-live-0123456789abcdefXYZW"


@pytest.fixture
def store():
    store = SqlStore("sqlite://")
    upgrade(store.database)
    yield store
    store.close()


def test_user_settings_key_file_is_private_and_keys_are_encrypted_at_rest(store, isolated_home):
    user = store.users.create(email="a@example.com", password_hash="x")
    service = bootstrap.build_user_settings(get_settings(), store)

    service.save_llm(user.id, provider="openai", api_key=KEY)
    with store.database.session() as session:
        raw = session.execute(text("SELECT data FROM user_settings")).scalar_one()
    again = bootstrap.build_user_settings(get_settings(), store)

    key_file = isolated_home / "settings_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert KEY not in str(raw)
    assert again.llm_credentials(user.id).api_key == KEY
    assert again.llm(user.id).key_hint == "sk-…XYZW"


def test_fernet_cipher_with_another_key_says_enter_the_key_again(tmp_path):
    token = FernetCipher.from_key_file(tmp_path / "one").encrypt("secret")

    with pytest.raises(ConfigError, match="Enter the API key again"):
        FernetCipher.from_key_file(tmp_path / "two").decrypt(token)


def test_build_llm_client_uses_the_users_key_model_and_refuses_a_missing_key():
    client = bootstrap.build_llm_client(provider="deepseek", api_key=KEY, model="deepseek-r1")

    assert (client.provider, client.model) == ("deepseek", "deepseek-r1")
    with pytest.raises(ConfigError, match="needs an API key"):
        bootstrap.build_llm_client(provider="openai")
    assert "ollama" in bootstrap.llm_provider_names()
