"""The API under ``vibetrading serve``: the UI mounted at ``/`` never answers an API path.

NiceGUI serves every path it does not know with its HTML 404 page; an API client must
still get RFC 9457 problem documents for unknown endpoints and wrong methods.
"""

from __future__ import annotations

import httpx
import pytest

pytestmark = [pytest.mark.slow]


def test_unknown_api_path_is_a_problem_not_the_ui_page(server_url: str) -> None:
    response = httpx.get(f"{server_url}/api/v1/backtest", params={"limit": 2}, timeout=30)

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/not-found")
    assert "/docs" in response.json()["detail"]


def test_wrong_method_on_an_api_path_is_405_with_allow(server_url: str) -> None:
    response = httpx.put(f"{server_url}/api/v1/strategies", json={}, timeout=30)

    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/problem+json")
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}


def test_ui_pages_still_answer_next_to_the_api(server_url: str) -> None:
    assert httpx.get(f"{server_url}/", timeout=30).status_code == 200
    assert httpx.get(f"{server_url}/api/v1/health", timeout=30).json()["status"] == "ok"
