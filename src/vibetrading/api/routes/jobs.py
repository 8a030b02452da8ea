"""Job routes: list, read and cancel jobs; watch one over a WebSocket."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from vibetrading.api.deps import (
    ACCESS_COOKIE,
    CurrentUser,
    Services,
    list_query,
    resolve_user_id,
    with_filters,
)
from vibetrading.api.problems import ProblemError
from vibetrading.api.routes import PROBLEMS
from vibetrading.api.schemas import JobOut, PageOut
from vibetrading.errors import ConfigError, VibeTradingError
from vibetrading.services.container import ApiServices
from vibetrading.services.problems import problem_document
from vibetrading.services.records import ListQuery
from vibetrading.services.strategies import strategy_spec

__all__ = ["SweepIn", "error_event", "router", "websocket_user"]

router = APIRouter(tags=["jobs"], responses=PROBLEMS)
_STATES = "^(queued|running|succeeded|failed|cancelled)$"


@router.get("/jobs", response_model=PageOut[JobOut])
async def list_jobs(
    user_id: CurrentUser,
    services: Services,
    query: Annotated[ListQuery, Depends(list_query)],
    state: Annotated[str | None, Query(pattern=_STATES)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
) -> PageOut[JobOut]:
    """List your jobs (sort: created_at, state, kind; filters: state, kind)."""
    page = await run_in_threadpool(
        services.jobs.list_jobs, user_id, with_filters(query, state=state, kind=kind)
    )
    return PageOut[JobOut](
        items=[JobOut.of(j) for j in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


class SweepIn(BaseModel):
    """A parameter sweep to run as a job: a crossover grid, or a spec with a grid."""

    model_config = ConfigDict(extra="forbid")
    crossover: Literal["sma", "ema"] | None = None
    spec: dict[str, Any] | None = None
    strategy: str | None = Field(
        default=None, max_length=4000, description="The idea in words; sweep it with grid."
    )
    fast: list[Annotated[int, Field(ge=1, le=1000)]] = Field(default_factory=list, max_length=50)
    slow: list[Annotated[int, Field(ge=1, le=1000)]] = Field(default_factory=list, max_length=50)
    grid: dict[str, list[Any]] | None = None
    symbols: list[str] = Field(default_factory=list, max_length=10)
    start: str | None = Field(default=None, max_length=40)
    end: str | None = Field(default=None, max_length=40)
    cash: float = Field(default=100_000.0, gt=0, le=1e12)
    metric: str = Field(default="sharpe", max_length=40)


@router.post("/sweep/run", status_code=202, response_model=JobOut)
async def run_sweep(body: SweepIn, user_id: CurrentUser, services: Services) -> JobOut:
    """Queue a parameter sweep; its result (best and top rows) is on ``GET /jobs/{id}``."""
    if [body.crossover, body.spec, body.strategy].count(None) != 2:
        raise ConfigError("Give exactly one of crossover, spec or strategy.")
    payload = body.model_dump()
    text = payload.pop("strategy")
    if text is not None:
        default_symbol = (body.symbols or ["SPX"])[0]
        spec = strategy_spec(text, default_symbol=default_symbol)
        payload["spec"] = spec.model_dump(mode="json")
    job = await run_in_threadpool(services.jobs.submit, user_id, "sweep", payload)
    return JobOut.of(job)


@router.get("/jobs/{job_id}", response_model=JobOut)
async def get_job(job_id: str, user_id: CurrentUser, services: Services) -> JobOut:
    """Return one of your jobs: state, progress, result or error."""
    return JobOut.of(await run_in_threadpool(services.jobs.get, user_id, job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobOut)
async def cancel_job(job_id: str, user_id: CurrentUser, services: Services) -> JobOut:
    """Cancel a queued job at once, or ask a running one to stop."""
    return JobOut.of(await run_in_threadpool(services.jobs.cancel, user_id, job_id))


def error_event(error: BaseException) -> dict[str, Any]:
    """Return the ``{"type": "error", "data": <problem document>}`` event of a stream.

    WebSockets and server-sent events name an error with the same problem ``type`` as
    an HTTP answer or a failed job (see ``services.problems``).
    """
    return {"type": "error", "data": problem_document(error)}


async def websocket_user(websocket: WebSocket) -> str | None:
    """Return the user of a WebSocket (``?token=``, Bearer header or cookie), or None."""
    services: ApiServices = websocket.app.state.services
    header = websocket.headers.get("authorization", "")
    token = websocket.query_params.get("token") or (
        header[7:] if header.lower().startswith("bearer ") else None
    )
    try:
        return await run_in_threadpool(
            resolve_user_id, services, token, websocket.cookies.get(ACCESS_COOKIE)
        )
    except ProblemError:
        return None


@router.websocket("/ws/jobs/{job_id}")
async def watch_job(websocket: WebSocket, job_id: str) -> None:
    """Send the job's progress events as JSON until it finishes, then close."""
    user_id = await websocket_user(websocket)
    if user_id is None:
        await websocket.close(code=4401, reason="log in first")
        return
    services: ApiServices = websocket.app.state.services
    await websocket.accept()
    try:
        async for event in services.jobs.events(user_id, job_id):
            await websocket.send_json(event)
    except VibeTradingError as e:
        await websocket.send_json(error_event(e))
    except WebSocketDisconnect:
        return
    await websocket.close()
