"""The live feed: tickets opened (ticketOpened) and changes of one ticket (ticketUpdated).

Each submission or change of a submitted ticket writes a FeedEvent in its own
transaction, at a position taken from a counter row that the transaction holds until it
commits: positions are gapless and in commit order. The table is the truth; brokers only
wake each process's FeedHub, which reads the new events once and hands each to the local
subscribers allowed to see it. A subscriber of opened tickets that resumes after a
position replays the table first, then goes live.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, Protocol

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.models import Counter, FeedEvent, Release, Ticket
from app.models.enums import FeedEventKind, Priority, TicketType
from app.services.actors import Actor, load_actor, load_actors
from app.services.errors import ErrorCode, fail, not_found
from app.services.visibility import can_see, can_see_in, get_visible_ticket, handles

logger = logging.getLogger(__name__)

FEED_COUNTER = "feed_position"
BATCH = 500
FALLBACK_POLL = 5.0  # seconds: bounds the delay if a wake-up is ever lost
PURGE_EVERY = 3600.0
# Young collections once the tracked objects grew by this much (CPython's default: 700).
GC_YOUNG_THRESHOLD = 100_000


class Broker(Protocol):
    """Wakes every process's hub when events were committed."""

    async def announce(self, connection: BaseDBAsyncClient, position: int) -> None:
        """Inside the submitting transaction (PostgreSQL NOTIFY is delivered at commit)."""

    async def committed(self, position: int) -> None:
        """After the submitting transaction committed."""

    async def listen(self, wake: Callable[[], None]) -> None:
        """Call wake on every announcement and on every (re)connection, until cancelled."""


@dataclass(frozen=True)
class FeedFilter:
    """Which opened tickets a ticketOpened subscriber wants."""

    type: list[TicketType] | None = None
    priority: list[Priority] | None = None
    team_id: int | None = None

    def matches(self, ticket: Ticket) -> bool:
        return (
            (self.type is None or ticket.type in self.type)
            and (self.priority is None or ticket.priority in self.priority)
            and (self.team_id is None or ticket.team_id == self.team_id)  # type: ignore[attr-defined]
        )


class Delivery(NamedTuple):
    """An event for one subscriber, with the subscriber as they are now."""

    position: int
    ticket: Ticket
    viewer: Actor
    # One dict per event, handed to each of its subscribers: what the presentation layer
    # makes once for all of them (app/schema/subscriptions.py and execution.py).
    shared: dict[Hashable, object]


class ReleaseDelivery(NamedTuple):
    """A published release for one subscriber, with the subscriber as they are now."""

    position: int
    release: Release
    viewer: Actor


class StreamEnded(Exception):
    """Why the server ended a subscription; the client may act on it."""


class SubscriberTooSlow(StreamEnded):
    """A subscriber's queue filled up: it is dropped rather than slowing everyone."""


class ViewerSignedOut(StreamEnded):
    """The subscriber's account was deactivated while subscribed."""

    def __init__(self) -> None:
        super().__init__("this account is no longer active: the subscription has ended")


class Sink(Protocol):
    """Sends a subscriber's deliveries from the hub itself, without waking the subscriber's
    task: with thousands of subscribers, the wake-ups and each message's way through the
    ASGI layers were a large part of the delay (docs/benchmarks.md). Sinks with equal keys
    send the same encoding of an event."""

    key: Hashable

    async def encode(self, delivery: Delivery) -> bytes | None:
        """The delivery as this sink sends it; None when it must take the ordinary way."""

    def send(self, encoded: bytes) -> bool:
        """Send at once, never waiting; False when it cannot (the socket is backed up or
        closing): then the delivery is queued as usual."""


class Subscriber:
    """One subscription: of opened tickets (flt), of the changes of one ticket, or of
    published releases."""

    def __init__(
        self,
        user_id: int,
        flt: FeedFilter,
        queue_size: int,
        *,
        ticket_id: int | None = None,
        releases: bool = False,
        sink: Sink | None = None,
    ) -> None:
        self.user_id = user_id
        self.flt = flt
        self.ticket_id = ticket_id
        self.releases = releases
        self.queue_size = queue_size
        # One slot more than queue_size for the end-of-stream mark: a dropped subscriber
        # still receives every event before it, a gap-free prefix.
        self.queue: asyncio.Queue[Delivery | ReleaseDelivery | None] = asyncio.Queue(queue_size + 1)
        self.sink = sink
        self.waiting = False  # its stream waits for the next delivery
        self.last = -1  # the position of the last event delivered
        self.too_slow = False
        self.lost_sight = False  # ticketUpdated: the viewer may no longer see the ticket
        self.signed_out = False
        self.closed = False

    async def next(self) -> Delivery | ReleaseDelivery | None:
        """The next delivery; None when the hub closed the subscription."""
        self.waiting = True
        try:
            return await self.queue.get()
        finally:
            self.waiting = False

    def accept(
        self, event: FeedEvent, viewer: Actor | None, shared: dict[Hashable, object] | None = None
    ) -> Delivery | ReleaseDelivery | None:
        """The delivery of the event if it is one this subscriber wants and the viewer, as
        loaded now, may see it; closes the subscription when it must end. The hub passes
        one shared dict per event to all its subscribers; without one, the delivery gets
        its own."""
        if self.closed:
            return None
        if viewer is None:  # deactivated meanwhile: the stream ends
            self.signed_out = True
            self._close()
            return None
        if self.releases:
            # Who may see the release is checked by the stream (it takes a query).
            release: Release = event.release  # type: ignore[assignment]
            return ReleaseDelivery(event.position, release, viewer)
        ticket: Ticket = event.ticket  # type: ignore[assignment]
        if self.ticket_id is None:
            wanted = opens_for(viewer, event) and self.flt.matches(ticket)
        elif ticket.id != self.ticket_id:
            wanted = False
        elif not can_see(viewer, ticket):  # re-routed away, or the viewer left the team
            self.lost_sight = True
            self._close()
            return None
        else:
            # An internal note is news only to those who see notes.
            wanted = not event.internal or handles(viewer, ticket.team_id)  # type: ignore[attr-defined]
        if not wanted:
            return None
        return Delivery(event.position, ticket, viewer, {} if shared is None else shared)

    def may_send_directly(self, delivery: Delivery | ReleaseDelivery) -> bool:
        """Whether the sink may send this delivery now: the stream waits on an empty queue,
        so nothing before it is still on its way, and it is past what the stream gave
        (a replay may have given it already)."""
        return (
            self.sink is not None
            and self.waiting
            and not self.closed
            and self.queue.empty()
            and delivery.position > self.last
        )

    def send_directly(self, delivery: Delivery | ReleaseDelivery, encoded: bytes | None) -> bool:
        """Whether the sink sent the delivery, encoded; else it is to be queued."""
        # Checked again: encoding the event let other tasks run.
        if encoded is None or self.sink is None or not self.may_send_directly(delivery):
            return False
        try:
            sent = self.sink.send(encoded)
        except Exception:  # the ordinary way, through the queue, reports what went wrong
            logger.exception("feed: could not send an event directly")
            return False
        if sent:
            self.last = delivery.position
        return sent

    def put(self, delivery: Delivery | ReleaseDelivery) -> None:
        if self.queue.qsize() >= self.queue_size:
            self.too_slow = True
            self._close()
        else:
            self.queue.put_nowait(delivery)

    def _close(self) -> None:
        self.closed = True
        self.queue.put_nowait(None)


# The events of the feed of opened tickets (ticketOpened).
OPENING = (FeedEventKind.OPENED, FeedEventKind.ROUTED)


def opens_for(viewer: Actor, event: FeedEvent) -> bool:
    """Whether the event brings its ticket into the viewer's feed of opened tickets: its
    submission, or its re-routing to a team of theirs when they could not see it before.
    Judged with the teams the event recorded, so that a replay gives what live delivery
    gave, and only while the viewer may still see the ticket."""
    ticket: Ticket = event.ticket  # type: ignore[assignment]
    if event.kind not in OPENING or not can_see(viewer, ticket):
        return False
    moved = event.team_id != ticket.team_id  # type: ignore[attr-defined]
    if moved and not can_see_in(viewer, ticket, event.team_id):
        return False
    return event.kind is FeedEventKind.OPENED or not can_see_in(
        viewer, ticket, event.team_before_id
    )


class FeedHub:
    """One per process: reads new events once and fans them out to local subscribers."""

    def __init__(self, broker: Broker, *, queue_size: int, retention: timedelta) -> None:
        self.broker = broker
        self.queue_size = queue_size
        self.retention = retention
        self.head = 0
        # Subscribers of opened tickets, and of one ticket's changes by ticket id.
        self._subscribers: set[Subscriber] = set()
        self._watchers: dict[int, set[Subscriber]] = {}
        self._release_subscribers: set[Subscriber] = set()
        self._wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def subscriber_count(self) -> int:
        watchers = sum(len(w) for w in self._watchers.values())
        return len(self._subscribers) + watchers + len(self._release_subscribers)

    async def start(self) -> None:
        self.head = await _head()
        self._tasks = [
            asyncio.create_task(self.broker.listen(self.wake), name="feed-listener"),
            asyncio.create_task(self._pump(), name="feed-pump"),
            asyncio.create_task(self._purge(), name="feed-purge"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def wake(self) -> None:
        self._wakeup.set()

    def subscribe(self, user_id: int, flt: FeedFilter, sink: Sink | None = None) -> Subscriber:
        subscriber = Subscriber(user_id, flt, self.queue_size, sink=sink)
        self._subscribers.add(subscriber)
        return subscriber

    def watch(self, user_id: int, ticket_id: int) -> Subscriber:
        subscriber = Subscriber(user_id, FeedFilter(), self.queue_size, ticket_id=ticket_id)
        self._watchers.setdefault(ticket_id, set()).add(subscriber)
        return subscriber

    def watch_releases(self, user_id: int) -> Subscriber:
        subscriber = Subscriber(user_id, FeedFilter(), self.queue_size, releases=True)
        self._release_subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber.releases:
            self._release_subscribers.discard(subscriber)
            return
        if subscriber.ticket_id is None:
            self._subscribers.discard(subscriber)
            return
        watchers = self._watchers.get(subscriber.ticket_id, set())
        watchers.discard(subscriber)
        if not watchers:
            self._watchers.pop(subscriber.ticket_id, None)

    async def _pump(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), FALLBACK_POLL)
            self._wakeup.clear()
            try:
                await self.deliver_new_events()
            except Exception:  # the database may be restarting: retry on the next wake-up
                logger.exception("feed: could not read new events")
                await asyncio.sleep(1)

    def _concerned(self, event: FeedEvent) -> list[Subscriber]:
        if event.kind is FeedEventKind.PUBLISHED:
            return [s for s in self._release_subscribers if not s.closed]
        # A re-routing also writes a CHANGED event: the ticket's watchers hear of that one.
        watchers = (
            self._watchers.get(event.ticket_id, ())  # type: ignore[attr-defined]
            if event.kind is not FeedEventKind.ROUTED
            else ()
        )
        opened = self._subscribers if event.kind in OPENING else ()
        return [s for group in (opened, watchers) for s in group if not s.closed]

    async def deliver_new_events(self) -> None:
        while events := await _events_after(self.head, BATCH):
            concerned = [self._concerned(event) for event in events]
            user_ids = {s.user_id for subscribers in concerned for s in subscribers}
            viewers = await load_actors(user_ids) if user_ids else {}
            for event, subscribers in zip(events, concerned, strict=True):
                await self._fan_out(event, subscribers, viewers)
                self.head = event.position

    async def _fan_out(
        self, event: FeedEvent, subscribers: list[Subscriber], viewers: dict[int, Actor]
    ) -> None:
        shared: dict[Hashable, object] = {}
        encodings: dict[Hashable, bytes | None] = {}  # by sink key: one encoding per event
        for subscriber in subscribers:
            delivery = subscriber.accept(event, viewers.get(subscriber.user_id), shared)
            if delivery is not None:
                sink = subscriber.sink
                if sink is not None and subscriber.may_send_directly(delivery):
                    if sink.key not in encodings:
                        encodings[sink.key] = await _encode(sink, delivery)
                    if subscriber.send_directly(delivery, encodings[sink.key]):
                        continue
                subscriber.put(delivery)
            if subscriber.closed:
                self.unsubscribe(subscriber)

    async def _purge(self) -> None:
        while True:
            try:
                await purge_feed_events(older_than=self.retention)
            except Exception:
                logger.exception("feed: could not purge old events")
            await asyncio.sleep(PURGE_EVERY)


async def _encode(sink: Sink, delivery: Delivery | ReleaseDelivery) -> bytes | None:
    try:
        return await sink.encode(delivery)  # type: ignore[arg-type]
    except Exception:  # the ordinary way, through the queue, reports what went wrong
        logger.exception("feed: could not encode an event for its subscribers' sinks")
        return None


async def _head() -> int:
    counter = await Counter.get(name=FEED_COUNTER)
    return int(counter.value)


async def _events_after(
    position: int, limit: int, kinds: tuple[FeedEventKind, ...] = ()
) -> list[FeedEvent]:
    query = FeedEvent.filter(position__gt=position).order_by("position").limit(limit)
    if kinds:
        query = query.filter(kind__in=kinds)
    # Every subscriber shows the author and team: loaded here once, not once per subscriber.
    return await query.select_related("ticket", "ticket__author", "ticket__team", "release")


class PendingEvent(NamedTuple):
    kind: FeedEventKind
    ticket_id: int | None = None
    release_id: int | None = None
    internal: bool = False
    team_id: int | None = None
    team_before_id: int | None = None


@dataclass
class Announcements:
    """What a transaction tells the feed: recorded just before it commits, announced after."""

    connection: BaseDBAsyncClient
    events: list[PendingEvent] = field(default_factory=list)

    def ticket_opened(self, ticket_id: int, *, team_id: int | None) -> None:
        self.events.append(PendingEvent(FeedEventKind.OPENED, ticket_id, team_id=team_id))

    def ticket_changed(self, ticket_id: int, *, internal: bool = False) -> None:
        """A change of a submitted ticket; internal when only note readers may hear of it."""
        self.events.append(PendingEvent(FeedEventKind.CHANGED, ticket_id, internal=internal))

    def ticket_routed(
        self, ticket_id: int, *, team_id: int | None, team_before_id: int | None
    ) -> None:
        """A submitted ticket now belongs to another team, whose handlers may be new to it."""
        self.events.append(
            PendingEvent(
                FeedEventKind.ROUTED, ticket_id, team_id=team_id, team_before_id=team_before_id
            )
        )

    def release_published(self, release_id: int) -> None:
        self.events.append(PendingEvent(FeedEventKind.PUBLISHED, release_id=release_id))


@asynccontextmanager
async def announcing() -> AsyncIterator[Announcements]:
    """A transaction whose announced tickets reach the feed once, and only if, it commits."""
    async with in_transaction() as connection:
        announcements = Announcements(connection)
        yield announcements
        position = await _record(connection, announcements.events)
    if position is not None:
        await events_committed(position)


async def events_committed(position: int) -> None:
    """After the transaction committed: wake the hubs that a NOTIFY does not reach."""
    if _hub is not None:
        await _hub.broker.committed(position)


async def _record(connection: BaseDBAsyncClient, events: list[PendingEvent]) -> int | None:
    """The events at the next positions, as the last step of the transaction; the last
    position, or None when there was nothing to record."""
    if not events:
        return None
    # The UPDATE locks the counter row until commit: positions follow commit order.
    counter = Counter.filter(name=FEED_COUNTER).using_db(connection)
    await counter.update(value=F("value") + len(events))
    last = int((await Counter.get(name=FEED_COUNTER).using_db(connection)).value)
    now = datetime.now(UTC)
    first = last - len(events) + 1
    for position, event in enumerate(events, start=first):
        await FeedEvent.create(
            position=position,
            kind=event.kind,
            ticket_id=event.ticket_id,
            release_id=event.release_id,
            internal=event.internal,
            team_id=event.team_id,
            team_before_id=event.team_before_id,
            created_at=now,
            using_db=connection,
        )
    if _hub is not None:
        await _hub.broker.announce(connection, last)
    return last


async def purge_feed_events(*, older_than: timedelta) -> int:
    """Forget events past the retention period; resuming before them becomes an error."""
    return await FeedEvent.filter(created_at__lt=datetime.now(UTC) - older_than).delete()


async def _check_resume_point(after: int, retention: timedelta) -> None:
    head = await _head()
    if not 0 <= after <= head:
        raise fail(ErrorCode.VALIDATION, "after is not a cursor of this feed", "after")
    if after < head and not await FeedEvent.exists(position=after + 1):
        days = retention.days or 1
        raise fail(
            ErrorCode.VALIDATION,
            f"after is older than the feed keeps ({days} days): reload the list instead",
            "after",
        )


async def _replay(user_id: int, flt: FeedFilter, after: int) -> AsyncIterator[Delivery]:
    while events := await _events_after(after, BATCH, OPENING):
        viewer = await load_actor(user_id)
        if viewer is None:
            raise ViewerSignedOut
        for event in events:
            if opens_for(viewer, event) and flt.matches(event.ticket):
                yield Delivery(event.position, event.ticket, viewer, {})
        after = events[-1].position


async def ticket_opened_stream(
    *, actor: Actor, flt: FeedFilter, after: int | None = None, sink: Sink | None = None
) -> AsyncIterator[Delivery]:
    """Opened tickets the actor may see and that match the filter, in position order.

    With after, first every such event after that position, then live, with no gap and
    no duplicate: the subscriber listens before the replay reads the table, and live
    events the replay already gave are skipped. Visibility is checked per event with
    fresh data, so a user deactivated or moved out of a team stops receiving at once.
    While the stream waits, the hub may hand live events to the sink instead: those are
    not yielded.
    """
    hub = _require_hub()
    subscriber = hub.subscribe(actor.id, flt, sink)
    try:
        if after is not None:
            await _check_resume_point(after, hub.retention)
            subscriber.last = after
            async for delivery in _replay(actor.id, flt, after):
                subscriber.last = delivery.position
                yield delivery
        while isinstance(delivery := await subscriber.next(), Delivery):
            if delivery.position > subscriber.last:
                subscriber.last = delivery.position
                yield delivery
        _why_it_ended(subscriber, "subscribe again with the last cursor received to resume")
    finally:
        hub.unsubscribe(subscriber)


def _why_it_ended(subscriber: Subscriber, how_to_resume: str) -> None:
    """The error that ends a stream the hub closed, if it ended for a reason."""
    if subscriber.signed_out:
        raise ViewerSignedOut
    if subscriber.lost_sight:
        raise not_found()
    if subscriber.too_slow:
        raise SubscriberTooSlow(
            f"this subscription fell too far behind and was closed: {how_to_resume}"
        )


async def ticket_changes(*, actor: Actor, ticket_id: int) -> AsyncIterator[Delivery]:
    """The ticket each time it changes, while the actor may see it: NOT_FOUND at once when
    they may not (hidden and missing alike), and when they no longer may. Internal notes
    reach only those who see notes. The stream listens before it checks, so no change
    that commits after the check is missed, and it skips the changes committed before."""
    hub = _require_hub()
    subscriber = hub.watch(actor.id, ticket_id)
    try:
        # Changes committed before this point that the hub has not read yet are older than
        # the subscription: what they changed is in any read of the ticket from now on.
        since = await _head()
        viewer = await load_actor(actor.id)  # as they are now, not when the socket opened
        if viewer is None:
            raise ViewerSignedOut
        if await get_visible_ticket(viewer, ticket_id=ticket_id) is None:
            raise not_found()
        while isinstance(delivery := await subscriber.next(), Delivery):
            if delivery.position > since:
                yield delivery
        _why_it_ended(subscriber, "read the ticket again, then subscribe again")
    finally:
        hub.unsubscribe(subscriber)


async def published_releases(*, actor: Actor) -> AsyncIterator[ReleaseDelivery]:
    """Releases as they are published, for the actor as they are then; whether the actor
    may see each one is for the caller to check (app/services/releases.py)."""
    hub = _require_hub()
    subscriber = hub.watch_releases(actor.id)
    try:
        while isinstance(delivery := await subscriber.next(), ReleaseDelivery):
            yield delivery
        _why_it_ended(subscriber, "read the releases again, then subscribe again")
    finally:
        hub.unsubscribe(subscriber)


_hub: FeedHub | None = None


def _require_hub() -> FeedHub:
    if _hub is None:
        raise RuntimeError("the feed is not started")
    return _hub


def tune_garbage_collector() -> None:
    """Keep the cyclic garbage collector from walking every subscription on every event.

    Each event makes a few dozen objects per subscriber that live until that subscriber
    has sent it. With thousands of subscribers, CPython's default thresholds start a young
    collection every 700 of them: the objects still in flight survive two and reach the
    oldest generation, and the full collections that follow walk every live subscription.
    At 5,000 subscribers that was over a third of the server's time (py-spy --native).
    With a higher first threshold an event's objects are mostly gone, freed by reference
    counting, before any collection sees them; cycles are still collected.
    """
    gc.collect()
    gc.freeze()  # what start-up made (schema, models, modules) lives as long as the process
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


async def start_feed(broker: Broker, *, queue_size: int, retention: timedelta) -> FeedHub:
    global _hub
    tune_garbage_collector()
    _hub = FeedHub(broker, queue_size=queue_size, retention=retention)
    await _hub.start()
    return _hub


async def stop_feed() -> None:
    global _hub
    if _hub is not None:
        await _hub.stop()
        _hub = None


def subscriber_count() -> int:
    """How many feed subscriptions this process serves now."""
    return _hub.subscriber_count if _hub else 0


def listener_connected() -> bool:
    """Whether this process hears of new events: the broker's listener is connected."""
    return _hub is not None and getattr(_hub.broker, "connected", True)
