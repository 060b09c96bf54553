"""SQL statements per GraphQL request, counted at the database driver over real HTTP
requests: a list sends the same number of statements whatever its page size (no N+1),
and the handler's dashboard at most four, sign-in included."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import aiosqlite
import asyncpg
import pytest
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from app.models.enums import ImprovementKind, Priority, Role, TicketType
from app.services import handling, improvements, messages, releases
from tests.conftest import Desk, GraphQLClient, MakePerson, Person, make_ticket

DASHBOARD = """
query Dashboard($first: Int!, $after: String) {
  tickets(
    first: $first
    after: $after
    filter: {status: [OPEN, PENDING, WAITING]}
    orderBy: {field: PRIORITY, direction: ASC}
  ) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id number subject type priority status slaStatus overdue
        submittedAt responseDueAt updatedAt
        author { id displayName }
        team { id name }
        assignee { id displayName }
      }
    }
  }
}
"""
TICKET_PAGE = """
query Page($number: Int!) {
  ticket(number: $number) {
    id number subject description status priority slaStatus responseDueAt
    author { displayName } team { name } assignee { displayName }
    history(first: 100) { totalCount nodes { at kind field from to actor { displayName } } }
    messages(first: 100) { totalCount nodes { kind body createdAt author { displayName } } }
  }
}
"""
IMPROVEMENTS = """
query Items($first: Int!) {
  improvements(first: $first) {
    totalCount
    nodes { id title kind status priority votes validatedBy { displayName } release { version } }
  }
}
"""
USERS = """
query Users($first: Int!) {
  users(first: $first) { totalCount nodes { id email displayName role active } }
}
"""
DASHBOARD_MOST = 4

# The driver calls that send SQL (or end a transaction) to the database.
DRIVER_CALLS: dict[type, tuple[str, ...]] = {
    aiosqlite.Connection: (
        "execute",
        "execute_fetchall",
        "execute_insert",
        "executemany",
        "executescript",
        "commit",
        "rollback",
    ),
    asyncpg.Connection: ("execute", "executemany", "fetch", "fetchrow", "fetchval", "fetchmany"),
}


@dataclass
class Statements:
    """The statements each HTTP request sent, in the order the requests arrived."""

    requests: list[list[str]] = field(default_factory=list)

    async def of(
        self, gql: GraphQLClient, person: Person, query: str, **variables: Any
    ) -> tuple[list[str], dict[str, Any]]:
        """The statements sent while answering one request, and its data."""
        before = len(self.requests)
        data = await gql.data(query, variables, token=person.token)
        assert len(self.requests) == before + 1, "expected exactly one HTTP request"
        return self.requests[-1], data


@pytest.fixture
def statements() -> Iterator[Statements]:
    """Count what the in-process server sends to the database for each HTTP request.

    Each request's ASGI call runs in a task of its own; a context variable set there is
    inherited by every task it starts (data loaders, gathered resolvers), and not seen by
    the server's background tasks (the feed's hub, the mail sender)."""
    log = Statements()
    current: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
        "statements", default=None
    )
    with pytest.MonkeyPatch.context() as patch:
        serve = Starlette.__call__

        async def counted_call(self: Starlette, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                return await serve(self, scope, receive, send)
            sent: list[str] = []
            log.requests.append(sent)
            token = current.set(sent)
            try:
                await serve(self, scope, receive, send)
            finally:
                current.reset(token)

        def counting(method: Any, name: str) -> Any:
            @functools.wraps(method)
            def call(self: Any, *args: Any, **kwargs: Any) -> Any:
                sent = current.get()
                if sent is not None:
                    sent.append(str(args[0]) if args else name.upper())
                return method(self, *args, **kwargs)

            return call

        patch.setattr(Starlette, "__call__", counted_call)
        for cls, names in DRIVER_CALLS.items():
            for name in names:
                patch.setattr(cls, name, counting(getattr(cls, name), name))
        yield log


def show(sent: list[str]) -> str:
    return "\n".join(f"  {i}. {sql[:300]}" for i, sql in enumerate(sent, 1))


async def busy_desk(desk: Desk, make_person: MakePerson, tickets: int = 60) -> None:
    """Open, taken and waiting tickets of many requesters, routed to Support (and a few to
    Product), taken by several handlers: a page of 50 names many authors, assignees and
    both teams."""
    requesters = [await make_person(Role.REQUESTER) for _ in range(12)]
    handlers = [desk.support] + [await make_person(Role.HANDLER, ["Support"]) for _ in range(3)]
    priorities = [Priority.P1, Priority.P2, Priority.P3, Priority.P4]
    for i in range(tickets):
        ticket = await make_ticket(
            requesters[i % len(requesters)],
            f"Ticket number {i} of the busy desk",
            type=TicketType.FEATURE_REQUEST if i % 10 == 9 else TicketType.INCIDENT,
            priority=priorities[i % 4],
        )
        if i % 3 == 1 and ticket.type is TicketType.INCIDENT:
            taker = handlers[i % len(handlers)]
            await handling.take_ticket(actor=await taker.actor(), ticket_id=ticket.id)
            if i % 2:
                await handling.set_waiting(actor=await taker.actor(), ticket_id=ticket.id)


async def dashboard(
    gql: GraphQLClient, statements: Statements, person: Person, first: int, **more: Any
) -> tuple[list[str], dict[str, Any]]:
    sent, data = await statements.of(gql, person, DASHBOARD, first=first, **more)
    return sent, data["tickets"]


@pytest.mark.parametrize("viewer", ["admin", "support"])
async def test_the_dashboard_sends_the_same_few_statements_for_any_page_size(
    gql: GraphQLClient, desk: Desk, make_person: MakePerson, statements: Statements, viewer: str
) -> None:
    await busy_desk(desk, make_person)
    person: Person = getattr(desk, viewer)
    small, small_page = await dashboard(gql, statements, person, 5)
    large, large_page = await dashboard(gql, statements, person, 50)

    # The large page really holds what an N+1 would multiply: many authors and assignees.
    nodes = [edge["node"] for edge in large_page["edges"]]
    assert len(nodes) == 50
    assert large_page["totalCount"] > 50
    assert len({n["author"]["id"] for n in nodes}) == 12
    assert len({n["assignee"]["id"] for n in nodes if n["assignee"]}) == 4
    if viewer == "admin":
        assert {n["team"]["name"] for n in nodes} == {"Support", "Product"}
    assert [e["node"]["number"] for e in small_page["edges"]] == [n["number"] for n in nodes[:5]]

    assert len(small) == len(large), (
        f"first: 5 sent {len(small)} statements:\n{show(small)}\n"
        f"first: 50 sent {len(large)}:\n{show(large)}"
    )
    assert len(large) <= DASHBOARD_MOST, f"{len(large)} statements:\n{show(large)}"


async def test_the_next_page_of_the_dashboard_costs_the_same(
    gql: GraphQLClient, desk: Desk, make_person: MakePerson, statements: Statements
) -> None:
    await busy_desk(desk, make_person)
    first, page = await dashboard(gql, statements, desk.support, 20)
    after = page["pageInfo"]["endCursor"]
    second, next_page = await dashboard(gql, statements, desk.support, 20, after=after)
    assert len(next_page["edges"]) == 20
    assert len(second) == len(first), f"{show(first)}\nthen\n{show(second)}"


async def test_a_ticket_page_costs_the_same_for_a_long_or_short_conversation(
    gql: GraphQLClient, desk: Desk, make_person: MakePerson, statements: Statements
) -> None:
    handlers = [desk.support] + [await make_person(Role.HANDLER, ["Support"]) for _ in range(4)]
    quiet = await make_ticket(desk.alice, "A short conversation")
    busy = await make_ticket(desk.alice, "A long conversation")
    for ticket in (quiet, busy):
        await handling.take_ticket(actor=await desk.support.actor(), ticket_id=ticket.id)
    # The same kinds of entries and authors, once in the quiet one, many times in the busy one.
    for internal, person in ((False, handlers[1]), (True, handlers[2])):
        await messages.post_message(
            actor=await person.actor(), ticket_id=quiet.id, body="Answer", internal=internal
        )
    await messages.post_message(actor=await desk.alice.actor(), ticket_id=quiet.id, body="?")
    for i in range(20):
        await messages.post_message(
            actor=await handlers[i % len(handlers)].actor(),
            ticket_id=busy.id,
            body=f"Answer {i}",
            internal=i % 2 == 0,
        )
        if i % 5 == 0:
            await messages.post_message(actor=await desk.alice.actor(), ticket_id=busy.id, body="?")
    for person in (desk.support, desk.alice, desk.admin):
        sent = []
        for ticket in (quiet, busy):
            statements_sent, data = await statements.of(
                gql, person, TICKET_PAGE, number=ticket.number
            )
            sent.append(statements_sent)
        assert data["ticket"]["messages"]["totalCount"] > 10
        assert len(sent[0]) == len(sent[1]), f"{show(sent[0])}\nthen\n{show(sent[1])}"


async def test_the_improvements_list_costs_the_same_for_any_page_size(
    gql: GraphQLClient, desk: Desk, make_person: MakePerson, statements: Statements
) -> None:
    admin, product = await desk.admin.actor(), await desk.product.actor()
    release = await releases.create_release(actor=admin, version="2.0.0")
    requesters = [await make_person(Role.REQUESTER) for _ in range(3)]
    for i in range(12):
        ticket = await make_ticket(
            requesters[i % 3], f"Please add feature {i}", type=TicketType.FEATURE_REQUEST
        )
        item = await improvements.propose_improvement(
            actor=product,
            ticket_id=ticket.id,
            title=f"Feature {i}",
            kind=ImprovementKind.IMPROVEMENT,
        )
        if i % 2:
            await improvements.validate_improvement(
                actor=admin, improvement_id=item.id, priority=Priority.P2
            )
            await releases.plan_improvement(
                actor=admin, improvement_id=item.id, release_id=release.id
            )
    # Internal handlers see the whole list; a requester the items of their own tickets.
    for person, items in ((desk.admin, 12), (desk.product, 12), (requesters[0], 4)):
        sent = []
        for first in (2, 12):
            statements_sent, data = await statements.of(gql, person, IMPROVEMENTS, first=first)
            sent.append(statements_sent)
            assert len(data["improvements"]["nodes"]) == min(first, items)
        assert len(sent[0]) == len(sent[1]), f"{show(sent[0])}\nthen\n{show(sent[1])}"


async def test_the_users_list_costs_the_same_for_any_page_size(
    gql: GraphQLClient, desk: Desk, make_person: MakePerson, statements: Statements
) -> None:
    for _ in range(30):
        await make_person(Role.REQUESTER)
    sent = []
    for first in (5, 30):
        statements_sent, data = await statements.of(gql, desk.admin, USERS, first=first)
        sent.append(statements_sent)
        assert len(data["users"]["nodes"]) == first
    assert len(sent[0]) == len(sent[1]), f"{show(sent[0])}\nthen\n{show(sent[1])}"
