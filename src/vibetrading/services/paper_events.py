"""Fan paper-trading events out to asynchronous subscribers (the API's WebSocket).

Runners publish from whatever thread drives them (the scheduler's, a request's); each
subscriber is an asyncio queue on its own event loop, fed thread-safely and filtered by
user and, optionally, runner. A subscriber that falls behind loses its oldest events,
never the publisher's time.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass

from vibetrading.services.runner import PaperEvent

__all__ = ["PaperEventHub"]


@dataclass(eq=False)
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[PaperEvent]
    user_id: str | None
    runner_id: str | None

    def wants(self, event: PaperEvent) -> bool:
        if self.user_id is not None and event.user_id != self.user_id:
            return False
        return self.runner_id is None or event.runner_id == self.runner_id

    def put(self, event: PaperEvent) -> None:  # runs on the subscriber's loop
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(event)


class PaperEventHub:
    """Publish ``PaperEvent``s from any thread; subscribe to them from asyncio code.

    >>> hub = PaperEventHub()
    >>> hub.publish(PaperEvent("order", "r1", {}, user_id="u1"))  # nobody listens: dropped
    >>> hub.subscribers
    0
    """

    def __init__(self, *, max_queued: int = 1000) -> None:
        self.max_queued = max_queued
        self._lock = threading.Lock()
        self._subscribers: list[_Subscriber] = []

    @property
    def subscribers(self) -> int:
        """Return how many subscriptions are open."""
        with self._lock:
            return len(self._subscribers)

    def publish(self, event: PaperEvent) -> None:
        """Hand `event` to every subscriber of its user (and runner); never blocks."""
        with self._lock:
            targets = [s for s in self._subscribers if s.wants(event)]
        for subscriber in targets:
            try:
                subscriber.loop.call_soon_threadsafe(subscriber.put, event)
            except RuntimeError:  # its loop closed meanwhile; it unsubscribes on its way out
                continue

    async def subscribe(
        self, user_id: str | None, runner_id: str | None = None
    ) -> AsyncIterator[PaperEvent]:
        """Yield the events of `user_id` (every user's when None), of one runner if given,
        from the moment of the call until the consumer stops iterating."""
        subscriber = _Subscriber(
            loop=asyncio.get_running_loop(),
            queue=asyncio.Queue(maxsize=self.max_queued),
            user_id=user_id,
            runner_id=runner_id,
        )
        with self._lock:
            self._subscribers.append(subscriber)
        try:
            while True:
                yield await subscriber.queue.get()
        finally:
            with self._lock:
                self._subscribers.remove(subscriber)
