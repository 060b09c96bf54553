"""ticketUpdated over a real graphql-transport-ws socket: every change of one ticket, to
the viewers allowed to see it; internal notes only to those who see notes."""

from __future__ import annotations

import json
from typing import Any

from app.models import Ticket
from app.models.enums import Priority, TicketType
from app.schema.ids import to_global_id
from app.services import handling, messages, tickets
from app.services.users import update_user
from tests.api.test_feed import acknowledged, operation_errors, send_subscribe
from tests.conftest import Desk, GraphQLClient, Server, Subscription, make_ticket, subscribe

UPDATED = """
subscription Updated($id: ID!) {
  ticketUpdated(id: $id) {
    id status priority version assignee { displayName }
    messages { totalCount nodes { internal body } }
  }
}
"""


def variables(ticket: Ticket) -> dict[str, Any]:
    return {"id": to_global_id("Ticket", ticket.id)}


async def update(stream: Subscription) -> dict[str, Any]:
    message = await stream.next()
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    return message["payload"]["data"]["ticketUpdated"]


async def test_every_change_reaches_the_ticket_viewers(desk: Desk, server: Server) -> None:
    ticket = await make_ticket(desk.alice)
    support, admin = await desk.support.actor(), await desk.admin.actor()
    async with (
        subscribe(server, desk.alice.token, UPDATED, variables(ticket)) as author,
        subscribe(server, desk.support.token, UPDATED, variables(ticket)) as handler,
    ):
        await handling.take_ticket(actor=support, ticket_id=ticket.id)
        taken = await update(handler)
        assert taken["status"] == "PENDING"
        assert taken["assignee"] == {"displayName": desk.support.user.display_name}
        # Users are no directory: the requester sees that it is taken, not by whom.
        assert (await update(author))["status"] == "PENDING"
        assert taken["version"] == ticket.version + 1

        await tickets.adjust_ticket(
            actor=admin, ticket_id=ticket.id, changes={"priority": Priority.P1}
        )
        for stream in (author, handler):
            assert (await update(stream))["priority"] == "P1"

        await messages.post_message(actor=support, ticket_id=ticket.id, body="We are on it.")
        for stream in (author, handler):
            posted = await update(stream)
            assert posted["messages"]["nodes"][-1] == {"internal": False, "body": "We are on it."}

        await handling.close_ticket(actor=support, ticket_id=ticket.id, resolution="Fixed.")
        for stream in (author, handler):
            assert (await update(stream))["status"] == "CLOSED"


async def test_a_requesters_stream_never_contains_an_internal_note(
    desk: Desk, server: Server
) -> None:
    ticket = await make_ticket(desk.alice, description="The invoice total is wrong")
    support = await desk.support.actor()
    async with (
        subscribe(server, desk.alice.token, UPDATED, variables(ticket)) as author,
        subscribe(server, desk.support.token, UPDATED, variables(ticket)) as handler,
    ):
        await messages.post_message(
            actor=support, ticket_id=ticket.id, body="Old plan, be gentle", internal=True
        )
        noted = await update(handler)
        assert noted["messages"]["nodes"][-1] == {"internal": True, "body": "Old plan, be gentle"}
        # Not even a push without the note: the requester learns nothing of it.
        assert await author.nothing_within(0.5)

        await messages.post_message(actor=support, ticket_id=ticket.id, body="Sorted out.")
        seen = await update(author)
        assert [m["internal"] for m in seen["messages"]["nodes"]] == [False, False]
        assert "Old plan" not in json.dumps(seen)
        assert seen["messages"]["totalCount"] == 2  # the request and the reply
        assert (await update(handler))["messages"]["totalCount"] == 3


async def test_a_hidden_ticket_is_not_found(gql: GraphQLClient, desk: Desk, server: Server) -> None:
    ticket = await make_ticket(desk.alice)
    draft = await make_ticket(desk.alice, submit=False)
    cases = [
        (desk.bob, variables(ticket)),
        (desk.product, variables(ticket)),
        (desk.partner, variables(ticket)),
        (desk.admin, variables(draft)),  # a draft is its author's only
        (desk.alice, {"id": to_global_id("User", desk.alice.id)}),
        (desk.alice, {"id": "VGlja2V0OjEyMzQ1Njc4"}),
        (desk.alice, {"id": "not-an-id"}),
    ]
    for person, given in cases:
        async with acknowledged(server, person.token) as ws:
            await send_subscribe(ws, UPDATED, given)
            errors = await operation_errors(ws)
            assert [e["extensions"]["code"] for e in errors] == ["NOT_FOUND"], (person, given)


async def test_rerouted_away_the_stream_ends_with_not_found(desk: Desk, server: Server) -> None:
    ticket = await make_ticket(desk.alice, type=TicketType.INCIDENT)
    admin = await desk.admin.actor()
    async with subscribe(server, desk.support.token, UPDATED, variables(ticket)) as handler:
        await tickets.adjust_ticket(
            actor=admin, ticket_id=ticket.id, changes={"type": TicketType.FEATURE_REQUEST}
        )
        message = await handler.next()
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert [e["extensions"]["code"] for e in errors] == ["NOT_FOUND"], message
        assert "data" not in message["payload"] or message["payload"]["data"] is None
    # Product, the new team, follows it now.
    product = await desk.product.actor()
    async with subscribe(server, desk.product.token, UPDATED, variables(ticket)) as stream:
        await handling.take_ticket(actor=product, ticket_id=ticket.id)
        assert (await update(stream))["status"] == "PENDING"


async def test_a_refused_change_pushes_nothing(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    ticket = await make_ticket(desk.alice)
    async with subscribe(server, desk.alice.token, UPDATED, variables(ticket)) as author:
        refused = await gql.data(
            "mutation C($input: CloseTicketInput!) { closeTicket(input: $input) "
            "{ userErrors { code } } }",
            {"input": {"id": to_global_id("Ticket", ticket.id), "resolution": "  "}},
            token=desk.support.token,
        )
        assert refused["closeTicket"]["userErrors"] == [{"code": "VALIDATION"}]
        stale = await gql.data(
            "mutation A($input: AdjustTicketInput!) { adjustTicket(input: $input) "
            "{ userErrors { code } } }",
            {"input": {"id": to_global_id("Ticket", ticket.id), "priority": "P1"}},
            token=desk.support.token,
        )
        assert stale["adjustTicket"]["userErrors"] == [{"code": "FORBIDDEN"}]
        assert await author.nothing_within(0.5)


async def test_a_deactivated_viewer_stops_receiving(desk: Desk, server: Server) -> None:
    ticket = await make_ticket(desk.alice)
    async with subscribe(server, desk.support.token, UPDATED, variables(ticket)) as handler:
        await update_user(
            actor=await desk.admin.actor(), user_id=desk.support.id, changes={"active": False}
        )
        await messages.post_message(
            actor=await desk.alice.actor(), ticket_id=ticket.id, body="Anyone there?"
        )
        message = await handler.next()
        assert message["type"] == "next", message
        assert message["payload"]["data"] is None
        codes = [e["extensions"]["code"] for e in message["payload"]["errors"]]
        assert codes == ["UNAUTHENTICATED"], message
        assert (await handler.next()) == {"id": "1", "type": "complete"}
