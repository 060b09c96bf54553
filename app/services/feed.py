"""The live feed of opened tickets: a broker behind a small interface, filtered per subscriber."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from app.models import Ticket
from app.services.actors import Actor, load_actor
from app.services.ticket_list import TicketFilter, matching_tickets

SUBSCRIBER_QUEUE_SIZE = 1_000


@dataclass(frozen=True)
class TicketOpened:
    position: int
    ticket_id: int


class Delivery(NamedTuple):
    """An opened ticket for one subscriber, with the subscriber as they are now."""

    position: int
    ticket: Ticket
    viewer: Actor


# The feed takes the list's filter (clients send its type, priority and team fields),
# so that a ticket matches the feed exactly when it would match the list.
FeedFilter = TicketFilter


class SubscriberTooSlow(Exception):
    """A subscriber's queue filled up: it is dropped rather than slowing everyone."""


class Broker(Protocol):
    async def publish(self, ticket_id: int) -> None: ...

    @property
    def subscriber_count(self) -> int: ...

    def subscribe(self) -> AbstractAsyncContextManager[AsyncIterator[TicketOpened]]: ...


class InMemoryBroker:
    """One process, no persistence: enough while the service runs as a single worker."""

    def __init__(self, queue_size: int = SUBSCRIBER_QUEUE_SIZE) -> None:
        # Each queue holds queue_size events plus room for the end-of-stream mark, so a
        # dropped subscriber still receives every event before it: a gap-free prefix.
        self._queues: set[asyncio.Queue[TicketOpened | None]] = set()
        self._position = 0
        self._queue_size = queue_size

    @property
    def subscriber_count(self) -> int:
        return len(self._queues)

    async def publish(self, ticket_id: int) -> None:
        self._position += 1
        event = TicketOpened(self._position, ticket_id)
        for queue in list(self._queues):
            if queue.qsize() < self._queue_size:
                queue.put_nowait(event)
            else:
                self._queues.discard(queue)
                queue.put_nowait(None)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[TicketOpened]]:
        queue: asyncio.Queue[TicketOpened | None] = asyncio.Queue(self._queue_size + 1)
        self._queues.add(queue)
        try:
            yield _drain(queue)
        finally:
            self._queues.discard(queue)


async def _drain(queue: asyncio.Queue[TicketOpened | None]) -> AsyncIterator[TicketOpened]:
    while (event := await queue.get()) is not None:
        yield event
    raise SubscriberTooSlow("the subscriber fell too far behind and was disconnected")


_broker: Broker = InMemoryBroker()


def use_broker(broker: Broker) -> None:
    global _broker
    _broker = broker


def subscriber_count() -> int:
    """How many feed subscriptions this process serves now."""
    return _broker.subscriber_count


async def announce_ticket_opened(ticket_id: int) -> None:
    """Call only after the submission committed."""
    await _broker.publish(ticket_id)


async def ticket_opened_stream(*, actor: Actor, flt: FeedFilter) -> AsyncIterator[Delivery]:
    """Opened tickets the actor may see and that match the filter, as they come.

    Visibility is checked per event with fresh data: a user deactivated or
    moved out of a team stops receiving that team's tickets at once.
    """
    async with _broker.subscribe() as events:
        async for event in events:
            current = await load_actor(actor.id)
            if current is None:
                return
            query = matching_tickets(current, flt).filter(id=event.ticket_id)
            ticket = await query.first()
            if ticket is not None:
                yield Delivery(event.position, ticket, current)
