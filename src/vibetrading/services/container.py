"""The services container handed to the HTTP API and the web UI.

`ApiServices` is built once per process by ``vibetrading.api.container.build_services``
(the composition of the HTTP server) and passed to ``create_app`` and ``mount_ui``.
Every attribute is a ready service; none reads the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vibetrading.services.auth import AuthService
from vibetrading.services.backtest_runs import BacktestRunService
from vibetrading.services.backtests import BacktestService
from vibetrading.services.jobs import JobService
from vibetrading.services.library import StrategyLibrary
from vibetrading.services.market_data import MarketDataService
from vibetrading.services.paper import PaperTradingService
from vibetrading.services.ports import Store

__all__ = ["ApiServices"]


@dataclass
class ApiServices:
    """The services of one server process.

    * ``store``: every repository (users, strategies, conversations, jobs, backtests).
    * ``market_data``, ``backtests``: load bars, run a backtest synchronously.
    * ``library``: the user's saved strategies with versions.
    * ``jobs``: queued work on the executor; ``runs``: backtests as jobs.
    * ``auth``: accounts and tokens; ``auth.local_user()`` is the user of local mode.
    * ``copilot``: the chat service (``chat(user_id, text, ...)``), or None.
    * ``paper``: paper trading over the store (``paper.for_user(user_id)``), or None.
    * ``multi_user``: whether requests must log in.
    """

    store: Store
    market_data: MarketDataService
    backtests: BacktestService
    library: StrategyLibrary
    jobs: JobService
    runs: BacktestRunService
    auth: AuthService
    copilot: Any | None = None
    multi_user: bool = False
    paper: PaperTradingService | None = None

    def user_id_for_local_mode(self) -> str:
        """Return the id of the single local user (created on first use)."""
        return self.auth.local_user().id

    def close(self) -> None:
        """Stop the job executor and release the store."""
        self.jobs.shutdown(wait=False)
        close = getattr(self.store, "close", None)
        if callable(close):
            close()
