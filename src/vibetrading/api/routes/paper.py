"""Paper trading routes: accounts, positions, orders, fills, runners; events over a WebSocket.

Everything is scoped to the caller: a user sees and touches only their own runners
(another user's id answers 404). Runners are driven by the server's APScheduler
(``start_scheduler``, run by the app's lifespan): a replay runs at once at its speed, a
live runner polls its provider at each bar close. Their events (``order``, ``fill``,
``position``, ``account``, ``runner``) reach ``/ws/paper`` as JSON messages
``{"type", "runner_id", "data"}``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request, Response, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from vibetrading.api.deps import CurrentUser, Services
from vibetrading.api.routes import PROBLEMS
from vibetrading.api.routes.jobs import websocket_user
from vibetrading.domain.trading.orders import Fill, Order
from vibetrading.errors import NotFound, SpecError
from vibetrading.services.container import ApiServices
from vibetrading.services.paper import PaperRequest, PaperTradingService

__all__ = [
    "AccountOut",
    "FillOut",
    "OrderIn",
    "OrderOut",
    "PositionOut",
    "RunnerIn",
    "RunnerOut",
    "router",
    "start_scheduler",
    "stop_scheduler",
]

router = APIRouter(tags=["paper"], responses=PROBLEMS)
logger = logging.getLogger("vibetrading.api")
_ID = r"^[A-Za-z0-9_.:\-]{1,64}$"
HEARTBEAT_S = 15.0
"""Seconds of quiet after which the events WebSocket sends a ping (and finds a gone client)."""
RunnerId = Annotated[str | None, Query(max_length=64, pattern=_ID, description="One runner.")]


# -- schemas ----------------------------------------------------------------------------


class RunnerIn(BaseModel):
    """A runner to start: exactly one of strategy text, spec, code or a saved strategy id."""

    model_config = ConfigDict(extra="forbid")
    symbol: str = Field(min_length=1, max_length=32, description="The symbol to trade.")
    strategy: str | None = Field(default=None, max_length=4000, description="The idea in words.")
    spec: dict[str, Any] | None = Field(default=None, description="A StrategySpec document.")
    code: str | None = Field(default=None, max_length=200_000, description="A code strategy.")
    strategy_id: str | None = Field(default=None, max_length=64, pattern=_ID)
    mode: Literal["paper", "dry_run"] = Field(default="paper", description="paper or dry_run.")
    feed: Literal["replay", "live"] = Field(default="replay", description="replay or live.")
    start: str | None = Field(default=None, max_length=40, description="First bar (replay).")
    end: str | None = Field(default=None, max_length=40, description="Last bar (replay).")
    speed: float | None = Field(
        default=None, gt=0, le=1e6, description="Bars per second; as fast as possible if unset."
    )
    cash: float = Field(default=100_000.0, gt=0, le=1e12, description="Starting cash.")
    max_order_notional: float | None = Field(
        default=None, gt=0, description="Cap of one order's notional (default: the setting)."
    )
    max_position_notional: float | None = Field(
        default=None, gt=0, description="Cap of a position's value (default: the setting)."
    )
    max_daily_loss: float | None = Field(
        default=None, gt=0, description="Session loss that blocks new risk (default: setting)."
    )
    max_volume_share: float | None = Field(
        default=None, gt=0, le=1, description="Share of a bar's volume one fill may take."
    )


class RunnerOut(BaseModel):
    """A runner: what it trades, where it is and what its account holds."""

    runner_id: str
    symbol: str
    mode: str = Field(description="paper or dry_run: where its orders go.")
    feed: str
    status: str = Field(description="created, running, stopped, finished or failed.")
    error: str | None = Field(default=None, description="Why a failed runner failed.")
    cursor: str | None = Field(default=None, description="Time of the last bar processed.")
    currency: str = ""
    equity: float
    cash: float
    positions: dict[str, float]
    orders: int
    trades: int


class AccountOut(BaseModel):
    """The account of one runner."""

    runner_id: str
    symbol: str
    mode: str
    status: str
    currency: str
    cash: float
    equity: float
    positions: dict[str, float]


class PositionOut(BaseModel):
    """Signed units of one symbol held by one runner's account."""

    runner_id: str
    mode: str
    symbol: str
    quantity: float


class OrderIn(BaseModel):
    """A manual order; it fills at the runner's next bar, checked like every order."""

    model_config = ConfigDict(extra="forbid")
    symbol: str = Field(min_length=1, max_length=32)
    side: Literal["buy", "sell"]
    quantity: float = Field(gt=0, le=1e12, description="Units (A-shares: lots of 100).")
    limit_price: float | None = Field(default=None, gt=0, le=1e12, description="Limit price.")
    runner_id: str | None = Field(
        default=None, max_length=64, pattern=_ID, description="The account (default: newest)."
    )
    client_order_id: str | None = Field(
        default=None, max_length=64, pattern=_ID, description="Idempotency key of the order."
    )


class OrderOut(BaseModel):
    """An order with its state and, when rejected, the reason in words."""

    client_order_id: str
    symbol: str
    side: str
    quantity: float
    order_type: str
    limit_price: float | None = None
    stop_price: float | None = None
    time_in_force: str
    status: str
    filled_quantity: float
    average_price: float | None = None
    fees: float
    reason: str
    reject_reason: str | None = None
    message: str = ""
    created_at: str | None = None
    updated_at: str | None = None
    runner_id: str | None = None
    mode: str | None = Field(default=None, description="Where the order went: paper, dry_run.")

    @classmethod
    def of(cls, order: Order, **extra: str | None) -> OrderOut:
        """Return the API view of `order`."""
        fields = set(cls.model_fields)
        data = {k: v for k, v in order.to_dict().items() if k in fields} | extra
        return cls.model_validate(data)


class FillOut(BaseModel):
    """One execution of an order."""

    client_order_id: str
    symbol: str
    side: str
    quantity: float
    price: float
    fees: float
    timestamp: str
    order_type: str
    reason: str

    @classmethod
    def of(cls, fill: Fill) -> FillOut:
        """Return the API view of `fill`."""
        fields = set(cls.model_fields)
        return cls(**{k: v for k, v in fill.to_dict().items() if k in fields})


# -- the scheduler ----------------------------------------------------------------------


def start_scheduler(app: FastAPI) -> Any | None:
    """Start the APScheduler of paper runners and schedule the live ones; None without
    a paper service. Called by the app's lifespan."""
    services: ApiServices = app.state.services
    if services.paper is None:
        return None
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start()
    app.state.paper_scheduler = scheduler
    app.state.paper_closing = threading.Event()
    scheduled = services.paper.schedule_runners(scheduler)
    if scheduled:
        logger.info("scheduled %d live paper runner(s)", len(scheduled))
    return scheduler


def stop_scheduler(app: FastAPI) -> None:
    """Stop the runners' scheduler: replays stop at their next bar, nothing new starts."""
    scheduler = getattr(app.state, "paper_scheduler", None)
    if scheduler is None:
        return
    app.state.paper_closing.set()
    scheduler.shutdown(wait=True)
    app.state.paper_scheduler = None


def _schedule(request: Request, paper: PaperTradingService, runner_id: str) -> None:
    scheduler = getattr(request.app.state, "paper_scheduler", None)
    if scheduler is None:  # no lifespan (a bare ASGI call): the runner waits, created
        return
    closing: threading.Event = request.app.state.paper_closing
    paper.schedule_runner(scheduler, runner_id, should_stop=closing.is_set)


def _unschedule(request: Request, runner_id: str) -> None:
    scheduler = getattr(request.app.state, "paper_scheduler", None)
    if scheduler is not None and scheduler.get_job(f"paper-{runner_id}") is not None:
        scheduler.remove_job(f"paper-{runner_id}")


def _paper(services: ApiServices, user_id: str) -> PaperTradingService:
    if services.paper is None:
        raise NotFound("Paper trading is not available on this server.")
    return services.paper.for_user(user_id)


# -- runners ----------------------------------------------------------------------------


@router.get("/paper/runners", response_model=list[RunnerOut])
async def list_runners(user_id: CurrentUser, services: Services) -> list[RunnerOut]:
    """List your runners with their status, equity and positions."""
    rows = await run_in_threadpool(_paper(services, user_id).status)
    return [RunnerOut(**row) for row in rows]


@router.post("/paper/runners", status_code=202, response_model=RunnerOut)
async def start_runner(
    body: RunnerIn, request: Request, user_id: CurrentUser, services: Services
) -> RunnerOut:
    """Start a runner (or resume the one with the same settings) on the server's scheduler.

    Unsafe code is refused (422) before anything is stored.
    """
    paper = _paper(services, user_id)
    paper_request = _paper_request(body, request)

    def start() -> dict[str, Any]:
        record = paper.start(paper_request)
        if record.status not in ("finished", "failed"):
            _schedule(request, paper, record.runner_id)
        return paper.runner(record.runner_id)

    return RunnerOut(**await run_in_threadpool(start))


def _paper_request(body: RunnerIn, request: Request) -> PaperRequest:
    from vibetrading.bootstrap_paper import paper_risk
    from vibetrading.domain.strategy import StrategySpec
    from vibetrading.domain.trading.enums import TradingMode

    settings = request.app.state.settings
    try:
        spec = StrategySpec.model_validate(body.spec) if body.spec is not None else None
    except ValidationError as e:
        raise SpecError(f"The spec is invalid: {e.errors()[0]['msg']}.") from None
    return PaperRequest(
        symbol=body.symbol,
        strategy=body.strategy,
        spec=spec,
        code=body.code,
        strategy_id=body.strategy_id,
        mode=TradingMode(body.mode),
        feed=body.feed,
        start=body.start,
        end=body.end,
        speed=body.speed,
        cash=body.cash,
        risk=paper_risk(
            settings,
            max_order_notional=body.max_order_notional,
            max_position_notional=body.max_position_notional,
            max_daily_loss=body.max_daily_loss,
        ),
        max_volume_share=body.max_volume_share or settings.paper_max_volume_share,
    )


@router.get("/paper/runners/{runner_id}", response_model=RunnerOut)
async def get_runner(runner_id: str, user_id: CurrentUser, services: Services) -> RunnerOut:
    """Return one of your runners."""
    return RunnerOut(**await run_in_threadpool(_paper(services, user_id).runner, runner_id))


@router.post("/paper/runners/{runner_id}/stop", response_model=RunnerOut)
async def stop_runner(
    runner_id: str, request: Request, user_id: CurrentUser, services: Services
) -> RunnerOut:
    """Stop a runner: a replay stops at its next bar, a live runner polls no more."""
    paper = _paper(services, user_id)

    def stop() -> dict[str, Any]:
        paper.stop(runner_id)
        _unschedule(request, runner_id)
        return paper.runner(runner_id)

    return RunnerOut(**await run_in_threadpool(stop))


@router.delete("/paper/runners/{runner_id}", status_code=204, response_class=Response)
async def delete_runner(
    runner_id: str, request: Request, user_id: CurrentUser, services: Services
) -> Response:
    """Stop a runner and delete it with its orders, fills, positions and equity."""
    paper = _paper(services, user_id)

    def delete() -> None:
        paper.stop(runner_id)
        _unschedule(request, runner_id)
        paper.reset(runner_id)

    await run_in_threadpool(delete)
    return Response(status_code=204)


# -- accounts, positions, orders, fills -------------------------------------------------


@router.get("/paper/accounts", response_model=list[AccountOut])
async def list_accounts(user_id: CurrentUser, services: Services) -> list[AccountOut]:
    """List the account of each of your runners: mode, cash, equity, positions."""
    rows = await run_in_threadpool(_paper(services, user_id).status)
    fields = set(AccountOut.model_fields)
    return [AccountOut(**{k: v for k, v in row.items() if k in fields}) for row in rows]


@router.get("/paper/positions", response_model=list[PositionOut])
async def list_positions(user_id: CurrentUser, services: Services) -> list[PositionOut]:
    """List what your runners hold."""
    rows = await run_in_threadpool(_paper(services, user_id).positions)
    return [PositionOut(**row) for row in rows]


@router.get("/paper/orders", response_model=list[OrderOut])
async def list_orders(
    user_id: CurrentUser, services: Services, runner_id: RunnerId = None
) -> list[OrderOut]:
    """List the orders of your runners (or of one)."""
    orders = await run_in_threadpool(_paper(services, user_id).orders, runner_id)
    return [OrderOut.of(order) for order in orders]


@router.get("/paper/fills", response_model=list[FillOut])
async def list_fills(
    user_id: CurrentUser, services: Services, runner_id: RunnerId = None
) -> list[FillOut]:
    """List the fills of your runners (or of one)."""
    fills = await run_in_threadpool(_paper(services, user_id).fills, runner_id)
    return [FillOut.of(fill) for fill in fills]


@router.post("/paper/orders", status_code=201, response_model=OrderOut)
async def place_order(body: OrderIn, user_id: CurrentUser, services: Services) -> OrderOut:
    """Place a manual order on one of your accounts (the newest trading the symbol by
    default). The answer shows its mode and status; a rejection says why in words."""
    from vibetrading.domain.trading.enums import OrderSide

    paper = _paper(services, user_id)

    def place() -> OrderOut:
        account = paper.account_for(body.symbol, body.runner_id)
        order = paper.place_order(
            body.symbol,
            OrderSide(body.side),
            body.quantity,
            limit_price=body.limit_price,
            runner_id=account["runner_id"],
            client_order_id=body.client_order_id,
        )
        return OrderOut.of(order, runner_id=account["runner_id"], mode=account["mode"])

    return await run_in_threadpool(place)


@router.post("/paper/orders/{client_order_id}/cancel", response_model=OrderOut)
async def cancel_order(
    client_order_id: str, user_id: CurrentUser, services: Services, runner_id: RunnerId = None
) -> OrderOut:
    """Cancel one of your working orders; a runner that is running drops it at its next bar."""
    paper = _paper(services, user_id)
    order = await run_in_threadpool(paper.cancel_order, client_order_id, runner_id=runner_id)
    return OrderOut.of(order)


# -- events ------------------------------------------------------------------------------


@router.websocket("/ws/paper")
async def watch_paper(websocket: WebSocket, runner_id: str | None = None) -> None:
    """Send your runners' events (of one runner with ``?runner_id=``) as JSON messages.

    The first message is ``{"type": "hello", "data": {"runners": [...]}}`` with their
    current state; then ``order``, ``fill``, ``position``, ``account`` and ``runner``
    events as they happen, and a ``ping`` after each quiet ``HEARTBEAT_S``, until the
    client disconnects.
    """
    user_id = await websocket_user(websocket)
    services: ApiServices = websocket.app.state.services
    if user_id is None:
        await websocket.close(code=4401, reason="log in first")
        return
    if services.paper is None:
        await websocket.close(code=4404, reason="paper trading is not available")
        return
    paper = services.paper.for_user(user_id)
    await websocket.accept()
    events = paper.events.subscribe(user_id, runner_id)  # before the state: no event lost
    try:
        rows = await run_in_threadpool(paper.status)
        runners = [row for row in rows if runner_id is None or row["runner_id"] == runner_id]
        await websocket.send_json(
            {"type": "hello", "runner_id": runner_id, "data": {"runners": runners}}
        )
        while True:
            try:
                event = await asyncio.wait_for(anext(events), timeout=HEARTBEAT_S)
            except TimeoutError:
                await websocket.send_json({"type": "ping", "runner_id": runner_id, "data": {}})
                continue
            await websocket.send_json(event.to_dict())
    except WebSocketDisconnect:
        return
    finally:
        events.close()
