"""Fan paper-trading events out to asynchronous subscribers (the API's WebSocket).

Runners publish from whatever thread drives them (the scheduler's, a request's); each
subscriber is an asyncio queue on its own event loop, fed thread-safely and filtered by
user and, optionally, runner. A subscriber that falls behind loses its oldest events,
never the publisher's time.
"""

from __future__ import annotations

import asyncio
import threading

from vibetrading.services.runner import PaperEvent

__all__ = ["PaperEventHub", "PaperSubscription"]


class PaperSubscription:
    """The events of one subscriber, registered from its creation until ``close``.

    Iterate it with ``async for``; close it when done (``async with`` does both ends).
    """

    def __init__(
        self, hub: PaperEventHub, user_id: str | None, runner_id: str | None, max_queued: int
    ) -> None:
        self.hub = hub
        self.user_id = user_id
        self.runner_id = runner_id
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[PaperEvent] = asyncio.Queue(maxsize=max_queued)

    def wants(self, event: PaperEvent) -> bool:
        """Return True when `event` belongs to this subscription's user (and runner)."""
        if self.user_id is not None and event.user_id != self.user_id:
            return False
        return self.runner_id is None or event.runner_id == self.runner_id

    def put(self, event: PaperEvent) -> None:
        """Queue `event` (on the subscriber's loop), dropping the oldest when full."""
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(event)

    def __aiter__(self) -> PaperSubscription:
        return self

    async def __anext__(self) -> PaperEvent:
        return await self.queue.get()

    async def __aenter__(self) -> PaperSubscription:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop receiving events."""
        self.hub.unsubscribe(self)


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
        self._subscriptions: list[PaperSubscription] = []

    @property
    def subscribers(self) -> int:
        """Return how many subscriptions are open."""
        with self._lock:
            return len(self._subscriptions)

    def publish(self, event: PaperEvent) -> None:
        """Hand `event` to every subscription of its user (and runner); never blocks."""
        with self._lock:
            targets = [s for s in self._subscriptions if s.wants(event)]
        for subscription in targets:
            try:
                subscription.loop.call_soon_threadsafe(subscription.put, event)
            except RuntimeError:  # its loop closed meanwhile; it is closed on its way out
                continue

    def subscribe(self, user_id: str | None, runner_id: str | None = None) -> PaperSubscription:
        """Return a subscription to the events of `user_id` (every user's when None), of
        one runner if given, receiving from now on; call it inside the consumer's loop."""
        subscription = PaperSubscription(self, user_id, runner_id, self.max_queued)
        with self._lock:
            self._subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, subscription: PaperSubscription) -> None:
        """Remove a subscription (closing it twice is harmless)."""
        with self._lock:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)
