"""Run a backtest off the event loop with progress, and summarise it for the chat.

The service call runs in a worker thread (``nicegui.run.io_bound``) so the page stays
responsive; the service's progress callback writes into a ``ProgressState`` that a
progress bar polls. Errors are kept on the run record as a readable message.
"""

from __future__ import annotations

from typing import Any

from vibetrading.errors import VibeTradingError
from vibetrading.services.backtests import BacktestRequest
from vibetrading.web.components.progress import ProgressState
from vibetrading.web.state import RunRecord, UiState, WebServices

__all__ = ["default_request", "run_backtest"]


def default_request(spec: Any, **overrides: Any) -> BacktestRequest:
    """Return the request that backtests `spec` on its universe with default settings."""
    return BacktestRequest(spec=spec, **overrides)


async def run_backtest(
    services: WebServices,
    state: UiState,
    request: BacktestRequest,
    *,
    progress: ProgressState,
    proposal_id: str | None = None,
) -> RunRecord:
    """Run `request` in a worker thread; return its record with the outcome or the error.

    A VibeTradingError becomes the record's ``error`` (its message, for the user); any
    other exception too, prefixed so that it reads as an internal failure.
    """
    from nicegui import run

    record = state.new_run(request, proposal_id=proposal_id)

    def work() -> Any:
        return services.backtests.run(request, progress=progress.update)

    try:
        record.outcome = await run.io_bound(work)
    except VibeTradingError as e:
        record.error = str(e)
    except Exception as e:  # the outer boundary of a UI action: show it, never swallow it
        import logging

        logging.getLogger(__name__).exception("backtest failed")
        record.error = f"Internal error: {type(e).__name__}: {e}"
    progress.update(1.0, "done" if record.error is None else "failed")
    return record
