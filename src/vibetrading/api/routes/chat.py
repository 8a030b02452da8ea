"""Chat routes: talk an idea into a strategy, streamed as server-sent events or over a
WebSocket, and read past conversations.

Each copilot event is sent as ``event: <type>`` with its data as JSON (SSE), or as the
JSON object ``{"type", "data"}`` (WebSocket). A client that goes away cancels the reply.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from vibetrading.api.deps import CurrentUser, Services, list_query
from vibetrading.api.problems import ProblemError
from vibetrading.api.routes import PROBLEMS
from vibetrading.api.routes.jobs import error_event, websocket_user
from vibetrading.api.schemas import ChatIn, ConversationOut, MessageOut, PageOut
from vibetrading.errors import VibeTradingError
from vibetrading.services.container import ApiServices
from vibetrading.services.problems import problem
from vibetrading.services.records import ListQuery

__all__ = ["router", "sse"]

router = APIRouter(tags=["chat"], responses=PROBLEMS)
_END = object()


def sse(event: dict[str, Any]) -> str:
    """Return one server-sent event for a ``{"type", "data"}`` copilot event."""
    return f"event: {event['type']}\ndata: {json.dumps(event['data'], default=str)}\n\n"


def _copilot(services: ApiServices) -> Any:
    if services.copilot is None:
        raise ProblemError(503, "The copilot is not available in this server.", slug="unavailable")
    return services.copilot


def _invalid(error: Exception) -> dict[str, Any]:
    detail = str(error)[:500]
    return {
        "type": "error",
        "data": problem("validation-error", "Invalid request", detail, status=422),
    }


def _next(iterator: Iterator[Any]) -> Any:
    return next(iterator, _END)


def _as_dict(event: Any) -> dict[str, Any]:
    return event.as_dict() if hasattr(event, "as_dict") else dict(event)


@router.post(
    "/chat/strategy",
    response_class=StreamingResponse,
    responses={200: {"description": "Copilot events.", "content": {"text/event-stream": {}}}},
)
async def chat_strategy(body: ChatIn, user_id: CurrentUser, services: Services) -> Response:
    """Send a message to the copilot; the reply streams as server-sent events."""
    copilot = _copilot(services)
    cancel = threading.Event()
    iterator = iter(
        copilot.chat(user_id, body.message, conversation_id=body.conversation_id, cancel=cancel)
    )
    first = await run_in_threadpool(_next, iterator)  # errors before streaming are problems

    async def stream() -> AsyncIterator[str]:
        event = first
        try:
            while event is not _END:
                yield sse(_as_dict(event))
                event = await run_in_threadpool(_next, iterator)
        except VibeTradingError as e:
            yield sse(error_event(e))
        finally:
            cancel.set()

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.websocket("/ws/chat")
async def chat_socket(websocket: WebSocket) -> None:
    """Chat over a WebSocket: send ``{"message", "conversation_id"}``, receive events."""
    user_id = await websocket_user(websocket)
    if user_id is None:
        await websocket.close(code=4401, reason="log in first")
        return
    services: ApiServices = websocket.app.state.services
    await websocket.accept()
    try:
        while True:
            try:
                body = ChatIn.model_validate(await websocket.receive_json())
            except (ValidationError, ValueError) as e:
                await websocket.send_json(_invalid(e))
                continue
            await _reply(websocket, services, user_id, body)
    except WebSocketDisconnect:
        return


async def _reply(websocket: WebSocket, services: ApiServices, user_id: str, body: ChatIn) -> None:
    if services.copilot is None:
        detail = "The copilot is not available in this server."
        unavailable = problem("unavailable", "Service unavailable", detail, status=503)
        await websocket.send_json({"type": "error", "data": unavailable})
        return
    cancel = threading.Event()
    try:
        iterator = iter(
            services.copilot.chat(
                user_id, body.message, conversation_id=body.conversation_id, cancel=cancel
            )
        )
        while (event := await run_in_threadpool(_next, iterator)) is not _END:
            await websocket.send_json(_as_dict(event))
    except VibeTradingError as e:
        await websocket.send_json(error_event(e))
    finally:
        cancel.set()


@router.get("/conversations", response_model=PageOut[ConversationOut])
async def list_conversations(
    user_id: CurrentUser,
    services: Services,
    query: Annotated[ListQuery, Depends(list_query)],
    strategy_id: Annotated[str | None, Query(max_length=64)] = None,
) -> PageOut[ConversationOut]:
    """List your conversations (sort: updated_at, created_at, title; filter: strategy_id)."""
    if strategy_id is not None:
        query = ListQuery(
            limit=query.limit,
            offset=query.offset,
            sort=query.sort,
            descending=query.descending,
            filters={"strategy_id": strategy_id},
        )
    page = await run_in_threadpool(services.store.conversations.list, user_id, query)
    return PageOut[ConversationOut](
        items=[ConversationOut.of(c) for c in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/conversations/{conversation_id}", response_model=ConversationOut)
async def get_conversation(
    conversation_id: str, user_id: CurrentUser, services: Services
) -> ConversationOut:
    """Return one of your conversations."""
    found = await run_in_threadpool(services.store.conversations.get, user_id, conversation_id)
    return ConversationOut.of(found)


@router.get("/conversations/{conversation_id}/messages", response_model=PageOut[MessageOut])
async def list_messages(
    conversation_id: str,
    user_id: CurrentUser,
    services: Services,
    query: Annotated[ListQuery, Depends(list_query)],
) -> PageOut[MessageOut]:
    """List the messages of a conversation (default: oldest first; sort: seq, created_at)."""
    if query.sort is None:
        query = ListQuery(limit=query.limit, offset=query.offset, sort="seq", descending=False)
    page = await run_in_threadpool(
        services.store.conversations.list_messages, user_id, conversation_id, query
    )
    return PageOut[MessageOut](
        items=[MessageOut.of(m) for m in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.delete("/conversations/{conversation_id}", status_code=204, response_class=Response)
async def delete_conversation(
    conversation_id: str, user_id: CurrentUser, services: Services
) -> Response:
    """Delete one of your conversations and its messages."""
    await run_in_threadpool(services.store.conversations.delete, user_id, conversation_id)
    return Response(status_code=204)
