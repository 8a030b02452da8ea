"""Backtest routes: run (a job, answered at once), read, list and cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from vibetrading.api.deps import CurrentUser, Services, list_query, with_filters
from vibetrading.api.routes import PROBLEMS
from vibetrading.api.schemas import BacktestAccepted, BacktestRunIn, BacktestRunOut, PageOut
from vibetrading.services.records import ListQuery

__all__ = ["router"]

router = APIRouter(tags=["backtests"], responses=PROBLEMS)
_STATES = "^(queued|running|succeeded|failed|cancelled)$"


@router.post("/backtest/run", status_code=202, response_model=BacktestAccepted)
async def run_backtest(
    body: BacktestRunIn, user_id: CurrentUser, services: Services
) -> BacktestAccepted:
    """Queue a backtest and return its id at once; poll it or watch its job's WebSocket."""
    run = await run_in_threadpool(services.runs.submit, user_id, body.model_dump())
    return BacktestAccepted(id=run.id, job_id=run.job_id, status=run.status.value)


@router.get("/backtest/{run_id}", response_model=BacktestRunOut)
async def get_backtest(
    run_id: str,
    user_id: CurrentUser,
    services: Services,
    include_result: Annotated[bool, Query(description="Add trades and equity.")] = True,
) -> BacktestRunOut:
    """Return a backtest run: live status and progress, then stats, trades and equity."""

    def read() -> BacktestRunOut:
        run, job = services.runs.get(user_id, run_id)
        result = services.runs.result(user_id, run_id) if include_result else None
        return BacktestRunOut.of(run, job, result)

    return await run_in_threadpool(read)


@router.get("/backtests", response_model=PageOut[BacktestRunOut])
async def list_backtests(
    user_id: CurrentUser,
    services: Services,
    query: Annotated[ListQuery, Depends(list_query)],
    status: Annotated[str | None, Query(pattern=_STATES)] = None,
    strategy_id: Annotated[str | None, Query(max_length=64)] = None,
) -> PageOut[BacktestRunOut]:
    """List your backtest runs (sort: created_at, status; filters: status, strategy_id)."""
    page = await run_in_threadpool(
        services.runs.list_runs,
        user_id,
        with_filters(query, status=status, strategy_id=strategy_id),
    )
    return PageOut[BacktestRunOut](
        items=[BacktestRunOut.of(run, None) for run in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/backtest/{run_id}/cancel", response_model=BacktestRunOut)
async def cancel_backtest(run_id: str, user_id: CurrentUser, services: Services) -> BacktestRunOut:
    """Cancel a queued or running backtest (a finished one is left as it is)."""

    def cancel() -> BacktestRunOut:
        services.runs.cancel(user_id, run_id)
        run, job = services.runs.get(user_id, run_id)
        return BacktestRunOut.of(run, job)

    return await run_in_threadpool(cancel)
