"""Auth over HTTP: register, login, refresh rotation and reuse, logout, expiry, secrets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from vibetrading.api.container import resolve_jwt_secret
from vibetrading.errors import ConfigError
from vibetrading.services.container import ApiServices
from vibetrading.services.records import utc_now
from vibetrading.settings import Settings

pytestmark = pytest.mark.integration
Register = Callable[..., dict[str, Any]]


def test_register_new_email_returns_tokens_and_cookies(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register", json={"email": "Ada@Example.com", "password": "long enough"}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["email"] == "ada@example.com"
    assert "vt_access" in response.cookies
    assert "httponly" in response.headers["set-cookie"].lower()


def test_register_duplicate_email_is_conflict(client: TestClient, register: Register) -> None:
    register("dup@example.com")

    response = client.post(
        "/api/v1/auth/register", json={"email": "DUP@example.com", "password": "another one"}
    )

    assert response.status_code == 409
    assert response.json()["type"].endswith("/conflict")


def test_register_short_password_is_bad_request(client: TestClient) -> None:
    response = client.post("/api/v1/auth/register", json={"email": "a@b.co", "password": "short"})

    assert response.status_code == 400
    assert "password" in response.json()["detail"]


def test_login_json_and_oauth2_form_return_tokens(
    client: TestClient, register: Register, bearer: Any
) -> None:
    register("form@example.com", "correct horse battery")

    as_json = client.post(
        "/api/v1/auth/login",
        json={"email": "form@example.com", "password": "correct horse battery"},
    )
    as_form = client.post(
        "/api/v1/auth/login",
        data={"username": "form@example.com", "password": "correct horse battery"},
    )

    assert as_json.status_code == 200
    assert as_form.status_code == 200
    me = client.get("/api/v1/users/me", headers=bearer(as_form.json()))
    assert me.json()["email"] == "form@example.com"


def test_login_wrong_password_is_unauthorized(client: TestClient, register: Register) -> None:
    register("wrong@example.com", "correct horse battery")

    response = client.post(
        "/api/v1/auth/login", json={"email": "wrong@example.com", "password": "not it at all"}
    )

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_users_me_without_token_in_multi_user_mode_is_unauthorized(client: TestClient) -> None:
    response = client.get("/api/v1/users/me")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_users_me_with_cookie_only_is_the_user(client: TestClient) -> None:
    client.post("/api/v1/auth/register", json={"email": "c@example.com", "password": "cookie pw!"})

    response = client.get("/api/v1/users/me")

    assert response.json()["email"] == "c@example.com"


def test_refresh_rotates_and_old_token_reuse_revokes_family(
    client: TestClient, register: Register
) -> None:
    first = register()
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]

    reuse = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    after = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second.json()["refresh_token"]}
    )

    assert reuse.status_code == 401
    assert "used before" in reuse.json()["detail"]
    assert after.status_code == 401


def test_refresh_with_cookie_rotates(client: TestClient) -> None:
    client.post("/api/v1/auth/register", json={"email": "r@example.com", "password": "refresh me"})

    response = client.post("/api/v1/auth/refresh")

    assert response.status_code == 200


def test_logout_revokes_refresh_token(client: TestClient, register: Register) -> None:
    tokens = register()

    out = client.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

    assert out.status_code == 204
    assert again.status_code == 401


def test_expired_access_token_is_unauthorized_with_reason(
    client: TestClient, services: ApiServices, register: Register
) -> None:
    user_id = register()["user"]["id"]
    services.auth.clock = lambda: utc_now() - timedelta(hours=1)
    token = services.auth.access_token(user_id)
    services.auth.clock = utc_now

    response = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_forged_access_token_is_unauthorized(client: TestClient) -> None:
    response = client.get("/api/v1/users/me", headers={"Authorization": "Bearer abc.def.ghi"})

    assert response.status_code == 401


@pytest.mark.parametrize("secret", ["changeme", "secret", "short-but-long-enough"], ids=str)
def test_resolve_jwt_secret_placeholder_in_multi_user_mode_is_refused(
    isolated_home: Path, secret: str
) -> None:
    settings = Settings(home=isolated_home, jwt_secret=secret, multi_user=True)

    with pytest.raises(ConfigError, match="placeholder"):
        resolve_jwt_secret(settings)


def test_resolve_jwt_secret_unset_is_generated_once_with_private_file(
    isolated_home: Path,
) -> None:
    settings = Settings(home=isolated_home)

    first = resolve_jwt_secret(settings)
    second = resolve_jwt_secret(settings)

    assert first == second
    assert len(first) >= 32
    assert (isolated_home / "jwt_secret").stat().st_mode & 0o777 == 0o600


def test_resolve_jwt_secret_concurrent_first_starts_agree_on_one_secret(
    isolated_home: Path,
) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    settings = Settings(home=isolated_home)
    barrier = threading.Barrier(8)

    def start() -> str:
        barrier.wait()
        return resolve_jwt_secret(settings)

    with ThreadPoolExecutor(8) as pool:
        secrets = list(pool.map(lambda _: start(), range(8)))

    assert len(set(secrets)) == 1
    assert secrets[0] == (isolated_home / "jwt_secret").read_text(encoding="utf-8")
    assert [p.name for p in isolated_home.iterdir() if p.name.endswith(".tmp")] == []


def test_resolve_jwt_secret_truncated_file_is_refused(isolated_home: Path) -> None:
    settings = Settings(home=isolated_home)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "jwt_secret").write_text("", encoding="utf-8")

    with pytest.raises(ConfigError, match="delete the file"):
        resolve_jwt_secret(settings)
