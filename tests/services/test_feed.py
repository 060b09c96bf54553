"""Unit tests of app/services/feed.py: the broker, the per-subscriber stream, and announcing."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import pytest
from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient

from app.models import Membership, Team, Ticket, TicketEvent, User
from app.models.enums import Priority, Role, TicketEventKind, TicketStatus, TicketType
from app.services import feed, routing, tickets
from app.services.actors import Actor
from app.services.errors import DomainError
from app.services.feed import FeedFilter, InMemoryBroker, SubscriberTooSlow, TicketOpened
from tests.conftest import Desk, MakePerson, Person

QUIET = 0.3
_subjects = itertools.count(1)


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
async def broker() -> AsyncIterator[InMemoryBroker]:
    """A fresh broker behind the feed for one test; the original one is restored after."""
    original = feed._broker
    fresh = InMemoryBroker()
    feed.use_broker(fresh)
    try:
        yield fresh
    finally:
        feed.use_broker(original)


async def next_event(events: AsyncIterator[TicketOpened], seconds: float = 1) -> TicketOpened:
    return await asyncio.wait_for(anext(events), seconds)


async def drain(events: AsyncIterator[TicketOpened], into: list[int]) -> None:
    """Read a subscription to its end (within a second), noting the ticket ids."""
    async with asyncio.timeout(1):
        async for event in events:
            into.append(event.ticket_id)


async def draft(
    author: Person, ticket_type: TicketType | None, priority: Priority | None = None
) -> Ticket:
    return await tickets.create_draft(
        actor=await author.actor(),
        subject=f"Service feed ticket number {next(_subjects)}",
        type=ticket_type,
        priority=priority,
    )


async def open_ticket(
    author: Person, ticket_type: TicketType, priority: Priority | None = None
) -> Ticket:
    created = await draft(author, ticket_type, priority)
    return await tickets.submit_ticket(actor=await author.actor(), ticket_id=created.id)


class Stream:
    """ticket_opened_stream consumed in a task, as the subscription resolver consumes it."""

    def __init__(self, actor: Actor, flt: FeedFilter | None = None) -> None:
        self.actor = actor
        self.flt = flt or FeedFilter()
        self.received: asyncio.Queue[tuple[int, Ticket]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        async for item in feed.ticket_opened_stream(actor=self.actor, flt=self.flt):
            await self.received.put(item)

    async def __aenter__(self) -> Stream:
        listening = feed.subscriber_count()
        self.task = asyncio.create_task(self._run())
        for _ in range(100):
            if feed.subscriber_count() > listening or self.task.done():
                break
            await asyncio.sleep(0.01)
        assert feed.subscriber_count() > listening, "the stream did not subscribe"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    async def next(self, seconds: float = 2) -> tuple[int, Ticket]:
        return await asyncio.wait_for(self.received.get(), seconds)

    async def next_id(self, seconds: float = 2) -> int:
        return (await self.next(seconds))[1].id

    async def nothing_within(self, seconds: float = QUIET) -> None:
        with contextlib.suppress(TimeoutError):
            item = await self.next(seconds)
            raise AssertionError(f"expected nothing, got ticket #{item[1].number}")


# --- InMemoryBroker --------------------------------------------------------------------------


async def test_publish_reaches_every_subscriber_in_order() -> None:
    broker = InMemoryBroker()
    async with broker.subscribe() as first, broker.subscribe() as second:
        assert broker.subscriber_count == 2
        for ticket_id in (11, 12, 13):
            await broker.publish(ticket_id)
        got_first = [await next_event(first) for _ in range(3)]
        got_second = [await next_event(second) for _ in range(3)]
    assert [e.ticket_id for e in got_first] == [11, 12, 13]
    assert got_second == got_first
    positions = [e.position for e in got_first]
    assert positions == sorted(set(positions)), positions


async def test_positions_keep_increasing_across_subscriptions() -> None:
    broker = InMemoryBroker()
    async with broker.subscribe() as events:
        await broker.publish(1)
        earlier = await next_event(events)
    async with broker.subscribe() as events:
        await broker.publish(1)  # the same ticket announced again is another event
        later = await next_event(events)
    assert later.position > earlier.position


async def test_subscriber_receives_only_what_is_published_after_it_subscribed() -> None:
    broker = InMemoryBroker()
    await broker.publish(1)  # nobody listens: no error, nothing kept for later
    async with broker.subscribe() as events:
        await broker.publish(2)
        assert (await next_event(events)).ticket_id == 2


async def _leave_with_an_error(broker: InMemoryBroker) -> None:
    async with broker.subscribe():
        assert broker.subscriber_count == 1
        raise RuntimeError("client went away")


async def test_unsubscribes_on_exit_of_the_context_manager() -> None:
    broker = InMemoryBroker()
    async with broker.subscribe():
        assert broker.subscriber_count == 1
        async with broker.subscribe():
            assert broker.subscriber_count == 2
        assert broker.subscriber_count == 1
    assert broker.subscriber_count == 0
    with pytest.raises(RuntimeError, match="client went away"):
        await _leave_with_an_error(broker)
    assert broker.subscriber_count == 0
    await broker.publish(1)  # publishing to nobody after everyone left is fine


async def test_subscriber_count_follows_the_broker_in_use(broker: InMemoryBroker) -> None:
    assert feed.subscriber_count() == 0
    async with broker.subscribe():
        assert feed.subscriber_count() == 1
    assert feed.subscriber_count() == 0


async def test_queue_holds_queue_size_pending_events_without_dropping() -> None:
    broker = InMemoryBroker(queue_size=3)
    async with broker.subscribe() as events:
        for ticket_id in (1, 2, 3):
            await broker.publish(ticket_id)
        assert broker.subscriber_count == 1
        assert [(await next_event(events)).ticket_id for _ in range(3)] == [1, 2, 3]


async def test_slow_subscriber_is_dropped_while_another_keeps_receiving_everything() -> None:
    broker = InMemoryBroker(queue_size=3)
    async with broker.subscribe() as slow, broker.subscribe() as fast:
        received = []
        for ticket_id in range(1, 11):
            await broker.publish(ticket_id)
            received.append((await next_event(fast)).ticket_id)
        assert received == list(range(1, 11))
        assert broker.subscriber_count == 1  # the slow one is no longer fed

        drained: list[int] = []
        with pytest.raises(SubscriberTooSlow):
            await drain(slow, drained)
        assert len(drained) <= 3, drained
        assert set(drained) <= {1, 2, 3}, drained

        # The fast one is unaffected by the drop.
        await broker.publish(11)
        assert (await next_event(fast)).ticket_id == 11
    assert broker.subscriber_count == 0


async def test_slow_subscriber_gets_a_gap_free_prefix_before_being_dropped() -> None:
    """What a dropped subscriber received must end at a cursor it can resume from:
    no event may be silently skipped before SubscriberTooSlow."""
    broker = InMemoryBroker(queue_size=3)
    async with broker.subscribe() as slow:
        for ticket_id in range(1, 6):
            await broker.publish(ticket_id)
        drained: list[int] = []
        with pytest.raises(SubscriberTooSlow):
            await drain(slow, drained)
    assert drained == list(range(1, len(drained) + 1)), drained


# --- ticket_opened_stream --------------------------------------------------------------------


async def test_stream_yields_the_position_and_the_fresh_ticket(
    broker: InMemoryBroker, desk: Desk
) -> None:
    async with Stream(await desk.admin.actor()) as admin:
        first = await open_ticket(desk.alice, TicketType.INCIDENT)
        second = await open_ticket(desk.alice, TicketType.QUESTION)
        position_one, ticket_one, _ = await admin.next()
        position_two, ticket_two, _ = await admin.next()
    assert (ticket_one.id, ticket_two.id) == (first.id, second.id)
    assert ticket_one.status == TicketStatus.OPEN
    assert ticket_one.submitted_at is not None
    assert position_two > position_one
    assert broker.subscriber_count == 0  # the stream unsubscribed when it was closed


async def test_stream_checks_visibility_per_event_with_fresh_data(
    broker: InMemoryBroker, desk: Desk, make_person: MakePerson
) -> None:
    handler = await make_person(Role.HANDLER, ["Support", "Product"])
    support = await Team.get(name="Support")
    async with (
        Stream(await handler.actor()) as stream,
        Stream(await desk.admin.actor()) as admin,
    ):
        seen = await open_ticket(desk.alice, TicketType.INCIDENT)
        assert await stream.next_id() == seen.id

        await Membership.filter(user_id=handler.id, team_id=support.id).delete()
        hidden = await open_ticket(desk.alice, TicketType.INCIDENT)
        product_ticket = await open_ticket(desk.alice, TicketType.FEATURE_REQUEST)
        # Events are handled in order: the Support ticket was skipped, Product's kept.
        assert await stream.next_id() == product_ticket.id

        await Membership.create(user_id=handler.id, team_id=support.id)
        seen_again = await open_ticket(desk.alice, TicketType.QUESTION)
        assert await stream.next_id() == seen_again.id

        await User.filter(id=handler.id).update(is_active=False)
        after_deactivation = await open_ticket(desk.alice, TicketType.INCIDENT)
        also_after = await open_ticket(desk.alice, TicketType.FEATURE_REQUEST)
        assert [await admin.next_id() for _ in range(6)] == [
            seen.id,
            hidden.id,
            product_ticket.id,
            seen_again.id,
            after_deactivation.id,
            also_after.id,
        ]
        await stream.nothing_within()


async def test_stream_does_not_trust_the_actor_it_was_given(
    broker: InMemoryBroker, desk: Desk
) -> None:
    partner = await desk.partner.actor()
    every_team = frozenset(await Team.all().values_list("id", flat=True))
    inflated = Actor(id=partner.id, role=Role.ADMIN, team_ids=every_team)
    async with (
        Stream(inflated) as stream,
        Stream(await desk.admin.actor()) as admin,
    ):
        incident = await open_ticket(desk.alice, TicketType.INCIDENT)
        assert await admin.next_id() == incident.id
        await stream.nothing_within()


async def test_stream_for_external_handler_yields_only_their_team(
    broker: InMemoryBroker, desk: Desk
) -> None:
    await routing.set_route(ticket_type=TicketType.QUESTION, team_name="Partner")
    async with (
        Stream(await desk.partner.actor()) as partner,
        Stream(await desk.other_partner.actor()) as other_partner,
    ):
        await open_ticket(desk.alice, TicketType.INCIDENT)
        await open_ticket(desk.alice, TicketType.FEATURE_REQUEST)
        question = await open_ticket(desk.alice, TicketType.QUESTION)
        assert await partner.next_id() == question.id
        await asyncio.gather(partner.nothing_within(), other_partner.nothing_within())


async def test_stream_applies_the_filter(broker: InMemoryBroker, desk: Desk) -> None:
    admin = await desk.admin.actor()
    product = await Team.get(name="Product")
    by_type = FeedFilter(type=[TicketType.QUESTION, TicketType.FEATURE_REQUEST])
    by_priority = FeedFilter(priority=[Priority.P1])
    by_team = FeedFilter(team_id=product.id)
    combined = FeedFilter(type=[TicketType.INCIDENT], priority=[Priority.P1, Priority.P4])
    async with (
        Stream(admin, by_type) as types,
        Stream(admin, by_priority) as priorities,
        Stream(admin, by_team) as team,
        Stream(admin, combined) as both,
    ):
        incident = await open_ticket(desk.alice, TicketType.INCIDENT)  # P2, Support
        urgent = await open_ticket(desk.alice, TicketType.INCIDENT, Priority.P1)  # Support
        question = await open_ticket(desk.alice, TicketType.QUESTION)  # P3, Support
        feature = await open_ticket(desk.alice, TicketType.FEATURE_REQUEST)  # P4, Product
        assert incident.priority == Priority.P2
        assert [await types.next_id() for _ in range(2)] == [question.id, feature.id]
        assert await priorities.next_id() == urgent.id
        assert await team.next_id() == feature.id
        assert await both.next_id() == urgent.id
        await asyncio.gather(*(s.nothing_within() for s in (types, priorities, team, both)))


async def test_stream_skips_drafts_and_missing_tickets(broker: InMemoryBroker, desk: Desk) -> None:
    async with (
        Stream(await desk.admin.actor()) as admin,
        Stream(await desk.support.actor()) as support,
    ):
        unsubmitted = await draft(desk.alice, TicketType.INCIDENT)
        await feed.announce_ticket_opened(unsubmitted.id)  # announced by mistake
        await feed.announce_ticket_opened(10**9)  # no such ticket (e.g. deleted meanwhile)
        incident = await open_ticket(desk.alice, TicketType.INCIDENT)
        assert await admin.next_id() == incident.id
        assert await support.next_id() == incident.id
        await asyncio.gather(admin.nothing_within(), support.nothing_within())


# --- announcing submissions ------------------------------------------------------------------


class RecordingBroker(InMemoryBroker):
    """Notes, for each publication, whether a transaction was still open and what the
    database said about the ticket at that moment."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[dict[str, Any]] = []

    async def publish(self, ticket_id: int) -> None:
        in_transaction = isinstance(connections.get("default"), TransactionalDBClient)
        ticket = await Ticket.get_or_none(id=ticket_id)
        self.published.append(
            {
                "ticket_id": ticket_id,
                "in_transaction": in_transaction,
                "status": ticket.status if ticket else None,
            }
        )
        await super().publish(ticket_id)


async def test_submission_is_announced_once_after_commit(desk: Desk) -> None:
    original = feed._broker
    recording = RecordingBroker()
    feed.use_broker(recording)
    try:
        created = await draft(desk.alice, TicketType.INCIDENT)
        assert recording.published == []  # creating a draft announces nothing
        await tickets.update_draft(
            actor=await desk.alice.actor(), ticket_id=created.id, changes={"priority": Priority.P1}
        )
        assert recording.published == []  # nor does editing it
        await tickets.submit_ticket(actor=await desk.alice.actor(), ticket_id=created.id)
        with pytest.raises(DomainError):
            await tickets.submit_ticket(actor=await desk.alice.actor(), ticket_id=created.id)
    finally:
        feed.use_broker(original)
    assert recording.published == [
        {"ticket_id": created.id, "in_transaction": False, "status": TicketStatus.OPEN}
    ]


async def test_racing_submissions_announce_once(broker: InMemoryBroker, desk: Desk) -> None:
    created = await draft(desk.alice, TicketType.QUESTION)
    alice = await desk.alice.actor()
    async with broker.subscribe() as events:
        results = await asyncio.gather(
            *(tickets.submit_ticket(actor=alice, ticket_id=created.id) for _ in range(3)),
            return_exceptions=True,
        )
        opened = [r for r in results if isinstance(r, Ticket)]
        assert len(opened) == 1, results
        assert all(isinstance(r, Ticket | DomainError) for r in results), results
        await broker.publish(-1)  # a marker: whatever came before it was announced
        announced = [(await next_event(events)).ticket_id for _ in range(2)]
    assert announced == [created.id, -1]


class Boom(RuntimeError):
    """A failure in the middle of a submission."""


def _fail_routing(monkeypatch: pytest.MonkeyPatch) -> None:
    async def team_for(ticket_type: TicketType) -> int | None:
        raise Boom("routing is down")

    monkeypatch.setattr(routing, "team_for", team_for)


def _fail_history(monkeypatch: pytest.MonkeyPatch) -> None:
    # Fails after the ticket row was already switched to OPEN inside the transaction.
    record = tickets._record

    async def failing_record(
        ticket_id: int, actor: Actor | None, kind: Any, *a: Any, **k: Any
    ) -> None:
        if kind == TicketEventKind.SUBMITTED:
            raise Boom("history is down")
        return await record(ticket_id, actor, kind, *a, **k)

    monkeypatch.setattr(tickets, "_record", failing_record)


@pytest.mark.parametrize("failure", [_fail_routing, _fail_history], ids=["routing", "history"])
async def test_submission_that_rolls_back_announces_nothing(
    failure: Any, broker: InMemoryBroker, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = await draft(desk.alice, TicketType.INCIDENT)
    alice = await desk.alice.actor()
    async with (
        broker.subscribe() as events,
        Stream(await desk.admin.actor()) as admin,
        Stream(alice) as author,
    ):
        failure(monkeypatch)
        with pytest.raises(Boom):
            await tickets.submit_ticket(actor=alice, ticket_id=created.id)
        monkeypatch.undo()

        stored = await Ticket.get(id=created.id)
        assert stored.status == TicketStatus.DRAFT
        assert stored.version == created.version
        assert stored.submitted_at is None
        assert stored.team_id is None  # type: ignore[attr-defined]
        assert stored.response_due_at is None
        kinds = await TicketEvent.filter(ticket_id=created.id).values_list("kind", flat=True)
        assert TicketEventKind.SUBMITTED not in kinds
        await asyncio.gather(admin.nothing_within(), author.nothing_within())

        # The same draft, submitted once everything works, is announced exactly once.
        await tickets.submit_ticket(actor=alice, ticket_id=created.id)
        first = await next_event(events)
        assert first.ticket_id == created.id
        assert await admin.next_id() == created.id
        assert await author.next_id() == created.id
        await broker.publish(-1)
        assert (await next_event(events)).ticket_id == -1
