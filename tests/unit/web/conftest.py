"""Fixtures of the UI tests: NiceGUI's simulated user over the offline services.

The pages are registered on NiceGUI's global app inside NiceGUI's own reset context
(``nicegui.testing.general.nicegui_reset_globals``), as its ``user`` fixture does, and
driven by its ``User`` (no browser). The tests are plain functions that run the
scenario with ``asyncio.run``, since the suite has no asyncio pytest plugin.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from vibetrading.web.app import build_web_services, register_pages
from vibetrading.web.state import UiState, WebServices

Scenario = Callable[..., Awaitable[None]]


@asynccontextmanager
async def simulated_user(services: WebServices, state: UiState) -> AsyncIterator[object]:
    """Yield a NiceGUI test ``User`` connected to the UI over `services`."""
    from nicegui import core, ui
    from nicegui.functions.download import download
    from nicegui.functions.navigate import Navigate
    from nicegui.functions.notify import notify
    from nicegui.testing.general import nicegui_reset_globals, prepare_simulation
    from nicegui.testing.user import User

    # NiceGUI's reset drops the modules whose functions registered pages; keep ours.
    kept = {name: module for name, module in sys.modules.items() if name.startswith("vibetrading")}
    with nicegui_reset_globals():
        os.environ["NICEGUI_USER_SIMULATION"] = "true"
        try:
            register_pages(services, state)
            prepare_simulation()
            ui.run(storage_secret="simulated secret")
            async with (
                core.app.router.lifespan_context(core.app),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(core.app), base_url="http://test"
                ) as client,
            ):
                yield User(client)
        finally:
            os.environ.pop("NICEGUI_USER_SIMULATION", None)
            ui.navigate = Navigate()
            ui.notify = notify
            ui.download = download
    sys.modules.update(kept)


@pytest.fixture(scope="module")
def web_services() -> WebServices:
    """Return the offline services (bundled sample data) shared by a test module."""
    return build_web_services()


@pytest.fixture
def run_ui(web_services: WebServices) -> Callable[..., UiState]:
    """Return a runner: ``run_ui(scenario, services=None)`` awaits ``scenario(user, state)``."""

    def run(scenario: Scenario, services: WebServices | None = None) -> UiState:
        state = UiState()

        async def main() -> None:
            async with simulated_user(services or web_services, state) as user:
                await scenario(user, state)

        asyncio.run(main())
        return state

    return run
