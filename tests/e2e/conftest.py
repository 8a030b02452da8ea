"""Fixtures of the browser tests: ``vibetrading serve`` in a subprocess and chromium.

The server is the real product entry point (API and UI on one port, local mode) on a
random 127.0.0.1 port, with its own VIBETRADING_HOME. The browser is Debian's
``/usr/bin/chromium`` driven by Playwright; no browser is ever downloaded. Screenshots go
to ``test-output/screenshots/``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the server did not answer {url} within {timeout_s} s")


def _serve(home: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "VIBETRADING_HOME": str(home),
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
        **(extra_env or {}),
    }
    env.pop("VIBETRADING_REDIS_URL", None)
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "vibetrading.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/api/v1/health", process, timeout_s=180)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start ``vibetrading serve`` (local mode) on a free port and return its base URL."""
    yield from _serve(tmp_path_factory.mktemp("e2e-home"))


@pytest.fixture(scope="module")
def multi_user_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start ``vibetrading serve`` in multi-user mode (login required); return its URL."""
    yield from _serve(tmp_path_factory.mktemp("e2e-multi-home"), {"VIBETRADING_MULTI_USER": "1"})


# module scope: Playwright's sync API keeps an event loop running in this thread while it
# is open, and tests after this module call asyncio.run()
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Return headless Debian chromium under Playwright (skip when it is not installed)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """Return a fresh desktop-sized page (its own cookies, so its own language choice)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(90_000)
    yield page
    context.close()


def _shot(page: object, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)  # type: ignore[attr-defined]
    return path


@pytest.fixture
def shot() -> Callable[..., Path]:
    """Return ``shot(page, name)``: save a screenshot under test-output/screenshots."""
    return _shot
