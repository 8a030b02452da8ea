"""``vibetrading db``: migrate the database and show its revision."""

from __future__ import annotations

import typer
from rich.console import Console

__all__ = ["db_app"]

db_app = typer.Typer(
    help="Database: run migrations, show the schema revision.", no_args_is_help=True
)


def _url() -> str:
    from vibetrading.adapters.store.db import normalize_database_url
    from vibetrading.settings import get_settings

    return normalize_database_url(get_settings().resolved_database_url)


@db_app.command("upgrade")
def upgrade_command() -> None:
    """Run the migrations up to the newest revision (waits for a concurrent upgrade)."""
    from vibetrading.adapters.store.db import mask_url, upgrade

    url = _url()
    revision = upgrade(url)
    Console().print(
        f"Database at revision {revision} ({mask_url(url)})", highlight=False, soft_wrap=True
    )


@db_app.command("current")
def current_command() -> None:
    """Show the schema revision of the database and the newest one available."""
    from vibetrading.adapters.store.db import current_revision, head_revision, mask_url

    url = _url()
    current = current_revision(url)
    head = head_revision()
    state = "up to date" if current == head else "run `vibetrading db upgrade`"
    Console().print(
        f"Database {mask_url(url)}: revision {current or '(none)'}, newest {head} ({state})",
        highlight=False,
        soft_wrap=True,
    )
