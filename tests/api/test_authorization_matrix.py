"""Plays every cell of tests/authorization_matrix.py against the running service, over
HTTP and the websocket, and fails when an operation of the schema has no table there."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import build_schema
from websockets.exceptions import ConnectionClosed

from app.cli import schema_sdl
from app.models import Calendar, Membership, Team, Ticket, TicketEvent, User
from app.models.enums import ImprovementKind, Priority, Role, TeamKind, TicketType
from app.schema.ids import to_global_id
from app.services import handling, improvements, releases
from app.services.routing import set_route
from app.services.teams import ensure_team
from app.services.users import ensure_user
from tests.authorization_matrix import (
    OTHER_OPERATIONS,
    STATUSES,
    TICKET_OPERATIONS,
    VIEWERS,
    ticket_table,
)
from tests.conftest import (
    PASSWORD,
    Desk,
    GraphQLClient,
    MakePerson,
    Person,
    Server,
    make_ticket,
    open_socket,
)

# The operations of a ticket table, by the schema field they exercise.
SUPPORT, PARTNER = "Support", "Partner"
FIELD_OF = {
    "ticket(id)": "ticket",
    "ticket(number)": "ticket",
    "node(Ticket)": "node",
    "node(TicketEvent)": "node",
    "tickets(search)": "tickets",
    "postMessage(internal)": "postMessage",
}


def test_every_operation_of_the_schema_has_a_table() -> None:
    exported = build_schema(schema_sdl())
    roots = (exported.query_type, exported.mutation_type, exported.subscription_type)
    fields = {name for root in roots if root for name in root.fields}
    covered = {FIELD_OF.get(op, op) for op in TICKET_OPERATIONS} | set(OTHER_OPERATIONS)
    assert fields - covered == set(), "operations without a row in tests/authorization_matrix.py"
    assert covered - fields == set(), "rows for operations the schema does not have"
    for operation, outcomes in OTHER_OPERATIONS.items():
        assert set(outcomes) == set(VIEWERS), operation


@dataclass
class Cell:
    """One ticket, in one status, and the people around it."""

    desk: Desk
    ticket: Ticket
    team_id: int  # Support, or Partner
    team_handler: Person  # who handles that team
    token: str | None  # the viewer's


def outcome_of(body: dict[str, Any], field: str) -> str:
    errors = body.get("errors")
    if errors:
        code = errors[0].get("extensions", {}).get("code", "?")
        return "UNAUTH" if code == "UNAUTHENTICATED" else str(code)
    value = body["data"][field]
    if value is None:
        return "null"
    if isinstance(value, dict) and value.get("userErrors"):
        return str(value["userErrors"][0]["code"])
    return "ok"


def payload(name: str) -> str:
    kind = name[0].upper() + name[1:] + "Input"
    return f"mutation M($input: {kind}!) {{ {name}(input: $input) {{ userErrors {{ code }} }} }}"


def gid(ticket: Ticket) -> str:
    return to_global_id("Ticket", ticket.id)


# Each ticket operation: the request for a cell, and the field its answer is in.
Probe = Callable[[Cell], Awaitable[tuple[str, dict[str, Any], str]]]


async def _event_id(cell: Cell) -> str:
    event = await TicketEvent.filter(ticket_id=cell.ticket.id).order_by("id").first()
    assert event is not None
    return to_global_id("TicketEvent", event.id)


async def _item_of_the_team(cell: Cell) -> str:
    """An item made by the ticket's team from another ticket of that team."""
    other = await make_ticket(cell.desk.bob, "Another ticket asking for it")
    await Ticket.filter(id=other.id).update(team_id=cell.team_id)
    item = await improvements.propose_improvement(
        actor=await cell.team_handler.actor(),
        ticket_id=other.id,
        title="Make it better",
        kind=ImprovementKind.IMPROVEMENT,
    )
    return to_global_id("Improvement", item.id)


def _mutation(name: str, **extra: Any) -> Probe:
    async def probe(cell: Cell) -> tuple[str, dict[str, Any], str]:
        values = {key: (await v(cell) if callable(v) else v) for key, v in extra.items()}
        return payload(name), {"input": {"id": gid(cell.ticket), **values}}, name

    return probe


async def _assignee(cell: Cell) -> str:
    return to_global_id("User", cell.team_handler.id)


BY_ID = "query Q($id: ID!) { ticket(id: $id) { id } }"
BY_NUMBER = "query Q($n: Int!) { ticket(number: $n) { id } }"
NODE = "query Q($id: ID!) { node(id: $id) { id } }"


async def _by_id(cell: Cell) -> tuple[str, dict[str, Any], str]:
    return BY_ID, {"id": gid(cell.ticket)}, "ticket"


async def _by_number(cell: Cell) -> tuple[str, dict[str, Any], str]:
    return BY_NUMBER, {"n": cell.ticket.number}, "ticket"


async def _node(cell: Cell) -> tuple[str, dict[str, Any], str]:
    return NODE, {"id": gid(cell.ticket)}, "node"


async def _read(
    document: str, variables: dict[str, Any], field: str
) -> tuple[str, dict[str, Any], str]:
    return document, variables, field


async def _node_of_event(cell: Cell) -> tuple[str, dict[str, Any], str]:
    return "query Q($id: ID!) { node(id: $id) { id } }", {"id": await _event_id(cell)}, "node"


async def _propose(cell: Cell) -> tuple[str, dict[str, Any], str]:
    values = {"ticketId": gid(cell.ticket), "title": "Make it better", "kind": "IMPROVEMENT"}
    return payload("proposeImprovement"), {"input": values}, "proposeImprovement"


async def _link(cell: Cell) -> tuple[str, dict[str, Any], str]:
    values = {"ticketId": gid(cell.ticket), "improvementId": await _item_of_the_team(cell)}
    return payload("linkTicketToImprovement"), {"input": values}, "linkTicketToImprovement"


PROBES: dict[str, Probe] = {
    "ticket(id)": _by_id,
    "ticket(number)": _by_number,
    "node(Ticket)": _node,
    "updateDraft": _mutation("updateDraft", description="Changed by the matrix"),
    "deleteDraft": _mutation("deleteDraft"),
    "submitTicket": _mutation("submitTicket"),
    "adjustTicket": _mutation("adjustTicket", priority="P1"),
    "takeTicket": _mutation("takeTicket"),
    "assignTicket": _mutation("assignTicket", assigneeId=_assignee),
    "awaitTicket": _mutation("awaitTicket"),
    "resumeTicket": _mutation("resumeTicket"),
    "closeTicket": _mutation("closeTicket", resolution="Done."),
    "reopenTicket": _mutation("reopenTicket"),
    "postMessage": _mutation("postMessage", body="A public message"),
    "postMessage(internal)": _mutation("postMessage", body="A note", internal=True),
    "node(TicketEvent)": _node_of_event,
    "proposeImprovement": _propose,
    "linkTicketToImprovement": _link,
}


async def place(desk: Desk, status: str, external: bool, subject: str) -> tuple[Ticket, Person]:
    """Alice's incident in status, routed to Support (or Partner), worked by its team."""
    team = PARTNER if external else SUPPORT
    handler = desk.partner if external else desk.support
    await set_route(ticket_type=TicketType.INCIDENT, team_name=team)
    ticket = await make_ticket(desk.alice, subject, submit=status != "DRAFT")
    await set_route(ticket_type=TicketType.INCIDENT, team_name="Support")
    actor = await handler.actor()
    if status in ("PENDING", "WAITING", "CLOSED"):
        await handling.take_ticket(actor=actor, ticket_id=ticket.id)
    if status == "WAITING":
        await handling.set_waiting(actor=actor, ticket_id=ticket.id)
    if status == "CLOSED":
        await handling.close_ticket(actor=actor, ticket_id=ticket.id, resolution="Done.")
    return await Ticket.get(id=ticket.id), handler


async def viewer_token(desk: Desk, viewer: str, deactivated: Person) -> str | None:
    people = {
        "author": desk.alice,
        "other_requester": desk.bob,
        "team_internal": desk.support,
        "other_internal": desk.product,
        "team_external": desk.partner,
        "other_external": desk.other_partner,
        "admin": desk.admin,
        "deactivated": deactivated,
    }
    return people[viewer].token if viewer in people else None


async def search_outcome(gql: GraphQLClient, token: str | None, subject: str) -> str:
    body = await gql(
        "query S($s: String!) { tickets(filter: {search: $s}) { totalCount nodes { id } } }",
        {"s": subject},
        token=token,
    )
    if body.get("errors"):
        return outcome_of(body, "tickets")
    found = body["data"]["tickets"]
    listed = (len(found["nodes"]), found["totalCount"])
    return {(1, 1): "ok", (0, 0): "absent"}.get(listed, f"inconsistent {listed}")


async def subscription_outcome(
    server: Server, token: str | None, document: str, variables: dict[str, Any], wait: float
) -> str:
    """Subscribe as the token's owner: refused at connection_init (UNAUTH), an error within
    wait seconds (its code), or nothing (ok)."""
    init = {"Authorization": f"Bearer {token}"} if token else None
    async with open_socket(server, init) as ws:
        try:
            first = json.loads(await asyncio.wait_for(ws.recv(), 5))
        except ConnectionClosed as closed:
            return "UNAUTH" if closed.rcvd and closed.rcvd.code == 4403 else f"closed {closed}"
        assert first["type"] == "connection_ack", first
        message = {"query": document, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": message}))
        with contextlib.suppress(TimeoutError):
            answer = json.loads(await asyncio.wait_for(ws.recv(), wait))
            if answer["type"] == "error":
                return str(answer["payload"][0]["extensions"]["code"])
            if answer["type"] == "next" and answer["payload"].get("errors"):
                return str(answer["payload"]["errors"][0]["extensions"]["code"])
            return f"unexpected {answer}"
        return "ok"


UPDATED = "subscription U($id: ID!) { ticketUpdated(id: $id) { id } }"


@pytest.mark.parametrize("operation", list(TICKET_OPERATIONS))
async def test_ticket_operations_follow_the_matrix(
    gql: GraphQLClient, desk: Desk, server: Server, make_person: MakePerson, operation: str
) -> None:
    deactivated = await make_person(Role.HANDLER, ["Support"])
    await User.filter(id=deactivated.id).update(is_active=False)
    expected = ticket_table(operation)
    actual: dict[tuple[str, str], str] = {}
    for viewer in VIEWERS:
        for status in STATUSES:
            subject = f"Matrix {operation} {viewer} {status} {uuid.uuid4().hex[:8]}"
            external = viewer == "team_external"
            ticket, handler = await place(desk, status, external, subject)
            token = await viewer_token(desk, viewer, deactivated)
            team = await Team.get(name=PARTNER if external else SUPPORT)
            cell = Cell(desk, ticket, team.id, handler, token)
            if operation == "tickets(search)":
                actual[viewer, status] = await search_outcome(gql, token, subject)
            elif operation == "ticketUpdated":
                # Longer for an expected refusal than for a quiet stream: a refusal that
                # comes late is still seen, and a leak (no refusal) fails either way.
                wait = 0.5 if expected[viewer, status] == "ok" else 5
                actual[viewer, status] = await subscription_outcome(
                    server, token, UPDATED, {"id": gid(ticket)}, wait
                )
            else:
                document, variables, field = await PROBES[operation](cell)
                actual[viewer, status] = outcome_of(
                    await gql(document, variables, token=token), field
                )
    wrong = {cell: (expected[cell], got) for cell, got in actual.items() if got != expected[cell]}
    assert wrong == {}, f"{operation}: (viewer, status): (expected, actual)"


# --- operations on no ticket ------------------------------------------------------------------


async def _validated_item(desk: Desk) -> Any:
    ticket = await make_ticket(desk.alice, "A wish for the matrix", type=TicketType.FEATURE_REQUEST)
    item = await improvements.propose_improvement(
        actor=await desk.product.actor(),
        ticket_id=ticket.id,
        title="A wish for the matrix",
        kind=ImprovementKind.IMPROVEMENT,
    )
    return item


def _gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


async def _team_id(name: str) -> str:
    return _gid("Team", (await Team.get(name=name)).id)


async def _new_team(unique: str) -> str:
    team = await ensure_team(name=f"Team {unique}", kind=TeamKind.INTERNAL)
    return _gid("Team", team.id)


async def _member_of_a_new_team(desk: Desk, unique: str) -> dict[str, Any]:
    team = await ensure_team(name=f"Team {unique}", kind=TeamKind.INTERNAL)
    await Membership.get_or_create(team_id=team.id, user_id=desk.support.id)
    return {"teamId": _gid("Team", team.id), "userId": _gid("User", desk.support.id)}


async def _calendar_id() -> str:
    calendar = await Calendar.get(is_default=True)
    return _gid("Calendar", calendar.id)


HOURS = [{"weekday": 0, "opens": "09:00", "closes": "17:00"}]
Request = tuple[str, dict[str, Any], str]


async def other_request(operation: str, desk: Desk) -> Request:
    """A request of the operation that an admin (or anyone allowed) may make successfully."""
    unique = uuid.uuid4().hex[:8]
    if operation == "login":
        fresh = await ensure_user(
            email=f"fresh-{unique}@example.com",
            display_name="Fresh",
            role=Role.REQUESTER,
            password=PASSWORD,
        )
        credentials = {"email": fresh.email, "password": PASSWORD}
        document = (
            "mutation L($input: LoginInput!) { login(input: $input) { token userErrors { code } } }"
        )
        return document, {"input": credentials}, "login"
    reads = {
        "me": "{ me { id } }",
        "teams": "{ teams { id } }",
        "calendars": "{ calendars { id } }",
        "responseDelays": "{ responseDelays { priority } }",
        "improvements": "{ improvements { totalCount } }",
        "releases": "{ releases { totalCount } }",
        "routingRules": "{ routingRules { type } }",
        "users": "{ users { totalCount } }",
    }
    if operation in reads:
        return reads[operation], {}, operation
    inputs: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
        "createDraft": _const({"subject": "A draft from the matrix"}),
        "updatePreferences": _const({"language": "EN"}),
        "createTeam": _const({"name": f"Team {unique}", "kind": "INTERNAL"}),
        "updateTeam": lambda: _with(id=_new_team(unique), name=_const(f"Renamed {unique}")),
        "addTeamMember": lambda: _with(
            teamId=_team_id("Product"), userId=_const(_gid("User", desk.support.id))
        ),
        "removeTeamMember": lambda: _member_of_a_new_team(desk, unique),
        "setRoutingRule": lambda: _with(teamId=_team_id("Product"), type=_const("QUESTION")),
        "createCalendar": _const(
            {"name": f"Calendar {unique}", "timeZone": "Europe/Brussels", "openingHours": HOURS}
        ),
        "updateCalendar": lambda: _with(id=_calendar_id(), holidays=_const(["2030-01-01"])),
        "setResponseDelay": _const(
            {"priority": "P4", "minutes": 600, "counting": "BUSINESS_HOURS"}
        ),
        "createUser": _const(
            {
                "email": f"new-{unique}@example.com",
                "displayName": "New",
                "role": "REQUESTER",
                "password": PASSWORD,
            }
        ),
        "updateUser": _const({"id": _gid("User", desk.bob.id), "displayName": "Robert"}),
        "mergeImprovements": lambda: _merge(desk),
        "validateImprovement": lambda: _item_input(desk, priority="P2"),
        "rejectImprovement": lambda: _item_input(desk),
        "createRelease": _const({"version": f"9.9.9-m{unique}"}),
        "planImprovement": lambda: _plan(desk),
        "publishRelease": lambda: _publish(desk),
    }
    values = await inputs[operation]()
    return payload(operation), {"input": values}, operation


def _const(value: Any) -> Callable[[], Awaitable[Any]]:
    async def get() -> Any:
        return value

    return get


async def _with(**values: Awaitable[Any] | Callable[[], Awaitable[Any]]) -> dict[str, Any]:
    resolved = {}
    for key, value in values.items():
        resolved[key] = await (value() if callable(value) else value)
    return resolved


async def _item_input(desk: Desk, **extra: Any) -> dict[str, Any]:
    return {"id": _gid("Improvement", (await _validated_item(desk)).id), **extra}


async def _merge(desk: Desk) -> dict[str, Any]:
    source, target = await _validated_item(desk), await _validated_item(desk)
    return {"sourceId": _gid("Improvement", source.id), "targetId": _gid("Improvement", target.id)}


async def _validated_item_and_release(desk: Desk) -> tuple[Any, Any]:
    admin = await desk.admin.actor()
    item = await _validated_item(desk)
    await improvements.validate_improvement(
        actor=admin, improvement_id=item.id, priority=Priority.P3
    )
    version = f"2.0.0-m{uuid.uuid4().hex[:6]}"
    return item, await releases.create_release(actor=admin, version=version)


async def _plan(desk: Desk) -> dict[str, Any]:
    item, release = await _validated_item_and_release(desk)
    return {"improvementId": _gid("Improvement", item.id), "releaseId": _gid("Release", release.id)}


async def _publish(desk: Desk) -> dict[str, Any]:
    item, release = await _validated_item_and_release(desk)
    admin = await desk.admin.actor()
    await releases.plan_improvement(actor=admin, improvement_id=item.id, release_id=release.id)
    return {"id": _gid("Release", release.id)}


SUBSCRIPTIONS = {
    "ticketOpened": "subscription { ticketOpened { cursor } }",
    "releasePublished": "subscription { releasePublished { version } }",
}


@pytest.mark.parametrize("operation", list(OTHER_OPERATIONS))
async def test_other_operations_follow_the_matrix(
    gql: GraphQLClient, desk: Desk, server: Server, make_person: MakePerson, operation: str
) -> None:
    deactivated = await make_person(Role.HANDLER, ["Support"])
    await User.filter(id=deactivated.id).update(is_active=False)
    expected = OTHER_OPERATIONS[operation]
    actual = {}
    for viewer in VIEWERS:
        token = await viewer_token(desk, viewer, deactivated)
        if operation in SUBSCRIPTIONS:
            document = SUBSCRIPTIONS[operation]
            actual[viewer] = await subscription_outcome(server, token, document, {}, 0.5)
            continue
        document, variables, field = await other_request(operation, desk)
        actual[viewer] = outcome_of(await gql(document, variables, token=token), field)
    wrong = {v: (expected[v], got) for v, got in actual.items() if got != expected[v]}
    assert wrong == {}, f"{operation}: viewer: (expected, actual)"
