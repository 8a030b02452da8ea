"""Run a backtest off the event loop with progress, keep it, and find runs again.

The service call runs in a worker thread (``nicegui.run.io_bound``) so the page stays
responsive; the service's progress callback writes into a ``ProgressState`` that a
progress bar polls. Errors are kept on the run record as a readable message. Each run
belongs to the user who made it: it is kept in this process (``UiState``) and, when the
build has a run store, stored there too, so ``/backtest?run=<id>`` survives a restart.
`find_run` only ever returns a run of the asking user.
"""

from __future__ import annotations

import logging
from typing import Any

from vibetrading.errors import NotFound, VibeTradingError
from vibetrading.services.backtests import BacktestRequest
from vibetrading.services.stored_runs import latest_run_id, load_outcome, save_outcome
from vibetrading.web.components.progress import ProgressState
from vibetrading.web.state import RunRecord, UiState, WebServices

__all__ = ["default_request", "find_run", "latest_run", "run_backtest"]

_logger = logging.getLogger(__name__)


def default_request(
    spec: Any, *, costs: dict[str, float] | None = None, **overrides: Any
) -> BacktestRequest:
    """Return the request that backtests `spec` on its universe with default settings.

    `costs` (the user's saved defaults: ``fee_rate``, ``slippage_bps``) apply unless an
    override names the same field.
    """
    return BacktestRequest(spec=spec, **{**(costs or {}), **overrides})


def _store(services: WebServices, state: UiState, record: RunRecord) -> None:
    if services.run_store is None or record.outcome is None:
        return
    try:
        run = save_outcome(services.run_store, record.owner, record.request, record.outcome)
    except VibeTradingError as e:  # the run is still shown; it only will not survive a restart
        _logger.warning("the run was not stored: %s", e)
        return
    previous, record.id = record.id, run.id
    state.keep_run(record, previous_id=previous)


async def run_backtest(
    services: WebServices,
    state: UiState,
    request: BacktestRequest,
    *,
    owner: str,
    progress: ProgressState,
    proposal_id: str | None = None,
) -> RunRecord:
    """Run `request` for `owner` in a worker thread; return its record (outcome or error).

    A VibeTradingError becomes the record's ``error`` (its message, for the user); any
    other exception too, prefixed so that it reads as an internal failure. A finished run
    is stored in the run store when there is one (its id becomes the record's id).
    """
    from nicegui import run

    record = state.new_run(request, owner=owner, proposal_id=proposal_id)

    def work() -> Any:
        return services.backtests.run(request, progress=progress.update)

    try:
        record.outcome = await run.io_bound(work)
    except VibeTradingError as e:
        record.error, record.error_kind = str(e), type(e).__name__
    except Exception as e:  # the outer boundary of a UI action: show it, never swallow it
        _logger.exception("backtest failed")
        record.error = f"Internal error: {type(e).__name__}: {e}"
    if record.outcome is not None:
        await run.io_bound(_store, services, state, record)
    progress.update(1.0, "done" if record.error is None else "failed")
    return record


def find_run(
    services: WebServices, state: UiState, owner: str, run_id: str | None
) -> RunRecord | None:
    """Return run `run_id` of `owner` from this process or the run store; None when it is
    unknown, expired or another user's."""
    if not run_id:
        return None
    record = state.run_of(owner, run_id)
    if record is not None or services.run_store is None:
        return record
    try:
        stored = load_outcome(
            services.run_store,
            services.market_data,
            owner,
            run_id,
            strategies=services.strategies,
        )
    except NotFound:
        return None
    except VibeTradingError as e:
        _logger.warning("run %s could not be read back: %s", run_id, e)
        return None
    record = RunRecord(
        id=run_id,
        request=stored.request,
        outcome=stored.outcome,
        error=stored.error,
        owner=owner,
    )
    return state.keep_run(record)


def latest_run(services: WebServices, state: UiState, owner: str) -> RunRecord | None:
    """Return the newest run of `owner` (never another user's), or None."""
    record = state.latest_run_of(owner)
    if record is not None or services.run_store is None:
        return record
    return find_run(services, state, owner, latest_run_id(services.run_store, owner))
