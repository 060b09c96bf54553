"""submitTicket and adjustTicket over GraphQL HTTP."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.config import ResponseDelay, Settings
from app.models import Team, Ticket, TicketEvent
from app.models.enums import DelayCounting, Priority, TicketEventKind, TicketStatus, TicketType
from app.schema.ids import pk_of
from app.services import handling, tickets
from tests.conftest import Desk, GraphQLClient, Person, Server, make_ticket

TICKET_FIELDS = """
fragment TicketFields on Ticket {
  id number subject type priority requestedPriority status version
  createdAt updatedAt submittedAt responseDueAt overdue team { name }
}
"""

CREATE_DRAFT = (
    """
mutation CreateDraft($input: CreateDraftInput!) {
  createDraft(input: $input) { ticket { ...TicketFields } userErrors { field message code } }
}
"""
    + TICKET_FIELDS
)

SUBMIT_TICKET = (
    """
mutation SubmitTicket($input: SubmitTicketInput!) {
  submitTicket(input: $input) { ticket { ...TicketFields } userErrors { field message code } }
}
"""
    + TICKET_FIELDS
)

ADJUST_TICKET = (
    """
mutation AdjustTicket($input: AdjustTicketInput!) {
  adjustTicket(input: $input) { ticket { ...TicketFields } userErrors { field message code } }
}
"""
    + TICKET_FIELDS
)

TICKET_BY_ID = "query TicketById($id: ID!) { ticket(id: $id) { ...TicketFields } }" + TICKET_FIELDS

HISTORY = """
query History($id: ID!) {
  ticket(id: $id) { history { totalCount nodes { kind field from to reason actor { id } } } }
}
"""

OVERDUE = """
query Overdue($overdue: Boolean!) {
  tickets(filter: {overdue: $overdue}) { totalCount nodes { id overdue } }
}
"""

ME = "query Me { me { id } }"

SUBJECT = "Booking page crashes on payment"


# --- helpers ------------------------------------------------------------------------------------


def pk(global_id: str) -> int:
    key = pk_of(global_id, "Ticket")
    assert key is not None, global_id
    return key


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


def fields_at_fault(payload: dict[str, Any]) -> list[list[str] | None]:
    return [e["field"] for e in payload["userErrors"]]


def when(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None, text
    return value


async def draft(gql: GraphQLClient, person: Person, **fields: Any) -> dict[str, Any]:
    fields.setdefault("subject", SUBJECT)
    data = await gql.data(CREATE_DRAFT, {"input": fields}, token=person.token)
    payload = data["createDraft"]
    assert payload["userErrors"] == [], payload
    return payload["ticket"]


async def submit(gql: GraphQLClient, person: Person, ticket_id: str) -> dict[str, Any]:
    data = await gql.data(SUBMIT_TICKET, {"input": {"id": ticket_id}}, token=person.token)
    return data["submitTicket"]


async def opened(gql: GraphQLClient, person: Person, **fields: Any) -> dict[str, Any]:
    """A ticket drafted and submitted by person."""
    ticket = await draft(gql, person, **fields)
    payload = await submit(gql, person, ticket["id"])
    assert payload["userErrors"] == [], payload
    return payload["ticket"]


async def adjust(
    gql: GraphQLClient, person: Person, ticket_id: str, **fields: Any
) -> dict[str, Any]:
    data = await gql.data(ADJUST_TICKET, {"input": {"id": ticket_id, **fields}}, token=person.token)
    return data["adjustTicket"]


async def snapshot(ticket_id: str) -> dict[str, Any]:
    row = await Ticket.get(id=pk(ticket_id)).values()
    events = await TicketEvent.filter(ticket_id=pk(ticket_id)).order_by("id").values()
    return {"ticket": row, "events": events}


async def user_gid(gql: GraphQLClient, person: Person) -> str:
    return (await gql.data(ME, token=person.token))["me"]["id"]


# --- submitTicket ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ticket_type", "requested", "team", "priority"),
    [
        ("INCIDENT", None, "Support", "P2"),
        ("QUESTION", None, "Support", "P3"),
        ("FEATURE_REQUEST", None, "Product", "P4"),
        ("INCIDENT", "P1", "Support", "P1"),
        ("FEATURE_REQUEST", "P2", "Product", "P2"),
        ("QUESTION", "P4", "Support", "P4"),
    ],
)
async def test_submit_opens_routes_and_sets_the_deadline(
    gql: GraphQLClient,
    desk: Desk,
    server: Server,
    ticket_type: str,
    requested: str | None,
    team: str,
    priority: str,
) -> None:
    fields: dict[str, Any] = {"type": ticket_type}
    if requested is not None:
        fields["priority"] = requested
    ticket = await draft(gql, desk.alice, **fields)
    started = datetime.now(UTC)
    payload = await submit(gql, desk.alice, ticket["id"])
    finished = datetime.now(UTC)
    assert payload["userErrors"] == []
    result = payload["ticket"]
    assert result["status"] == "OPEN"
    assert result["team"] == {"name": team}
    assert result["priority"] == priority
    assert result["requestedPriority"] == requested
    assert result["version"] == ticket["version"] + 1
    assert result["overdue"] is False
    submitted_at = when(result["submittedAt"])
    assert started - timedelta(seconds=1) <= submitted_at <= finished + timedelta(seconds=1)
    delay = server.settings.response_delays[Priority(priority)].amount
    assert when(result["responseDueAt"]) - submitted_at == delay

    stored = await Ticket.get(id=pk(ticket["id"]))
    assert stored.status == TicketStatus.OPEN
    assert stored.priority == priority
    assert stored.submitted_at == submitted_at
    assert stored.response_due_at == submitted_at + delay
    assert stored.team_id == (await Team.get(name=team)).id  # type: ignore[attr-defined]

    events = await TicketEvent.filter(ticket_id=pk(ticket["id"])).order_by("id")
    assert [e.kind for e in events] == [TicketEventKind.CREATED, TicketEventKind.SUBMITTED]
    assert events[1].actor_id == desk.alice.id  # type: ignore[attr-defined]
    history = (await gql.data(HISTORY, {"id": ticket["id"]}, token=desk.alice.token))["ticket"][
        "history"
    ]
    assert [n["kind"] for n in history["nodes"]] == ["CREATED", "SUBMITTED"]
    assert history["nodes"][1]["actor"] == {"id": await user_gid(gql, desk.alice)}

    # The handlers of the team and admins now see it; the other team does not.
    handler = desk.support if team == "Support" else desk.product
    stranger = desk.product if team == "Support" else desk.support
    for viewer in (handler, desk.admin, desk.alice):
        seen = await gql.data(TICKET_BY_ID, {"id": ticket["id"]}, token=viewer.token)
        assert seen["ticket"]["status"] == "OPEN"
    for viewer in (stranger, desk.partner, desk.bob):
        hidden = await gql.data(TICKET_BY_ID, {"id": ticket["id"]}, token=viewer.token)
        assert hidden["ticket"] is None


def test_default_delays_are_1_4_8_24_business_hours() -> None:
    business = DelayCounting.BUSINESS_HOURS
    assert Settings().response_delays == {
        Priority.P1: ResponseDelay(timedelta(hours=1), business),
        Priority.P2: ResponseDelay(timedelta(hours=4), business),
        Priority.P3: ResponseDelay(timedelta(hours=8), business),
        Priority.P4: ResponseDelay(timedelta(hours=24), business),
    }


async def test_only_a_draft_can_be_submitted(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await opened(gql, desk.alice, type="INCIDENT")
    before = await snapshot(ticket["id"])
    again = await submit(gql, desk.alice, ticket["id"])
    assert codes(again) == ["INVALID_STATE"]
    assert again["ticket"] is None
    assert await snapshot(ticket["id"]) == before


async def test_submission_needs_a_type(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await draft(gql, desk.alice)
    before = await snapshot(ticket["id"])
    payload = await submit(gql, desk.alice, ticket["id"])
    assert codes(payload) == ["VALIDATION"]
    assert fields_at_fault(payload) == [["type"]]
    assert payload["ticket"] is None
    assert await snapshot(ticket["id"]) == before
    stored = await Ticket.get(id=pk(ticket["id"]))
    assert stored.status == TicketStatus.DRAFT
    assert stored.submitted_at is None
    assert stored.team_id is None  # type: ignore[attr-defined]


async def test_two_racing_submissions_open_the_ticket_once(gql: GraphQLClient, desk: Desk) -> None:
    for _ in range(5):
        ticket = await draft(gql, desk.alice, type="QUESTION")
        payloads = await asyncio.gather(
            submit(gql, desk.alice, ticket["id"]), submit(gql, desk.alice, ticket["id"])
        )
        winners = [p for p in payloads if p["userErrors"] == []]
        losers = [p for p in payloads if p["userErrors"]]
        assert len(winners) == 1, payloads
        assert [codes(p) for p in losers] == [["INVALID_STATE"]], payloads
        assert losers[0]["ticket"] is None
        assert winners[0]["ticket"]["status"] == "OPEN"
        submitted = await TicketEvent.filter(
            ticket_id=pk(ticket["id"]), kind=TicketEventKind.SUBMITTED
        ).count()
        assert submitted == 1
        stored = await Ticket.get(id=pk(ticket["id"]))
        assert stored.status == TicketStatus.OPEN
        assert stored.version == 2
        assert stored.submitted_at == when(winners[0]["ticket"]["submittedAt"])


DELETE_DRAFT = """
mutation DeleteDraft($input: DeleteDraftInput!) {
  deleteDraft(input: $input) { deletedId userErrors { field message code } }
}
"""


async def test_submission_racing_a_deletion_never_fails_internally(
    gql: GraphQLClient, desk: Desk
) -> None:
    for _ in range(8):
        ticket = await draft(gql, desk.alice, type="INCIDENT")
        variables = {"input": {"id": ticket["id"]}}
        bodies = await asyncio.gather(
            gql(SUBMIT_TICKET, variables, token=desk.alice.token),
            gql(DELETE_DRAFT, variables, token=desk.alice.token),
        )
        for body in bodies:
            assert "errors" not in body, body
        submitted, deleted = bodies[0]["data"]["submitTicket"], bodies[1]["data"]["deleteDraft"]
        stored = await Ticket.get_or_none(id=pk(ticket["id"]))
        if stored is None:
            assert deleted == {"deletedId": ticket["id"], "userErrors": []}
            assert submitted["ticket"] is None
            assert codes(submitted) in (["NOT_FOUND"], ["INVALID_STATE"], ["CONFLICT"])
        else:
            assert stored.status == TicketStatus.OPEN
            assert submitted["userErrors"] == []
            assert deleted["deletedId"] is None
            assert codes(deleted) in (["INVALID_STATE"], ["CONFLICT"])


@pytest.mark.parametrize("token", [None, "not-a-token"])
async def test_unauthenticated_submit_and_adjust_are_refused(
    gql: GraphQLClient, desk: Desk, token: str | None
) -> None:
    ticket = await draft(gql, desk.alice, type="INCIDENT")
    before = await snapshot(ticket["id"])
    for query, variables in (
        (SUBMIT_TICKET, {"input": {"id": ticket["id"]}}),
        (ADJUST_TICKET, {"input": {"id": ticket["id"], "priority": "P1"}}),
    ):
        body = await gql(query, variables, token=token)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", body
        assert body.get("data") is None
    assert await snapshot(ticket["id"]) == before


# --- adjustTicket: who and when ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("support", "FORBIDDEN"),  # a handler who sees it
        ("alice", "FORBIDDEN"),  # the requester, its author
        ("product", "NOT_FOUND"),  # a handler of another team
        ("partner", "NOT_FOUND"),  # an external handler
        ("bob", "NOT_FOUND"),  # another requester
    ],
)
async def test_only_admins_adjust(gql: GraphQLClient, desk: Desk, who: str, code: str) -> None:
    ticket = await opened(gql, desk.alice, type="INCIDENT")
    before = await snapshot(ticket["id"])
    payload = await adjust(
        gql, getattr(desk, who), ticket["id"], type="FEATURE_REQUEST", priority="P1", reason="x"
    )
    assert codes(payload) == [code]
    assert payload["ticket"] is None
    assert await snapshot(ticket["id"]) == before
    done = await adjust(gql, desk.admin, ticket["id"], priority="P1")
    assert done["userErrors"] == []
    assert done["ticket"]["priority"] == "P1"


async def test_an_admin_cannot_adjust_a_draft(gql: GraphQLClient, desk: Desk) -> None:
    own = await draft(gql, desk.admin, type="INCIDENT")
    before = await snapshot(own["id"])
    payload = await adjust(gql, desk.admin, own["id"], priority="P1", reason="urgent")
    assert codes(payload) == ["INVALID_STATE"]
    assert await snapshot(own["id"]) == before

    # Someone else's draft is invisible to admins: not found, not "invalid state".
    theirs = await draft(gql, desk.alice, type="INCIDENT")
    before = await snapshot(theirs["id"])
    payload = await adjust(gql, desk.admin, theirs["id"], priority="P1")
    assert codes(payload) == ["NOT_FOUND"]
    assert await snapshot(theirs["id"]) == before


async def test_a_closed_ticket_cannot_be_adjusted(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await opened(gql, desk.alice, type="INCIDENT")
    await Ticket.filter(id=pk(ticket["id"])).update(status=TicketStatus.CLOSED)
    before = await snapshot(ticket["id"])
    for change in ({"priority": "P1"}, {"type": "QUESTION"}, {"priority": "P2"}):
        payload = await adjust(gql, desk.admin, ticket["id"], **change, reason="too late")
        assert codes(payload) == ["INVALID_STATE"], change
        assert payload["ticket"] is None
    assert await snapshot(ticket["id"]) == before


@pytest.mark.parametrize("status", [TicketStatus.PENDING, TicketStatus.WAITING])
async def test_pending_and_waiting_tickets_can_be_adjusted(
    gql: GraphQLClient, desk: Desk, status: TicketStatus
) -> None:
    ticket = await opened(gql, desk.alice, type="INCIDENT")
    await Ticket.filter(id=pk(ticket["id"])).update(status=status)
    payload = await adjust(gql, desk.admin, ticket["id"], priority="P1")
    assert payload["userErrors"] == []
    assert payload["ticket"]["priority"] == "P1"
    assert payload["ticket"]["status"] == status.value


# --- adjustTicket: what it does ------------------------------------------------------------


async def test_retyping_reroutes_and_records_the_reason(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await opened(gql, desk.alice, type="QUESTION")
    assert ticket["team"] == {"name": "Support"}
    payload = await adjust(
        gql, desk.admin, ticket["id"], type="FEATURE_REQUEST", reason="Asks for a new feature"
    )
    assert payload["userErrors"] == []
    result = payload["ticket"]
    assert result["type"] == "FEATURE_REQUEST"
    assert result["team"] == {"name": "Product"}
    assert result["version"] == ticket["version"] + 1
    assert result["submittedAt"] == ticket["submittedAt"]
    assert result["status"] == "OPEN"

    stored = await Ticket.get(id=pk(ticket["id"]))
    assert stored.type == "FEATURE_REQUEST"
    assert stored.team_id == (await Team.get(name="Product")).id  # type: ignore[attr-defined]
    assert stored.version == ticket["version"] + 1

    adjusted = await TicketEvent.filter(
        ticket_id=pk(ticket["id"]), kind=TicketEventKind.ADJUSTED
    ).order_by("id")
    changes = {(e.field, e.from_value, e.to_value, e.reason) for e in adjusted}
    assert ("type", "QUESTION", "FEATURE_REQUEST", "Asks for a new feature") in changes
    assert ("team", "Support", "Product", "Asks for a new feature") in changes
    assert all(e.actor_id == desk.admin.id for e in adjusted)  # type: ignore[attr-defined]
    history = (await gql.data(HISTORY, {"id": ticket["id"]}, token=desk.admin.token))["ticket"][
        "history"
    ]
    type_events = [n for n in history["nodes"] if n["kind"] == "ADJUSTED" and n["field"] == "type"]
    assert len(type_events) == 1
    assert type_events[0]["reason"] == "Asks for a new feature"
    assert type_events[0]["actor"] == {"id": await user_gid(gql, desk.admin)}

    # The new team sees it; the old one no longer does.
    seen = await gql.data(TICKET_BY_ID, {"id": ticket["id"]}, token=desk.product.token)
    assert seen["ticket"]["team"] == {"name": "Product"}
    gone = await gql.data(TICKET_BY_ID, {"id": ticket["id"]}, token=desk.support.token)
    assert gone["ticket"] is None


async def test_retyping_within_one_team_keeps_the_team(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await opened(gql, desk.alice, type="INCIDENT")
    payload = await adjust(gql, desk.admin, ticket["id"], type="QUESTION")
    assert payload["userErrors"] == []
    assert payload["ticket"]["type"] == "QUESTION"
    assert payload["ticket"]["team"] == {"name": "Support"}
    adjusted = await TicketEvent.filter(ticket_id=pk(ticket["id"]), kind=TicketEventKind.ADJUSTED)
    assert [(e.field, e.from_value, e.to_value) for e in adjusted] == [
        ("type", "INCIDENT", "QUESTION")
    ]


async def test_raising_priority_late_makes_the_ticket_overdue_at_once(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    ticket = await opened(gql, desk.alice, type="FEATURE_REQUEST")
    assert ticket["priority"] == "P4"
    submitted_at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    await Ticket.filter(id=pk(ticket["id"])).update(
        submitted_at=submitted_at,
        response_due_at=submitted_at + server.settings.response_delays[Priority.P4].amount,
    )
    not_yet = await gql.data(OVERDUE, {"overdue": True}, token=desk.admin.token)
    assert not_yet["tickets"]["totalCount"] == 0

    payload = await adjust(gql, desk.admin, ticket["id"], priority="P1", reason="Production down")
    assert payload["userErrors"] == []
    result = payload["ticket"]
    assert result["priority"] == "P1"
    assert when(result["submittedAt"]) == submitted_at
    assert when(result["responseDueAt"]) == submitted_at + timedelta(hours=1)
    assert result["overdue"] is True

    stored = await Ticket.get(id=pk(ticket["id"]))
    assert stored.priority == "P1"
    assert stored.response_due_at == submitted_at + timedelta(hours=1)
    assert stored.submitted_at == submitted_at

    late = await gql.data(OVERDUE, {"overdue": True}, token=desk.admin.token)
    assert late["tickets"]["totalCount"] == 1
    assert late["tickets"]["nodes"] == [{"id": ticket["id"], "overdue": True}]
    on_time = await gql.data(OVERDUE, {"overdue": False}, token=desk.admin.token)
    assert ticket["id"] not in [n["id"] for n in on_time["tickets"]["nodes"]]
    handler_view = await gql.data(OVERDUE, {"overdue": True}, token=desk.product.token)
    assert [n["id"] for n in handler_view["tickets"]["nodes"]] == [ticket["id"]]

    events = await TicketEvent.filter(ticket_id=pk(ticket["id"]), kind=TicketEventKind.ADJUSTED)
    assert [(e.field, e.from_value, e.to_value, e.reason) for e in events] == [
        ("priority", "P4", "P1", "Production down")
    ]

    # Lowering it again counts from submission too, not from now.
    back = await adjust(gql, desk.admin, ticket["id"], priority="P3")
    assert back["userErrors"] == []
    assert when(back["ticket"]["responseDueAt"]) == submitted_at + timedelta(hours=8)
    assert back["ticket"]["overdue"] is False


@pytest.mark.parametrize("field", ["type", "priority"])
async def test_explicit_null_type_or_priority_is_a_validation_error(
    gql: GraphQLClient, desk: Desk, field: str
) -> None:
    ticket = await opened(gql, desk.alice, type="INCIDENT")
    before = await snapshot(ticket["id"])
    payload = await adjust(gql, desk.admin, ticket["id"], **{field: None}, reason="clear it")
    assert codes(payload) == ["VALIDATION"]
    assert fields_at_fault(payload) == [["input", field]]
    assert payload["ticket"] is None
    assert await snapshot(ticket["id"]) == before


async def test_an_adjustment_that_changes_nothing_records_nothing(
    gql: GraphQLClient, desk: Desk
) -> None:
    ticket = await opened(gql, desk.alice, type="INCIDENT", priority="P1")
    before = await snapshot(ticket["id"])
    for change in (
        {},
        {"reason": "just looking"},
        {"type": "INCIDENT"},
        {"priority": "P1", "reason": "confirmed"},
        {"type": "INCIDENT", "priority": "P1"},
    ):
        payload = await adjust(gql, desk.admin, ticket["id"], **change)
        assert payload["userErrors"] == [], change
        assert payload["ticket"]["version"] == ticket["version"], change
        assert payload["ticket"]["updatedAt"] == ticket["updatedAt"], change
        assert payload["ticket"]["responseDueAt"] == ticket["responseDueAt"], change
        assert await snapshot(ticket["id"]) == before, change


async def test_reason_is_at_most_1000_characters(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await opened(gql, desk.alice, type="INCIDENT")
    before = await snapshot(ticket["id"])
    payload = await adjust(gql, desk.admin, ticket["id"], priority="P1", reason="r" * 1001)
    assert codes(payload) == ["VALIDATION"]
    assert fields_at_fault(payload) == [["input", "reason"]]
    assert payload["ticket"] is None
    assert await snapshot(ticket["id"]) == before

    reason = "Why: " + "é" * 995
    assert len(reason) == 1000
    payload = await adjust(gql, desk.admin, ticket["id"], priority="P1", reason=reason)
    assert payload["userErrors"] == []
    event = await TicketEvent.get(ticket_id=pk(ticket["id"]), kind=TicketEventKind.ADJUSTED)
    assert event.reason == reason


async def test_successive_adjustments_bump_the_version_each_time(
    gql: GraphQLClient, desk: Desk
) -> None:
    ticket = await opened(gql, desk.alice, type="INCIDENT")
    version = ticket["version"]
    for change in ({"priority": "P1"}, {"type": "FEATURE_REQUEST"}, {"priority": "P3"}):
        payload = await adjust(gql, desk.admin, ticket["id"], **change)
        assert payload["userErrors"] == [], change
        version += 1
        assert payload["ticket"]["version"] == version, change
        assert (await Ticket.get(id=pk(ticket["id"]))).version == version


async def test_re_routing_away_from_the_assignees_team_puts_it_back_in_the_queue(
    gql: GraphQLClient, desk: Desk
) -> None:
    ticket = await make_ticket(desk.alice, type=TicketType.INCIDENT)
    support, admin = await desk.support.actor(), await desk.admin.actor()
    await handling.take_ticket(actor=support, ticket_id=ticket.id)
    moved = await tickets.adjust_ticket(
        actor=admin, ticket_id=ticket.id, changes={"type": TicketType.FEATURE_REQUEST}
    )
    assert (moved.status, moved.assignee_id) == (TicketStatus.OPEN, None)  # type: ignore[attr-defined]
    # The new team takes it; the old assignee no longer sees it.
    product = await desk.product.actor()
    taken = await handling.take_ticket(actor=product, ticket_id=ticket.id)
    assert taken.assignee_id == desk.product.id  # type: ignore[attr-defined]
    await handling.set_waiting(actor=product, ticket_id=ticket.id)
    # Waiting when re-routed again: it stays WAITING, and resumes into the queue.
    await tickets.adjust_ticket(
        actor=admin, ticket_id=ticket.id, changes={"type": TicketType.QUESTION}
    )
    waiting = await Ticket.get(id=ticket.id)
    assert (waiting.status, waiting.assignee_id) == (TicketStatus.WAITING, None)  # type: ignore[attr-defined]
    resumed = await handling.resume_ticket(actor=support, ticket_id=ticket.id)
    assert resumed.status == TicketStatus.OPEN
    # A move within the assignee's team keeps the assignee.
    await handling.take_ticket(actor=support, ticket_id=ticket.id)
    kept = await tickets.adjust_ticket(
        actor=admin, ticket_id=ticket.id, changes={"type": TicketType.INCIDENT}
    )
    assert (kept.status, kept.assignee_id) == (TicketStatus.PENDING, desk.support.id)  # type: ignore[attr-defined]
