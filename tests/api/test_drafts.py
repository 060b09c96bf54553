"""Drafts over GraphQL HTTP: createDraft, updateDraft, deleteDraft, privacy and validation."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from app.models import Ticket, TicketEvent, User
from app.models.enums import TicketEventKind, TicketStatus
from app.schema.ids import pk_of, to_global_id
from tests.conftest import TEST_SECRET, Desk, GraphQLClient, Person

TICKET_FIELDS = """
fragment TicketFields on Ticket {
  id number subject description reference type priority requestedPriority status
  environment version createdAt updatedAt submittedAt responseDueAt overdue
  author { id } team { name }
}
"""

CREATE_DRAFT = (
    """
mutation CreateDraft($input: CreateDraftInput!) {
  createDraft(input: $input) {
    ticket { ...TicketFields }
    userErrors { field message code }
  }
}
"""
    + TICKET_FIELDS
)

UPDATE_DRAFT = (
    """
mutation UpdateDraft($input: UpdateDraftInput!) {
  updateDraft(input: $input) {
    ticket { ...TicketFields }
    userErrors { field message code }
  }
}
"""
    + TICKET_FIELDS
)

DELETE_DRAFT = """
mutation DeleteDraft($input: DeleteDraftInput!) {
  deleteDraft(input: $input) { deletedId userErrors { field message code } }
}
"""

SUBMIT_TICKET = """
mutation SubmitTicket($input: SubmitTicketInput!) {
  submitTicket(input: $input) { ticket { id status } userErrors { field message code } }
}
"""

TICKET_BY_ID = "query TicketById($id: ID!) { ticket(id: $id) { id subject status } }"
TICKET_BY_NUMBER = "query TicketByNumber($n: Int!) { ticket(number: $n) { id subject status } }"
NODE = "query Node($id: ID!) { node(id: $id) { id ... on Ticket { subject } } }"
TICKETS = "query Tickets { tickets { totalCount nodes { id } } }"
TICKETS_ALL_STATUSES = """
query TicketsDrafts {
  tickets(filter: {status: [DRAFT, OPEN, PENDING, WAITING, CLOSED]}) { totalCount nodes { id } }
}
"""
ME = "query Me { me { id } }"

HISTORY = """
query History($id: ID!) {
  ticket(id: $id) {
    history { totalCount nodes { kind field from to reason actor { id } } }
  }
}
"""

VALID_SUBJECT = "Printer on floor 2 is jammed"


# --- helpers ------------------------------------------------------------------------------------


async def create(
    gql: GraphQLClient,
    person: Person,
    *,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """The createDraft payload (ticket and userErrors), the request having no top-level error."""
    fields.setdefault("subject", VALID_SUBJECT)
    body = await gql(CREATE_DRAFT, {"input": fields}, token=person.token, headers=headers)
    assert "errors" not in body, body
    return body["data"]["createDraft"]


async def draft(gql: GraphQLClient, person: Person, **fields: Any) -> dict[str, Any]:
    """A draft that must be created without error."""
    payload = await create(gql, person, **fields)
    assert payload["userErrors"] == [], payload
    assert payload["ticket"] is not None
    return payload["ticket"]


async def update(
    gql: GraphQLClient,
    person: Person,
    ticket_id: str,
    *,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    body = await gql(
        UPDATE_DRAFT, {"input": {"id": ticket_id, **fields}}, token=person.token, headers=headers
    )
    assert "errors" not in body, body
    return body["data"]["updateDraft"]


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


def fields_at_fault(payload: dict[str, Any]) -> list[list[str] | None]:
    return [e["field"] for e in payload["userErrors"]]


def pk(global_id: str) -> int:
    key = pk_of(global_id, "Ticket")
    assert key is not None, global_id
    return key


async def snapshot(ticket_id: str) -> dict[str, Any]:
    """Everything stored about a ticket, to compare before and after a refused change."""
    row = await Ticket.get(id=pk(ticket_id)).values()
    events = await TicketEvent.filter(ticket_id=pk(ticket_id)).order_by("id").values()
    return {"ticket": row, "events": events}


async def events_of(ticket_id: str) -> list[TicketEvent]:
    return await TicketEvent.filter(ticket_id=pk(ticket_id)).order_by("id")


def assert_no_internal_error(body: Any) -> None:
    text = json.dumps(body)
    assert "Traceback" not in text
    assert "INTERNAL_SERVER_ERROR" not in text
    assert "Internal error" not in text


# --- creation -------------------------------------------------------------------------------------


async def test_create_draft_returns_a_private_draft(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await draft(gql, desk.alice, subject="  Printer on floor 2 is jammed  ")
    assert ticket["status"] == "DRAFT"
    assert ticket["subject"] == "Printer on floor 2 is jammed"
    assert ticket["description"] == ""
    assert ticket["reference"] is None
    assert ticket["type"] is None
    assert ticket["requestedPriority"] is None
    assert ticket["priority"] == "P3"
    assert ticket["version"] == 1
    assert ticket["number"] == 1
    assert ticket["team"] is None
    assert ticket["submittedAt"] is None
    assert ticket["responseDueAt"] is None
    assert ticket["overdue"] is False
    me = await gql.data(ME, token=desk.alice.token)
    assert ticket["author"]["id"] == me["me"]["id"]
    assert ticket["id"] != str(pk(ticket["id"])), "the id must be opaque"

    stored = await Ticket.get(id=pk(ticket["id"]))
    assert stored.status == TicketStatus.DRAFT
    assert stored.subject == "Printer on floor 2 is jammed"
    assert stored.author_id == desk.alice.id  # type: ignore[attr-defined]

    second = await draft(gql, desk.bob, subject="Another printer is jammed too")
    assert second["number"] > ticket["number"]


@pytest.mark.parametrize(
    ("ticket_type", "requested", "expected"),
    [
        (None, None, "P3"),
        ("INCIDENT", None, "P2"),
        ("QUESTION", None, "P3"),
        ("FEATURE_REQUEST", None, "P4"),
        ("FEATURE_REQUEST", "P1", "P1"),
        ("INCIDENT", "P4", "P4"),
        (None, "P2", "P2"),
    ],
)
async def test_draft_priority_previews_submission(
    gql: GraphQLClient, desk: Desk, ticket_type: str | None, requested: str | None, expected: str
) -> None:
    fields: dict[str, Any] = {}
    if ticket_type is not None:
        fields["type"] = ticket_type
    if requested is not None:
        fields["priority"] = requested
    ticket = await draft(gql, desk.alice, **fields)
    assert ticket["priority"] == expected
    assert ticket["requestedPriority"] == requested
    assert ticket["type"] == ticket_type
    stored = await Ticket.get(id=pk(ticket["id"]))
    assert stored.priority == expected
    assert stored.requested_priority == requested


async def test_a_long_or_odd_user_agent_is_never_an_internal_error(
    gql: GraphQLClient, desk: Desk
) -> None:
    agent = "VeryLongAgent/1.0 " + "z" * 700
    created = await create(gql, desk.alice, headers={"user-agent": agent})
    assert_no_internal_error(created)
    assert created["userErrors"] == []
    assert created["ticket"]["environment"].startswith("VeryLongAgent/1.0 zzz")
    stored = await Ticket.get(id=pk(created["ticket"]["id"]))
    assert stored.environment == created["ticket"]["environment"]


async def test_priority_preview_follows_updates(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await draft(gql, desk.alice, type="INCIDENT")
    assert ticket["priority"] == "P2"
    steps: list[tuple[dict[str, Any], str, str | None]] = [
        ({"type": "FEATURE_REQUEST"}, "P4", None),
        ({"priority": "P1"}, "P1", "P1"),
        ({"type": "QUESTION"}, "P1", "P1"),
        ({"priority": None}, "P3", None),
        ({"type": None}, "P3", None),
        ({"type": "INCIDENT"}, "P2", None),
    ]
    for change, priority, requested in steps:
        payload = await update(gql, desk.alice, ticket["id"], **change)
        assert payload["userErrors"] == [], (change, payload)
        assert payload["ticket"]["priority"] == priority, change
        assert payload["ticket"]["requestedPriority"] == requested, change
        stored = await Ticket.get(id=pk(ticket["id"]))
        assert stored.priority == priority, change
        assert stored.requested_priority == requested, change


async def test_environment_is_the_user_agent_of_the_last_edit(
    gql: GraphQLClient, desk: Desk
) -> None:
    created = await create(
        gql, desk.alice, headers={"user-agent": "DeskClient/1.0 (X11; Linux x86_64)"}
    )
    ticket = created["ticket"]
    assert ticket["environment"] == "DeskClient/1.0 (X11; Linux x86_64)"
    payload = await update(
        gql,
        desk.alice,
        ticket["id"],
        headers={"user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)"},
        description="Seen from my phone as well",
    )
    assert payload["ticket"]["environment"] == "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)"
    stored = await Ticket.get(id=pk(ticket["id"]))
    assert stored.environment == "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)"


# --- privacy ------------------------------------------------------------------------------------

OUTSIDERS = ["bob", "support", "product", "partner", "admin"]


@pytest.mark.parametrize("viewer", OUTSIDERS)
async def test_nobody_but_the_author_sees_a_draft(
    gql: GraphQLClient, desk: Desk, viewer: str
) -> None:
    ticket = await draft(
        gql, desk.alice, type="INCIDENT", description="secret draft", reference="INV-1"
    )
    other: Person = getattr(desk, viewer)

    # The author does see it, by every way.
    by_id = await gql.data(TICKET_BY_ID, {"id": ticket["id"]}, token=desk.alice.token)
    assert by_id["ticket"]["id"] == ticket["id"]
    by_number = await gql.data(TICKET_BY_NUMBER, {"n": ticket["number"]}, token=desk.alice.token)
    assert by_number["ticket"]["id"] == ticket["id"]
    node = await gql.data(NODE, {"id": ticket["id"]}, token=desk.alice.token)
    assert node["node"]["id"] == ticket["id"]
    listed = await gql.data(TICKETS_ALL_STATUSES, token=desk.alice.token)
    assert listed["tickets"]["totalCount"] == 1
    assert [n["id"] for n in listed["tickets"]["nodes"]] == [ticket["id"]]

    # Nobody else does, admins included.
    assert (await gql.data(TICKET_BY_ID, {"id": ticket["id"]}, token=other.token))["ticket"] is None
    assert (await gql.data(TICKET_BY_NUMBER, {"n": ticket["number"]}, token=other.token))[
        "ticket"
    ] is None
    assert (await gql.data(NODE, {"id": ticket["id"]}, token=other.token))["node"] is None
    for query in (TICKETS, TICKETS_ALL_STATUSES):
        theirs = await gql.data(query, token=other.token)
        assert theirs["tickets"]["totalCount"] == 0
        assert theirs["tickets"]["nodes"] == []
    searched = await gql.data(
        'query { tickets(filter: {search: "secret"}) { totalCount nodes { id } } }',
        token=other.token,
    )
    assert searched["tickets"] == {"totalCount": 0, "nodes": []}


async def test_history_of_a_draft_is_private_too(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await draft(gql, desk.alice)
    event = (await events_of(ticket["id"]))[0]
    event_id = to_global_id("TicketEvent", event.id)
    mine = await gql.data(NODE, {"id": event_id}, token=desk.alice.token)
    assert mine["node"] == {"id": event_id}
    theirs = await gql.data(NODE, {"id": event_id}, token=desk.admin.token)
    assert theirs["node"] is None


async def _attempt(
    gql: GraphQLClient, person: Person, operation: str, ticket_id: str
) -> dict[str, Any]:
    if operation == "update":
        query, variables = (
            UPDATE_DRAFT,
            {"input": {"id": ticket_id, "subject": "Hijacked subject!"}},
        )
    elif operation == "delete":
        query, variables = DELETE_DRAFT, {"input": {"id": ticket_id}}
    else:
        query, variables = SUBMIT_TICKET, {"input": {"id": ticket_id}}
    body = await gql(query, variables, token=person.token)
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


@pytest.mark.parametrize("operation", ["update", "delete", "submit"])
@pytest.mark.parametrize("viewer", OUTSIDERS)
async def test_nobody_but_the_author_changes_a_draft(
    gql: GraphQLClient, desk: Desk, viewer: str, operation: str
) -> None:
    ticket = await draft(gql, desk.alice, type="INCIDENT")
    before = await snapshot(ticket["id"])
    payload = await _attempt(gql, getattr(desk, viewer), operation, ticket["id"])
    assert codes(payload) == ["NOT_FOUND"]
    assert payload.get("ticket") is None
    assert payload.get("deletedId") is None
    assert await snapshot(ticket["id"]) == before
    # ...and the author still can.
    payload = await _attempt(gql, desk.alice, operation, ticket["id"])
    assert payload["userErrors"] == []


async def test_author_deletes_a_draft_with_its_history(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await draft(gql, desk.alice)
    kept = await draft(gql, desk.alice, subject="Another draft that stays")
    await update(gql, desk.alice, ticket["id"], description="more detail")
    body = await gql.data(DELETE_DRAFT, {"input": {"id": ticket["id"]}}, token=desk.alice.token)
    assert body["deleteDraft"] == {"deletedId": ticket["id"], "userErrors": []}
    assert not await Ticket.filter(id=pk(ticket["id"])).exists()
    assert not await TicketEvent.filter(ticket_id=pk(ticket["id"])).exists()
    assert await Ticket.filter(id=pk(kept["id"])).exists()
    gone = await gql.data(TICKET_BY_ID, {"id": ticket["id"]}, token=desk.alice.token)
    assert gone["ticket"] is None
    again = await gql.data(DELETE_DRAFT, {"input": {"id": ticket["id"]}}, token=desk.alice.token)
    assert codes(again["deleteDraft"]) == ["NOT_FOUND"]
    assert again["deleteDraft"]["deletedId"] is None


async def test_a_submitted_ticket_is_no_longer_a_draft(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await draft(gql, desk.alice, type="QUESTION")
    submitted = await gql.data(
        SUBMIT_TICKET, {"input": {"id": ticket["id"]}}, token=desk.alice.token
    )
    assert submitted["submitTicket"]["userErrors"] == []
    before = await snapshot(ticket["id"])
    deleted = await gql.data(DELETE_DRAFT, {"input": {"id": ticket["id"]}}, token=desk.alice.token)
    assert codes(deleted["deleteDraft"]) == ["INVALID_STATE"]
    updated = await update(gql, desk.alice, ticket["id"], subject="A subject changed too late")
    assert codes(updated) == ["INVALID_STATE"]
    assert updated["ticket"] is None
    assert await snapshot(ticket["id"]) == before


# --- updateDraft semantics ------------------------------------------------------------------------


async def test_absent_fields_stay_unchanged(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await draft(
        gql,
        desk.alice,
        description="The paper tray\nis stuck",
        reference="BK-2024-001",
        type="INCIDENT",
        priority="P1",
    )
    payload = await update(gql, desk.alice, ticket["id"], subject="Printer on floor 3 is jammed")
    assert payload["userErrors"] == []
    after = payload["ticket"]
    assert after["subject"] == "Printer on floor 3 is jammed"
    for name in ("description", "reference", "type", "priority", "requestedPriority"):
        assert after[name] == ticket[name], name
    stored = await Ticket.get(id=pk(ticket["id"]))
    assert stored.description == "The paper tray\nis stuck"
    assert stored.reference == "BK-2024-001"
    assert stored.type == "INCIDENT"
    assert stored.requested_priority == "P1"


async def test_explicit_null_clears_optional_fields(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await draft(
        gql,
        desk.alice,
        description="Some words",
        reference="INV-77",
        type="FEATURE_REQUEST",
        priority="P2",
    )
    payload = await update(
        gql, desk.alice, ticket["id"], description=None, reference=None, priority=None
    )
    assert payload["userErrors"] == []
    after = payload["ticket"]
    assert after["description"] == ""
    assert after["reference"] is None
    assert after["requestedPriority"] is None
    assert after["priority"] == "P4"  # back to the default of the type
    assert after["type"] == "FEATURE_REQUEST"
    assert after["subject"] == VALID_SUBJECT
    stored = await Ticket.get(id=pk(ticket["id"]))
    assert stored.description == ""
    assert stored.reference is None
    assert stored.requested_priority is None
    assert stored.priority == "P4"


async def test_explicit_null_subject_is_a_validation_error(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await draft(gql, desk.alice)
    before = await snapshot(ticket["id"])
    payload = await update(gql, desk.alice, ticket["id"], subject=None)
    assert codes(payload) == ["VALIDATION"]
    assert fields_at_fault(payload) == [["input", "subject"]]
    assert payload["ticket"] is None
    assert await snapshot(ticket["id"]) == before


async def test_expected_version_mismatch_is_a_conflict(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await draft(gql, desk.alice)
    first = await update(gql, desk.alice, ticket["id"], description="first", expectedVersion=1)
    assert first["userErrors"] == []
    assert first["ticket"]["version"] == 2
    before = await snapshot(ticket["id"])
    for stale in (1, 3, 0):
        payload = await update(
            gql,
            desk.alice,
            ticket["id"],
            subject="A conflicting subject",
            description="lost update",
            expectedVersion=stale,
        )
        assert codes(payload) == ["CONFLICT"], stale
        assert payload["ticket"] is None
        assert await snapshot(ticket["id"]) == before
    ok = await update(gql, desk.alice, ticket["id"], description="second", expectedVersion=2)
    assert ok["userErrors"] == []
    assert ok["ticket"]["version"] == 3
    assert ok["ticket"]["description"] == "second"


async def test_racing_updates_with_the_same_expected_version_lose_nothing(
    gql: GraphQLClient, desk: Desk
) -> None:
    ticket = await draft(gql, desk.alice)
    for round_ in range(4):
        version = (await Ticket.get(id=pk(ticket["id"]))).version
        payloads = await asyncio.gather(
            *(
                update(
                    gql,
                    desk.alice,
                    ticket["id"],
                    description=f"writer {writer} in round {round_}",
                    expectedVersion=version,
                )
                for writer in range(2)
            )
        )
        winners = [p for p in payloads if p["userErrors"] == []]
        losers = [p for p in payloads if p["userErrors"]]
        assert len(winners) == 1, payloads
        assert [codes(p) for p in losers] == [["CONFLICT"]], payloads
        stored = await Ticket.get(id=pk(ticket["id"]))
        assert stored.version == version + 1
        assert stored.description == winners[0]["ticket"]["description"]
        updates = await TicketEvent.filter(
            ticket_id=pk(ticket["id"]), kind=TicketEventKind.UPDATED
        ).count()
        assert updates == round_ + 1


async def test_version_increases_by_one_per_change(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await draft(gql, desk.alice)
    assert ticket["version"] == 1
    changes: list[dict[str, Any]] = [
        {"subject": "Printer on floor 4 is jammed"},
        {"description": "details"},
        {"reference": "REF-1", "type": "INCIDENT", "priority": "P2"},
        {"reference": None},
    ]
    for expected, change in enumerate(changes, start=2):
        payload = await update(gql, desk.alice, ticket["id"], **change)
        assert payload["userErrors"] == []
        assert payload["ticket"]["version"] == expected, change
        assert (await Ticket.get(id=pk(ticket["id"]))).version == expected


async def test_a_no_op_update_changes_nothing(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await draft(
        gql, desk.alice, description="same", reference="REF-9", type="QUESTION", priority="P2"
    )
    before = await snapshot(ticket["id"])
    for change in (
        {},
        {"subject": f"   {VALID_SUBJECT}  "},
        {
            "subject": VALID_SUBJECT,
            "description": "same",
            "reference": "REF-9",
            "type": "QUESTION",
            "priority": "P2",
        },
    ):
        payload = await update(gql, desk.alice, ticket["id"], **change)
        assert payload["userErrors"] == [], change
        assert payload["ticket"]["version"] == 1, change
        assert payload["ticket"]["updatedAt"] == ticket["updatedAt"], change
        assert await snapshot(ticket["id"]) == before, change


async def test_history_records_creation_and_each_changed_field(
    gql: GraphQLClient, desk: Desk
) -> None:
    ticket = await draft(gql, desk.alice, type="INCIDENT")
    me = (await gql.data(ME, token=desk.alice.token))["me"]["id"]
    await update(
        gql,
        desk.alice,
        ticket["id"],
        subject="Printer on floor 9 is jammed",
        priority="P1",
        type="QUESTION",
    )
    await update(gql, desk.alice, ticket["id"], priority=None)
    await update(gql, desk.alice, ticket["id"], subject="Printer on floor 9 is jammed")  # no-op
    history = (await gql.data(HISTORY, {"id": ticket["id"]}, token=desk.alice.token))["ticket"][
        "history"
    ]
    nodes = history["nodes"]
    assert history["totalCount"] == len(nodes)
    assert nodes[0]["kind"] == "CREATED"
    assert nodes[0]["actor"] == {"id": me}
    updates = {(n["field"], n["from"], n["to"]) for n in nodes[1:4]}
    assert updates == {
        ("subject", VALID_SUBJECT, "Printer on floor 9 is jammed"),
        ("priority", None, "P1"),
        ("type", "INCIDENT", "QUESTION"),
    }
    assert nodes[4]["field"] == "priority"
    assert (nodes[4]["from"], nodes[4]["to"]) == ("P1", None)
    assert len(nodes) == 5
    assert all(n["kind"] == "UPDATED" and n["actor"] == {"id": me} for n in nodes[1:])
    stored = await events_of(ticket["id"])
    assert [e.kind for e in stored] == [TicketEventKind.CREATED] + [TicketEventKind.UPDATED] * 4


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "stored"),
    [
        ("a" * 10, "a" * 10),
        ("b" * 150, "b" * 150),
        ("   " + "c" * 10 + " \t ", "c" * 10),
        ("  " + "d" * 150 + "  ", "d" * 150),
        ("Ж" * 150, "Ж" * 150),
    ],
)
async def test_subject_length_accepted(
    gql: GraphQLClient, desk: Desk, subject: str, stored: str
) -> None:
    ticket = await draft(gql, desk.alice, subject=subject)
    assert ticket["subject"] == stored
    assert (await Ticket.get(id=pk(ticket["id"]))).subject == stored
    other = await draft(gql, desk.alice)
    payload = await update(gql, desk.alice, other["id"], subject=subject)
    assert payload["userErrors"] == []
    assert payload["ticket"]["subject"] == stored


@pytest.mark.parametrize(
    "subject",
    ["a" * 9, "b" * 151, "   " + "c" * 9 + "   ", "", "      ", "\t" + "e" * 9 + "\n"],
)
async def test_subject_length_rejected(gql: GraphQLClient, desk: Desk, subject: str) -> None:
    payload = await create(gql, desk.alice, subject=subject)
    assert codes(payload) == ["VALIDATION"]
    assert fields_at_fault(payload) == [["input", "subject"]]
    assert payload["ticket"] is None
    assert await Ticket.all().count() == 0

    ticket = await draft(gql, desk.alice)
    before = await snapshot(ticket["id"])
    payload = await update(gql, desk.alice, ticket["id"], subject=subject)
    assert codes(payload) == ["VALIDATION"]
    assert fields_at_fault(payload) == [["input", "subject"]]
    assert await snapshot(ticket["id"]) == before


@pytest.mark.parametrize("bad", ["\u0007", "\u0000", "\u001b", "\u007f", "\n", "\u0085"])
async def test_control_characters_in_subject_are_rejected(
    gql: GraphQLClient, desk: Desk, bad: str
) -> None:
    subject = f"Printer on {bad}floor 2 is jammed"
    payload = await create(gql, desk.alice, subject=subject)
    assert_no_internal_error(payload)
    assert codes(payload) == ["VALIDATION"]
    assert fields_at_fault(payload) == [["input", "subject"]]
    assert await Ticket.all().count() == 0

    ticket = await draft(gql, desk.alice)
    before = await snapshot(ticket["id"])
    payload = await update(gql, desk.alice, ticket["id"], subject=subject)
    assert codes(payload) == ["VALIDATION"]
    assert await snapshot(ticket["id"]) == before


async def test_description_up_to_20000_characters_keeps_newlines(
    gql: GraphQLClient, desk: Desk
) -> None:
    text = "Line one\nLine two\r\n\n\tindented line\n" + "x" * 19_000
    text = text + "y" * (20_000 - len(text))
    assert len(text) == 20_000
    ticket = await draft(gql, desk.alice, description=text)
    assert ticket["description"] == text
    assert (await Ticket.get(id=pk(ticket["id"]))).description == text

    payload = await create(gql, desk.alice, description=text + "z")
    assert codes(payload) == ["VALIDATION"]
    assert fields_at_fault(payload) == [["input", "description"]]
    assert await Ticket.all().count() == 1

    before = await snapshot(ticket["id"])
    payload = await update(gql, desk.alice, ticket["id"], description="w" * 20_001)
    assert codes(payload) == ["VALIDATION"]
    assert fields_at_fault(payload) == [["input", "description"]]
    assert await snapshot(ticket["id"]) == before

    short = "  first line\n\nsecond line  \n"
    payload = await update(gql, desk.alice, ticket["id"], description=short)
    assert payload["userErrors"] == []
    assert payload["ticket"]["description"] == short
    assert (await Ticket.get(id=pk(ticket["id"]))).description == short


async def test_a_nul_character_in_description_is_never_an_internal_error(
    gql: GraphQLClient, desk: Desk
) -> None:
    payload = await create(gql, desk.alice, description="before\u0000after")
    assert_no_internal_error(payload)
    if payload["ticket"] is not None:
        stored = await Ticket.get(id=pk(payload["ticket"]["id"]))
        assert stored.description == "before\u0000after"
    else:
        assert codes(payload) == ["VALIDATION"]
        assert fields_at_fault(payload) == [["input", "description"]]


async def test_reference_up_to_200_characters(gql: GraphQLClient, desk: Desk) -> None:
    reference = "https://booking.example/" + "r" * (200 - len("https://booking.example/"))
    ticket = await draft(gql, desk.alice, reference=reference)
    assert ticket["reference"] == reference
    assert (await Ticket.get(id=pk(ticket["id"]))).reference == reference

    payload = await create(gql, desk.alice, reference=reference + "s")
    assert codes(payload) == ["VALIDATION"]
    assert fields_at_fault(payload) == [["input", "reference"]]
    assert await Ticket.all().count() == 1

    before = await snapshot(ticket["id"])
    payload = await update(gql, desk.alice, ticket["id"], reference="t" * 201)
    assert codes(payload) == ["VALIDATION"]
    assert fields_at_fault(payload) == [["input", "reference"]]
    assert await snapshot(ticket["id"]) == before


UNICODE_CASES = [
    pytest.param("👩‍💻 Laptop will not boot after the update 🚀🔥", id="emoji-zwj"),
    pytest.param("打印机无法连接到网络，请帮忙看看", id="chinese"),  # noqa: RUF001
    pytest.param("الطابعة لا تعمل منذ صباح اليوم", id="arabic"),
    pytest.param("Принтер не печатает с самого утра", id="cyrillic"),  # noqa: RUF001
    pytest.param("Cafe\u0301 menu shows wrong prices 👨‍👩‍👧‍👦", id="combining-family"),
    pytest.param("Flag 🇫🇷 and skin tone 👍🏽 render as boxes", id="flags"),
]


@pytest.mark.parametrize("text", UNICODE_CASES)
async def test_unicode_is_kept_byte_for_byte(gql: GraphQLClient, desk: Desk, text: str) -> None:
    description = f"{text}\n{text}\n— 🧑‍🔧"
    reference = f"réf-{text}"[:200]
    ticket = await draft(
        gql, desk.alice, subject=text, description=description, reference=reference
    )
    assert ticket["subject"].encode() == text.encode()
    assert ticket["description"].encode() == description.encode()
    assert ticket["reference"].encode() == reference.encode()
    stored = await Ticket.get(id=pk(ticket["id"]))
    assert stored.subject.encode() == text.encode()
    assert stored.description.encode() == description.encode()
    assert (stored.reference or "").encode() == reference.encode()
    fetched = await gql.data(TICKET_BY_ID, {"id": ticket["id"]}, token=desk.alice.token)
    assert fetched["ticket"]["subject"].encode() == text.encode()

    other = await draft(gql, desk.alice)
    payload = await update(gql, desk.alice, other["id"], subject=text, description=description)
    assert payload["userErrors"] == []
    assert payload["ticket"]["subject"].encode() == text.encode()
    assert payload["ticket"]["description"].encode() == description.encode()


async def test_several_invalid_fields_give_several_errors(gql: GraphQLClient, desk: Desk) -> None:
    payload = await create(
        gql, desk.alice, subject="short", description="d" * 20_001, reference="r" * 201
    )
    assert payload["ticket"] is None
    assert sorted(codes(payload)) == ["VALIDATION"] * 3
    assert sorted(map(tuple, fields_at_fault(payload))) == [  # type: ignore[arg-type]
        ("input", "description"),
        ("input", "reference"),
        ("input", "subject"),
    ]
    assert all(e["message"] for e in payload["userErrors"])
    assert await Ticket.all().count() == 0

    ticket = await draft(gql, desk.alice)
    before = await snapshot(ticket["id"])
    payload = await update(
        gql,
        desk.alice,
        ticket["id"],
        subject="x\u0007" * 80,
        description="d" * 20_001,
        reference="r" * 201,
    )
    assert payload["ticket"] is None
    assert {tuple(f) for f in fields_at_fault(payload) if f} == {
        ("input", "subject"),
        ("input", "description"),
        ("input", "reference"),
    }
    assert set(codes(payload)) == {"VALIDATION"}
    assert await snapshot(ticket["id"]) == before


# --- authentication and malformed requests --------------------------------------------------------


def forged_token(kind: str, user_id: int) -> str | None:
    """A token that must not sign anyone in."""
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "iat": now, "exp": now + timedelta(hours=1)}
    if kind == "none":
        return None
    if kind == "garbage":
        return "not-a-token"
    if kind == "bad-signature":
        return jwt.encode(claims, "another-secret-key-that-is-long-enough-for-hs256", "HS256")
    if kind == "expired":
        claims |= {"iat": now - timedelta(hours=13), "exp": now - timedelta(hours=1)}
        return jwt.encode(claims, TEST_SECRET, "HS256")
    if kind == "unknown-user":
        return jwt.encode({**claims, "sub": "999999"}, TEST_SECRET, "HS256")
    raise ValueError(kind)


@pytest.mark.parametrize(
    "kind", ["none", "garbage", "bad-signature", "expired", "unknown-user", "deactivated"]
)
async def test_unauthenticated_calls_are_refused(gql: GraphQLClient, desk: Desk, kind: str) -> None:
    ticket = await draft(gql, desk.alice)
    if kind == "deactivated":
        await User.filter(id=desk.alice.id).update(is_active=False)
        token: str | None = desk.alice.token
    else:
        token = forged_token(kind, desk.alice.id)
    before = await snapshot(ticket["id"])
    calls: list[tuple[str, dict[str, Any]]] = [
        (CREATE_DRAFT, {"input": {"subject": VALID_SUBJECT}}),
        (UPDATE_DRAFT, {"input": {"id": ticket["id"], "subject": "Unauthenticated change"}}),
        (DELETE_DRAFT, {"input": {"id": ticket["id"]}}),
        (SUBMIT_TICKET, {"input": {"id": ticket["id"]}}),
        (TICKET_BY_ID, {"id": ticket["id"]}),
        (TICKETS, {}),
    ]
    for query, variables in calls:
        body = await gql(query, variables, token=token)
        assert body.get("errors"), (query, body)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", body
        assert body.get("data") is None or all(v is None for v in body["data"].values())
    assert await Ticket.all().count() == 1
    assert await snapshot(ticket["id"]) == before


BAD_BODIES = [
    pytest.param(b'{"query": "mutation {', id="truncated-json"),
    pytest.param(b"not json at all", id="not-json"),
    pytest.param(b"[1, 2", id="broken-array"),
    pytest.param(b"null", id="json-null"),
    pytest.param(b'"just a string"', id="json-string"),
    pytest.param(b"42", id="json-number"),
    pytest.param(b"true", id="json-boolean"),
    pytest.param(b"{}", id="no-query"),
    pytest.param(b'{"query": 5}', id="query-not-a-string"),
    pytest.param(b'{"query": "{ me { id } }", "variables": [1]}', id="variables-not-an-object"),
    pytest.param(b'{"query": "{ me { id } }\xff"}', id="invalid-utf8"),
    pytest.param(b"\xff\xfe{", id="utf16-bom-garbage"),
]


@pytest.mark.parametrize("content", BAD_BODIES)
async def test_bad_json_body_is_a_clear_client_error(
    gql: GraphQLClient, desk: Desk, content: bytes
) -> None:
    response = await gql.raw(content, token=desk.alice.token)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert "Traceback" not in response.text
    assert "Internal" not in response.text
    assert response.text.strip()
    assert await Ticket.all().count() == 0


MALFORMED = [
    pytest.param(
        'mutation { createDraft(input: {subject: "Valid subject here"} { ticket { id } } }',
        {},
        "Syntax Error",
        id="syntax-error",
    ),
    pytest.param(
        'mutation { createDraft(input: {subject: "Valid subject here"}) { ticket { secret } } }',
        {},
        "secret",
        id="unknown-field",
    ),
    pytest.param(
        'mutation { createDraft(input: {subject: "Valid subject here", colour: RED}) '
        "{ ticket { id } } }",
        {},
        "colour",
        id="unknown-input-field",
    ),
    pytest.param(CREATE_DRAFT, {"input": {"subject": 12345}}, "subject", id="wrong-variable-type"),
    pytest.param(
        CREATE_DRAFT,
        {"input": {"subject": "Valid subject here", "type": "BUG"}},
        "BUG",
        id="unknown-enum-value",
    ),
    pytest.param(CREATE_DRAFT, {}, "input", id="missing-variable"),
    pytest.param(
        'mutation Create { createDraft(input: {subject: "Created by accident here"}) '
        "{ ticket { id } } } query Me { me { id } }",
        {},
        "operation",
        id="several-operations-without-operation-name",
    ),
    pytest.param(
        UPDATE_DRAFT,
        {"input": {"id": "x", "expectedVersion": "one"}},
        "expectedVersion",
        id="wrong-version-type",
    ),
]


@pytest.mark.parametrize(("query", "variables", "mentions"), MALFORMED)
async def test_malformed_requests_get_a_clear_error(
    gql: GraphQLClient, desk: Desk, query: str, variables: dict[str, Any], mentions: str
) -> None:
    response = await gql.raw({"query": query, "variables": variables}, token=desk.alice.token)
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    body = response.json()
    assert body.get("errors"), body
    assert body.get("data") is None
    message = " ".join(e["message"] for e in body["errors"])
    assert mentions in message, message
    assert_no_internal_error(body)
    assert await Ticket.all().count() == 0


async def test_ids_of_another_type_or_garbage_are_not_found(gql: GraphQLClient, desk: Desk) -> None:
    ticket = await draft(gql, desk.alice)
    before = await snapshot(ticket["id"])
    user_id = (await gql.data(ME, token=desk.alice.token))["me"]["id"]
    event_id = to_global_id("TicketEvent", (await events_of(ticket["id"]))[0].id)
    bare = str(pk(ticket["id"]))
    bad_ids = [
        user_id,
        event_id,
        bare,
        "not-an-id",
        "",
        "!!!",
        to_global_id("Ticket", 999_999),
        "VGlja2V0Oi0x",  # "Ticket:-1"
        "VGlja2V0OmFiYw==",  # "Ticket:abc"
        "Ticket:" + bare,
        "\u0000",
        "👩‍💻",
    ]
    for bad in bad_ids:
        for query, variables in (
            (UPDATE_DRAFT, {"input": {"id": bad, "subject": "Hijacked subject!"}}),
            (DELETE_DRAFT, {"input": {"id": bad}}),
            (SUBMIT_TICKET, {"input": {"id": bad}}),
        ):
            body = await gql(query, variables, token=desk.alice.token)
            assert "errors" not in body, (bad, body)
            payload = next(iter(body["data"].values()))
            assert codes(payload) == ["NOT_FOUND"], (bad, payload)
        queries = (TICKET_BY_ID,) if bad in (user_id, event_id) else (TICKET_BY_ID, NODE)
        for query in queries:
            body = await gql(query, {"id": bad}, token=desk.alice.token)
            assert_no_internal_error(body)
            assert body["data"] is not None, (bad, body)
            assert next(iter(body["data"].values())) is None, (bad, body)
    assert await snapshot(ticket["id"]) == before


@pytest.mark.parametrize("key", [2**31, 2**63, 10**30])
async def test_out_of_range_ticket_ids_are_not_found(
    gql: GraphQLClient, desk: Desk, key: int
) -> None:
    """A well-formed Ticket id whose key no database integer can hold: missing, not a crash."""
    ticket = await draft(gql, desk.alice)
    before = await snapshot(ticket["id"])
    huge = to_global_id("Ticket", key)
    for query, variables in (
        (UPDATE_DRAFT, {"input": {"id": huge, "subject": "Hijacked subject!"}}),
        (DELETE_DRAFT, {"input": {"id": huge}}),
        (SUBMIT_TICKET, {"input": {"id": huge}}),
    ):
        body = await gql(query, variables, token=desk.alice.token)
        assert_no_internal_error(body)
        assert "errors" not in body, body
        assert codes(next(iter(body["data"].values()))) == ["NOT_FOUND"]
    for query in (TICKET_BY_ID, NODE):
        body = await gql(query, {"id": huge}, token=desk.alice.token)
        assert_no_internal_error(body)
        assert "errors" not in body, body
        assert next(iter(body["data"].values())) is None
    assert await snapshot(ticket["id"]) == before
