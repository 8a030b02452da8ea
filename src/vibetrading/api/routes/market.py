"""Market routes: bars of a symbol, the symbols available, and downloads as jobs."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from vibetrading.api.deps import CurrentUser, Services, list_query
from vibetrading.api.routes import PROBLEMS
from vibetrading.api.schemas import JobOut, PageOut
from vibetrading.errors import ConfigError
from vibetrading.services.records import ListQuery

__all__ = ["router"]

router = APIRouter(prefix="/market", tags=["market"], responses=PROBLEMS)
MAX_BARS = 20_000
_SYMBOL_SORTS = ("symbol", "source", "timeframe", "start", "end", "bars")


class BarOut(BaseModel):
    """One OHLCV bar (UTC)."""

    timestamp: datetime
    open: float | None
    high: float | None
    low: float | None
    close: float | None
    volume: float | None


class BarsOut(BaseModel):
    """Bars of one symbol; `truncated` when more than the limit matched (latest kept)."""

    symbol: str
    timeframe: str
    source: str
    synthetic: bool
    truncated: bool
    bars: list[BarOut]


class SymbolOut(BaseModel):
    """A symbol available now."""

    symbol: str
    source: str
    timeframe: str
    start: datetime | None
    end: datetime | None
    bars: int
    description: str
    is_synthetic: bool


class DownloadIn(BaseModel):
    """Bars to fetch into the local store, as a job."""

    symbol: str = Field(min_length=1, max_length=40)
    provider: str = Field(default="demo", max_length=20)
    start: str | None = Field(default=None, max_length=40)
    end: str | None = Field(default=None, max_length=40)
    timeframe: str = Field(default="1d", max_length=8)


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@router.get("/data", response_model=BarsOut)
async def market_data(
    user_id: CurrentUser,
    services: Services,
    symbol: Annotated[str, Query(min_length=1, max_length=40, examples=["SPX"])],
    start: Annotated[str | None, Query(max_length=40)] = None,
    end: Annotated[str | None, Query(max_length=40)] = None,
    timeframe: Annotated[str, Query(max_length=8)] = "1d",
    limit: Annotated[int, Query(ge=1, le=MAX_BARS)] = 5000,
) -> BarsOut:
    """Return the bars of `symbol` between `start` and `end` (the latest `limit` of them)."""
    bars = await run_in_threadpool(
        services.market_data.load_bars, symbol, start=start, end=end, timeframe=timeframe
    )
    kept = bars.iloc[-limit:]
    rows = [
        BarOut(
            timestamp=t.to_pydatetime(),
            open=_number(o),
            high=_number(h),
            low=_number(lo),
            close=_number(c),
            volume=_number(v),
        )
        for t, o, h, lo, c, v in zip(
            kept.index,
            kept["open"].tolist(),
            kept["high"].tolist(),
            kept["low"].tolist(),
            kept["close"].tolist(),
            kept["volume"].tolist(),
            strict=True,
        )
    ]
    return BarsOut(
        symbol=str(bars.attrs.get("symbol", symbol)),
        timeframe=str(bars.attrs.get("timeframe", timeframe)),
        source=str(bars.attrs.get("source", "")),
        synthetic=bool(bars.attrs.get("synthetic", False)),
        truncated=len(bars) > limit,
        bars=rows,
    )


@router.get("/symbols", response_model=PageOut[SymbolOut])
async def market_symbols(
    user_id: CurrentUser,
    services: Services,
    query: Annotated[ListQuery, Depends(list_query)],
    q: Annotated[str | None, Query(max_length=40, description="Search text.")] = None,
) -> PageOut[SymbolOut]:
    """List the symbols available now, optionally those matching `q`.

    Sort: symbol (default, A to Z), source, timeframe, start, end, bars.
    """
    sort = query.sort or "symbol"
    if sort not in _SYMBOL_SORTS:
        raise ConfigError(
            f"Cannot sort symbols by {sort!r}; use one of {', '.join(_SYMBOL_SORTS)}."
        )
    descending = query.descending if query.sort is not None else False
    listings = await run_in_threadpool(services.market_data.list_symbols)
    needle = (q or "").strip().lower()
    found = [
        SymbolOut(
            symbol=item.symbol,
            source=item.source,
            timeframe=item.timeframe,
            start=item.start.to_pydatetime() if item.start is not None else None,
            end=item.end.to_pydatetime() if item.end is not None else None,
            bars=item.bars,
            description=item.description,
            is_synthetic=item.is_synthetic,
        )
        for item in listings
        if not needle or needle in item.symbol.lower() or needle in item.description.lower()
    ]
    # None (no dates) sorts first ascending; the symbol breaks ties
    found.sort(key=lambda s: s.symbol)
    found.sort(key=lambda s: _sort_key(getattr(s, sort)), reverse=descending)
    return PageOut[SymbolOut](
        items=found[query.offset : query.offset + query.limit],
        total=len(found),
        limit=query.limit,
        offset=query.offset,
    )


def _sort_key(value: object) -> tuple[bool, object]:
    return (value is not None, value if value is not None else 0)


@router.post("/download", status_code=202, response_model=JobOut)
async def download(body: DownloadIn, user_id: CurrentUser, services: Services) -> JobOut:
    """Fetch bars into the local store as a job; watch it at ``/ws/jobs/{id}``."""
    job = await run_in_threadpool(services.jobs.submit, user_id, "download", body.model_dump())
    return JobOut.of(job)
