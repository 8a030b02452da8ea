import json

import httpx
import pytest

from vibetrading.adapters.llm.openai_compat import _Translate, estimate_tokens
from vibetrading.errors import ProviderError, TemporaryProviderError


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", 0), ("abcd", 1), ("abcde", 2), ("你好", 2), ("RSI低于30", 4)],
    ids=["empty", "four-ascii", "five-ascii", "cjk", "mixed"],
)
def test_estimate_tokens_counts_cjk_per_character_and_ascii_per_four(text, expected):
    assert estimate_tokens(text) == expected


@pytest.mark.parametrize(
    ("error", "kind", "words"),
    [
        (httpx.ReadTimeout("slow"), TemporaryProviderError, "timed out"),
        (httpx.RemoteProtocolError("peer closed"), TemporaryProviderError, "could not connect"),
        (json.JSONDecodeError("Expecting value", "{not json", 1), ProviderError, "malformed"),
        (TypeError("'NoneType' object is not iterable"), ProviderError, "malformed"),
    ],
    ids=["timeout", "protocol", "json", "shape"],
)
def test_translate_library_errors_become_provider_errors(error, kind, words):
    with pytest.raises(kind, match=words) as caught, _Translate("p/m", "sk-secret-key"):
        raise error

    assert caught.value.__cause__ is error
    assert type(caught.value) is kind


def test_translate_scrubs_the_key_from_the_message():
    with pytest.raises(ProviderError) as caught, _Translate("p/m", "sk-secret-key"):
        raise ValueError("bad chunk sk-secret-key")

    assert "sk-secret-key" not in str(caught.value)


def test_translate_unrelated_errors_pass_through():
    with pytest.raises(RuntimeError), _Translate("p/m", ""):
        raise RuntimeError("ours")
