"""The conversation of a ticket over GraphQL: the request, public messages and internal
notes, which requesters and other teams never see by any path."""

from __future__ import annotations

from typing import Any

from app.models import Message, Ticket
from app.models.enums import MessageKind, TicketType
from app.schema.ids import to_global_id
from app.services import handling, tickets
from app.services.routing import set_route
from tests.conftest import Desk, GraphQLClient, Person, make_ticket

POST = """
mutation Post($input: PostMessageInput!) {
  postMessage(input: $input) {
    message { id kind internal body author { id } createdAt }
    ticket { version updatedAt firstRespondedAt slaStatus status }
    userErrors { field message code }
  }
}
"""
CONVERSATION = """
query Conversation($id: ID!) {
  ticket(id: $id) {
    version updatedAt firstRespondedAt
    messages { totalCount nodes { id kind internal body } }
    history { totalCount nodes { id kind } }
  }
}
"""
NODE = "query Node($id: ID!) { node(id: $id) { id } }"
COUNTS = "{ tickets { totalCount nodes { id } } }"


def gid(ticket: Ticket) -> str:
    return to_global_id("Ticket", ticket.id)


async def post(
    gql: GraphQLClient, person: Person, ticket: Ticket, body: str, **extra: Any
) -> dict[str, Any]:
    payload = {"id": gid(ticket), "body": body, **extra}
    return (await gql.data(POST, {"input": payload}, token=person.token))["postMessage"]


async def conversation(gql: GraphQLClient, person: Person, ticket: Ticket) -> Any:
    return (await gql.data(CONVERSATION, {"id": gid(ticket)}, token=person.token))["ticket"]


async def node(gql: GraphQLClient, person: Person, node_id: str) -> Any:
    return (await gql.data(NODE, {"id": node_id}, token=person.token))["node"]


async def test_the_description_becomes_the_first_message(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await make_ticket(desk.alice, description="Paid at 10:02.\nNo booking 😕")
    seen = await conversation(gql, desk.alice, ticket)
    assert seen["messages"]["totalCount"] == 1
    [request] = seen["messages"]["nodes"]
    assert (request["kind"], request["internal"], request["body"]) == (
        "REQUEST",
        False,
        "Paid at 10:02.\nNo booking 😕",
    )


async def test_a_handlers_first_public_reply_stops_the_clock(
    gql: GraphQLClient, desk: Desk
) -> None:
    ticket = await make_ticket(desk.alice)
    mine = await post(gql, desk.alice, ticket, "Any news?")
    assert mine["userErrors"] == []
    assert mine["ticket"]["firstRespondedAt"] is None  # the author is no response

    note = await post(gql, desk.support, ticket, "Looks like the payment gateway", internal=True)
    assert note["message"]["internal"] is True
    assert note["ticket"]["firstRespondedAt"] is None  # a note answers nobody

    reply = await post(gql, desk.support, ticket, "We are on it.")
    assert reply["userErrors"] == []
    assert (reply["message"]["kind"], reply["message"]["internal"]) == ("PUBLIC", False)
    answered = reply["ticket"]["firstRespondedAt"]
    assert answered == reply["message"]["createdAt"]
    assert reply["ticket"]["slaStatus"] == "MET"

    again = await post(gql, desk.admin, ticket, "Fixed now.")
    assert again["ticket"]["firstRespondedAt"] == answered


async def test_internal_notes_never_reach_a_requester_by_any_path(
    gql: GraphQLClient, desk: Desk
) -> None:
    ticket = await make_ticket(desk.alice)
    before = await conversation(gql, desk.alice, ticket)
    note = await post(gql, desk.support, ticket, "Customer is on the old plan", internal=True)
    assert note["userErrors"] == []
    note_id = note["message"]["id"]
    handled = await conversation(gql, desk.support, ticket)
    [note_event] = [e for e in handled["history"]["nodes"] if e["kind"] == "NOTE_ADDED"]

    # The team and admins see the note, and its history entry.
    for person in (desk.support, desk.admin):
        seen = await conversation(gql, person, ticket)
        assert note_id in [m["id"] for m in seen["messages"]["nodes"]]
        assert seen["messages"]["totalCount"] == before["messages"]["totalCount"] + 1
        assert await node(gql, person, note_id) == {"id": note_id}
        assert await node(gql, person, note_event["id"]) == {"id": note_event["id"]}

    # The requester sees exactly what she saw before: no message, count, history entry,
    # node, version or time of change gives the note away.
    assert await conversation(gql, desk.alice, ticket) == before
    assert await node(gql, desk.alice, note_id) is None
    assert await node(gql, desk.alice, note_event["id"]) is None

    # Other teams see nothing of the ticket at all.
    for person in (desk.product, desk.partner, desk.bob):
        assert await conversation(gql, person, ticket) is None
        assert await node(gql, person, note_id) is None
        assert await node(gql, person, note_event["id"]) is None


async def test_only_the_team_and_admins_write_notes(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await make_ticket(desk.alice)
    refused = await post(gql, desk.alice, ticket, "Let me write a note", internal=True)
    assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]
    assert refused["message"] is None
    # internal: null means a public message.
    public = await post(gql, desk.alice, ticket, "A public message", internal=None)
    assert public["message"]["internal"] is False
    assert await Message.filter(ticket_id=ticket.id, kind=MessageKind.INTERNAL).count() == 0


async def test_posting_is_refused_where_the_rules_say_and_changes_nothing(
    gql: GraphQLClient, desk: Desk
) -> None:
    draft = await make_ticket(desk.alice, submit=False)
    open_ticket = await make_ticket(desk.alice)
    closed = await make_ticket(desk.alice)
    support = await desk.support.actor()
    await handling.close_ticket(actor=support, ticket_id=closed.id, resolution="Done.")
    cases = [
        (desk.alice, draft, "Hello there", "INVALID_STATE", ["input", "id"]),
        (desk.alice, closed, "Hello again", "INVALID_STATE", ["input", "id"]),
        (desk.support, closed, "Hello again", "INVALID_STATE", ["input", "id"]),
        (desk.bob, open_ticket, "Not my ticket", "NOT_FOUND", ["input", "id"]),
        (desk.product, open_ticket, "Not my team", "NOT_FOUND", ["input", "id"]),
        (desk.partner, open_ticket, "Not my team", "NOT_FOUND", ["input", "id"]),
        (desk.alice, open_ticket, "   ", "VALIDATION", ["input", "body"]),
        (desk.alice, open_ticket, "x" * 20_001, "VALIDATION", ["input", "body"]),
        (desk.alice, open_ticket, "bell \x07", "VALIDATION", ["input", "body"]),
    ]
    for person, ticket, body, code, field in cases:
        count = await Message.filter(ticket_id=ticket.id).count()
        version = (await Ticket.get(id=ticket.id)).version
        result = await post(gql, person, ticket, body)
        assert [(e["code"], e["field"]) for e in result["userErrors"]] == [(code, field)], body
        assert result["message"] is None
        assert await Message.filter(ticket_id=ticket.id).count() == count
        assert (await Ticket.get(id=ticket.id)).version == version
    for tampered in ("VGlja2V0Ong=", to_global_id("User", desk.alice.id), "not-an-id"):
        result = await gql.data(
            POST, {"input": {"id": tampered, "body": "Hello there"}}, token=desk.alice.token
        )
        assert [e["code"] for e in result["postMessage"]["userErrors"]] == ["NOT_FOUND"]


async def test_the_authors_reply_resumes_a_waiting_ticket(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await make_ticket(desk.alice)
    support = await desk.support.actor()
    await handling.take_ticket(actor=support, ticket_id=ticket.id)
    await handling.set_waiting(actor=support, ticket_id=ticket.id, reason="Invoice asked")
    reply = await post(gql, desk.alice, ticket, "Here is the invoice: INV-2027-0042")
    assert reply["ticket"]["status"] == "PENDING"
    seen = await gql.data(
        "query H($id: ID!) { ticket(id: $id) { history { nodes { kind field from to } } } }",
        {"id": gid(ticket)},
        token=desk.support.token,
    )
    assert seen["ticket"]["history"]["nodes"][-2:] == [
        {"kind": "MESSAGE_POSTED", "field": None, "from": None, "to": None},
        {"kind": "STATUS_CHANGED", "field": "status", "from": "WAITING", "to": "PENDING"},
    ]


async def test_an_external_handler_sees_its_teams_conversations_only(
    gql: GraphQLClient, desk: Desk
) -> None:
    await set_route(ticket_type=TicketType.INCIDENT, team_name="Partner")
    ours = await make_ticket(desk.alice, description="Hosting is down")
    await set_route(ticket_type=TicketType.INCIDENT, team_name="Support")
    theirs = await make_ticket(desk.alice, description="Support's own incident")
    support_note = await post(gql, desk.support, theirs, "Support only", internal=True)

    note = await post(gql, desk.partner, ours, "Restarting the host", internal=True)
    assert note["userErrors"] == []
    seen = await conversation(gql, desk.partner, ours)
    assert [m["kind"] for m in seen["messages"]["nodes"]] == ["REQUEST", "INTERNAL"]
    assert (await gql.data(COUNTS, token=desk.partner.token))["tickets"] == {
        "totalCount": 1,
        "nodes": [{"id": gid(ours)}],
    }
    assert await conversation(gql, desk.partner, theirs) is None
    assert await node(gql, desk.partner, support_note["message"]["id"]) is None
    # Another external team sees neither.
    for ticket in (ours, theirs):
        assert await conversation(gql, desk.other_partner, ticket) is None
    assert await node(gql, desk.other_partner, note["message"]["id"]) is None
    assert (await gql.data(COUNTS, token=desk.other_partner.token))["tickets"]["totalCount"] == 0

    # Re-typed away from the partner, the ticket and its notes are gone for them at once.
    admin = await desk.admin.actor()
    await set_route(ticket_type=TicketType.QUESTION, team_name="Support")
    await tickets.adjust_ticket(
        actor=admin, ticket_id=ours.id, changes={"type": TicketType.QUESTION}
    )
    assert await conversation(gql, desk.partner, ours) is None
    assert await node(gql, desk.partner, note["message"]["id"]) is None
    assert (await gql.data(COUNTS, token=desk.partner.token))["tickets"]["totalCount"] == 0
    # ...and Support, the new team, sees the partner's note.
    assert await node(gql, desk.support, note["message"]["id"]) == {"id": note["message"]["id"]}


async def test_a_requester_sees_that_a_ticket_was_assigned_not_to_whom(
    gql: GraphQLClient, desk: Desk
) -> None:
    ticket = await make_ticket(desk.alice)
    await handling.take_ticket(actor=await desk.support.actor(), ticket_id=ticket.id)
    query = (
        "query H($id: ID!) { ticket(id: $id) { assignee { id } "
        "history { nodes { id kind field from to } } } }"
    )

    async def assignments(person: Person) -> tuple[Any, list[Any]]:
        seen = (await gql.data(query, {"id": gid(ticket)}, token=person.token))["ticket"]
        events = [e for e in seen["history"]["nodes"] if e["kind"] == "ASSIGNED"]
        return seen["assignee"], events

    name = desk.support.user.display_name
    assignee, [event] = await assignments(desk.support)
    assert (assignee, event["from"], event["to"]) == (
        {"id": to_global_id("User", desk.support.id)},
        None,
        name,
    )
    assignee, [event] = await assignments(desk.alice)
    assert (assignee, event["field"], event["from"], event["to"]) == (None, "assignee", None, None)
    assert await gql.data(
        "query N($id: ID!) { node(id: $id) { ... on TicketEvent { to } } }",
        {"id": event["id"]},
        token=desk.alice.token,
    ) == {"node": {"to": None}}
