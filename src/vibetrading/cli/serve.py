"""``vibetrading serve``: the HTTP API and the web UI in one process."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["serve"]


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; non-loopback means multi-user.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=0, max=65535)] = 8000,
) -> None:
    """Serve the API (``/api/v1``, docs at ``/docs``) and the web UI on one port.

    On 127.0.0.1 it is a single-user server that needs no login; on any other address,
    or with VIBETRADING_MULTI_USER=1, every request must log in.
    """
    import uvicorn

    from vibetrading.api.app import create_app
    from vibetrading.api.container import build_services, is_loopback
    from vibetrading.api.middleware import configure_logging
    from vibetrading.settings import get_settings

    settings = get_settings()
    multi_user = settings.multi_user or not is_loopback(host)
    settings = settings.model_copy(update={"multi_user": multi_user})
    configure_logging()
    services = build_services(settings)
    app = create_app(settings, services=services, close_services=True)
    _mount_ui(app, services)
    mode = "multi-user (login required)" if multi_user else "local single-user (no login)"
    typer.echo(f"VibeTrading on http://{host}:{port}  ·  API docs /docs  ·  {mode}")
    # the app's shutdown closes the services: uvicorn re-raises SIGTERM after it
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def _mount_ui(app: object, services: object) -> None:
    try:
        from vibetrading.web.app import mount_ui
    except ImportError:  # the web UI is optional until it lands
        return
    mount_ui(app, services=services)
