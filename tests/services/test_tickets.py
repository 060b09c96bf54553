"""The ticket use cases of app/services/tickets.py, called directly with actors."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient

from app.models import FeedEvent, Team, Ticket, TicketEvent
from app.models.enums import Priority, TicketEventKind, TicketStatus, TicketType
from app.services import feed, routing, tickets
from app.services.actors import Actor
from app.services.errors import DomainError, ErrorCode
from tests.conftest import Desk, Server

SUBJECT = "Invoice total does not match the order"


class Announcements:
    """Records what the feed was told after commit, and what the database held then."""

    def __init__(self) -> None:
        self.ticket_ids: list[int] = []
        self.inside_transaction: list[bool] = []
        self.status_then: list[TicketStatus] = []

    async def __call__(self, position: int) -> None:
        ticket_id = (await FeedEvent.get(position=position)).ticket_id  # type: ignore[attr-defined]
        self.ticket_ids.append(ticket_id)
        connection = connections.get("default")
        self.inside_transaction.append(isinstance(connection, TransactionalDBClient))
        self.status_then.append((await Ticket.get(id=ticket_id)).status)


@pytest.fixture
def announced(monkeypatch: pytest.MonkeyPatch) -> Announcements:
    recorder = Announcements()
    monkeypatch.setattr(feed, "events_committed", recorder)
    return recorder


def problems_of(error: pytest.ExceptionInfo[DomainError]) -> list[tuple[ErrorCode, str | None]]:
    return [(p.code, p.field) for p in error.value.problems]


async def snapshot(ticket_id: int) -> dict[str, Any]:
    row = await Ticket.get(id=ticket_id).values()
    events = await TicketEvent.filter(ticket_id=ticket_id).order_by("id").values()
    return {"ticket": row, "events": events}


async def new_draft(actor: Actor, **fields: Any) -> Ticket:
    fields.setdefault("subject", SUBJECT)
    return await tickets.create_draft(actor=actor, **fields)


async def new_open(actor: Actor, **fields: Any) -> Ticket:
    ticket = await new_draft(actor, **fields)
    return await tickets.submit_ticket(actor=actor, ticket_id=ticket.id)


# --- drafts ---------------------------------------------------------------------------------------


async def test_create_draft(desk: Desk) -> None:
    alice = await desk.alice.actor()
    ticket = await tickets.create_draft(
        actor=alice,
        subject=f"  {SUBJECT}  ",
        description="Ordered 3,\ncharged for 4",
        reference="  INV-2024-0042 ",
        type=TicketType.QUESTION,
        user_agent="ServiceTest/1.0",
    )
    stored = await Ticket.get(id=ticket.id)
    assert stored.subject == SUBJECT
    assert stored.description == "Ordered 3,\ncharged for 4"
    assert stored.reference == "INV-2024-0042"
    assert stored.type == TicketType.QUESTION
    assert stored.requested_priority is None
    assert stored.priority == Priority.P3
    assert stored.status == TicketStatus.DRAFT
    assert stored.version == 1
    assert stored.environment == "ServiceTest/1.0"
    assert stored.author_id == alice.id  # type: ignore[attr-defined]
    assert stored.team_id is None  # type: ignore[attr-defined]
    events = await TicketEvent.filter(ticket_id=ticket.id)
    assert [(e.kind, e.actor_id) for e in events] == [(TicketEventKind.CREATED, alice.id)]  # type: ignore[attr-defined]


async def test_create_draft_refuses_every_invalid_field_at_once(desk: Desk) -> None:
    alice = await desk.alice.actor()
    with pytest.raises(DomainError) as error:
        await tickets.create_draft(
            actor=alice,
            subject="too short",
            description="d" * 20_001,
            reference="r" * 201,
        )
    assert sorted(problems_of(error), key=str) == [
        (ErrorCode.VALIDATION, "description"),
        (ErrorCode.VALIDATION, "reference"),
        (ErrorCode.VALIDATION, "subject"),
    ]
    assert await Ticket.all().count() == 0
    assert await TicketEvent.all().count() == 0


async def test_only_the_author_updates_a_draft(desk: Desk) -> None:
    ticket = await new_draft(await desk.alice.actor())
    before = await snapshot(ticket.id)
    for other in (desk.bob, desk.support, desk.admin):
        with pytest.raises(DomainError) as error:
            await tickets.update_draft(
                actor=await other.actor(), ticket_id=ticket.id, changes={"subject": "Not yours!!"}
            )
        assert problems_of(error) == [(ErrorCode.NOT_FOUND, "id")]
    assert await snapshot(ticket.id) == before


async def test_update_draft_semantics(desk: Desk) -> None:
    alice = await desk.alice.actor()
    ticket = await new_draft(
        alice, description="text", reference="REF", type=TicketType.INCIDENT, priority=Priority.P1
    )
    updated = await tickets.update_draft(
        actor=alice,
        ticket_id=ticket.id,
        changes={"description": None, "reference": None, "priority": None},
        expected_version=1,
    )
    assert (updated.description, updated.reference, updated.requested_priority) == ("", None, None)
    assert updated.priority == Priority.P2
    assert updated.subject == SUBJECT
    assert updated.type == TicketType.INCIDENT
    assert updated.version == 2

    # A no-op changes nothing, not even the version.
    same = await tickets.update_draft(
        actor=alice, ticket_id=ticket.id, changes={"subject": f" {SUBJECT} ", "reference": None}
    )
    assert same.version == 2
    assert (await Ticket.get(id=ticket.id)).version == 2

    before = await snapshot(ticket.id)
    with pytest.raises(DomainError) as error:
        await tickets.update_draft(actor=alice, ticket_id=ticket.id, changes={"subject": None})
    assert problems_of(error) == [(ErrorCode.VALIDATION, "subject")]
    with pytest.raises(DomainError) as error:
        await tickets.update_draft(
            actor=alice, ticket_id=ticket.id, changes={"description": "x"}, expected_version=1
        )
    assert [p.code for p in error.value.problems] == [ErrorCode.CONFLICT]
    assert await snapshot(ticket.id) == before

    events = await TicketEvent.filter(ticket_id=ticket.id, kind=TicketEventKind.UPDATED)
    assert {(e.field, e.from_value, e.to_value) for e in events} == {
        ("description", "text", ""),
        ("reference", "REF", None),
        ("priority", "P1", None),
    }


async def test_delete_draft(desk: Desk) -> None:
    alice = await desk.alice.actor()
    ticket = await new_draft(alice)
    with pytest.raises(DomainError) as error:
        await tickets.delete_draft(actor=await desk.admin.actor(), ticket_id=ticket.id)
    assert problems_of(error) == [(ErrorCode.NOT_FOUND, "id")]
    assert await Ticket.filter(id=ticket.id).exists()
    await tickets.delete_draft(actor=alice, ticket_id=ticket.id)
    assert not await Ticket.filter(id=ticket.id).exists()
    assert not await TicketEvent.filter(ticket_id=ticket.id).exists()
    with pytest.raises(DomainError) as error:
        await tickets.delete_draft(actor=alice, ticket_id=ticket.id)
    assert problems_of(error) == [(ErrorCode.NOT_FOUND, "id")]


async def test_get_ticket_hides_drafts_and_wants_one_key(desk: Desk) -> None:
    alice = await desk.alice.actor()
    ticket = await new_draft(alice)
    assert (await tickets.get_ticket(actor=alice, number=ticket.number)).id == ticket.id  # type: ignore[union-attr]
    admin = await desk.admin.actor()
    assert await tickets.get_ticket(actor=admin, ticket_id=ticket.id) is None
    assert await tickets.get_ticket(actor=admin, number=ticket.number) is None
    for keys in ({}, {"ticket_id": ticket.id, "number": ticket.number}):
        with pytest.raises(DomainError) as error:
            await tickets.get_ticket(actor=alice, **keys)
        assert [p.code for p in error.value.problems] == [ErrorCode.VALIDATION]


async def test_thirty_concurrent_drafts_get_unique_increasing_numbers(desk: Desk) -> None:
    actors = [await desk.alice.actor(), await desk.bob.actor(), await desk.admin.actor()]
    first = await new_draft(actors[0])
    created = await asyncio.gather(
        *(new_draft(actors[i % 3], subject=f"Concurrent draft number {i}") for i in range(30))
    )
    numbers = [t.number for t in created]
    assert len(set(numbers)) == 30
    assert min(numbers) > first.number
    stored = await Ticket.all().values_list("number", flat=True)
    assert len(stored) == len(set(stored)) == 31
    last = await new_draft(actors[1])
    assert last.number > max(numbers)


# --- submission -----------------------------------------------------------------------------------


async def test_submit_ticket_then_announce_after_commit(
    desk: Desk, server: Server, announced: Announcements
) -> None:
    alice = await desk.alice.actor()
    ticket = await new_draft(alice, type=TicketType.FEATURE_REQUEST)
    started = datetime.now(UTC)
    result = await tickets.submit_ticket(actor=alice, ticket_id=ticket.id)
    assert result.status == TicketStatus.OPEN
    assert result.priority == Priority.P4
    assert result.team_id == (await Team.get(name="Product")).id  # type: ignore[attr-defined]
    assert result.submitted_at is not None
    assert result.submitted_at >= started - timedelta(seconds=1)
    assert (
        result.response_due_at
        == result.submitted_at + server.settings.response_delays[Priority.P4].amount
    )
    assert result.version == 2
    kinds = (
        await TicketEvent.filter(ticket_id=ticket.id).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == [TicketEventKind.CREATED, TicketEventKind.SUBMITTED]
    assert announced.ticket_ids == [ticket.id]
    assert announced.inside_transaction == [False]
    assert announced.status_then == [TicketStatus.OPEN]


async def test_submit_errors(desk: Desk, announced: Announcements) -> None:
    alice = await desk.alice.actor()
    untyped = await new_draft(alice)
    with pytest.raises(DomainError) as error:
        await tickets.submit_ticket(actor=alice, ticket_id=untyped.id)
    assert problems_of(error) == [(ErrorCode.VALIDATION, "type")]
    assert all(p.on_ticket for p in error.value.problems)
    assert (await Ticket.get(id=untyped.id)).status == TicketStatus.DRAFT

    ticket = await new_draft(alice, type=TicketType.INCIDENT)
    with pytest.raises(DomainError) as error:
        await tickets.submit_ticket(actor=await desk.bob.actor(), ticket_id=ticket.id)
    assert problems_of(error) == [(ErrorCode.NOT_FOUND, "id")]
    with pytest.raises(DomainError) as error:
        await tickets.submit_ticket(actor=alice, ticket_id=10_000_000)
    assert problems_of(error) == [(ErrorCode.NOT_FOUND, "id")]

    await tickets.submit_ticket(actor=alice, ticket_id=ticket.id)
    before = await snapshot(ticket.id)
    with pytest.raises(DomainError) as error:
        await tickets.submit_ticket(actor=alice, ticket_id=ticket.id)
    assert [p.code for p in error.value.problems] == [ErrorCode.INVALID_STATE]
    assert await snapshot(ticket.id) == before
    assert announced.ticket_ids == [ticket.id]


async def test_racing_submissions_open_and_announce_once(
    desk: Desk, announced: Announcements
) -> None:
    alice = await desk.alice.actor()
    for _ in range(5):
        ticket = await new_draft(alice, type=TicketType.INCIDENT)
        results = await asyncio.gather(
            tickets.submit_ticket(actor=alice, ticket_id=ticket.id),
            tickets.submit_ticket(actor=alice, ticket_id=ticket.id),
            return_exceptions=True,
        )
        opened = [r for r in results if isinstance(r, Ticket)]
        refused = [r for r in results if isinstance(r, DomainError)]
        assert len(opened) == 1, results
        assert len(refused) == 1, results
        assert [p.code for p in refused[0].problems] == [ErrorCode.INVALID_STATE]
        count = await TicketEvent.filter(
            ticket_id=ticket.id, kind=TicketEventKind.SUBMITTED
        ).count()
        assert count == 1
        assert announced.ticket_ids.count(ticket.id) == 1


async def _broken_routing(ticket_type: TicketType) -> int | None:
    raise RuntimeError("routing table unreachable")


async def test_no_feed_event_for_a_rolled_back_submission(
    desk: Desk, announced: Announcements, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await desk.alice.actor()
    ticket = await new_draft(alice, type=TicketType.INCIDENT)
    before = await snapshot(ticket.id)
    with monkeypatch.context() as patch:
        patch.setattr(routing, "team_for", _broken_routing)
        with pytest.raises(RuntimeError, match="routing table unreachable"):
            await tickets.submit_ticket(actor=alice, ticket_id=ticket.id)
    stored = await Ticket.get(id=ticket.id)
    assert stored.status == TicketStatus.DRAFT
    assert stored.submitted_at is None
    assert stored.version == 1
    assert not await TicketEvent.filter(ticket_id=ticket.id, kind=TicketEventKind.SUBMITTED)
    assert await snapshot(ticket.id) == before
    assert announced.ticket_ids == []

    # Once routing works again, the same draft opens and is announced exactly once.
    await tickets.submit_ticket(actor=alice, ticket_id=ticket.id)
    assert announced.ticket_ids == [ticket.id]


@contextlib.asynccontextmanager
async def listening(actor: Actor) -> AsyncIterator[asyncio.Task[feed.Delivery]]:
    """The next event of a real feed stream, as a task, once the stream has subscribed."""
    stream = feed.ticket_opened_stream(actor=actor, flt=feed.FeedFilter())
    before = feed.subscriber_count()
    task: asyncio.Task[feed.Delivery] = asyncio.ensure_future(anext(stream))
    try:
        for _ in range(250):
            if feed.subscriber_count() > before:
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the stream did not subscribe")
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
            await task
        await stream.aclose()


async def test_a_rolled_back_submission_reaches_no_subscriber(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await desk.alice.actor()
    ticket = await new_draft(alice, type=TicketType.INCIDENT)
    # The author sees her own draft: any announcement of it would reach her stream.
    async with listening(alice) as next_event:
        with monkeypatch.context() as patch:
            patch.setattr(routing, "team_for", _broken_routing)
            with pytest.raises(RuntimeError):
                await tickets.submit_ticket(actor=alice, ticket_id=ticket.id)
        await asyncio.sleep(0.3)
        assert not next_event.done(), next_event.result()

        await tickets.submit_ticket(actor=alice, ticket_id=ticket.id)
        received = (await asyncio.wait_for(next_event, 5)).ticket
        assert received.id == ticket.id
        assert received.status == TicketStatus.OPEN


# --- adjustment -----------------------------------------------------------------------------------


async def test_adjust_is_for_admins_on_open_tickets(desk: Desk) -> None:
    alice = await desk.alice.actor()
    ticket = await new_open(alice, type=TicketType.INCIDENT)
    before = await snapshot(ticket.id)
    for person, code in (
        (desk.support, ErrorCode.FORBIDDEN),
        (desk.alice, ErrorCode.FORBIDDEN),
        (desk.product, ErrorCode.NOT_FOUND),
        (desk.partner, ErrorCode.NOT_FOUND),
        (desk.bob, ErrorCode.NOT_FOUND),
    ):
        with pytest.raises(DomainError) as error:
            await tickets.adjust_ticket(
                actor=await person.actor(), ticket_id=ticket.id, changes={"priority": Priority.P1}
            )
        assert [p.code for p in error.value.problems] == [code], person
    assert await snapshot(ticket.id) == before

    admin = await desk.admin.actor()
    own_draft = await new_draft(admin, type=TicketType.INCIDENT)
    with pytest.raises(DomainError) as error:
        await tickets.adjust_ticket(
            actor=admin, ticket_id=own_draft.id, changes={"priority": Priority.P1}
        )
    assert [p.code for p in error.value.problems] == [ErrorCode.INVALID_STATE]

    await Ticket.filter(id=ticket.id).update(status=TicketStatus.CLOSED)
    with pytest.raises(DomainError) as error:
        await tickets.adjust_ticket(
            actor=admin, ticket_id=ticket.id, changes={"type": TicketType.QUESTION}
        )
    assert [p.code for p in error.value.problems] == [ErrorCode.INVALID_STATE]
    assert (await Ticket.get(id=ticket.id)).type == TicketType.INCIDENT


async def test_adjust_validation(desk: Desk) -> None:
    ticket = await new_open(await desk.alice.actor(), type=TicketType.INCIDENT)
    admin = await desk.admin.actor()
    before = await snapshot(ticket.id)
    for changes, reason, field in (
        ({"type": None}, None, "type"),
        ({"priority": None}, "why", "priority"),
        ({"priority": Priority.P1}, "x" * 1001, "reason"),
    ):
        with pytest.raises(DomainError) as error:
            await tickets.adjust_ticket(
                actor=admin, ticket_id=ticket.id, changes=changes, reason=reason
            )
        assert problems_of(error) == [(ErrorCode.VALIDATION, field)]
    assert await snapshot(ticket.id) == before


async def test_adjust_retypes_reroutes_and_reprioritises_from_submission(
    desk: Desk, server: Server
) -> None:
    ticket = await new_open(await desk.alice.actor(), type=TicketType.QUESTION)
    admin = await desk.admin.actor()
    submitted_at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=30)
    await Ticket.filter(id=ticket.id).update(
        submitted_at=submitted_at,
        response_due_at=submitted_at + server.settings.response_delays[Priority.P3].amount,
    )
    result = await tickets.adjust_ticket(
        actor=admin,
        ticket_id=ticket.id,
        changes={"type": TicketType.FEATURE_REQUEST, "priority": Priority.P2},
        reason="  Roadmap item  ",
    )
    assert result.type == TicketType.FEATURE_REQUEST
    assert result.team_id == (await Team.get(name="Product")).id  # type: ignore[attr-defined]
    assert result.priority == Priority.P2
    assert result.submitted_at == submitted_at
    assert result.response_due_at == submitted_at + timedelta(hours=4)
    assert result.version == ticket.version + 1
    events = await TicketEvent.filter(ticket_id=ticket.id, kind=TicketEventKind.ADJUSTED)
    assert {(e.field, e.from_value, e.to_value, e.reason, e.actor_id) for e in events} == {  # type: ignore[attr-defined]
        ("type", "QUESTION", "FEATURE_REQUEST", "Roadmap item", admin.id),
        ("team", "Support", "Product", "Roadmap item", admin.id),
        ("priority", "P3", "P2", "Roadmap item", admin.id),
    }

    before = await snapshot(ticket.id)
    same = await tickets.adjust_ticket(
        actor=admin,
        ticket_id=ticket.id,
        changes={"type": TicketType.FEATURE_REQUEST, "priority": Priority.P2},
        reason="again",
    )
    assert same.version == result.version
    assert await snapshot(ticket.id) == before
