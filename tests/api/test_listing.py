"""The `tickets` connection over GraphQL HTTP: orderings, keyset pages, limits, filters, search."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.models import Team, Ticket
from app.models.enums import Priority, TicketStatus, TicketType
from app.schema.ids import to_global_id
from app.services import tickets as ticket_service
from tests.conftest import Desk, GraphQLClient, Person, make_ticket

TICKETS = """
query Tickets(
  $filter: TicketFilter, $orderBy: TicketOrder,
  $first: Int, $after: String, $last: Int, $before: String
) {
  tickets(
    filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before
  ) {
    totalCount
    edges { cursor node { id number status priority submittedAt responseDueAt overdue } }
    nodes { number }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

TICKETS_NO_COUNT = """
query Tickets($first: Int, $after: String, $last: Int, $before: String, $orderBy: TicketOrder) {
  tickets(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
    edges { cursor node { number } }
  }
}
"""

HISTORY_CURSOR = """
query History($number: Int!) {
  ticket(number: $number) { history(first: 1) { edges { cursor } } }
}
"""

BY_NUMBER = {"field": "NUMBER", "direction": "ASC"}
FIELDS = ["CREATED_AT", "UPDATED_AT", "SUBMITTED_AT", "PRIORITY", "RESPONSE_DUE_AT", "NUMBER"]
COLUMN = {
    "CREATED_AT": "created_at",
    "UPDATED_AT": "updated_at",
    "SUBMITTED_AT": "submitted_at",
    "RESPONSE_DUE_AT": "response_due_at",
    "NUMBER": "number",
}
BASE = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
FAR_PAST = datetime(1970, 1, 1, tzinfo=UTC)
TYPES = [TicketType.INCIDENT, TicketType.QUESTION, TicketType.FEATURE_REQUEST]
PRIORITIES: list[Priority | None] = [None, Priority.P1, None, Priority.P4, Priority.P2, None]


# --- fixtures and helpers -----------------------------------------------------------------------


def sort_key(field: str) -> Callable[[Ticket], tuple[Any, ...]]:
    """The ascending key a client expects: NULLs last, ties broken by id."""
    if field == "PRIORITY":
        return lambda t: (
            t.priority.value,
            t.response_due_at is None,
            t.response_due_at or FAR_PAST,
            t.id,
        )
    column = COLUMN[field]

    def key(t: Ticket) -> tuple[Any, ...]:
        value = getattr(t, column)
        blank = 0 if column == "number" else FAR_PAST
        return (value is None, blank if value is None else value, t.id)

    return key


def expected_numbers(rows: list[Ticket], field: str, direction: str) -> list[int]:
    ordered = sorted(rows, key=sort_key(field))
    if direction == "DESC":
        ordered.reverse()
    return [t.number for t in ordered]


async def visible_to_admin(admin: Person) -> list[Ticket]:
    return [
        t for t in await Ticket.all() if t.status != TicketStatus.DRAFT or t.author_id == admin.id
    ]


async def seed_orderable(desk: Desk) -> list[Ticket]:
    """Tickets of several authors with ties and NULLs in every ordered column.

    Returns the tickets the admin may see (their own drafts included, others' drafts not).
    """
    authors = [desk.alice, desk.bob, desk.admin, desk.support]
    made: list[Ticket] = []
    for i in range(21):
        made.append(
            await make_ticket(
                authors[i % len(authors)],
                f"Ticket number {i:02d} for ordering",
                type=TYPES[i % 3],
                priority=PRIORITIES[i % len(PRIORITIES)],
            )
        )
    # Drafts: null submittedAt and responseDueAt; the admin's are visible to the admin.
    for i in range(3):
        made.append(
            await make_ticket(
                desk.admin, f"Admin draft number {i}", priority=PRIORITIES[i], submit=False
            )
        )
    made.append(await make_ticket(desk.alice, "Alice private draft", submit=False))
    # Ties and a mix of whole seconds and fractions, not in id order.
    for i, ticket in enumerate(made):
        micro = 0 if i % 2 else 500_000
        values: dict[str, Any] = {
            "created_at": BASE + timedelta(minutes=(i * 7) % 8, microseconds=micro * (i % 3 == 0)),
            "updated_at": BASE + timedelta(hours=1, minutes=(i * 5) % 6),
        }
        if ticket.status != TicketStatus.DRAFT:
            submitted = BASE + timedelta(hours=2, minutes=(i * 3) % 5, microseconds=micro)
            values["submitted_at"] = submitted
            values["response_due_at"] = submitted + timedelta(hours=i % 3)
        await Ticket.filter(id=ticket.id).update(**values)
    return await visible_to_admin(desk.admin)


async def list_page(gql: GraphQLClient, token: str, **variables: Any) -> dict[str, Any]:
    data = await gql.data(TICKETS, variables, token=token)
    return data["tickets"]


async def page_forward(
    gql: GraphQLClient,
    token: str,
    size: int,
    order: dict[str, str] | None = None,
    flt: dict[str, Any] | None = None,
    between: Callable[[int], Any] | None = None,
) -> list[int]:
    """Every number, page after page; checks the page flags on the way."""
    seen: list[int] = []
    after: str | None = None
    for page_no in range(100):
        page = await list_page(gql, token, first=size, after=after, orderBy=order, filter=flt)
        info = page["pageInfo"]
        numbers = [e["node"]["number"] for e in page["edges"]]
        assert [n["number"] for n in page["nodes"]] == numbers
        assert len(numbers) <= size
        assert info["hasPreviousPage"] is (after is not None)
        if numbers:
            assert info["startCursor"] == page["edges"][0]["cursor"]
            assert info["endCursor"] == page["edges"][-1]["cursor"]
        seen.extend(numbers)
        if not info["hasNextPage"]:
            return seen
        assert len(numbers) == size, "a page short of its size must be the last one"
        after = info["endCursor"]
        if between is not None:
            await between(page_no)
    raise AssertionError("paging did not end")


async def page_backward(
    gql: GraphQLClient,
    token: str,
    size: int,
    order: dict[str, str] | None = None,
    between: Callable[[int], Any] | None = None,
) -> list[int]:
    """Every number, from the end towards the start, in list order."""
    pages: list[list[int]] = []
    before: str | None = None
    for page_no in range(100):
        page = await list_page(gql, token, last=size, before=before, orderBy=order)
        info = page["pageInfo"]
        numbers = [e["node"]["number"] for e in page["edges"]]
        assert len(numbers) <= size
        assert info["hasNextPage"] is (before is not None)
        pages.insert(0, numbers)
        if not info["hasPreviousPage"]:
            return [n for p in pages for n in p]
        assert len(numbers) == size, "a page short of its size must be the first one"
        before = info["startCursor"]
        if between is not None:
            await between(page_no)
    raise AssertionError("paging did not end")


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    assert body.get("data") is None, body
    error = body["errors"][0]
    # An unexpected exception is masked as "Internal error": that is not a clear error.
    assert error.get("extensions", {}).get("code") != "INTERNAL_SERVER_ERROR", error
    assert error["message"] != "Internal error", error
    assert "Traceback" not in error["message"]
    return error


def raw_cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


# --- ordering -------------------------------------------------------------------------------------


async def test_default_order_is_newest_first(gql: GraphQLClient, desk: Desk) -> None:
    rows = await seed_orderable(desk)
    page = await list_page(gql, desk.admin.token, first=100)
    got = [e["node"]["number"] for e in page["edges"]]
    assert got == expected_numbers(rows, "CREATED_AT", "DESC")
    explicit = await list_page(
        gql, desk.admin.token, first=100, orderBy={"field": "CREATED_AT", "direction": "DESC"}
    )
    assert [e["node"]["number"] for e in explicit["edges"]] == got
    # The default order's cursors are the explicit CREATED_AT DESC ones.
    assert explicit["edges"][3]["cursor"] == page["edges"][3]["cursor"]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_every_order_in_one_page_and_paged(
    gql: GraphQLClient, desk: Desk, field: str, direction: str
) -> None:
    rows = await seed_orderable(desk)
    expected = expected_numbers(rows, field, direction)
    order = {"field": field, "direction": direction}
    page = await list_page(gql, desk.admin.token, first=100, orderBy=order)
    assert page["totalCount"] == len(rows)
    assert [e["node"]["number"] for e in page["edges"]] == expected
    assert page["pageInfo"]["hasNextPage"] is False
    assert page["pageInfo"]["hasPreviousPage"] is False
    # Forwards and backwards, in pages that do and do not divide the total.
    for size in (5, 8):
        assert await page_forward(gql, desk.admin.token, size, order) == expected, size
        assert await page_backward(gql, desk.admin.token, size, order) == expected, size


@pytest.mark.parametrize("field", ["SUBMITTED_AT", "RESPONSE_DUE_AT"])
async def test_nulls_last_ascending_first_descending(
    gql: GraphQLClient, desk: Desk, field: str
) -> None:
    rows = await seed_orderable(desk)
    drafts = {t.number for t in rows if t.status == TicketStatus.DRAFT}
    assert len(drafts) == 3
    column = "submittedAt" if field == "SUBMITTED_AT" else "responseDueAt"
    for direction in ("ASC", "DESC"):
        order = {"field": field, "direction": direction}
        page = await list_page(gql, desk.admin.token, first=100, orderBy=order)
        nodes = [e["node"] for e in page["edges"]]
        nulls = [n["number"] for n in nodes if n[column] is None]
        assert set(nulls) == drafts
        positions = [i for i, n in enumerate(nodes) if n[column] is None]
        if direction == "ASC":
            assert positions == list(range(len(nodes) - 3, len(nodes))), direction
        else:
            assert positions == [0, 1, 2], direction
        # Paging in pages of 2 crosses the NULL / non-NULL boundary mid-page and at a page end.
        for size in (2, 4):
            seen = await page_forward(gql, desk.admin.token, size, order)
            assert sorted(seen) == sorted(t.number for t in rows)
            assert len(seen) == len(set(seen))
            assert seen == [n["number"] for n in nodes]


async def test_priority_order_is_priority_then_deadline(gql: GraphQLClient, desk: Desk) -> None:
    base = BASE
    made = [
        await make_ticket(desk.alice, "Priority two due late", priority=Priority.P2),
        await make_ticket(desk.alice, "Priority one due late", priority=Priority.P1),
        await make_ticket(desk.alice, "Priority two due early", priority=Priority.P2),
        await make_ticket(desk.alice, "Priority one due early", priority=Priority.P1),
        await make_ticket(desk.alice, "Priority four due soon", priority=Priority.P4),
        await make_ticket(
            desk.alice, "Priority two draft here", priority=Priority.P2, submit=False
        ),
    ]
    dues = [base + timedelta(hours=5), base + timedelta(hours=3), base, base, base]
    for ticket, due in zip(made[:5], dues, strict=True):
        await Ticket.filter(id=ticket.id).update(response_due_at=due)
    numbers = [t.number for t in made]
    page = await list_page(
        gql, desk.alice.token, first=100, orderBy={"field": "PRIORITY", "direction": "ASC"}
    )
    got = [e["node"]["number"] for e in page["edges"]]
    # P1 early, P1 late, P2 early, P2 late, P2 draft (no deadline), P4.
    assert got == [numbers[3], numbers[1], numbers[2], numbers[0], numbers[5], numbers[4]]
    assert [e["node"]["priority"] for e in page["edges"]] == ["P1", "P1", "P2", "P2", "P2", "P4"]


# --- keyset pages -------------------------------------------------------------------------------


async def test_page_flags_forward_and_backward(gql: GraphQLClient, desk: Desk) -> None:
    for i in range(6):
        await make_ticket(desk.alice, f"Flag test ticket {i}")
    order = {"field": "NUMBER", "direction": "ASC"}
    first = await list_page(gql, desk.alice.token, first=3, orderBy=order)
    assert [e["node"]["number"] for e in first["edges"]] == [1, 2, 3]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    second = await list_page(
        gql, desk.alice.token, first=3, after=first["pageInfo"]["endCursor"], orderBy=order
    )
    assert [e["node"]["number"] for e in second["edges"]] == [4, 5, 6]
    # Exactly at the end: no next page although the page is full.
    assert second["pageInfo"]["hasNextPage"] is False
    assert second["pageInfo"]["hasPreviousPage"] is True
    beyond = await list_page(
        gql, desk.alice.token, first=3, after=second["pageInfo"]["endCursor"], orderBy=order
    )
    assert beyond["edges"] == []
    assert beyond["pageInfo"]["hasNextPage"] is False
    assert beyond["pageInfo"]["startCursor"] is None
    assert beyond["pageInfo"]["endCursor"] is None
    assert beyond["totalCount"] == 6

    last = await list_page(gql, desk.alice.token, last=4, orderBy=order)
    assert [e["node"]["number"] for e in last["edges"]] == [3, 4, 5, 6]
    assert last["pageInfo"]["hasPreviousPage"] is True
    assert last["pageInfo"]["hasNextPage"] is False
    before = await list_page(
        gql, desk.alice.token, last=4, before=last["pageInfo"]["startCursor"], orderBy=order
    )
    assert [e["node"]["number"] for e in before["edges"]] == [1, 2]
    assert before["pageInfo"]["hasPreviousPage"] is False
    assert before["pageInfo"]["hasNextPage"] is True
    # A cursor from the middle, used both ways.
    middle = second["edges"][0]["cursor"]  # number 4
    after_middle = await list_page(gql, desk.alice.token, first=10, after=middle, orderBy=order)
    assert [e["node"]["number"] for e in after_middle["edges"]] == [5, 6]
    before_middle = await list_page(gql, desk.alice.token, last=10, before=middle, orderBy=order)
    assert [e["node"]["number"] for e in before_middle["edges"]] == [1, 2, 3]


async def test_cursor_of_a_deleted_ticket_still_positions(gql: GraphQLClient, desk: Desk) -> None:
    made = [await make_ticket(desk.alice, f"Deleted cursor test {i}") for i in range(5)]
    order = {"field": "NUMBER", "direction": "ASC"}
    page = await list_page(gql, desk.alice.token, first=3, orderBy=order)
    await Ticket.filter(id=made[2].id).delete()
    rest = await list_page(
        gql, desk.alice.token, first=3, after=page["pageInfo"]["endCursor"], orderBy=order
    )
    assert [e["node"]["number"] for e in rest["edges"]] == [4, 5]


async def window_cursors(gql: GraphQLClient, desk: Desk) -> dict[int, str]:
    for i in range(8):
        await make_ticket(desk.alice, f"Window test ticket {i}")
    full = await list_page(gql, desk.alice.token, first=100, orderBy=BY_NUMBER)
    return {e["node"]["number"]: e["cursor"] for e in full["edges"]}


async def test_first_with_before_is_not_ignored(gql: GraphQLClient, desk: Desk) -> None:
    cursors = await window_cursors(gql, desk)
    # Relay: both cursors narrow the list, then first/last count within it; or a clear error.
    for variables, expected in [
        ({"first": 10, "before": cursors[4]}, [1, 2, 3]),
        ({"first": 2, "before": cursors[4]}, [1, 2]),
        ({"first": 10, "after": cursors[2], "before": cursors[6]}, [3, 4, 5]),
    ]:
        body = await gql(TICKETS, {**variables, "orderBy": BY_NUMBER}, token=desk.alice.token)
        if "errors" in body:
            error_of(body)
            continue
        got = [e["node"]["number"] for e in body["data"]["tickets"]["edges"]]
        assert got == expected, ("before was ignored", variables)
    # A broken `before` is never silently ignored.
    body = await gql(TICKETS, {"first": 2, "before": "garbage"}, token=desk.alice.token)
    assert "before" in error_of(body)["message"]


async def test_last_with_after_is_not_ignored(gql: GraphQLClient, desk: Desk) -> None:
    cursors = await window_cursors(gql, desk)
    for variables, expected in [
        ({"last": 10, "after": cursors[5]}, [6, 7, 8]),
        ({"last": 2, "after": cursors[2], "before": cursors[7]}, [5, 6]),
    ]:
        body = await gql(TICKETS, {**variables, "orderBy": BY_NUMBER}, token=desk.alice.token)
        if "errors" in body:
            error_of(body)
            continue
        got = [e["node"]["number"] for e in body["data"]["tickets"]["edges"]]
        assert got == expected, ("after was ignored", variables)
    # A broken `after` is never silently ignored.
    body = await gql(TICKETS, {"last": 2, "after": "garbage"}, token=desk.alice.token)
    assert "after" in error_of(body)["message"]


INSERT_ORDERS = [
    ("CREATED_AT", "DESC"),
    ("NUMBER", "ASC"),
    ("PRIORITY", "ASC"),
    ("PRIORITY", "DESC"),
    ("SUBMITTED_AT", "ASC"),
    ("RESPONSE_DUE_AT", "DESC"),
]


@pytest.mark.parametrize(("field", "direction"), INSERT_ORDERS)
async def test_pages_stay_stable_while_tickets_are_inserted(
    gql: GraphQLClient, desk: Desk, field: str, direction: str
) -> None:
    rows = await seed_orderable(desk)
    original = {t.number for t in rows}
    order = {"field": field, "direction": direction}
    counter = iter(range(1000))

    async def insert(page_no: int) -> None:
        # New tickets land before, inside and after what was already read.
        for offset_minutes in (-30, 3, 500):
            n = next(counter)
            ticket = await make_ticket(
                desk.bob if n % 2 else desk.admin,
                f"Inserted while paging {n}",
                type=TYPES[n % 3],
                priority=[Priority.P1, Priority.P4, None][n % 4 % 3],
                submit=n % 3 != 2,
            )
            when = BASE + timedelta(minutes=offset_minutes)
            values: dict[str, Any] = {"created_at": when, "updated_at": when + timedelta(hours=1)}
            if ticket.status != TicketStatus.DRAFT:
                values["submitted_at"] = when + timedelta(hours=2)
                values["response_due_at"] = when + timedelta(hours=2)
            await Ticket.filter(id=ticket.id).update(**values)

    seen = await page_forward(gql, desk.admin.token, 4, order, between=insert)
    assert len(seen) == len(set(seen)), "a ticket was listed twice"
    assert original <= set(seen), f"skipped: {sorted(original - set(seen))}"
    # What was seen is in the order of the list as it is now.
    now_rows = await visible_to_admin(desk.admin)
    final = expected_numbers(now_rows, field, direction)
    assert seen == [n for n in final if n in set(seen)]

    seen_back = await page_backward(gql, desk.admin.token, 4, order, between=insert)
    assert len(seen_back) == len(set(seen_back)), "a ticket was listed twice going backwards"
    assert set(seen) <= set(seen_back), "skipped going backwards"


# --- cursors and limits ---------------------------------------------------------------------------


async def test_cursor_of_another_ordering_is_a_clear_error(gql: GraphQLClient, desk: Desk) -> None:
    for i in range(3):
        await make_ticket(desk.alice, f"Cursor ordering test {i}")
    by_number = await list_page(
        gql, desk.alice.token, first=1, orderBy={"field": "NUMBER", "direction": "ASC"}
    )
    cursor = by_number["pageInfo"]["endCursor"]
    others = [
        {"field": "NUMBER", "direction": "DESC"},
        {"field": "CREATED_AT", "direction": "ASC"},
        {"field": "PRIORITY", "direction": "ASC"},
        None,
    ]
    for order in others:
        for args in ({"first": 2, "after": cursor}, {"last": 2, "before": cursor}):
            body = await gql(TICKETS, {**args, "orderBy": order}, token=desk.alice.token)
            error = error_of(body)
            assert "cursor" in error["message"].lower(), error
            assert ("after" if "after" in args else "before") in error["message"], error
    # A cursor of a ticket's history is not a cursor of the tickets list.
    history = await gql.data(HISTORY_CURSOR, {"number": 1}, token=desk.alice.token)
    history_cursor = history["ticket"]["history"]["edges"][0]["cursor"]
    body = await gql(TICKETS, {"first": 2, "after": history_cursor}, token=desk.alice.token)
    assert "cursor" in error_of(body)["message"].lower()


TAMPERED = [
    "not-a-cursor",
    "====",
    "%%%",
    base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
    raw_cursor({"t": 1}),
    raw_cursor([]),
    raw_cursor(["t:NUMBER:a"]),
    raw_cursor(["t:NUMBER:a", 1]),
    raw_cursor(["t:NUMBER:a", 1, 1, 1]),
    raw_cursor(["t:NUMBER:a", None, 1]),
    raw_cursor(["t:NUMBER:a", "one", 1]),
    raw_cursor(["t:NUMBER:a", 1, "x"]),
    raw_cursor(["t:NUMBER:a", {"a": 1}, 1]),
    raw_cursor(["t:NUMBER:a", [1], 1]),
    raw_cursor(["t:NUMBER:a", 1.5e300, 1]),
    raw_cursor(["t:NUMBER:a", 2**70, 1]),
]

TAMPERED_CREATED = [
    raw_cursor(["t:CREATED_AT:d", "yesterday", 1]),
    raw_cursor(["t:CREATED_AT:d", 12, 1]),
    raw_cursor(["t:CREATED_AT:d", None, 1]),
    raw_cursor(["t:CREATED_AT:d", "2024-05-01T12:00:00+00:00", {"x": 1}]),
]

TAMPERED_PRIORITY = [
    raw_cursor(["t:PRIORITY:a", "P9", None, 1]),
    raw_cursor(["t:PRIORITY:a", 3, None, 1]),
    raw_cursor(["t:PRIORITY:a", "P1", "soon", 1]),
    raw_cursor(["t:PRIORITY:a", "P1", None, None]),
]


async def test_tampered_cursors_are_clear_errors(gql: GraphQLClient, desk: Desk) -> None:
    for i in range(3):
        await make_ticket(desk.alice, f"Tampered cursor test {i}")
    page = await list_page(gql, desk.alice.token, first=2)
    good = page["pageInfo"]["endCursor"]
    retagged = json.loads(base64.urlsafe_b64decode(good))
    retagged[0] = "t:CREATED_AT:x"
    cases: list[tuple[str, dict[str, str] | None]] = [
        (good[: len(good) // 2], None),
        (good[1:], None),
        (raw_cursor(retagged), None),
    ]
    cases += [(c, {"field": "NUMBER", "direction": "ASC"}) for c in TAMPERED]
    cases += [(c, None) for c in TAMPERED_CREATED]
    cases += [(c, {"field": "PRIORITY", "direction": "ASC"}) for c in TAMPERED_PRIORITY]
    failures = []
    for cursor, order in cases:
        for args in ({"first": 2, "after": cursor}, {"last": 2, "before": cursor}):
            body = await gql(TICKETS, {**args, "orderBy": order}, token=desk.alice.token)
            errors = body.get("errors") or []
            code = errors[0].get("extensions", {}).get("code") if errors else None
            message = errors[0]["message"] if errors else ""
            if (
                not errors
                or body.get("data") is not None
                or code == "INTERNAL_SERVER_ERROR"
                or message == "Internal error"
                or "cursor" not in message.lower()
            ):
                failures.append((cursor, order, args, body))
    assert not failures, "\n".join(repr(f) for f in failures)


@pytest.mark.parametrize("argument", ["first", "last"])
@pytest.mark.parametrize("size", [0, 101, -1, 1000])
async def test_page_size_out_of_range_names_the_limit(
    gql: GraphQLClient, desk: Desk, argument: str, size: int
) -> None:
    await make_ticket(desk.alice, "Page size limit test")
    body = await gql(TICKETS, {argument: size}, token=desk.alice.token)
    error = error_of(body)
    assert "100" in error["message"], error
    assert argument in error["message"], error


async def test_page_size_bounds_are_accepted(gql: GraphQLClient, desk: Desk) -> None:
    await make_ticket(desk.alice, "Page size bound test")
    for args in ({"first": 1}, {"first": 100}, {"last": 1}, {"last": 100}):
        page = await list_page(gql, desk.alice.token, **args)
        assert len(page["edges"]) == 1


async def test_default_page_size_is_20_and_total_counts_all_pages(
    gql: GraphQLClient, desk: Desk
) -> None:
    for i in range(23):
        await make_ticket(desk.alice, f"Default size test {i:02d}")
    await make_ticket(desk.bob, "Someone else's ticket")
    page = await list_page(gql, desk.alice.token)
    assert len(page["edges"]) == 20
    assert page["totalCount"] == 23
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["pageInfo"]["hasPreviousPage"] is False
    rest = await list_page(gql, desk.alice.token, after=page["pageInfo"]["endCursor"])
    assert len(rest["edges"]) == 3
    assert rest["totalCount"] == 23
    assert rest["pageInfo"]["hasNextPage"] is False
    last = await list_page(gql, desk.alice.token, before=rest["pageInfo"]["startCursor"])
    assert len(last["edges"]) == 20
    numbers = {e["node"]["number"] for e in page["edges"] + rest["edges"]}
    assert numbers == {t.number for t in await Ticket.filter(author_id=desk.alice.id)}
    # totalCount is not limited by the page either.
    small = await list_page(gql, desk.alice.token, first=1)
    assert small["totalCount"] == 23


async def test_listing_without_count_works(gql: GraphQLClient, desk: Desk) -> None:
    for i in range(3):
        await make_ticket(desk.alice, f"Listing without count {i}")
    data = await gql.data(TICKETS_NO_COUNT, {"first": 2}, token=desk.alice.token)
    assert [e["node"]["number"] for e in data["tickets"]["edges"]] == [3, 2]


# --- filters --------------------------------------------------------------------------------------


async def seed_filterable(desk: Desk) -> list[Ticket]:
    """Tickets in every status, type, priority, team, assignee and deadline state."""
    made = []
    specs: list[tuple[Person, TicketType, Priority | None]] = [
        (desk.alice, TicketType.INCIDENT, None),
        (desk.alice, TicketType.QUESTION, Priority.P1),
        (desk.alice, TicketType.FEATURE_REQUEST, None),
        (desk.bob, TicketType.INCIDENT, Priority.P4),
        (desk.bob, TicketType.QUESTION, None),
        (desk.bob, TicketType.FEATURE_REQUEST, Priority.P2),
        (desk.admin, TicketType.INCIDENT, Priority.P1),
        (desk.admin, TicketType.FEATURE_REQUEST, None),
        (desk.support, TicketType.QUESTION, Priority.P3),
        (desk.alice, TicketType.INCIDENT, Priority.P3),
        (desk.bob, TicketType.QUESTION, Priority.P2),
        (desk.admin, TicketType.QUESTION, None),
    ]
    for i, (person, ticket_type, priority) in enumerate(specs):
        made.append(
            await make_ticket(
                person, f"Filter ticket {i:02d} subject", type=ticket_type, priority=priority
            )
        )
    made.append(await make_ticket(desk.admin, "Admin draft for filters", submit=False))
    made.append(await make_ticket(desk.alice, "Alice draft for filters", submit=False))
    statuses = [TicketStatus.PENDING, TicketStatus.WAITING, TicketStatus.CLOSED]
    now = datetime.now(UTC)
    for i, ticket in enumerate(made[:12]):
        values: dict[str, Any] = {}
        if i % 4 != 0:
            values["status"] = statuses[i % 3]
            if values["status"] == TicketStatus.WAITING:
                values["waiting_since"] = now - timedelta(minutes=30)
            if values["status"] == TicketStatus.CLOSED:
                values["closed_at"] = now
        if i % 3 == 0:
            values["assignee_id"] = desk.support.id
        elif i % 3 == 1:
            values["assignee_id"] = desk.product.id
        # Overdue: past deadline and no response; one past deadline answered in time.
        if i % 2 == 0:
            values["response_due_at"] = now - timedelta(hours=1 + i)
        else:
            values["response_due_at"] = now + timedelta(hours=1 + i)
        if i == 4:
            values["first_responded_at"] = now - timedelta(days=1)
        await Ticket.filter(id=ticket.id).update(**values)
    return await visible_to_admin(desk.admin)


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


async def assert_filter(
    gql: GraphQLClient,
    token: str,
    flt: dict[str, Any],
    expected: set[int],
) -> None:
    page = await list_page(gql, token, first=100, filter=flt)
    got = [e["node"]["number"] for e in page["edges"]]
    assert set(got) == expected, (flt, sorted(got), sorted(expected))
    assert len(got) == len(set(got))
    assert page["totalCount"] == len(expected), flt
    if flt.get("overdue") is not None:
        assert all(e["node"]["overdue"] is flt["overdue"] for e in page["edges"]), flt
    # Paged, the same tickets.
    assert set(await page_forward(gql, token, 3, flt=flt)) == expected, flt


async def test_every_filter_field_and_combinations(gql: GraphQLClient, desk: Desk) -> None:
    rows = await seed_filterable(desk)
    now = datetime.now(UTC)
    support = await Team.get(name="Support")
    product = await Team.get(name="Product")
    admin = desk.admin

    def overdue(t: Ticket) -> bool:
        # Unanswered and late: while the clock runs, or already before a wait paused it.
        if t.response_due_at is None or t.first_responded_at is not None:
            return False
        if t.status in (TicketStatus.OPEN, TicketStatus.PENDING):
            return t.response_due_at <= now
        if t.status == TicketStatus.WAITING:
            return t.waiting_since is not None and t.response_due_at <= t.waiting_since
        return False

    def where(pred: Callable[[Ticket], bool]) -> set[int]:
        return {t.number for t in rows if pred(t)}

    cases: list[tuple[dict[str, Any], set[int]]] = [
        ({}, where(lambda t: True)),
        ({"status": ["OPEN"]}, where(lambda t: t.status == TicketStatus.OPEN)),
        ({"status": ["DRAFT"]}, where(lambda t: t.status == TicketStatus.DRAFT)),
        (
            {"status": ["PENDING", "CLOSED"]},
            where(lambda t: t.status in (TicketStatus.PENDING, TicketStatus.CLOSED)),
        ),
        ({"type": ["QUESTION"]}, where(lambda t: t.type == TicketType.QUESTION)),
        (
            {"type": ["INCIDENT", "FEATURE_REQUEST"]},
            where(lambda t: t.type in (TicketType.INCIDENT, TicketType.FEATURE_REQUEST)),
        ),
        ({"priority": ["P1"]}, where(lambda t: t.priority == Priority.P1)),
        (
            {"priority": ["P2", "P4"]},
            where(lambda t: t.priority in (Priority.P2, Priority.P4)),
        ),
        ({"teamId": gid("Team", support.id)}, where(lambda t: t.team_id == support.id)),
        ({"teamId": gid("Team", product.id)}, where(lambda t: t.team_id == product.id)),
        ({"teamId": gid("Team", 999_999)}, set()),
        (
            {"assigneeId": gid("User", desk.support.id)},
            where(lambda t: t.assignee_id == desk.support.id),
        ),
        (
            {"assigneeId": gid("User", desk.product.id)},
            where(lambda t: t.assignee_id == desk.product.id),
        ),
        (
            {"authorId": gid("User", desk.bob.id)},
            where(lambda t: t.author_id == desk.bob.id),
        ),
        (
            {"authorId": gid("User", desk.alice.id)},
            where(lambda t: t.author_id == desk.alice.id),
        ),
        ({"mine": True}, where(lambda t: t.author_id == admin.id)),
        ({"mine": False}, where(lambda t: t.author_id != admin.id)),
        ({"mine": None}, where(lambda t: True)),
        ({"overdue": True}, where(overdue)),
        ({"overdue": False}, where(lambda t: not overdue(t))),
        ({"search": "filter ticket 0"}, where(lambda t: "Filter ticket 0" in t.subject)),
        # Combinations.
        (
            {"status": ["OPEN", "PENDING"], "type": ["INCIDENT"]},
            where(
                lambda t: (
                    t.status in (TicketStatus.OPEN, TicketStatus.PENDING)
                    and t.type == TicketType.INCIDENT
                )
            ),
        ),
        (
            {"teamId": gid("Team", support.id), "priority": ["P1", "P3"]},
            where(lambda t: t.team_id == support.id and t.priority in (Priority.P1, Priority.P3)),
        ),
        (
            {"mine": True, "status": ["DRAFT"]},
            where(lambda t: t.author_id == admin.id and t.status == TicketStatus.DRAFT),
        ),
        (
            {"mine": False, "overdue": True},
            where(lambda t: t.author_id != admin.id and overdue(t)),
        ),
        (
            {"authorId": gid("User", desk.bob.id), "mine": True},
            set(),
        ),
        (
            {"assigneeId": gid("User", desk.support.id), "overdue": False, "search": "subject"},
            where(lambda t: t.assignee_id == desk.support.id and not overdue(t)),
        ),
        (
            {
                "status": ["OPEN", "PENDING", "WAITING", "CLOSED"],
                "type": ["QUESTION", "INCIDENT"],
                "teamId": gid("Team", support.id),
                "authorId": gid("User", desk.bob.id),
            },
            where(
                lambda t: (
                    t.author_id == desk.bob.id
                    and t.team_id == support.id
                    and t.status != TicketStatus.DRAFT
                )
            ),
        ),
    ]
    for flt, expected in cases:
        await assert_filter(gql, admin.token, flt, expected)
    # The fixture data really exercises each filter.
    assert where(overdue)
    assert where(lambda t: not overdue(t))
    assert any(t.first_responded_at and t.response_due_at < now for t in rows)
    late = [t for t in rows if t.response_due_at and t.response_due_at < now]
    assert {TicketStatus.WAITING, TicketStatus.CLOSED} <= {t.status for t in late}


async def test_filters_stay_within_visibility(gql: GraphQLClient, desk: Desk) -> None:
    rows = await seed_filterable(desk)
    product = await Team.get(name="Product")
    mine = {t.number for t in await Ticket.filter(author_id=desk.alice.id)}
    # Alice filtering on another author or a team gets only her own tickets.
    await assert_filter(gql, desk.alice.token, {"authorId": gid("User", desk.bob.id)}, set())
    await assert_filter(
        gql,
        desk.alice.token,
        {"teamId": gid("Team", product.id)},
        {t.number for t in rows if t.team_id == product.id} & mine,
    )
    await assert_filter(gql, desk.alice.token, {"mine": False}, set())
    drafts = {t.number for t in await Ticket.filter(author_id=desk.alice.id, status="DRAFT")}
    assert len(drafts) == 1
    await assert_filter(gql, desk.alice.token, {"status": ["DRAFT"]}, drafts)
    await assert_filter(gql, desk.alice.token, {}, mine)


@pytest.mark.parametrize("name", ["teamId", "assigneeId", "authorId"])
async def test_id_filters_reject_ids_of_another_type_and_garbage(
    gql: GraphQLClient, desk: Desk, name: str
) -> None:
    await make_ticket(desk.alice, "Id filter test ticket")
    support = await Team.get(name="Support")
    wrong = gid("User", desk.alice.id) if name == "teamId" else gid("Team", support.id)
    for bad in (wrong, "garbage", "", "123", gid("Ticket", 1), str(desk.alice.id)):
        body = await gql(TICKETS, {"filter": {name: bad}}, token=desk.alice.token)
        error = error_of(body)
        assert name in error["message"], (bad, error)


@pytest.mark.parametrize("name", ["teamId", "assigneeId", "authorId"])
async def test_id_filters_with_out_of_range_keys_are_not_internal_errors(
    gql: GraphQLClient, desk: Desk, name: str
) -> None:
    await make_ticket(desk.alice, "Out of range filter test")
    type_name = "Team" if name == "teamId" else "User"
    for key in (2**31, 2**63, 10**20):
        body = await gql(TICKETS, {"filter": {name: gid(type_name, key)}}, token=desk.admin.token)
        if "errors" in body:
            error_of(body)  # a clear error is fine; an internal one is not
        else:
            assert body["data"]["tickets"]["totalCount"] == 0, (key, body)
            assert body["data"]["tickets"]["edges"] == [], (key, body)


# --- search -------------------------------------------------------------------------------------


async def seed_searchable(desk: Desk) -> dict[str, int]:
    specs: dict[str, dict[str, Any]] = {
        "accented_subject": {"subject": "Réservation impossible ce matin"},
        "upper_accented": {"subject": "RÉSERVATION bloquée au paiement"},
        "lower_accented": {"subject": "Question sur une réservation de salle"},
        "description": {
            "subject": "Problème de paiement en ligne",
            "description": "La Reservation n'aboutit pas\navec la carte",
        },
        "reference": {
            "subject": "Facture introuvable ici",
            "reference": "https://shop.example/ReSeRvAtIoN/42",
        },
        "percent": {"subject": "Remise de 50% non appliquée"},
        "five_hundred": {"subject": "Commande de 500 articles bloquée"},
        "underscore": {"subject": "Champ a_b mal rempli ici"},
        "axb": {"subject": "Champ axb mal rempli ici"},
        "backslash": {"subject": "Fichier C:\\temp introuvable"},
        "other": {"subject": "Imprimante en panne étage 2", "reference": "INV-2024-0042"},
    }
    numbers = {}
    for name, kwargs in specs.items():
        ticket = await make_ticket(desk.alice, **kwargs)
        numbers[name] = ticket.number
    return numbers


async def test_search_is_case_and_accent_insensitive(gql: GraphQLClient, desk: Desk) -> None:
    n = await seed_searchable(desk)
    reservation = {
        n["accented_subject"],
        n["upper_accented"],
        n["lower_accented"],
        n["description"],
        n["reference"],
    }
    for needle in ("reservation", "RÉSERVATION", "Réservation", "réservation", "RESERVATION"):
        await assert_filter(gql, desk.alice.token, {"search": needle}, reservation)
    await assert_filter(gql, desk.alice.token, {"search": "ETAGE"}, {n["other"]})
    await assert_filter(gql, desk.alice.token, {"search": "Étage 2"}, {n["other"]})
    # Reference and description are searched, not only the subject.
    await assert_filter(gql, desk.alice.token, {"search": "inv-2024-0042"}, {n["other"]})
    await assert_filter(gql, desk.alice.token, {"search": "n'aboutit"}, {n["description"]})
    await assert_filter(gql, desk.alice.token, {"search": "shop.example"}, {n["reference"]})
    # Surrounding blanks do not matter; no match is an empty list.
    await assert_filter(
        gql, desk.alice.token, {"search": "  impossible  "}, {n["accented_subject"]}
    )
    await assert_filter(gql, desk.alice.token, {"search": "nothing like this"}, set())


async def test_search_treats_wildcards_as_plain_characters(gql: GraphQLClient, desk: Desk) -> None:
    n = await seed_searchable(desk)
    await assert_filter(gql, desk.alice.token, {"search": "50%"}, {n["percent"]})
    await assert_filter(gql, desk.alice.token, {"search": "%"}, {n["percent"]})
    await assert_filter(gql, desk.alice.token, {"search": "5%0"}, set())
    await assert_filter(gql, desk.alice.token, {"search": "a_b"}, {n["underscore"]})
    await assert_filter(gql, desk.alice.token, {"search": "_"}, {n["underscore"]})
    await assert_filter(gql, desk.alice.token, {"search": "a_b_"}, set())
    await assert_filter(gql, desk.alice.token, {"search": "c:\\temp"}, {n["backslash"]})
    await assert_filter(gql, desk.alice.token, {"search": "\\"}, {n["backslash"]})
    await assert_filter(gql, desk.alice.token, {"search": "500"}, {n["five_hundred"]})


async def test_search_combines_with_other_filters_and_order(gql: GraphQLClient, desk: Desk) -> None:
    n = await seed_searchable(desk)
    await Ticket.filter(number=n["upper_accented"]).update(status=TicketStatus.CLOSED)
    flt = {"search": "reservation", "status": ["OPEN"]}
    expected = {n["accented_subject"], n["lower_accented"], n["description"], n["reference"]}
    await assert_filter(gql, desk.alice.token, flt, expected)
    page = await list_page(
        gql,
        desk.alice.token,
        first=100,
        filter=flt,
        orderBy={"field": "NUMBER", "direction": "DESC"},
    )
    assert [e["node"]["number"] for e in page["edges"]] == sorted(expected, reverse=True)


@pytest.mark.parametrize(
    "needle",
    [
        pytest.param("abc\u0000def", id="nul"),
        pytest.param("\ud800", id="lone-surrogate"),
        pytest.param("r\udfffes", id="lone-low-surrogate"),
        pytest.param("\x1b[31m", id="escape"),
    ],
)
async def test_search_with_odd_characters_is_never_an_internal_error(
    gql: GraphQLClient, desk: Desk, needle: str
) -> None:
    await make_ticket(desk.alice, "Odd characters search test")
    body = await gql(TICKETS, {"filter": {"search": needle}}, token=desk.alice.token)
    if "errors" in body:
        error_of(body)  # a clear error is fine; an internal one is not
        assert "search" in body["errors"][0]["message"]
    else:
        assert body["data"]["tickets"]["totalCount"] == 0


async def test_search_follows_draft_edits(gql: GraphQLClient, desk: Desk) -> None:
    draft = await make_ticket(
        desk.alice, "Draft about the old printer", description="toner", submit=False
    )
    await ticket_service.update_draft(
        actor=await desk.alice.actor(),
        ticket_id=draft.id,
        changes={"description": "Le scanner NUMÉRIQUE est cassé", "reference": "ABC-123"},
    )
    await assert_filter(gql, desk.alice.token, {"search": "numerique"}, {draft.number})
    await assert_filter(gql, desk.alice.token, {"search": "abc-123"}, {draft.number})
    await assert_filter(gql, desk.alice.token, {"search": "toner"}, set())
    # Decomposed accents and case folding beyond ASCII.
    await assert_filter(gql, desk.alice.token, {"search": "nume\u0301rique"}, {draft.number})
    street = await make_ticket(desk.alice, "Adresse in der Hauptstraße falsch")
    await assert_filter(gql, desk.alice.token, {"search": "HAUPTSTRASSE"}, {street.number})


async def test_search_too_long_is_a_clear_error(gql: GraphQLClient, desk: Desk) -> None:
    await make_ticket(desk.alice, "Search length test ticket")
    body = await gql(TICKETS, {"filter": {"search": "x" * 201}}, token=desk.alice.token)
    error = error_of(body)
    assert "search" in error["message"]
    assert "200" in error["message"]
