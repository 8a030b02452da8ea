"""Strategy library routes: create, list, read, change, delete, versions and restore."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from starlette.concurrency import run_in_threadpool

from vibetrading.api.deps import CurrentUser, Services, list_query, with_filters
from vibetrading.api.routes import PROBLEMS
from vibetrading.api.schemas import (
    PageOut,
    StrategyCreateIn,
    StrategyOut,
    StrategyPatchIn,
    VersionOut,
)
from vibetrading.services.records import ListQuery

__all__ = ["router"]

router = APIRouter(prefix="/strategies", tags=["strategies"], responses=PROBLEMS)
Query_ = Annotated[ListQuery, Depends(list_query)]
_ID = Annotated[str, "strategy id"]


@router.post("", status_code=201, response_model=StrategyOut)
async def create_strategy(
    body: StrategyCreateIn, user_id: CurrentUser, services: Services
) -> StrategyOut:
    """Save a strategy from a spec or from code; the first version is 1."""
    saved = await run_in_threadpool(
        lambda: services.library.create(
            user_id,
            name=body.name,
            description=body.description,
            spec=body.spec,
            code=body.code,
            source_text=body.source_text,
            note=body.note,
        )
    )
    return StrategyOut.of(saved.strategy, saved.version, saved.warnings)


@router.get("", response_model=PageOut[StrategyOut])
async def list_strategies(
    user_id: CurrentUser,
    services: Services,
    query: Query_,
    kind: Annotated[str | None, Query(pattern="^(spec|code)$")] = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
) -> PageOut[StrategyOut]:
    """List your strategies (sort: created_at, updated_at, name; filters: kind, name)."""
    page = await run_in_threadpool(
        services.library.list_strategies, user_id, with_filters(query, kind=kind, name=name)
    )
    return PageOut[StrategyOut](
        items=[StrategyOut.of(s) for s in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{strategy_id}", response_model=StrategyOut)
async def get_strategy(strategy_id: str, user_id: CurrentUser, services: Services) -> StrategyOut:
    """Return one of your strategies with its current version."""
    saved = await run_in_threadpool(services.library.get, user_id, strategy_id)
    return StrategyOut.of(saved.strategy, saved.version)


@router.patch("/{strategy_id}", response_model=StrategyOut)
async def update_strategy(
    strategy_id: str, body: StrategyPatchIn, user_id: CurrentUser, services: Services
) -> StrategyOut:
    """Rename or re-describe; new spec or code content appends a version."""
    saved = await run_in_threadpool(
        lambda: services.library.update(
            user_id,
            strategy_id,
            name=body.name,
            description=body.description,
            spec=body.spec,
            code=body.code,
            source_text=body.source_text,
            note=body.note,
        )
    )
    return StrategyOut.of(saved.strategy, saved.version, saved.warnings)


@router.delete("/{strategy_id}", status_code=204, response_class=Response)
async def delete_strategy(strategy_id: str, user_id: CurrentUser, services: Services) -> Response:
    """Delete a strategy (its versions and backtests are kept, hidden)."""
    await run_in_threadpool(services.library.delete, user_id, strategy_id)
    return Response(status_code=204)


@router.get("/{strategy_id}/versions", response_model=PageOut[VersionOut])
async def list_versions(
    strategy_id: str, user_id: CurrentUser, services: Services, query: Query_
) -> PageOut[VersionOut]:
    """List the versions of a strategy (sort: version, created_at)."""
    page = await run_in_threadpool(services.library.versions, user_id, strategy_id, query)
    return PageOut[VersionOut](
        items=[VersionOut.of(v) for v in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{strategy_id}/versions/{version}", response_model=VersionOut)
async def get_version(
    strategy_id: str,
    version: Annotated[int, "version number"],
    user_id: CurrentUser,
    services: Services,
) -> VersionOut:
    """Return one version of a strategy."""
    found = await run_in_threadpool(services.library.version, user_id, strategy_id, version)
    return VersionOut.of(found)


@router.post("/{strategy_id}/versions/{version}/restore", response_model=StrategyOut)
async def restore_version(
    strategy_id: str, version: int, user_id: CurrentUser, services: Services
) -> StrategyOut:
    """Copy an old version into a new current version."""
    saved = await run_in_threadpool(services.library.restore, user_id, strategy_id, version)
    return StrategyOut.of(saved.strategy, saved.version)
