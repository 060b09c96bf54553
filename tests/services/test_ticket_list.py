"""Unit tests of the listing service and of keyset pagination, straight on the database."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.models import Team, Ticket
from app.models.enums import Priority, TicketStatus, TicketType
from app.services.errors import DomainError, ErrorCode
from app.services.pagination import (
    PAGE_DEFAULT,
    PAGE_MAX,
    Column,
    Window,
    decode_cursor,
    encode_cursor,
    fetch_page,
    order,
    page_size,
    seek,
)
from app.services.ticket_list import (
    ORDER_COLUMNS,
    OrderField,
    TicketFilter,
    TicketOrder,
    count_tickets,
    list_tickets,
    ticket_cursor,
)
from app.services.validation import SEARCH_MAX
from tests.conftest import Desk, Person, make_ticket

BASE = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
FAR_PAST = datetime(1970, 1, 1, tzinfo=UTC)
ID = Column("id")
SUBMITTED = (Column("submitted_at", nullable=True, is_datetime=True), ID)
PRIORITY = ORDER_COLUMNS[OrderField.PRIORITY]


# --- fixtures and helpers -----------------------------------------------------------------------


async def seed_nullable(desk: Desk) -> list[Ticket]:
    """The admin's tickets: drafts (NULL deadlines) and submitted ones, with ties."""
    made = []
    for i in range(14):
        made.append(
            await make_ticket(
                desk.admin,
                f"Nullable ordering ticket {i:02d}",
                priority=[Priority.P1, Priority.P2, None, Priority.P4][i % 4],
                submit=i % 3 != 1,
            )
        )
    for i, ticket in enumerate(made):
        if ticket.status == TicketStatus.DRAFT:
            continue
        # Three tickets share each instant; some instants are whole seconds.
        submitted = BASE + timedelta(minutes=i % 4, microseconds=(i % 2) * 250_000)
        await Ticket.filter(id=ticket.id).update(
            submitted_at=submitted, response_due_at=submitted + timedelta(hours=i % 2)
        )
    return list(await Ticket.all())


def key_submitted(t: Ticket) -> tuple[Any, ...]:
    return (t.submitted_at is None, t.submitted_at or FAR_PAST, t.id)


def key_priority(t: Ticket) -> tuple[Any, ...]:
    return (t.priority.value, t.response_due_at is None, t.response_due_at or FAR_PAST, t.id)


def ids(rows: list[Ticket]) -> list[int]:
    return [t.id for t in rows]


def assert_validation(error: pytest.ExceptionInfo[DomainError], *words: str) -> None:
    problem = error.value.problems[0]
    assert problem.code is ErrorCode.VALIDATION
    for word in words:
        assert word in problem.message, (word, problem.message)


# --- page sizes -----------------------------------------------------------------------------------


def test_page_size_defaults_and_bounds() -> None:
    assert PAGE_DEFAULT == 20
    assert PAGE_MAX == 100
    assert page_size(Window()) == 20
    assert page_size(Window(after="x")) == 20
    assert page_size(Window(before="x")) == 20
    assert page_size(Window(first=1)) == 1
    assert page_size(Window(first=100)) == 100
    assert page_size(Window(last=1)) == 1
    assert page_size(Window(last=100)) == 100
    assert page_size(Window(last=37)) == 37


@pytest.mark.parametrize("size", [0, -1, 101, 10**9, -(10**9)])
@pytest.mark.parametrize("name", ["first", "last"])
def test_page_size_out_of_range(size: int, name: str) -> None:
    with pytest.raises(DomainError) as error:
        page_size(Window(**{name: size}))
    assert_validation(error, "100", name)
    assert error.value.problems[0].field == name


def test_first_and_last_together_are_refused() -> None:
    with pytest.raises(DomainError) as error:
        page_size(Window(first=5, last=5))
    assert_validation(error, "first", "last")


# --- cursors --------------------------------------------------------------------------------------


def test_cursor_round_trip_with_dates_and_nulls() -> None:
    columns = PRIORITY
    values = ["P2", datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC), 42]
    cursor = encode_cursor("t:PRIORITY:a", values)
    assert decode_cursor("t:PRIORITY:a", cursor, columns, "after") == values
    whole = ["P3", datetime(2024, 5, 1, 12, 0, tzinfo=UTC), 7]
    assert (
        decode_cursor("t:PRIORITY:a", encode_cursor("t:PRIORITY:a", whole), columns, "x") == whole
    )
    nulls = ["P4", None, 9]
    assert (
        decode_cursor("t:PRIORITY:a", encode_cursor("t:PRIORITY:a", nulls), columns, "x") == nulls
    )
    # Opaque: a URL-safe string without the raw key in plain sight.
    assert "P2" not in cursor
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")


def b64(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


BAD_CURSORS = [
    "",
    "garbage",
    "!!!!",
    "abc",
    base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
    b64("t:PRIORITY:a"),
    b64({"tag": "t:PRIORITY:a"}),
    b64([]),
    b64(["t:PRIORITY:d", "P1", None, 1]),  # another direction
    b64(["t:NUMBER:a", 1, 1]),  # another field
    b64(["t:PRIORITY:a", "P1", None]),  # too short
    b64(["t:PRIORITY:a", "P1", None, 1, 2]),  # too long
    b64(["t:PRIORITY:a", None, None, 1]),  # NULL in a column that has none
    b64(["t:PRIORITY:a", "P1", None, None]),
    b64(["t:PRIORITY:a", "P1", "tomorrow", 1]),
    b64(["t:PRIORITY:a", "P1", 12, 1]),
    b64(["t:PRIORITY:a", "P1", ["2024-05-01"], 1]),
    b64([None, "P1", None, 1]),
]


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_undecodable_cursors_are_validation_errors(cursor: str) -> None:
    with pytest.raises(DomainError) as error:
        decode_cursor("t:PRIORITY:a", cursor, PRIORITY, "before")
    assert_validation(error, "before", "cursor")
    assert error.value.problems[0].field == "before"


WRONG_TYPES = [
    pytest.param(b64(["t:PRIORITY:a", 1, None, 1]), id="priority-number"),
    pytest.param(b64(["t:PRIORITY:a", "P9", None, 1]), id="priority-unknown"),
    pytest.param(b64(["t:PRIORITY:a", {"a": 1}, None, 1]), id="priority-object"),
    pytest.param(b64(["t:PRIORITY:a", "P1", None, "1"]), id="id-text"),
    pytest.param(b64(["t:PRIORITY:a", "P1", None, 1.5]), id="id-float"),
    pytest.param(b64(["t:PRIORITY:a", "P1", None, [1]]), id="id-list"),
    pytest.param(b64(["t:PRIORITY:a", "P1", None, True]), id="id-boolean"),
]


@pytest.mark.parametrize("cursor", WRONG_TYPES)
async def test_cursor_values_of_the_wrong_type_are_validation_errors(
    desk: Desk, cursor: str
) -> None:
    await make_ticket(desk.alice, "Wrong type cursor ticket")
    actor = await desk.alice.actor()
    for window in (Window(first=5, after=cursor), Window(last=5, before=cursor)):
        with pytest.raises(DomainError) as error:
            await list_tickets(
                actor=actor,
                flt=TicketFilter(),
                order=TicketOrder(OrderField.PRIORITY, descending=False),
                window=window,
            )
        assert_validation(error, "cursor")


async def test_cursor_of_another_order_is_refused_by_list_tickets(desk: Desk) -> None:
    for i in range(3):
        await make_ticket(desk.alice, f"Other order cursor {i}")
    actor = await desk.alice.actor()
    by_number = TicketOrder(OrderField.NUMBER, descending=False)
    page = await list_tickets(
        actor=actor, flt=TicketFilter(), order=by_number, window=Window(first=1)
    )
    cursor = ticket_cursor(page.items[0], by_number)
    for other in (
        TicketOrder(OrderField.NUMBER, descending=True),
        TicketOrder(),
        TicketOrder(OrderField.SUBMITTED_AT, descending=False),
    ):
        with pytest.raises(DomainError) as error:
            await list_tickets(
                actor=actor, flt=TicketFilter(), order=other, window=Window(after=cursor)
            )
        assert_validation(error, "after", "cursor")


# --- seek and order on nullable columns -----------------------------------------------------------


@pytest.mark.parametrize("descending", [False, True])
async def test_order_puts_nulls_last_ascending_first_descending(
    desk: Desk, descending: bool
) -> None:
    rows = await seed_nullable(desk)
    assert any(t.submitted_at is None for t in rows)
    assert any(t.submitted_at is not None for t in rows)
    expected = sorted(rows, key=key_submitted, reverse=descending)
    got = await order(Ticket.all(), SUBMITTED, descending)
    assert ids(got) == ids(expected)
    nulls = [i for i, t in enumerate(got) if t.submitted_at is None]
    count = len(nulls)
    assert nulls == (list(range(count)) if descending else list(range(len(got) - count, len(got))))
    expected_priority = sorted(rows, key=key_priority, reverse=descending)
    assert ids(await order(Ticket.all(), PRIORITY, descending)) == ids(expected_priority)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("which", ["submitted", "priority"])
async def test_seek_after_every_row_gives_exactly_the_rest(
    desk: Desk, descending: bool, which: str
) -> None:
    rows = await seed_nullable(desk)
    columns, key = (SUBMITTED, key_submitted) if which == "submitted" else (PRIORITY, key_priority)
    expected = sorted(rows, key=key, reverse=descending)
    for i, row in enumerate(expected):
        values = [getattr(row, c.name) for c in columns]
        rest = await order(seek(Ticket.all(), columns, values, descending), columns, descending)
        assert ids(rest) == ids(expected[i + 1 :]), (which, descending, i, values)


async def test_seek_with_keys_that_match_no_row(desk: Desk) -> None:
    rows = await seed_nullable(desk)
    asc = sorted(rows, key=key_submitted)
    nulls = [t for t in asc if t.submitted_at is None]
    filled = [t for t in asc if t.submitted_at is not None]

    async def after(values: list[Any], descending: bool) -> list[int]:
        return ids(
            await order(seek(Ticket.all(), SUBMITTED, values, descending), SUBMITTED, descending)
        )

    # Before everything and after everything, ascending.
    assert await after([FAR_PAST, 0], False) == ids(asc)
    assert await after([None, 0], False) == ids(nulls)
    assert await after([None, 10**9], False) == []
    # A NULL key descending: smaller ids among NULLs, then every non-NULL.
    assert await after([None, 10**9], True) == ids(list(reversed(asc)))
    assert await after([None, 0], True) == ids(list(reversed(filled)))
    # An instant between two ties, ascending: the later ones, then the NULLs.
    between = BASE + timedelta(minutes=1, microseconds=100_000)
    later = [t for t in filled if t.submitted_at > between]
    assert await after([between, 0], False) == ids(later + nulls)
    earlier = [t for t in filled if t.submitted_at < between]
    assert await after([between, 0], True) == ids(list(reversed(earlier)))


@pytest.mark.parametrize("descending", [False, True])
async def test_fetch_page_walks_both_ways(desk: Desk, descending: bool) -> None:
    rows = await seed_nullable(desk)
    expected = ids(sorted(rows, key=key_priority, reverse=descending))
    tag = "t:PRIORITY:" + ("d" if descending else "a")

    def cursor(row: Ticket) -> str:
        return encode_cursor(tag, [getattr(row, c.name) for c in PRIORITY])

    forward: list[int] = []
    window = Window(first=4)
    while True:
        page = await fetch_page(
            Ticket.all(), tag=tag, columns=PRIORITY, descending=descending, window=window
        )
        assert page.has_previous is (window.after is not None)
        forward += ids(page.items)
        if not page.has_next:
            break
        window = Window(first=4, after=cursor(page.items[-1]))
    assert forward == expected

    backward: list[int] = []
    window = Window(last=3)
    while True:
        page = await fetch_page(
            Ticket.all(), tag=tag, columns=PRIORITY, descending=descending, window=window
        )
        assert page.has_next is (window.before is not None)
        backward = ids(page.items) + backward
        if not page.has_previous:
            break
        window = Window(last=3, before=cursor(page.items[0]))
    assert backward == expected


# --- list_tickets and count_tickets ---------------------------------------------------------------


async def test_list_and_count_follow_visibility(desk: Desk) -> None:
    alice_draft = await make_ticket(desk.alice, "Alice private draft here", submit=False)
    alice_open = await make_ticket(desk.alice, "Alice open incident here")
    bob_feature = await make_ticket(
        desk.bob, "Bob feature request here", type=TicketType.FEATURE_REQUEST
    )
    admin_draft = await make_ticket(desk.admin, "Admin private draft here", submit=False)
    expectations: list[tuple[Person, set[int]]] = [
        (desk.alice, {alice_draft.id, alice_open.id}),
        (desk.bob, {bob_feature.id}),
        (desk.support, {alice_open.id}),
        (desk.product, {bob_feature.id}),
        (desk.partner, set()),
        (desk.admin, {alice_open.id, bob_feature.id, admin_draft.id}),
    ]
    for person, expected in expectations:
        actor = await person.actor()
        page = await list_tickets(
            actor=actor, flt=TicketFilter(), order=TicketOrder(), window=Window(first=100)
        )
        assert set(ids(page.items)) == expected, person.user.email
        assert await count_tickets(actor=actor, flt=TicketFilter()) == len(expected)


async def test_filters_at_service_level(desk: Desk) -> None:
    made = [
        await make_ticket(desk.alice, "Réservation impossible ce matin", priority=Priority.P1),
        await make_ticket(
            desk.alice,
            "Paiement refusé sans raison",
            type=TicketType.QUESTION,
            description="Code 50% appliqué",
        ),
        await make_ticket(
            desk.bob,
            "Export des factures",
            type=TicketType.FEATURE_REQUEST,
            reference="RESA_2024",
        ),
        await make_ticket(desk.admin, "Brouillon de l'administrateur", submit=False),
    ]
    support = await Team.get(name="Support")
    await Ticket.filter(id=made[0].id).update(
        assignee_id=desk.support.id,
        status=TicketStatus.PENDING,
        response_due_at=datetime.now(UTC) - timedelta(minutes=5),
    )
    actor = await desk.admin.actor()

    async def found(**kwargs: Any) -> set[int]:
        flt = TicketFilter(**kwargs)
        page = await list_tickets(
            actor=actor, flt=flt, order=TicketOrder(), window=Window(first=100)
        )
        assert await count_tickets(actor=actor, flt=flt) == len(page.items)
        return set(ids(page.items))

    all_ids = set(ids(made))
    assert await found() == all_ids
    assert await found(status=[TicketStatus.PENDING]) == {made[0].id}
    assert await found(status=[TicketStatus.DRAFT]) == {made[3].id}
    assert await found(type=[TicketType.QUESTION, TicketType.FEATURE_REQUEST]) == {
        made[1].id,
        made[2].id,
    }
    assert await found(priority=[Priority.P1]) == {made[0].id}
    assert await found(team_id=support.id) == {made[0].id, made[1].id}
    assert await found(assignee_id=desk.support.id) == {made[0].id}
    assert await found(author_id=desk.bob.id) == {made[2].id}
    assert await found(mine=True) == {made[3].id}
    assert await found(mine=False) == all_ids - {made[3].id}
    assert await found(overdue=True) == {made[0].id}
    assert await found(overdue=False) == all_ids - {made[0].id}
    assert await found(search="RESERVATION") == {made[0].id}
    assert await found(search="réservation") == {made[0].id}
    assert await found(search="50%") == {made[1].id}
    assert await found(search="resa_") == {made[2].id}
    assert await found(search="resa%") == set()
    assert await found(search="r_servation") == set()
    assert await found(search="   ") == all_ids
    assert await found(search="x" * SEARCH_MAX) == set()
    assert await found(search="a", mine=False, type=[TicketType.QUESTION]) == {made[1].id}


async def test_search_longer_than_the_limit_is_refused(desk: Desk) -> None:
    actor = await desk.alice.actor()
    flt = TicketFilter(search="x" * (SEARCH_MAX + 1))
    with pytest.raises(DomainError) as error:
        await count_tickets(actor=actor, flt=flt)
    assert_validation(error, "search", str(SEARCH_MAX))
    with pytest.raises(DomainError):
        await list_tickets(actor=actor, flt=flt, order=TicketOrder(), window=Window())


async def test_default_order_is_created_at_descending(desk: Desk) -> None:
    made = [await make_ticket(desk.alice, f"Default order ticket {i}") for i in range(4)]
    # Two tickets created at the same instant: the newer id first.
    same = BASE + timedelta(hours=1)
    await Ticket.filter(id=made[0].id).update(created_at=same)
    await Ticket.filter(id=made[2].id).update(created_at=same)
    await Ticket.filter(id=made[1].id).update(created_at=BASE)
    await Ticket.filter(id=made[3].id).update(created_at=BASE + timedelta(hours=2))
    actor = await desk.alice.actor()
    page = await list_tickets(actor=actor, flt=TicketFilter(), order=TicketOrder(), window=Window())
    assert ids(page.items) == [made[3].id, made[2].id, made[0].id, made[1].id]
    assert page.has_next is False
    assert page.has_previous is False
