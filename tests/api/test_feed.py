"""The live feed (`ticketOpened`) over a real graphql-transport-ws websocket.

Every test that expects silence also proves the feed was live: a control subscriber
(usually the admin) receives the same event, or the same subscriber receives a later one.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
import websockets
from graphql import (
    FragmentDefinitionNode,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import Operation
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.uri import parse_uri

from app.models import Membership, RoutingRule, Team, User
from app.models.enums import Priority, Role, TicketType
from app.schema import schema
from app.schema.execution import same_for_every_viewer
from app.schema.frames import SERVER_CONNECTION, NextFrames, _plain_frame
from app.schema.ids import pk_of, to_global_id
from app.services import feed, handling, messages, tickets
from app.services.routing import set_route
from tests.conftest import (
    TEST_SECRET,
    Desk,
    GraphQLClient,
    MakePerson,
    Person,
    Server,
    Subscription,
    make_ticket,
    open_socket,
    subscribe,
)

OPENED = """
subscription Opened($filter: TicketFeedFilter, $after: String) {
  ticketOpened(filter: $filter, after: $after) {
    cursor
    ticket { id number subject type priority status team { name } }
  }
}
"""
UNKNOWN_FIELD = "subscription { ticketClosed { cursor } }"
CREATE_DRAFT = """
mutation Create($input: CreateDraftInput!) {
  createDraft(input: $input) { ticket { id number status } userErrors { code message } }
}
"""
UPDATE_DRAFT = """
mutation Update($input: UpdateDraftInput!) {
  updateDraft(input: $input) { ticket { id version } userErrors { code message } }
}
"""
DELETE_DRAFT = """
mutation Delete($input: DeleteDraftInput!) {
  deleteDraft(input: $input) { deletedId userErrors { code message } }
}
"""
SUBMIT = """
mutation Submit($input: SubmitTicketInput!) {
  submitTicket(input: $input) {
    ticket { id number status priority team { name } }
    userErrors { code message }
  }
}
"""

QUIET = 0.4  # how long "nothing arrives" is watched
_subjects = itertools.count(1)


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
async def settled() -> None:
    """Start once the subscriptions of earlier tests are gone, so counts compare cleanly."""
    for _ in range(100):
        if feed.subscriber_count() == 0:
            return
        await asyncio.sleep(0.02)


def subject(label: str = "ticket") -> str:
    return f"Feed test {label} number {next(_subjects)}"


async def create_draft(
    gql: GraphQLClient,
    author: Person,
    ticket_type: str | None = None,
    priority: str | None = None,
    label: str = "ticket",
) -> dict[str, Any]:
    fields: dict[str, Any] = {"subject": subject(label)}
    if ticket_type is not None:
        fields["type"] = ticket_type
    if priority is not None:
        fields["priority"] = priority
    data = await gql.data(CREATE_DRAFT, {"input": fields}, token=author.token)
    payload = data["createDraft"]
    assert payload["userErrors"] == [], payload
    return payload["ticket"]


async def submit(gql: GraphQLClient, author: Person, ticket_id: str) -> dict[str, Any]:
    data = await gql.data(SUBMIT, {"input": {"id": ticket_id}}, token=author.token)
    payload = data["submitTicket"]
    assert payload["userErrors"] == [], payload
    assert payload["ticket"]["status"] == "OPEN"
    return payload["ticket"]


async def open_ticket(
    gql: GraphQLClient, author: Person, ticket_type: str, priority: str | None = None
) -> dict[str, Any]:
    """Create and submit a ticket; returns the submitted ticket (id, number, priority, team)."""
    draft = await create_draft(gql, author, ticket_type, priority, label=ticket_type.lower())
    return await submit(gql, author, draft["id"])


def event_of(message: dict[str, Any]) -> dict[str, Any]:
    """The ticketOpened payload of a `next` message without errors."""
    assert message["type"] == "next", message
    assert message["id"] == "1", message
    assert "errors" not in message["payload"], message
    event = message["payload"]["data"]["ticketOpened"]
    assert event is not None, message
    return event


async def receive(sub: Subscription, count: int, seconds: float = 3) -> list[dict[str, Any]]:
    """The next `count` events of a subscription."""
    return [event_of(await sub.next(seconds)) for _ in range(count)]


async def numbers(sub: Subscription, count: int) -> list[int]:
    return [event["ticket"]["number"] for event in await receive(sub, count)]


async def no_event_within(sub: Subscription, seconds: float = QUIET) -> None:
    """No ticket is delivered (the server may end the subscription, with or without an
    error, or close the socket)."""
    with contextlib.suppress(TimeoutError, ConnectionClosed):
        while True:
            message = await sub.next(seconds)
            if message["type"] == "next":
                assert message["payload"].get("data") is None, f"expected no event, got {message}"


async def quiet(*subs: Subscription) -> None:
    """None of these subscriptions receives anything more (checked together)."""
    await asyncio.gather(*(sub.nothing_within(QUIET) for sub in subs))


async def team_gid(name: str) -> str:
    team = await Team.get(name=name)
    return to_global_id("Team", team.id)


async def close_code(ws: websockets.ClientConnection, seconds: float = 3) -> int | None:
    """Wait until the server closes the socket; fail if it acknowledges or sends data."""
    try:
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), seconds))
            assert message["type"] not in ("connection_ack", "next", "data"), message
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def send_subscribe(
    ws: websockets.ClientConnection,
    query: str,
    variables: dict[str, Any] | None = None,
    op_id: str = "1",
) -> None:
    message = {"id": op_id, "type": "subscribe", "payload": {"query": query}}
    if variables is not None:
        message["payload"]["variables"] = variables
    await ws.send(json.dumps(message))


@contextlib.asynccontextmanager
async def acknowledged(server: Server, token: str) -> AsyncIterator[websockets.ClientConnection]:
    """A socket past connection_init, with no subscription yet."""
    async with open_socket(server, {"Authorization": f"Bearer {token}"}) as ws:
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        yield ws


async def operation_errors(ws: websockets.ClientConnection, op_id: str = "1") -> list[Any]:
    """The errors that end an operation: an `error` message, or `next` with errors then
    `complete`. Fails on data."""
    message = json.loads(await asyncio.wait_for(ws.recv(), 3))
    assert message.get("id") == op_id, message
    if message["type"] == "error":
        errors = message["payload"]
    else:
        assert message["type"] == "next", message
        assert message["payload"].get("data") is None, message
        errors = message["payload"].get("errors")
        done = json.loads(await asyncio.wait_for(ws.recv(), 3))
        assert done == {"id": op_id, "type": "complete"}, done
    assert errors, message
    assert "Traceback" not in json.dumps(errors), errors
    return errors


async def listening_beyond(count: int) -> None:
    """Wait until the server registered one more feed subscriber than `count`."""
    for _ in range(150):
        if feed.subscriber_count() > count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the subscription did not start listening")


async def ping_pong(ws: websockets.ClientConnection) -> None:
    await ws.send(json.dumps({"type": "ping"}))
    reply = json.loads(await asyncio.wait_for(ws.recv(), 3))
    assert reply["type"] == "pong", reply


# --- who receives what -----------------------------------------------------------------------


async def test_handlers_of_the_routed_team_and_the_admin_receive_at_once(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    async with (
        subscribe(server, desk.support.token, OPENED) as support,
        subscribe(server, desk.product.token, OPENED) as product,
        subscribe(server, desk.admin.token, OPENED) as admin,
        subscribe(server, desk.partner.token, OPENED) as partner,
        subscribe(server, desk.other_partner.token, OPENED) as other_partner,
    ):
        incident = await open_ticket(gql, desk.alice, "INCIDENT")
        [support_event] = await receive(support, 1, seconds=2)
        [admin_event] = await receive(admin, 1, seconds=2)
        for event in (support_event, admin_event):
            ticket = event["ticket"]
            assert ticket["number"] == incident["number"]
            assert ticket["id"] == incident["id"]
            assert ticket["type"] == "INCIDENT"
            assert ticket["status"] == "OPEN"
            assert ticket["priority"] == "P2"
            assert ticket["team"] == {"name": "Support"}

        question = await open_ticket(gql, desk.bob, "QUESTION")
        feature = await open_ticket(gql, desk.alice, "FEATURE_REQUEST")

        assert await numbers(support, 1) == [question["number"]]
        [product_event] = await receive(product, 1, seconds=2)
        assert product_event["ticket"]["number"] == feature["number"]
        assert product_event["ticket"]["type"] == "FEATURE_REQUEST"
        assert product_event["ticket"]["team"] == {"name": "Product"}
        assert await numbers(admin, 2) == [question["number"], feature["number"]]
        await quiet(support, product, admin, partner, other_partner)


async def test_requester_receives_only_their_own_submissions(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    async with (
        subscribe(server, desk.alice.token, OPENED) as alice,
        subscribe(server, desk.bob.token, OPENED) as bob,
        subscribe(server, desk.admin.token, OPENED) as admin,
    ):
        bobs = await open_ticket(gql, desk.bob, "INCIDENT")
        alices = await open_ticket(gql, desk.alice, "INCIDENT")
        bobs_second = await open_ticket(gql, desk.bob, "FEATURE_REQUEST")
        assert await numbers(admin, 3) == [bobs["number"], alices["number"], bobs_second["number"]]
        assert await numbers(alice, 1) == [alices["number"]]
        assert await numbers(bob, 2) == [bobs["number"], bobs_second["number"]]
        await quiet(alice, bob, admin)


async def test_requester_with_a_foreign_team_filter_receives_nothing(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    support_team = await team_gid("Support")
    async with (
        subscribe(server, desk.alice.token, OPENED, {"filter": {"teamId": support_team}}) as alice,
        subscribe(server, desk.admin.token, OPENED) as admin,
    ):
        bobs = await open_ticket(gql, desk.bob, "INCIDENT")
        assert await numbers(admin, 1) == [bobs["number"]]
        await no_event_within(alice)


async def test_external_handler_receives_only_their_own_teams_tickets(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    await set_route(ticket_type=TicketType.QUESTION, team_name="Partner")
    async with (
        subscribe(server, desk.partner.token, OPENED) as partner,
        subscribe(server, desk.other_partner.token, OPENED) as other_partner,
        subscribe(server, desk.support.token, OPENED) as support,
        subscribe(server, desk.admin.token, OPENED) as admin,
    ):
        incident = await open_ticket(gql, desk.alice, "INCIDENT")
        feature = await open_ticket(gql, desk.bob, "FEATURE_REQUEST")
        question = await open_ticket(gql, desk.alice, "QUESTION")
        assert question["team"] == {"name": "Partner"}
        assert await numbers(admin, 3) == [
            incident["number"],
            feature["number"],
            question["number"],
        ]

        [event] = await receive(partner, 1)
        assert event["ticket"]["number"] == question["number"]
        assert event["ticket"]["team"] == {"name": "Partner"}
        assert await numbers(support, 1) == [incident["number"]]
        await quiet(partner, other_partner, support, admin)


async def test_external_handler_asking_for_another_teams_tickets_gets_nothing(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    await set_route(ticket_type=TicketType.QUESTION, team_name="Other Partner")
    for_support = {"filter": {"teamId": await team_gid("Support")}}
    for_other = {"filter": {"teamId": await team_gid("Other Partner"), "type": ["QUESTION"]}}
    async with (
        subscribe(server, desk.partner.token, OPENED, for_support) as partner_support,
        subscribe(server, desk.partner.token, OPENED, for_other) as partner_other,
        subscribe(server, desk.other_partner.token, OPENED, for_other) as other_partner,
        subscribe(server, desk.admin.token, OPENED) as admin,
    ):
        incident = await open_ticket(gql, desk.alice, "INCIDENT")
        question = await open_ticket(gql, desk.alice, "QUESTION", "P1")
        assert await numbers(admin, 2) == [incident["number"], question["number"]]
        assert await numbers(other_partner, 1) == [question["number"]]
        await asyncio.gather(no_event_within(partner_support), no_event_within(partner_other))


async def test_handler_filtering_on_a_team_they_do_not_belong_to_gets_nothing(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    product_team = {"filter": {"teamId": await team_gid("Product")}}
    async with (
        subscribe(server, desk.support.token, OPENED, product_team) as support,
        subscribe(server, desk.admin.token, OPENED, product_team) as admin,
    ):
        feature = await open_ticket(gql, desk.alice, "FEATURE_REQUEST")
        incident = await open_ticket(gql, desk.alice, "INCIDENT")
        assert incident["team"] == {"name": "Support"}
        assert await numbers(admin, 1) == [feature["number"]]
        await asyncio.gather(no_event_within(support), admin.nothing_within(QUIET))


async def test_ticket_without_a_route_reaches_only_the_admin(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    await RoutingRule.filter(ticket_type=TicketType.QUESTION).delete()
    async with (
        subscribe(server, desk.admin.token, OPENED) as admin,
        subscribe(server, desk.support.token, OPENED) as support,
        subscribe(server, desk.partner.token, OPENED) as partner,
    ):
        question = await open_ticket(gql, desk.alice, "QUESTION")
        assert question["team"] is None
        [event] = await receive(admin, 1)
        assert event["ticket"]["number"] == question["number"]
        assert event["ticket"]["team"] is None
        await quiet(admin, support, partner)


# --- drafts ----------------------------------------------------------------------------------


async def test_drafts_are_never_announced(gql: GraphQLClient, desk: Desk, server: Server) -> None:
    async with (
        subscribe(server, desk.alice.token, OPENED) as alice,
        subscribe(server, desk.admin.token, OPENED) as admin,
        subscribe(server, desk.support.token, OPENED) as support,
    ):
        draft = await create_draft(gql, desk.alice, "INCIDENT")
        untyped = await create_draft(gql, desk.alice)
        for changes in (
            {"subject": subject("edited")},
            {"type": "QUESTION", "priority": "P1"},
            {"description": "More details, still a draft"},
        ):
            data = await gql.data(
                UPDATE_DRAFT, {"input": {"id": draft["id"], **changes}}, token=desk.alice.token
            )
            assert data["updateDraft"]["userErrors"] == []
        data = await gql.data(
            UPDATE_DRAFT,
            {"input": {"id": untyped["id"], "type": "INCIDENT"}},
            token=desk.alice.token,
        )
        assert data["updateDraft"]["userErrors"] == []
        data = await gql.data(
            DELETE_DRAFT, {"input": {"id": untyped["id"]}}, token=desk.alice.token
        )
        assert data["deleteDraft"]["deletedId"] == untyped["id"]
        await quiet(alice, admin, support)

        submitted = await submit(gql, desk.alice, draft["id"])
        for sub in (alice, admin, support):
            [event] = await receive(sub, 1)
            assert event["ticket"]["number"] == submitted["number"]
            assert event["ticket"]["status"] == "OPEN"
        await quiet(alice, admin, support)


async def test_failed_submission_announces_nothing(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    async with subscribe(server, desk.admin.token, OPENED) as admin:
        untyped = await create_draft(gql, desk.alice)
        body = await gql.data(SUBMIT, {"input": {"id": untyped["id"]}}, token=desk.alice.token)
        assert body["submitTicket"]["userErrors"], body
        submitted = await open_ticket(gql, desk.alice, "INCIDENT")
        again = await gql.data(SUBMIT, {"input": {"id": submitted["id"]}}, token=desk.alice.token)
        assert again["submitTicket"]["userErrors"][0]["code"] == "INVALID_STATE"
        assert await numbers(admin, 1) == [submitted["number"]]
        await admin.nothing_within(QUIET)


# --- filter ----------------------------------------------------------------------------------


async def test_type_filter(gql: GraphQLClient, desk: Desk, server: Server) -> None:
    wanted = {"filter": {"type": ["INCIDENT", "FEATURE_REQUEST"]}}
    async with subscribe(server, desk.admin.token, OPENED, wanted) as admin:
        await open_ticket(gql, desk.alice, "QUESTION")
        incident = await open_ticket(gql, desk.alice, "INCIDENT")
        await open_ticket(gql, desk.alice, "QUESTION")
        feature = await open_ticket(gql, desk.alice, "FEATURE_REQUEST")
        assert await numbers(admin, 2) == [incident["number"], feature["number"]]
        await admin.nothing_within(QUIET)


async def test_priority_filter(gql: GraphQLClient, desk: Desk, server: Server) -> None:
    wanted = {"filter": {"priority": ["P1", "P4"]}}
    async with subscribe(server, desk.admin.token, OPENED, wanted) as admin:
        await open_ticket(gql, desk.alice, "INCIDENT")  # P2 by default
        urgent_question = await open_ticket(gql, desk.alice, "QUESTION", "P1")
        await open_ticket(gql, desk.alice, "QUESTION")  # P3 by default
        feature = await open_ticket(gql, desk.alice, "FEATURE_REQUEST")  # P4 by default
        events = await receive(admin, 2)
        assert [e["ticket"]["number"] for e in events] == [
            urgent_question["number"],
            feature["number"],
        ]
        assert [e["ticket"]["priority"] for e in events] == ["P1", "P4"]
        await admin.nothing_within(QUIET)


async def test_team_filter(gql: GraphQLClient, desk: Desk, server: Server) -> None:
    wanted = {"filter": {"teamId": await team_gid("Product")}}
    async with subscribe(server, desk.admin.token, OPENED, wanted) as admin:
        await open_ticket(gql, desk.alice, "INCIDENT")
        feature = await open_ticket(gql, desk.alice, "FEATURE_REQUEST")
        await open_ticket(gql, desk.alice, "QUESTION")
        [event] = await receive(admin, 1)
        assert event["ticket"]["number"] == feature["number"]
        assert event["ticket"]["team"] == {"name": "Product"}
        await admin.nothing_within(QUIET)


async def test_filter_criteria_combine(gql: GraphQLClient, desk: Desk, server: Server) -> None:
    wanted = {
        "filter": {
            "type": ["INCIDENT", "QUESTION"],
            "priority": ["P1"],
            "teamId": await team_gid("Support"),
        }
    }
    async with subscribe(server, desk.support.token, OPENED, wanted) as support:
        await open_ticket(gql, desk.alice, "INCIDENT")  # P2
        await open_ticket(gql, desk.alice, "FEATURE_REQUEST", "P1")  # Product
        urgent = await open_ticket(gql, desk.alice, "QUESTION", "P1")
        assert await numbers(support, 1) == [urgent["number"]]
        await support.nothing_within(QUIET)


# --- order, uniqueness, cursors --------------------------------------------------------------


async def test_events_arrive_in_submission_order_each_exactly_once(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    drafts = [await create_draft(gql, desk.alice, "INCIDENT") for _ in range(6)]
    # Submit in an order different from creation, so the order is the submission's.
    order = [drafts[i] for i in (3, 0, 5, 1, 4, 2)]
    async with (
        subscribe(server, desk.admin.token, OPENED) as admin,
        subscribe(server, desk.support.token, OPENED) as support,
    ):
        submitted = [await submit(gql, desk.alice, d["id"]) for d in order]
        expected = [t["number"] for t in submitted]
        assert await numbers(admin, len(expected)) == expected
        assert await numbers(support, len(expected)) == expected
        await quiet(admin, support)


async def test_concurrent_submissions_each_arrive_exactly_once(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    drafts = [await create_draft(gql, desk.alice, "QUESTION") for _ in range(5)]
    async with (
        subscribe(server, desk.admin.token, OPENED) as admin,
        subscribe(server, desk.support.token, OPENED) as support,
    ):
        submitted = await asyncio.gather(*(submit(gql, desk.alice, d["id"]) for d in drafts))
        received = await numbers(admin, len(drafts))
        assert sorted(received) == sorted(t["number"] for t in submitted)
        assert len(set(received)) == len(received)
        # One feed, one order: every subscriber sees the same sequence.
        assert await numbers(support, len(drafts)) == received
        await quiet(admin, support)


async def test_racing_submissions_of_one_draft_announce_it_once(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    draft = await create_draft(gql, desk.alice, "INCIDENT")
    async with subscribe(server, desk.admin.token, OPENED) as admin:
        bodies = await asyncio.gather(
            *(
                gql.data(SUBMIT, {"input": {"id": draft["id"]}}, token=desk.alice.token)
                for _ in range(4)
            )
        )
        opened = [b for b in bodies if b["submitTicket"]["ticket"] is not None]
        assert len(opened) == 1, bodies
        assert await numbers(admin, 1) == [draft["number"]]
        await admin.nothing_within(QUIET)


async def test_cursor_is_an_opaque_string_different_per_event(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    async with subscribe(server, desk.admin.token, OPENED) as admin:
        submitted = [await open_ticket(gql, desk.alice, "INCIDENT") for _ in range(3)]
        events = await receive(admin, 3)
    cursors = [e["cursor"] for e in events]
    assert all(isinstance(c, str) and c.strip() for c in cursors), cursors
    assert len(set(cursors)) == len(cursors), cursors
    for cursor, ticket in zip(cursors, submitted, strict=True):
        # Opaque: not a bare position, number or database key.
        assert not cursor.strip().isdigit(), cursor
        assert cursor not in (str(ticket["number"]), ticket["id"]), cursor


# --- authentication of connection_init ----------------------------------------------------------


ACCEPTED_PAYLOADS: dict[str, Callable[[str], dict[str, str]]] = {
    "Authorization": lambda token: {"Authorization": f"Bearer {token}"},
    "authorization": lambda token: {"authorization": f"Bearer {token}"},
    "AUTHORIZATION": lambda token: {"AUTHORIZATION": f"Bearer {token}"},
    "authToken": lambda token: {"authToken": token},
}


@pytest.mark.parametrize("key", list(ACCEPTED_PAYLOADS))
async def test_connection_init_accepts_token(
    key: str, gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    async with open_socket(server, ACCEPTED_PAYLOADS[key](desk.support.token)) as ws:
        ack = json.loads(await asyncio.wait_for(ws.recv(), 3))
        assert ack["type"] == "connection_ack", ack
        listening = feed.subscriber_count()
        await send_subscribe(ws, OPENED)
        await listening_beyond(listening)
        sub = Subscription(ws)
        incident = await open_ticket(gql, desk.alice, "INCIDENT")
        # The connection acts as the support handler: their team's ticket, not Product's.
        await open_ticket(gql, desk.alice, "FEATURE_REQUEST")
        assert await numbers(sub, 1) == [incident["number"]]
        await sub.nothing_within(QUIET)


def _expired(person: Person) -> str:
    past = datetime.now(UTC) - timedelta(hours=2)
    claims = {"sub": str(person.id), "iat": past, "exp": past + timedelta(hours=1)}
    return jwt.encode(claims, TEST_SECRET, algorithm="HS256")


def _foreign_key(person: Person) -> str:
    now = datetime.now(UTC)
    claims = {"sub": str(person.id), "iat": now, "exp": now + timedelta(hours=1)}
    return jwt.encode(claims, "another-secret-key-that-is-long-enough-too", algorithm="HS256")


REFUSED_PAYLOADS: dict[str, Callable[[Person], Any]] = {
    "no payload": lambda person: None,
    "empty payload": lambda person: {},
    "garbage token": lambda person: {"Authorization": "Bearer not-a-token"},
    "garbage authToken": lambda person: {"authToken": "garbage.garbage.garbage"},
    "empty bearer": lambda person: {"Authorization": "Bearer "},
    "empty authToken": lambda person: {"authToken": ""},
    "expired token": lambda person: {"Authorization": f"Bearer {_expired(person)}"},
    "expired authToken": lambda person: {"authToken": _expired(person)},
    "token signed with another key": lambda person: {
        "Authorization": f"Bearer {_foreign_key(person)}"
    },
    "other scheme": lambda person: {"Authorization": f"Basic {person.token}"},
}


@pytest.mark.parametrize("case", list(REFUSED_PAYLOADS))
async def test_connection_init_without_a_valid_token_is_refused(
    case: str, make_person: MakePerson, server: Server
) -> None:
    person = await make_person(Role.HANDLER)
    async with open_socket(server, REFUSED_PAYLOADS[case](person)) as ws:
        assert await close_code(ws) == 4403


async def test_token_of_a_deactivated_user_is_refused(
    make_person: MakePerson, server: Server
) -> None:
    person = await make_person(Role.ADMIN)
    await User.filter(id=person.id).update(is_active=False)
    for payload in (
        {"Authorization": f"Bearer {person.token}"},
        {"authToken": person.token},
    ):
        async with open_socket(server, payload) as ws:
            assert await close_code(ws) == 4403


async def test_token_of_a_deleted_user_is_refused(server: Server, make_person: MakePerson) -> None:
    ghost = await make_person(Role.ADMIN)
    await User.filter(id=ghost.id).delete()
    async with open_socket(server, {"Authorization": f"Bearer {ghost.token}"}) as ws:
        assert await close_code(ws) == 4403


async def test_subscribe_after_a_refused_init_never_runs(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    listening = feed.subscriber_count()
    async with (
        subscribe(server, desk.admin.token, OPENED) as admin,
        open_socket(server, {"Authorization": "Bearer forged"}) as ws,
    ):
        # Pipelined right behind the refused init, as a hurried client would.
        await send_subscribe(ws, OPENED)
        code = await close_code(ws)
        assert code == 4403
        incident = await open_ticket(gql, desk.alice, "INCIDENT")
        assert await numbers(admin, 1) == [incident["number"]]
        assert feed.subscriber_count() == listening + 1


async def test_subscribe_without_connection_init_is_refused(server: Server) -> None:
    async with websockets.connect(
        server.ws_url, subprotocols=["graphql-transport-ws"], open_timeout=5
    ) as ws:
        await send_subscribe(ws, OPENED)
        assert await close_code(ws) == 4401


# --- losing access while subscribed ---------------------------------------------------------------


async def test_user_deactivated_after_subscribing_stops_receiving(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    async with (
        subscribe(server, desk.support.token, OPENED) as support,
        subscribe(server, desk.admin.token, OPENED) as admin,
    ):
        first = await open_ticket(gql, desk.alice, "INCIDENT")
        assert await numbers(support, 1) == [first["number"]]
        await User.filter(id=desk.support.id).update(is_active=False)
        second = await open_ticket(gql, desk.alice, "INCIDENT")
        third = await open_ticket(gql, desk.alice, "QUESTION")
        assert await numbers(admin, 3) == [first["number"], second["number"], third["number"]]
        # The stream ends saying why, so that the dashboard asks to sign in again.
        ended = await support.next()
        assert ended["type"] == "next", ended
        assert ended["payload"]["data"] is None
        assert [e["extensions"]["code"] for e in ended["payload"]["errors"]] == ["UNAUTHENTICATED"]
        await no_event_within(support)


async def test_handler_demoted_after_subscribing_stops_receiving_team_tickets(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    async with (
        subscribe(server, desk.support.token, OPENED) as support,
        subscribe(server, desk.admin.token, OPENED) as admin,
    ):
        first = await open_ticket(gql, desk.alice, "INCIDENT")
        assert await numbers(support, 1) == [first["number"]]
        await User.filter(id=desk.support.id).update(role=Role.REQUESTER)
        second = await open_ticket(gql, desk.alice, "INCIDENT")
        assert await numbers(admin, 2) == [first["number"], second["number"]]
        await no_event_within(support)


async def test_requester_deactivated_after_subscribing_stops_receiving_own_tickets(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    first = await create_draft(gql, desk.alice, "QUESTION")
    second = await create_draft(gql, desk.alice, "QUESTION")
    alice = await desk.alice.actor()
    async with (
        subscribe(server, desk.alice.token, OPENED) as alice_feed,
        subscribe(server, desk.admin.token, OPENED) as admin,
    ):
        await submit(gql, desk.alice, first["id"])
        assert await numbers(alice_feed, 1) == [first["number"]]
        await User.filter(id=desk.alice.id).update(is_active=False)
        # Her own ticket is opened after she was deactivated (a submission in flight).
        await tickets.submit_ticket(actor=alice, ticket_id=pk_of(second["id"], "Ticket") or 0)
        assert await numbers(admin, 2) == [first["number"], second["number"]]
        await no_event_within(alice_feed)


async def test_handler_removed_from_a_team_stops_receiving_its_tickets(
    gql: GraphQLClient, desk: Desk, server: Server, make_person: MakePerson
) -> None:
    both = await make_person(Role.HANDLER, ["Support", "Product"])
    async with (
        subscribe(server, both.token, OPENED) as handler,
        subscribe(server, desk.admin.token, OPENED) as admin,
    ):
        before = await open_ticket(gql, desk.alice, "INCIDENT")
        assert await numbers(handler, 1) == [before["number"]]
        support_team = await Team.get(name="Support")
        removed = await Membership.filter(user_id=both.id, team_id=support_team.id).delete()
        assert removed
        incident = await open_ticket(gql, desk.alice, "INCIDENT")
        feature = await open_ticket(gql, desk.alice, "FEATURE_REQUEST")
        question = await open_ticket(gql, desk.alice, "QUESTION")
        assert await numbers(admin, 4) == [
            before["number"],
            incident["number"],
            feature["number"],
            question["number"],
        ]
        # Still connected and still in Product: only Product's ticket comes through.
        assert await numbers(handler, 1) == [feature["number"]]
        await handler.nothing_within(QUIET)


async def test_external_handler_removed_from_their_team_stops_receiving(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    await set_route(ticket_type=TicketType.QUESTION, team_name="Partner")
    async with (
        subscribe(server, desk.partner.token, OPENED) as partner,
        subscribe(server, desk.admin.token, OPENED) as admin,
    ):
        before = await open_ticket(gql, desk.alice, "QUESTION")
        assert await numbers(partner, 1) == [before["number"]]
        await Membership.filter(user_id=desk.partner.id).delete()
        after = await open_ticket(gql, desk.alice, "QUESTION")
        assert await numbers(admin, 2) == [before["number"], after["number"]]
        await no_event_within(partner)


# --- the protocol -------------------------------------------------------------------------------


async def test_no_connection_init_within_the_timeout_closes_the_socket(server: Server) -> None:
    limit = server.settings.connection_init_timeout.total_seconds()
    async with websockets.connect(
        server.ws_url, subprotocols=["graphql-transport-ws"], open_timeout=5
    ) as ws:
        started = asyncio.get_running_loop().time()
        assert await close_code(ws, seconds=limit + 4) == 4408
        waited = asyncio.get_running_loop().time() - started
        assert limit - 0.5 <= waited <= limit + 3, waited


async def test_legacy_graphql_ws_subprotocol_is_refused(
    make_person: MakePerson, server: Server
) -> None:
    admin = await make_person(Role.ADMIN)
    try:
        ws = await websockets.connect(server.ws_url, subprotocols=["graphql-ws"], open_timeout=5)
    except InvalidHandshake:
        return  # refused at the handshake
    async with ws:
        assert ws.subprotocol != "graphql-ws"
        # Speak the legacy protocol anyway: nothing may be served.
        init = {"type": "connection_init", "payload": {"authToken": admin.token}}
        start = {"id": "1", "type": "start", "payload": {"query": OPENED}}
        with contextlib.suppress(ConnectionClosed):  # the server may have closed already
            await ws.send(json.dumps(init))
            await ws.send(json.dumps(start))
        assert await close_code(ws) == 4406


async def test_ping_gets_a_pong(make_person: MakePerson, server: Server) -> None:
    person = await make_person()
    async with acknowledged(server, person.token) as ws:
        await ping_pong(ws)
        await ws.send(json.dumps({"type": "ping", "payload": {"at": "now"}}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 3))
        assert reply["type"] == "pong", reply


async def test_after_gives_a_clear_error_on_that_subscription(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    async with acknowledged(server, desk.admin.token) as ws:
        listening = feed.subscriber_count()
        await send_subscribe(ws, OPENED, {"after": "some-cursor"})
        errors = await operation_errors(ws)
        text = " ".join(e["message"] for e in errors)
        assert "after" in text, text
        assert feed.subscriber_count() == listening
        # The socket survives and still serves the feed.
        await ping_pong(ws)
        sub = Subscription(ws)
        await send_subscribe(ws, OPENED, op_id="2")
        await listening_beyond(listening)
        incident = await open_ticket(gql, desk.alice, "INCIDENT")
        message = await sub.next(3)
        assert message["type"] == "next", message
        assert message["id"] == "2", message
        assert message["payload"]["data"]["ticketOpened"]["ticket"]["number"] == incident["number"]


async def test_unknown_subscription_field_gets_an_error_message(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    async with acknowledged(server, desk.admin.token) as ws:
        await send_subscribe(ws, UNKNOWN_FIELD)
        message = json.loads(await asyncio.wait_for(ws.recv(), 3))
        assert message["type"] == "error", message
        assert message["id"] == "1", message
        assert any("ticketClosed" in e["message"] for e in message["payload"]), message
        await ping_pong(ws)
    # The server still serves others.
    async with subscribe(server, desk.admin.token, OPENED) as admin:
        incident = await open_ticket(gql, desk.alice, "INCIDENT")
        assert await numbers(admin, 1) == [incident["number"]]


async def test_bad_filter_id_gets_an_error_not_a_crash(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    ticket_id = (await create_draft(gql, desk.alice, "INCIDENT"))["id"]
    async with acknowledged(server, desk.admin.token) as ws:
        await send_subscribe(ws, OPENED, {"filter": {"teamId": ticket_id}})
        errors = await operation_errors(ws)
        assert any("teamId" in e["message"] for e in errors), errors
        await ping_pong(ws)


async def test_several_subscribers_receive_the_same_event(
    gql: GraphQLClient, desk: Desk, server: Server, make_person: MakePerson
) -> None:
    colleague = await make_person(Role.HANDLER, ["Support"])
    async with (
        subscribe(server, desk.admin.token, OPENED) as admin_one,
        subscribe(server, desk.admin.token, OPENED) as admin_two,
        subscribe(server, desk.support.token, OPENED) as support,
        subscribe(server, colleague.token, OPENED) as other_support,
        subscribe(server, desk.alice.token, OPENED) as author,
    ):
        incident = await open_ticket(gql, desk.alice, "INCIDENT")
        subs = (admin_one, admin_two, support, other_support, author)
        received = await asyncio.gather(*(receive(sub, 1) for sub in subs))
        assert {events[0]["ticket"]["number"] for events in received} == {incident["number"]}
        assert {events[0]["ticket"]["id"] for events in received} == {incident["id"]}
        await quiet(*subs)


# --- origins ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://allowed.example",
        "https://allowed.example.evil.example",
        "https://allowed.example:8443",
        "null",
    ],
)
async def test_websocket_from_a_disallowed_origin_is_refused(
    origin: str, make_person: MakePerson, server: Server
) -> None:
    admin = await make_person(Role.ADMIN)
    try:
        async with open_socket(
            server, {"Authorization": f"Bearer {admin.token}"}, origin=origin
        ) as ws:
            code = await close_code(ws)
    except InvalidHandshake:
        return  # refused at the handshake (HTTP 403)
    assert code in (1008, 4403), code  # or refused after the handshake, before any ack


async def test_websocket_from_the_allowed_origin_is_accepted(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    assert "https://allowed.example" in server.settings.allowed_origins
    async with open_socket(
        server, {"Authorization": f"Bearer {desk.admin.token}"}, origin="https://allowed.example"
    ) as ws:
        ack = json.loads(await asyncio.wait_for(ws.recv(), 3))
        assert ack["type"] == "connection_ack", ack
        listening = feed.subscriber_count()
        await send_subscribe(ws, OPENED)
        await listening_beyond(listening)
        incident = await open_ticket(gql, desk.alice, "INCIDENT")
        assert await numbers(Subscription(ws), 1) == [incident["number"]]


# --- re-routing: a ticket that moves to another team comes to that team's handlers ----------


async def test_a_re_routed_ticket_reaches_the_handlers_it_is_new_to_and_nobody_else(
    gql: GraphQLClient, desk: Desk, server: Server, make_person: MakePerson
) -> None:
    in_both = await make_person(Role.HANDLER, ["Support", "Product"])
    async with (
        subscribe(server, desk.support.token, OPENED) as support,
        subscribe(server, desk.product.token, OPENED) as product,
        subscribe(server, desk.admin.token, OPENED) as admin,
        subscribe(server, in_both.token, OPENED) as both,
        subscribe(server, desk.alice.token, OPENED) as alice,
    ):
        incident = await open_ticket(gql, desk.alice, "INCIDENT")
        for sub in (support, admin, both, alice):
            assert await numbers(sub, 1) == [incident["number"]]
        await tickets.adjust_ticket(
            actor=await desk.admin.actor(),
            ticket_id=pk_of(incident["id"], "Ticket"),
            changes={"type": TicketType.FEATURE_REQUEST},
        )
        [moved] = await receive(product, 1)
        assert moved["ticket"]["number"] == incident["number"]
        assert moved["ticket"]["type"] == "FEATURE_REQUEST"
        assert moved["ticket"]["team"] == {"name": "Product"}
        # The admin, a handler of both teams and the author saw it already; Support lost it.
        await quiet(support, product, admin, both, alice)


async def test_a_ticket_re_routed_before_the_feed_read_it_comes_once_to_each(
    desk: Desk, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each event is judged with the team it recorded, not the ticket's team when the feed
    reads it: the submission is Support's news, the re-routing Product's."""
    async with (
        subscribe(server, desk.support.token, OPENED) as support,
        subscribe(server, desk.product.token, OPENED) as product,
        subscribe(server, desk.admin.token, OPENED) as admin,
        feed_held(monkeypatch) as release,
    ):
        ticket = await make_ticket(desk.alice, "Really a feature request")
        await tickets.adjust_ticket(
            actor=await desk.admin.actor(),
            ticket_id=ticket.id,
            changes={"type": TicketType.FEATURE_REQUEST},
        )
        release.set()
        assert await numbers(product, 1) == [ticket.number]
        assert await numbers(admin, 1) == [ticket.number]
        # Support's handlers may no longer see it: its submission is not shown to them.
        await quiet(support, product, admin)


async def test_ticket_updated_starts_with_the_changes_made_after_subscribing(
    desk: Desk, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change the hub had not read yet when the subscription started is not pushed:
    it is older than the subscription."""
    ticket = await make_ticket(desk.alice, "The export is slow")
    admin = await desk.admin.actor()
    document = "subscription U($id: ID!) { ticketUpdated(id: $id) { priority } }"
    variables = {"id": to_global_id("Ticket", ticket.id)}
    async with feed_held(monkeypatch) as release:
        await tickets.adjust_ticket(
            actor=admin, ticket_id=ticket.id, changes={"priority": Priority.P1}
        )
        listening = feed.subscriber_count()
        async with subscribe(server, desk.support.token, document, variables) as sub:
            await listening_beyond(listening)
            release.set()
            await sub.nothing_within(QUIET)
            await tickets.adjust_ticket(
                actor=admin, ticket_id=ticket.id, changes={"priority": Priority.P3}
            )
            message = await sub.next(3)
            assert message["payload"]["data"]["ticketUpdated"] == {"priority": "P3"}


async def test_a_re_prioritised_ticket_is_not_opened_again(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    async with subscribe(server, desk.support.token, OPENED) as support:
        incident = await open_ticket(gql, desk.alice, "INCIDENT")
        assert await numbers(support, 1) == [incident["number"]]
        await tickets.adjust_ticket(
            actor=await desk.admin.actor(),
            ticket_id=pk_of(incident["id"], "Ticket"),
            changes={"priority": Priority.P1},
        )
        await quiet(support)


# --- one execution of an event shared between subscribers (app/schema/execution.py) ----------

# Only fields read from the event's own objects and the resolvers listed in
# SAME_FOR_EVERY_VIEWER: every subscriber who receives the event gets the same result.
SHARED = """
subscription Shared {
  ticketOpened { cursor ticket { id number subject author { displayName } team { name } } }
}
"""
# author.teams shows only the teams the viewer may see.
AUTHOR_TEAMS = """
subscription AuthorTeams {
  ticketOpened { ticket { number author { displayName teams { name } } } }
}
"""
# The assignee is hidden from requesters, internal notes are for handlers and admins.
HANDLING = """
subscription Handling {
  ticketOpened {
    ticket { number assignee { displayName } messages { totalCount nodes { kind body } } }
  }
}
"""
WITH_TEAM = """
subscription WithTeam($team: Boolean!) {
  ticketOpened { ticket { number team @include(if: $team) { name } } }
}
"""


def shareable(document: str) -> bool:
    """same_for_every_viewer's decision for a subscription document of our schema."""
    ast = parse(document)
    [operation] = [d for d in ast.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {d.name.value: d for d in ast.definitions if isinstance(d, FragmentDefinitionNode)}
    core = schema._schema
    return same_for_every_viewer(core, core.subscription_type, operation.selection_set, fragments)


SELECTIONS = {
    "plain fields": (True, "ticketOpened { cursor ticket { id number subject priority } }"),
    "__typename": (True, "ticketOpened { __typename ticket { __typename number } }"),
    "aliases": (True, "ticketOpened { at: cursor ticket { n: number } }"),
    "listed resolvers": (True, "ticketOpened { ticket { author { id } team { name kind } } }"),
    "assignee": (False, "ticketOpened { ticket { assignee { displayName } } }"),
    "messages": (False, "ticketOpened { ticket { messages { totalCount } } }"),
    "history": (False, "ticketOpened { ticket { history { nodes { kind } } } }"),
    "resolver under a listed one": (False, "ticketOpened { ticket { author { teams { id } } } }"),
    "team members": (False, "ticketOpened { ticket { team { members { id } } } }"),
    "team calendar": (False, "ticketOpened { ticket { team { calendar { timeZone } } } }"),
    "plain fragment": (True, "ticketOpened { ticket { ...T } } } fragment T on Ticket { number"),
    "fragment with a resolver": (
        False,
        "ticketOpened { ticket { ...T } } } fragment T on Ticket { number assignee { id }",
    ),
    "fragment nested in a fragment": (
        False,
        "ticketOpened { ticket { ...T } } } fragment T on Ticket { number ...U } "
        "fragment U on Ticket { messages { totalCount }",
    ),
    "fragment on the event": (
        True,
        "ticketOpened { ...E } } fragment E on TicketOpenedEvent { cursor ticket { number }",
    ),
    "plain inline fragment": (True, "ticketOpened { ticket { ... on Ticket { number } } }"),
    "inline fragment with a resolver": (
        False,
        "ticketOpened { ticket { ... on Ticket { assignee { id } } } }",
    ),
    "plain inline fragment without a type": (True, "ticketOpened { ticket { ... { number } } }"),
    "inline fragment without a type": (
        False,
        "ticketOpened { ticket { ... { assignee { id } } } }",
    ),
    "inline fragment on an interface": (False, "ticketOpened { ticket { ... on Node { id } } }"),
}


@pytest.mark.parametrize("case", list(SELECTIONS))
def test_which_selections_are_the_same_for_every_viewer(case: str) -> None:
    expected, selection = SELECTIONS[case]
    document = f"subscription {{ {selection} }}"
    # A document the schema refuses would be decided for the wrong reason.
    assert validate(schema._schema, parse(document)) == [], document
    assert shareable(document) is expected


def test_a_fragment_the_document_lacks_is_not_shared() -> None:
    assert not shareable("subscription { ticketOpened { ticket { ...Missing } } }")


def test_the_documents_of_these_tests_are_decided_as_they_assume() -> None:
    assert shareable(SHARED)
    assert shareable(WITH_TEAM)
    assert not shareable(AUTHOR_TEAMS)
    assert not shareable(HANDLING)


@pytest.fixture
def executions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the subscription operations executed for an event, one per execution that
    really ran (a subscriber given a shared result adds nothing)."""
    ran: list[str] = []
    original = StrawberryGraphQLCoreExecutionContext.execute_operation

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        operation = self.operation
        if operation.operation is OperationType.SUBSCRIPTION and operation.name:
            ran.append(operation.name.value)
        return original(self, *args, **kwargs)

    # SharedEventExecutor runs an event through its parent class's method: count there.
    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_operation", counted)
    return ran


@contextlib.asynccontextmanager
async def feed_held(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[asyncio.Event]:
    """Hold back this process's hub from reading new events until the event is set: what
    happens to a ticket between its submission and its delivery (another handler is
    quicker than the feed) must show in what each subscriber receives."""
    release = asyncio.Event()
    read = feed._events_after

    async def held(position: int, limit: int) -> list[Any]:
        await release.wait()
        return await read(position, limit)

    monkeypatch.setattr(feed, "_events_after", held)
    try:
        yield release
    finally:
        release.set()


async def test_subscribers_of_a_viewer_independent_selection_share_one_execution(
    gql: GraphQLClient, desk: Desk, server: Server, executions: list[str]
) -> None:
    async with (
        subscribe(server, desk.admin.token, SHARED) as admin,
        subscribe(server, desk.support.token, SHARED) as support,
        subscribe(server, desk.alice.token, SHARED) as alice,
        subscribe(server, desk.admin.token, SHARED) as admin_again,
    ):
        incident = await open_ticket(gql, desk.alice, "INCIDENT")
        subs = (admin, support, alice, admin_again)
        received = [events[0] for events in await asyncio.gather(*(receive(s, 1) for s in subs))]
        assert received[0]["ticket"]["number"] == incident["number"]
        assert received[0]["ticket"]["author"]["displayName"] == desk.alice.user.display_name
        assert received[0]["ticket"]["team"] == {"name": "Support"}
        assert all(event == received[0] for event in received), received
        assert executions == ["Shared"]
        await quiet(*subs)


@dataclass
class Frame:
    payload: bytes
    by_hub: bool  # sent by the feed's hub, without waking the subscription's task


@pytest.fixture
def frames(monkeypatch: pytest.MonkeyPatch) -> list[Frame]:
    """The payloads sent as ready-made messages, below Strawberry's per-result pipeline."""
    sent: list[Frame] = []
    send_now, send = NextFrames.send_now, NextFrames.send

    def sent_now(self: NextFrames, payload: bytes) -> bool:
        done = send_now(self, payload)
        task = asyncio.current_task()
        by_hub = task is not None and task.get_name() == "feed-pump"
        if done and by_hub:
            sent.append(Frame(payload, by_hub=True))
        return done

    async def sent_by_task(self: NextFrames, payload: bytes) -> bool:
        done = await send(self, payload)
        if done:
            sent.append(Frame(payload, by_hub=False))
        return done

    monkeypatch.setattr(NextFrames, "send_now", sent_now)
    monkeypatch.setattr(NextFrames, "send", sent_by_task)
    return sent


async def test_a_shared_result_reaches_each_subscriber_as_the_message_strawberry_would_send(
    gql: GraphQLClient, desk: Desk, server: Server, frames: list[Frame], executions: list[str]
) -> None:
    """One execution and one encoding for every subscriber; each message is the protocol's
    `next` with the subscriber's own operation id (one that JSON must escape here)."""
    op_id = 'feed "1" \\ é'
    async with (
        acknowledged(server, desk.support.token) as ws,
        subscribe(server, desk.admin.token, SHARED) as admin,
    ):
        listening = feed.subscriber_count()
        await send_subscribe(ws, SHARED, op_id=op_id)
        await listening_beyond(listening)
        incident = await open_ticket(gql, desk.alice, "INCIDENT")
        message = json.loads(await asyncio.wait_for(ws.recv(), 3))
        [for_admin] = await receive(admin, 1)
        data = {"ticketOpened": for_admin}
        assert message == {"id": op_id, "type": "next", "payload": {"data": data}}
        assert for_admin["ticket"]["number"] == incident["number"]
        assert executions == ["Shared"]
        assert len(frames) == 2
        assert frames[0].payload == frames[1].payload
        # Both subscribers were waiting: the hub sent to each without waking its task.
        assert all(frame.by_hub for frame in frames), frames


async def test_a_viewer_dependent_result_takes_the_ordinary_way(
    gql: GraphQLClient, desk: Desk, server: Server, frames: list[Frame]
) -> None:
    async with subscribe(server, desk.support.token, AUTHOR_TEAMS) as support:
        incident = await open_ticket(gql, desk.alice, "INCIDENT")
        [event] = await receive(support, 1)
        assert event["ticket"]["number"] == incident["number"]
        assert frames == []


def test_a_ready_made_frame_is_the_message_a_websocket_client_reads() -> None:
    """The frames the hub writes itself on connections without compression: one per
    event and message start, each read back whole by websockets' own client."""
    client = ClientProtocol(parse_uri("ws://feed.example/graphql"), state=State.OPEN)
    payload = json.dumps({"data": {"ticketOpened": {"subject": "é" * 200}}}).encode()
    starts = [b'{"id":"1","type":"next","payload":', b'{"id":"\\"x","type":"next","payload":']
    frames = [_plain_frame(start, payload) for start in (*starts, starts[0])]
    assert frames[2] is frames[0]  # made once for the event
    for frame in frames:
        client.receive_data(frame)
    received = [event.data for event in client.events_received()]
    assert received == [start + payload + b"}" for start in (*starts, starts[0])]
    assert all(json.loads(data)["payload"] == json.loads(payload) for data in received)
    later = json.dumps({"data": {"ticketOpened": {"subject": "next"}}}).encode()
    client.receive_data(_plain_frame(starts[0], later))
    assert [event.data for event in client.events_received()] == [starts[0] + later + b"}"]


class ServerConnection:
    """What NextFrames uses of uvicorn's websockets connection, writing into a list."""

    def __init__(self) -> None:
        self.conn = ServerProtocol(state=State.OPEN)
        self.close_sent = False
        self.disconnected = False
        self.writable = asyncio.Event()
        self.writable.set()
        self.written: list[bytes] = []
        self.transport = SimpleNamespace(is_closing=lambda: False, write=self.written.append)


def operation(handler: Any) -> Operation[Any, Any]:
    return Operation(handler, "1", "subscription { ticketOpened { cursor } }", None, None)


async def test_the_hub_sends_nothing_for_an_operation_that_ended_or_a_backed_up_socket() -> None:
    connection = ServerConnection()
    scope = {"type": "websocket", SERVER_CONNECTION: connection}
    handler = SimpleNamespace(
        operations={}, websocket=SimpleNamespace(ws=SimpleNamespace(scope=scope))
    )
    first = operation(handler)
    handler.operations["1"] = first
    frames = NextFrames(first, handler)  # type: ignore[arg-type]
    payload = b'{"data":{"ticketOpened":{"cursor":"x"}}}'
    assert frames.send_now(payload)
    assert len(connection.written) == 1

    connection.writable.clear()  # above uvicorn's write buffer limit: it waits in the queue
    assert not frames.send_now(payload)
    connection.writable.set()
    # The client completes "1" and at once subscribes again with the same id: the old
    # operation's task is not cancelled yet, but nothing of it may reach the new one.
    handler.operations["1"] = operation(handler)
    assert not frames.send_now(payload)
    assert len(connection.written) == 1


async def test_no_frame_follows_the_completion_of_a_shared_subscription(
    gql: GraphQLClient, desk: Desk, server: Server, frames: list[Frame]
) -> None:
    async with acknowledged(server, desk.support.token) as ws:
        listening = feed.subscriber_count()
        await send_subscribe(ws, SHARED)
        await listening_beyond(listening)
        await open_ticket(gql, desk.alice, "INCIDENT")
        assert json.loads(await asyncio.wait_for(ws.recv(), 3))["type"] == "next"
        await ws.send(json.dumps({"id": "1", "type": "complete"}))
        for _ in range(150):
            if feed.subscriber_count() == listening:
                break
            await asyncio.sleep(0.02)
        await open_ticket(gql, desk.alice, "INCIDENT")
        await ping_pong(ws)  # the next message after the completion is the pong
        assert len(frames) == 1


async def test_subscribers_of_a_viewer_dependent_selection_get_their_own_results(
    gql: GraphQLClient, desk: Desk, server: Server, make_person: MakePerson, executions: list[str]
) -> None:
    # A handler of two teams opens an incident: Support sees it, Product is not theirs to see.
    author = await make_person(Role.HANDLER, ["Support", "Product"])
    async with (
        subscribe(server, desk.admin.token, AUTHOR_TEAMS) as admin,
        subscribe(server, desk.support.token, AUTHOR_TEAMS) as support,
        subscribe(server, author.token, AUTHOR_TEAMS) as themself,
    ):
        incident = await open_ticket(gql, author, "INCIDENT")
        [for_admin], [for_support], [for_author] = await asyncio.gather(
            *(receive(s, 1) for s in (admin, support, themself))
        )
        both = [{"name": "Product"}, {"name": "Support"}]
        assert for_admin["ticket"]["number"] == incident["number"]
        assert for_admin["ticket"]["author"]["teams"] == both
        assert for_author["ticket"]["author"]["teams"] == both
        assert for_support["ticket"]["author"]["teams"] == [{"name": "Support"}]
        assert executions == ["AuthorTeams"] * 3
        await quiet(admin, support, themself)


async def test_an_internal_note_and_the_assignee_never_reach_the_requester(
    desk: Desk, server: Server, monkeypatch: pytest.MonkeyPatch, executions: list[str]
) -> None:
    async with (
        subscribe(server, desk.alice.token, HANDLING) as alice,
        subscribe(server, desk.support.token, HANDLING) as support,
        subscribe(server, desk.admin.token, HANDLING) as admin,
        feed_held(monkeypatch) as release,
    ):
        ticket = await make_ticket(desk.alice, description="The printer prints nothing.")
        handler = await desk.support.actor()
        await handling.take_ticket(actor=handler, ticket_id=ticket.id)
        await messages.post_message(
            actor=handler, ticket_id=ticket.id, body="Known driver issue.", internal=True
        )
        release.set()
        [for_alice], [for_support], [for_admin] = await asyncio.gather(
            *(receive(s, 1) for s in (alice, support, admin))
        )
        handled = {
            "number": ticket.number,
            "assignee": {"displayName": desk.support.user.display_name},
            "messages": {
                "totalCount": 2,
                "nodes": [
                    {"kind": "REQUEST", "body": "The printer prints nothing."},
                    {"kind": "INTERNAL", "body": "Known driver issue."},
                ],
            },
        }
        assert for_support["ticket"] == handled
        assert for_admin["ticket"] == handled
        assert for_alice["ticket"] == {
            "number": ticket.number,
            "assignee": None,
            "messages": {
                "totalCount": 1,
                "nodes": [{"kind": "REQUEST", "body": "The printer prints nothing."}],
            },
        }
        assert executions == ["Handling"] * 3
        await quiet(alice, support, admin)


async def test_the_same_document_with_other_variables_is_executed_apart(
    gql: GraphQLClient, desk: Desk, server: Server, executions: list[str]
) -> None:
    async with (
        subscribe(server, desk.admin.token, WITH_TEAM, {"team": True}) as with_team,
        subscribe(server, desk.admin.token, WITH_TEAM, {"team": False}) as without,
        subscribe(server, desk.support.token, WITH_TEAM, {"team": True}) as support,
    ):
        incident = await open_ticket(gql, desk.alice, "INCIDENT")
        [first], [second], [third] = await asyncio.gather(
            *(receive(s, 1) for s in (with_team, without, support))
        )
        number = incident["number"]
        assert first["ticket"] == {"number": number, "team": {"name": "Support"}}
        assert third["ticket"] == first["ticket"]
        assert second["ticket"] == {"number": number}
        assert executions == ["WithTeam"] * 2
        await quiet(with_team, without, support)
