"""Working a ticket over GraphQL: every transition, allowed and refused, for each role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.models import Ticket
from app.models.enums import Role, TicketStatus, TicketType
from app.schema.ids import to_global_id
from app.services import handling
from tests.conftest import Desk, GraphQLClient, MakePerson, Person, make_ticket

FIELDS = """
fragment F on Ticket {
  id status version updatedAt responseDueAt slaStatus waitingSince closedAt firstRespondedAt
  assignee { id }
}
"""
ERRORS = "userErrors { field message code }"
MUTATIONS = {
    "take": "takeTicket",
    "assign": "assignTicket",
    "wait": "awaitTicket",
    "resume": "resumeTicket",
    "close": "closeTicket",
    "reopen": "reopenTicket",
}
INPUT_TYPES = {
    "take": "TakeTicketInput",
    "assign": "AssignTicketInput",
    "wait": "AwaitTicketInput",
    "resume": "ResumeTicketInput",
    "close": "CloseTicketInput",
    "reopen": "ReopenTicketInput",
}
# Where each action may start (domain.md's lifecycle), and where it leads.
ALLOWED_FROM = {
    "take": {"OPEN"},
    "assign": {"OPEN", "PENDING", "WAITING"},
    "wait": {"PENDING"},
    "resume": {"WAITING"},
    "close": {"OPEN", "PENDING", "WAITING"},
    "reopen": {"CLOSED"},
}
LEADS_TO = {
    "take": {"OPEN": "PENDING"},
    "assign": {"OPEN": "PENDING", "PENDING": "PENDING", "WAITING": "WAITING"},
    "wait": {"PENDING": "WAITING"},
    "resume": {"WAITING": "PENDING"},
    "close": {"OPEN": "CLOSED", "PENDING": "CLOSED", "WAITING": "CLOSED"},
    "reopen": {"CLOSED": "OPEN"},
}
STATUSES = ["DRAFT", "OPEN", "PENDING", "WAITING", "CLOSED"]
ROLES = ["author", "other_requester", "team_handler", "other_team", "other_external", "admin"]


def who(desk: Desk, role: str) -> Person:
    return {
        "author": desk.alice,
        "other_requester": desk.bob,
        "team_handler": desk.support,
        "other_team": desk.product,
        "other_external": desk.partner,
        "admin": desk.admin,
    }[role]


def expected_outcome(action: str, status: str, role: str) -> str:
    """'ok' or the error code, written from domain.md's table of roles."""
    if role in ("other_requester", "other_team", "other_external"):
        return "NOT_FOUND"  # they cannot see the ticket at all
    if status == "DRAFT" and role != "author":
        return "NOT_FOUND"  # a draft is its author's only, admins included
    if role == "author" and action != "reopen":
        return "FORBIDDEN"  # requesters do not work tickets
    return "ok" if status in ALLOWED_FROM[action] else "INVALID_STATE"


async def ticket_in(desk: Desk, status: str) -> Ticket:
    """Alice's incident (routed to Support), brought to status by the Support handler."""
    ticket = await make_ticket(desk.alice, type=TicketType.INCIDENT, submit=status != "DRAFT")
    support = await desk.support.actor()
    if status in ("PENDING", "WAITING", "CLOSED"):
        await handling.take_ticket(actor=support, ticket_id=ticket.id)
    if status == "WAITING":
        await handling.set_waiting(actor=support, ticket_id=ticket.id)
    if status == "CLOSED":
        await handling.close_ticket(actor=support, ticket_id=ticket.id, resolution="Done.")
    return await Ticket.get(id=ticket.id)


async def act(
    gql: GraphQLClient, desk: Desk, person: Person, action: str, ticket_id: int, **extra: Any
) -> dict[str, Any]:
    name = MUTATIONS[action]
    query = (
        f"mutation Act($input: {INPUT_TYPES[action]}!) "
        f"{{ {name}(input: $input) {{ ticket {{ ...F }} {ERRORS} }} }}" + FIELDS
    )
    payload: dict[str, Any] = {"id": to_global_id("Ticket", ticket_id), **extra}
    if action == "assign":
        payload.setdefault("assigneeId", to_global_id("User", desk.support.id))
    if action == "close":
        payload.setdefault("resolution", "Fixed it.")
    data = await gql.data(query, {"input": payload}, token=person.token)
    return data[name]


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", list(MUTATIONS))
async def test_every_transition_for_every_role(
    gql: GraphQLClient, desk: Desk, make_person: MakePerson, action: str, status: str
) -> None:
    teammate = await make_person(Role.HANDLER, ["Support"])
    extra = {"assigneeId": to_global_id("User", teammate.id)} if action == "assign" else {}
    for role in ROLES:
        expected = expected_outcome(action, status, role)
        ticket = await ticket_in(desk, status)
        result = await act(gql, desk, who(desk, role), action, ticket.id, **extra)
        after = await Ticket.get(id=ticket.id)
        if expected == "ok":
            assert result["userErrors"] == [], (role, result)
            assert result["ticket"]["status"] == LEADS_TO[action][status], role
            assert after.version > ticket.version, role
        else:
            assert result["ticket"] is None, role
            assert [e["code"] for e in result["userErrors"]] == [expected], (role, result)
            # Refused: nothing changed.
            assert after.version == ticket.version, role
            assert after.status == ticket.status, role


async def test_take_makes_the_handler_the_assignee_and_records_it(
    gql: GraphQLClient, desk: Desk
) -> None:
    ticket = await ticket_in(desk, "OPEN")
    result = await act(gql, desk, desk.support, "take", ticket.id)
    assert result["ticket"]["assignee"] == {"id": to_global_id("User", desk.support.id)}
    history = await gql.data(
        "query H($id: ID!) { ticket(id: $id) { history { nodes "
        "{ kind field from to actor { id } at } } } }",
        {"id": to_global_id("Ticket", ticket.id)},
        token=desk.support.token,
    )
    nodes = history["ticket"]["history"]["nodes"]
    support = {"id": to_global_id("User", desk.support.id)}
    assert [(n["kind"], n["field"], n["from"], n["to"], n["actor"]) for n in nodes[-2:]] == [
        ("ASSIGNED", "assignee", None, desk.support.user.display_name, support),
        ("STATUS_CHANGED", "status", "OPEN", "PENDING", support),
    ]
    assert all(n["at"] for n in nodes)


async def test_assign_only_to_an_active_handler_of_the_team(
    gql: GraphQLClient, desk: Desk, make_person: MakePerson
) -> None:
    teammate = await make_person(Role.HANDLER, ["Support"])
    ticket = await ticket_in(desk, "OPEN")
    for outsider in (desk.product, desk.alice, desk.partner):
        refused = await act(
            gql,
            desk,
            desk.support,
            "assign",
            ticket.id,
            assigneeId=to_global_id("User", outsider.id),
        )
        assert refused["userErrors"] == [
            {
                "field": ["input", "assigneeId"],
                "message": "the assignee must be an active handler of the ticket's team",
                "code": "VALIDATION",
            }
        ]
    tampered = await act(
        gql, desk, desk.support, "assign", ticket.id, assigneeId=to_global_id("Team", 1)
    )
    assert [e["field"] for e in tampered["userErrors"]] == [["input", "assigneeId"]]
    await Ticket.get(id=ticket.id).update(version=ticket.version)
    given = await act(
        gql, desk, desk.support, "assign", ticket.id, assigneeId=to_global_id("User", teammate.id)
    )
    assert given["userErrors"] == []
    assert given["ticket"]["assignee"] == {"id": to_global_id("User", teammate.id)}
    assert given["ticket"]["status"] == "PENDING"
    teammate.user.is_active = False
    await teammate.user.save()
    gone = await act(
        gql, desk, desk.admin, "assign", ticket.id, assigneeId=to_global_id("User", teammate.id)
    )
    assert [e["code"] for e in gone["userErrors"]] == ["VALIDATION"]


async def test_a_ticket_without_a_team_cannot_be_assigned(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await ticket_in(desk, "OPEN")
    await Ticket.filter(id=ticket.id).update(team_id=None)
    result = await act(gql, desk, desk.admin, "assign", ticket.id)
    assert [e["code"] for e in result["userErrors"]] == ["INVALID_STATE"]


async def test_the_requester_may_reopen_within_the_period_only(
    gql: GraphQLClient, desk: Desk
) -> None:
    ticket = await ticket_in(desk, "CLOSED")
    long_ago = datetime.now(UTC) - timedelta(days=14, minutes=1)
    await Ticket.filter(id=ticket.id).update(closed_at=long_ago)
    late = await act(gql, desk, desk.alice, "reopen", ticket.id)
    assert [e["code"] for e in late["userErrors"]] == ["INVALID_STATE"]
    assert "14 days" in late["userErrors"][0]["message"]
    # The team may reopen at any time.
    by_team = await act(gql, desk, desk.support, "reopen", ticket.id, reason="Came back")
    assert by_team["userErrors"] == []
    assert by_team["ticket"]["status"] == "OPEN"
    assert by_team["ticket"]["closedAt"] is None

    recent = await ticket_in(desk, "CLOSED")
    await Ticket.filter(id=recent.id).update(
        closed_at=datetime.now(UTC) - timedelta(days=13, hours=23)
    )
    in_time = await act(gql, desk, desk.alice, "reopen", recent.id)
    assert in_time["userErrors"] == []
    assert in_time["ticket"]["status"] == "OPEN"


async def test_waiting_pauses_the_clock_and_resuming_pushes_the_deadline(
    gql: GraphQLClient, desk: Desk
) -> None:
    ticket = await ticket_in(desk, "PENDING")
    waiting = await act(gql, desk, desk.support, "wait", ticket.id, reason="Asked for the invoice")
    assert waiting["ticket"]["slaStatus"] == "PAUSED"
    assert waiting["ticket"]["waitingSince"] is not None
    # Submitted three hours ago, waiting for the last two (the suite counts around the clock).
    now = datetime.now(UTC).replace(microsecond=0)
    submitted, began = now - timedelta(hours=3), now - timedelta(hours=2)
    await Ticket.filter(id=ticket.id).update(submitted_at=submitted, waiting_since=began)
    resumed = await act(gql, desk, desk.support, "resume", ticket.id)
    assert resumed["userErrors"] == []
    assert resumed["ticket"]["waitingSince"] is None
    assert resumed["ticket"]["slaStatus"] == "ON_TRACK"
    after = await Ticket.get(id=ticket.id)
    assert after.pauses[0][0] == began.isoformat()
    ended = datetime.fromisoformat(after.pauses[0][1])
    assert ended - began >= timedelta(hours=2)
    # P2's 4 hours from submission, plus the time spent waiting.
    assert after.response_due_at == submitted + timedelta(hours=4) + (ended - began)


async def test_closing_posts_the_resolution_and_counts_as_the_first_response(
    gql: GraphQLClient, desk: Desk
) -> None:
    ticket = await ticket_in(desk, "OPEN")
    result = await act(gql, desk, desk.support, "close", ticket.id, resolution="  Restarted it.  ")
    assert result["userErrors"] == []
    closed = result["ticket"]
    assert closed["status"] == "CLOSED"
    assert closed["closedAt"] is not None
    assert closed["firstRespondedAt"] == closed["closedAt"]
    assert closed["slaStatus"] == "MET"
    messages = await gql.data(
        "query M($id: ID!) { ticket(id: $id) { messages { nodes { kind body author { id } } } } }",
        {"id": closed["id"]},
        token=desk.admin.token,
    )
    assert messages["ticket"]["messages"]["nodes"][-1] == {
        "kind": "PUBLIC",
        "body": "Restarted it.",
        "author": {"id": to_global_id("User", desk.support.id)},
    }


@pytest.mark.parametrize("resolution", ["", "   ", "a" * 20_001, "bad \x00 byte"])
async def test_a_bad_resolution_closes_nothing(
    gql: GraphQLClient, desk: Desk, resolution: str
) -> None:
    ticket = await ticket_in(desk, "PENDING")
    result = await act(gql, desk, desk.support, "close", ticket.id, resolution=resolution)
    assert result["ticket"] is None
    assert {e["field"][-1] for e in result["userErrors"]} == {"resolution"}
    after = await Ticket.get(id=ticket.id)
    assert after.status == TicketStatus.PENDING
    assert after.version == ticket.version


async def test_a_full_day_of_work_lands_in_the_history(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await ticket_in(desk, "OPEN")
    steps = [
        (desk.support, "take", {}),
        (desk.support, "wait", {"reason": "Need the booking number"}),
        (desk.support, "resume", {}),
        (desk.support, "close", {"resolution": "Rebooked."}),
        (desk.alice, "reopen", {"reason": "Still broken"}),
        (desk.admin, "take", {}),
    ]
    for person, action, extra in steps:
        result = await act(gql, desk, person, action, ticket.id, **extra)
        assert result["userErrors"] == [], (action, result)
    history = await gql.data(
        "query H($id: ID!) { ticket(id: $id) { history { nodes { kind from to reason } } } }",
        {"id": to_global_id("Ticket", ticket.id)},
        token=desk.alice.token,
    )
    changes = [
        (n["from"], n["to"], n["reason"])
        for n in history["ticket"]["history"]["nodes"]
        if n["kind"] == "STATUS_CHANGED"
    ]
    assert changes == [
        ("OPEN", "PENDING", None),
        ("PENDING", "WAITING", "Need the booking number"),
        ("WAITING", "PENDING", None),
        ("PENDING", "CLOSED", None),
        ("CLOSED", "OPEN", "Still broken"),
        ("OPEN", "PENDING", None),
    ]
