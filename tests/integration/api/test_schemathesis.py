"""Property-based API tests: schemathesis fuzzes every operation of the app's own OpenAPI
schema; no answer may be a 5xx, and every answer must match its documented schema.

The app is built when the module is collected (schemathesis needs the schema then), over
a SQLite store in a temporary directory, in multi-user mode with one registered user.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from argon2 import PasswordHasher
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from vibetrading.api.app import create_app
from vibetrading.api.container import build_services
from vibetrading.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

_HOME = Path(tempfile.mkdtemp(prefix="vt-fuzz-"))
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
_SETTINGS = Settings(
    home=_HOME,
    database_url=f"sqlite:///{(_HOME / 'fuzz.db').as_posix()}",
    jwt_secret="test-secret-of-at-least-thirty-two-characters",
    multi_user=True,
    rate_limit_per_minute=1_000_000,
)
_SERVICES = build_services(
    _SETTINGS,
    executor_factory=lambda: ThreadPoolExecutor(max_workers=1),
    password_hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
)
atexit.register(_SERVICES.close)
_TOKENS = _SERVICES.auth.register("fuzz@example.com", "correct horse battery")
_HEADERS = {"Authorization": f"Bearer {_TOKENS.access_token}"}

schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    create_app(_SETTINGS, services=_SERVICES, recover_jobs=False),
    config=schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}}}),
)


@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_answers_match_schema_and_never_5xx(case: Any) -> None:
    case.call_and_validate(
        headers=_HEADERS, checks=[not_a_server_error, response_schema_conformance]
    )
