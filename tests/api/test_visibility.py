"""Who sees what over GraphQL: tickets, users, teams, tokens and the no-existence-leak rule."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from app.models import Membership, Team, Ticket, TicketEvent, User
from app.models.enums import Role, TicketStatus, TicketType
from app.schema.ids import to_global_id
from app.services import auth
from app.services import tickets as ticket_service
from app.services.routing import set_route
from tests.conftest import (
    PASSWORD,
    TEST_SECRET,
    Desk,
    GraphQLClient,
    MakePerson,
    Person,
    make_ticket,
)

LIST = """
query List($filter: TicketFilter, $first: Int) {
  tickets(filter: $filter, first: $first) {
    totalCount
    edges { node { id number } }
    pageInfo { hasNextPage hasPreviousPage }
  }
}
"""

COUNT = "query Count($filter: TicketFilter) { tickets(filter: $filter) { totalCount } }"

BY_ID = """
query ById($id: ID) {
  ticket(id: $id) { id number subject team { name } author { displayName } }
}
"""

BY_NUMBER = """
query ByNumber($number: Int) {
  ticket(number: $number) { id number subject team { name } author { displayName } }
}
"""

BOTH = """
query Both($id: ID, $number: Int) { ticket(id: $id, number: $number) { id } }
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename
    id
    ... on Ticket { number subject }
    ... on User { email displayName role }
    ... on Team { name kind }
    ... on TicketEvent { eventKind: kind }
  }
}
"""

ME = "query Me { me { id email displayName role teams { name } } }"

TICKET_PEOPLE = """
query People($number: Int!) {
  ticket(number: $number) {
    number
    author { id displayName teams { name kind } }
    assignee { id teams { name } }
    team { id name }
  }
}
"""

HISTORY_IDS = """
query History($number: Int!) {
  ticket(number: $number) { history(first: 10) { edges { node { id kind } } } }
}
"""

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) {
    token
    user { id email }
    userErrors { field message code }
  }
}
"""


# --- fixtures and helpers -----------------------------------------------------------------------


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


@dataclass
class World:
    """Tickets of every kind: drafts, routed to each team, by several authors."""

    alice_draft: Ticket
    alice_incident: Ticket  # Support
    alice_feature: Ticket  # Product
    bob_incident: Ticket  # Support
    bob_question: Ticket  # Partner
    bob_draft: Ticket
    support_draft: Ticket
    support_feature: Ticket  # Product, authored by the Support handler
    admin_draft: Ticket
    admin_question: Ticket  # Partner
    alice_other: Ticket  # Other Partner (FEATURE_REQUEST routed there for a while)

    def all(self) -> list[Ticket]:
        return list(vars(self).values())


async def build_world(desk: Desk) -> World:
    alice_draft = await make_ticket(desk.alice, "Alice draft about invoices", submit=False)
    alice_incident = await make_ticket(desk.alice, "Alice incident with reservation")
    alice_feature = await make_ticket(
        desk.alice, "Alice feature request export", type=TicketType.FEATURE_REQUEST
    )
    bob_incident = await make_ticket(desk.bob, "Bob incident with reservation")
    await set_route(ticket_type=TicketType.QUESTION, team_name="Partner")
    bob_question = await make_ticket(
        desk.bob, "Bob question for the partner", type=TicketType.QUESTION
    )
    bob_draft = await make_ticket(desk.bob, "Bob draft about reservation", submit=False)
    support_draft = await make_ticket(desk.support, "Support handler draft note", submit=False)
    support_feature = await make_ticket(
        desk.support, "Support handler feature idea", type=TicketType.FEATURE_REQUEST
    )
    admin_draft = await make_ticket(desk.admin, "Admin draft about reservation", submit=False)
    admin_question = await make_ticket(
        desk.admin, "Admin question for the partner", type=TicketType.QUESTION
    )
    await set_route(ticket_type=TicketType.FEATURE_REQUEST, team_name="Other Partner")
    alice_other = await make_ticket(
        desk.alice, "Alice request for other partner", type=TicketType.FEATURE_REQUEST
    )
    await set_route(ticket_type=TicketType.FEATURE_REQUEST, team_name="Product")
    await set_route(ticket_type=TicketType.QUESTION, team_name="Support")
    return World(
        alice_draft=alice_draft,
        alice_incident=alice_incident,
        alice_feature=alice_feature,
        bob_incident=bob_incident,
        bob_question=bob_question,
        bob_draft=bob_draft,
        support_draft=support_draft,
        support_feature=support_feature,
        admin_draft=admin_draft,
        admin_question=admin_question,
        alice_other=alice_other,
    )


async def listed(gql: GraphQLClient, person: Person, flt: dict[str, Any] | None = None) -> set[int]:
    data = await gql.data(LIST, {"filter": flt, "first": 100}, token=person.token)
    numbers = [e["node"]["number"] for e in data["tickets"]["edges"]]
    assert len(numbers) == len(set(numbers))
    assert data["tickets"]["totalCount"] == len(numbers), (flt, data)
    return set(numbers)


async def count(gql: GraphQLClient, person: Person, flt: dict[str, Any] | None = None) -> int:
    data = await gql.data(COUNT, {"filter": flt}, token=person.token)
    return int(data["tickets"]["totalCount"])


def numbers(*tickets: Ticket) -> set[int]:
    return {t.number for t in tickets}


def top_error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    error = body["errors"][0]
    # An unexpected exception is masked as "Internal error": that is not a clear error.
    assert error.get("extensions", {}).get("code") != "INTERNAL_SERVER_ERROR", error
    assert error["message"] != "Internal error", error
    return error


def assert_unauthenticated(body: dict[str, Any]) -> None:
    error = top_error(body)
    assert error["extensions"]["code"] == "UNAUTHENTICATED", body
    assert body.get("data") in (None, {}) or all(v is None for v in body["data"].values()), body


# --- tickets: who sees which --------------------------------------------------------------------


async def test_requester_sees_only_own_tickets(gql: GraphQLClient, desk: Desk) -> None:
    w = await build_world(desk)
    alice_own = numbers(w.alice_draft, w.alice_incident, w.alice_feature, w.alice_other)
    assert await listed(gql, desk.alice) == alice_own
    assert await count(gql, desk.alice) == len(alice_own)
    bob_own = numbers(w.bob_incident, w.bob_question, w.bob_draft)
    assert await listed(gql, desk.bob) == bob_own
    # Not even a handler's or admin's ticket on a shared team.
    for hidden in (w.bob_incident, w.bob_draft, w.admin_question, w.support_feature):
        body = await gql.data(BY_NUMBER, {"number": hidden.number}, token=desk.alice.token)
        assert body == {"ticket": None}
    body = await gql.data(BY_NUMBER, {"number": w.alice_draft.number}, token=desk.alice.token)
    assert body["ticket"]["subject"] == "Alice draft about invoices"


async def test_internal_handler_sees_their_team_and_own(gql: GraphQLClient, desk: Desk) -> None:
    w = await build_world(desk)
    # Support: non-drafts routed to Support, plus own tickets (the draft too).
    expected = numbers(w.alice_incident, w.bob_incident, w.support_draft, w.support_feature)
    assert await listed(gql, desk.support) == expected
    expected_product = numbers(w.alice_feature, w.support_feature)
    assert await listed(gql, desk.product) == expected_product
    for hidden in (w.alice_draft, w.bob_draft, w.admin_draft, w.bob_question, w.alice_other):
        assert await gql.data(BY_NUMBER, {"number": hidden.number}, token=desk.support.token) == {
            "ticket": None
        }
    # A draft routed nowhere yet stays private even when its type routes to Support.
    assert w.bob_draft.number not in await listed(gql, desk.support, {"status": ["DRAFT"]})


async def test_admin_sees_every_non_draft_and_own_drafts(gql: GraphQLClient, desk: Desk) -> None:
    w = await build_world(desk)
    expected = {t.number for t in w.all() if t.status != TicketStatus.DRAFT} | numbers(
        w.admin_draft
    )
    assert await listed(gql, desk.admin) == expected
    assert await listed(gql, desk.admin, {"status": ["DRAFT"]}) == numbers(w.admin_draft)
    for draft in (w.alice_draft, w.bob_draft, w.support_draft):
        body = await gql.data(BY_ID, {"id": gid("Ticket", draft.id)}, token=desk.admin.token)
        assert body == {"ticket": None}
        body = await gql.data(NODE, {"id": gid("Ticket", draft.id)}, token=desk.admin.token)
        assert body == {"node": None}


async def test_external_handler_sees_only_their_team(gql: GraphQLClient, desk: Desk) -> None:
    w = await build_world(desk)
    partner_tickets = numbers(w.bob_question, w.admin_question)
    assert await listed(gql, desk.partner) == partner_tickets
    assert await count(gql, desk.partner) == 2
    assert await listed(gql, desk.other_partner) == numbers(w.alice_other)
    # Filters never widen what is visible, and count only what is visible.
    assert await listed(gql, desk.partner, {"status": ["OPEN", "DRAFT"]}) == partner_tickets
    assert await listed(gql, desk.partner, {"type": ["INCIDENT", "FEATURE_REQUEST"]}) == set()
    assert await count(gql, desk.partner, {"type": ["INCIDENT"]}) == 0
    assert await listed(gql, desk.partner, {"authorId": gid("User", desk.alice.id)}) == set()
    assert await listed(gql, desk.partner, {"mine": False}) == partner_tickets
    assert await listed(gql, desk.partner, {"overdue": False}) == partner_tickets


async def test_changes_of_role_and_membership_apply_at_once(gql: GraphQLClient, desk: Desk) -> None:
    w = await build_world(desk)
    partner_team = await Team.get(name="Partner")
    assert await listed(gql, desk.partner) == numbers(w.bob_question, w.admin_question)
    # Out of the team: nothing of it any more, with the same token.
    await Membership.filter(user_id=desk.partner.id, team_id=partner_team.id).delete()
    assert await listed(gql, desk.partner) == set()
    body = await gql(BY_NUMBER, {"number": w.bob_question.number}, token=desk.partner.token)
    assert body == {"data": {"ticket": None}}
    # Into another team: its tickets at once.
    await Membership.create(user_id=desk.partner.id, team_id=partner_team.id)
    support_team = await Team.get(name="Support")
    await Membership.create(user_id=desk.partner.id, team_id=support_team.id)
    assert await listed(gql, desk.partner) == numbers(
        w.bob_question, w.admin_question, w.alice_incident, w.bob_incident
    )
    # Demoted to requester: only their own tickets, whatever their teams.
    await User.filter(id=desk.support.id).update(role=Role.REQUESTER)
    assert await listed(gql, desk.support) == numbers(w.support_draft, w.support_feature)
    # Promoted to admin: every non-draft and their own drafts, not other admins' drafts.
    await User.filter(id=desk.bob.id).update(role=Role.ADMIN)
    expected = {t.number for t in w.all() if t.status != TicketStatus.DRAFT}
    assert await listed(gql, desk.bob) == expected | numbers(w.bob_draft)
    assert w.admin_draft.number not in await listed(gql, desk.bob)


async def test_requester_in_a_team_still_sees_only_own(gql: GraphQLClient, desk: Desk) -> None:
    w = await build_world(desk)
    support_team = await Team.get(name="Support")
    await Membership.create(user_id=desk.alice.id, team_id=support_team.id)
    assert await listed(gql, desk.alice) == numbers(
        w.alice_draft, w.alice_incident, w.alice_feature, w.alice_other
    )
    body = await gql(BY_NUMBER, {"number": w.bob_incident.number}, token=desk.alice.token)
    assert body == {"data": {"ticket": None}}


async def test_external_handler_cannot_search_or_filter_other_teams(
    gql: GraphQLClient, desk: Desk
) -> None:
    w = await build_world(desk)
    support = await Team.get(name="Support")
    partner = await Team.get(name="Partner")
    # Many Support tickets mention "reservation": none of them leaks, nor their count.
    assert await listed(gql, desk.partner, {"search": "reservation"}) == set()
    assert await count(gql, desk.partner, {"search": "reservation"}) == 0
    assert await listed(gql, desk.partner, {"search": "partner"}) == numbers(
        w.bob_question, w.admin_question
    )
    # Filtering on a team one may not see answers like a team that does not exist.
    hidden_team = await gql(
        LIST, {"filter": {"teamId": gid("Team", support.id)}}, token=desk.partner.token
    )
    missing_team = await gql(
        LIST, {"filter": {"teamId": gid("Team", 987_654)}}, token=desk.partner.token
    )
    assert hidden_team == missing_team
    assert hidden_team["data"]["tickets"]["totalCount"] == 0
    assert await listed(gql, desk.partner, {"teamId": gid("Team", partner.id)}) == numbers(
        w.bob_question, w.admin_question
    )
    assert await listed(gql, desk.other_partner, {"teamId": gid("Team", partner.id)}) == set()


async def test_hidden_ticket_answers_exactly_like_a_missing_one(
    gql: GraphQLClient, desk: Desk
) -> None:
    w = await build_world(desk)
    visible = numbers(w.bob_question, w.admin_question)
    highest = max(t.number for t in w.all())
    missing_by_number = await gql(BY_NUMBER, {"number": highest + 1}, token=desk.partner.token)
    assert missing_by_number == {"data": {"ticket": None}}
    missing_id = gid("Ticket", max(t.id for t in w.all()) + 100)
    missing_by_id = await gql(BY_ID, {"id": missing_id}, token=desk.partner.token)
    assert missing_by_id == {"data": {"ticket": None}}
    missing_node = await gql(NODE, {"id": missing_id}, token=desk.partner.token)
    assert missing_node == {"data": {"node": None}}
    # Every number around the partner's tickets: hidden ones answer like missing ones.
    for number in range(0, highest + 4):
        body = await gql(BY_NUMBER, {"number": number}, token=desk.partner.token)
        if number in visible:
            assert body["data"]["ticket"]["number"] == number
        else:
            assert body == missing_by_number, number
    for ticket in w.all():
        by_id = await gql(BY_ID, {"id": gid("Ticket", ticket.id)}, token=desk.partner.token)
        node = await gql(NODE, {"id": gid("Ticket", ticket.id)}, token=desk.partner.token)
        if ticket.number in visible:
            assert by_id["data"]["ticket"]["number"] == ticket.number
            assert node["data"]["node"] == {
                "__typename": "Ticket",
                "id": gid("Ticket", ticket.id),
                "number": ticket.number,
                "subject": ticket.subject,
            }
        else:
            assert by_id == missing_by_id, ticket.subject
            assert node == missing_node, ticket.subject


async def test_history_events_of_hidden_tickets_are_hidden(gql: GraphQLClient, desk: Desk) -> None:
    w = await build_world(desk)
    events = await TicketEvent.filter(ticket_id=w.bob_incident.id)
    assert events
    for event in events:
        body = await gql(NODE, {"id": gid("TicketEvent", event.id)}, token=desk.partner.token)
        assert body == {"data": {"node": None}}
        seen = await gql.data(NODE, {"id": gid("TicketEvent", event.id)}, token=desk.support.token)
        assert seen["node"]["__typename"] == "TicketEvent"
    # The author sees the history of their draft; the admin does not.
    draft_events = await TicketEvent.filter(ticket_id=w.alice_draft.id)
    for event in draft_events:
        body = await gql.data(NODE, {"id": gid("TicketEvent", event.id)}, token=desk.admin.token)
        assert body == {"node": None}
        own = await gql.data(NODE, {"id": gid("TicketEvent", event.id)}, token=desk.alice.token)
        assert own["node"]["eventKind"] == "CREATED"
    history = await gql.data(
        HISTORY_IDS, {"number": w.bob_question.number}, token=desk.partner.token
    )
    kinds = [e["node"]["kind"] for e in history["ticket"]["history"]["edges"]]
    assert kinds == ["CREATED", "SUBMITTED"]


@pytest.mark.parametrize(
    "variables",
    [{}, {"id": None, "number": None}, {"number": None}, {"id": "x", "number": 1}],
)
async def test_ticket_needs_exactly_one_of_id_and_number(
    gql: GraphQLClient, desk: Desk, variables: dict[str, Any]
) -> None:
    ticket = await make_ticket(desk.alice, "Exactly one argument test")
    if "id" in variables and variables["id"] == "x":
        variables = {"id": gid("Ticket", ticket.id), "number": ticket.number}
    body = await gql(BOTH, variables, token=desk.alice.token)
    error = top_error(body)
    assert body["data"] == {"ticket": None} or body["data"] is None
    message = error["message"].lower()
    assert "id" in message, error
    assert "number" in message, error


async def test_ids_of_another_type_are_null(gql: GraphQLClient, desk: Desk) -> None:
    w = await build_world(desk)
    support = await Team.get(name="Support")
    event = await TicketEvent.filter(ticket_id=w.alice_incident.id).first()
    assert event is not None
    # Same keys as visible tickets, but of other types.
    wrong_ids = [
        gid("User", w.alice_incident.id),
        gid("Team", w.alice_incident.id),
        gid("TicketEvent", w.alice_incident.id),
        gid("User", desk.alice.id),
        gid("Team", support.id),
        gid("Thing", w.alice_incident.id),
        gid("ticket", w.alice_incident.id),
        str(w.alice_incident.id),
        "garbage",
        base64.b64encode(f"Ticket:{w.alice_incident.id}x".encode()).decode(),
        base64.b64encode(b"Ticket:-1").decode(),
        base64.b64encode(f"Ticket:0{w.alice_incident.id}".encode()).decode(),
    ]
    for wrong in wrong_ids:
        body = await gql(BY_ID, {"id": wrong}, token=desk.alice.token)
        assert body == {"data": {"ticket": None}}, wrong
    for wrong in [
        gid("Thing", w.alice_incident.id),
        gid("ticket", w.alice_incident.id),
        str(w.alice_incident.id),
        "garbage",
        base64.b64encode(b"Ticket:abc").decode(),
    ]:
        body = await gql(NODE, {"id": wrong}, token=desk.alice.token)
        assert body == {"data": {"node": None}}, wrong
    # The ticket's own id still works.
    body = await gql.data(BY_ID, {"id": gid("Ticket", w.alice_incident.id)}, token=desk.alice.token)
    assert body["ticket"]["number"] == w.alice_incident.number


@pytest.mark.parametrize("key", [2**31 - 1, 2**31, 2**63, 10**20])
async def test_ids_with_out_of_range_keys_answer_like_missing(
    gql: GraphQLClient, desk: Desk, key: int
) -> None:
    await build_world(desk)
    for viewer in (desk.admin, desk.partner, desk.alice):
        body = await gql(BY_ID, {"id": gid("Ticket", key)}, token=viewer.token)
        assert body == {"data": {"ticket": None}}, (viewer.user.email, body)
        for type_name in ("Ticket", "User", "Team", "TicketEvent"):
            body = await gql(NODE, {"id": gid(type_name, key)}, token=viewer.token)
            assert body == {"data": {"node": None}}, (viewer.user.email, type_name, body)


# --- users and teams are not a directory ---------------------------------------------------------


async def test_user_node_visibility(
    gql: GraphQLClient, desk: Desk, make_person: MakePerson
) -> None:
    carol = await make_person(Role.REQUESTER, email="carol@example.com")
    await make_ticket(carol, "Carol draft not submitted", submit=False)
    dave = await make_person(Role.REQUESTER, email="dave@example.com")
    await set_route(ticket_type=TicketType.QUESTION, team_name="Partner")
    await make_ticket(dave, "Dave question for partner", type=TicketType.QUESTION)
    await make_ticket(desk.alice, "Alice incident for support")

    async def user_node(viewer: Person, target: Person) -> dict[str, Any]:
        return await gql(NODE, {"id": gid("User", target.id)}, token=viewer.token)

    missing = await gql(NODE, {"id": gid("User", 999_999)}, token=desk.partner.token)
    assert missing == {"data": {"node": None}}

    def shown(body: dict[str, Any], target: Person) -> bool:
        node = body["data"]["node"]
        if node is None:
            assert body == missing
            return False
        assert node["__typename"] == "User"
        assert node["id"] == gid("User", target.id)
        assert node["email"] == target.user.email
        return True

    # Themself and admins.
    for person in (desk.alice, carol, desk.partner, desk.admin):
        assert shown(await user_node(person, person), person)
    for target in (desk.alice, carol, dave, desk.partner, desk.support):
        assert shown(await user_node(desk.admin, target), target)
    # Handlers who see one of the user's tickets.
    assert shown(await user_node(desk.support, desk.alice), desk.alice)
    assert shown(await user_node(desk.partner, dave), dave)
    assert not shown(await user_node(desk.partner, desk.alice), desk.alice)
    assert not shown(await user_node(desk.support, dave), dave)
    # A draft is private: it does not reveal its author.
    assert not shown(await user_node(desk.support, carol), carol)
    # Requesters see nobody else, not even who handles their tickets.
    assert not shown(await user_node(desk.alice, desk.bob), desk.bob)
    assert not shown(await user_node(desk.alice, desk.support), desk.support)
    assert not shown(await user_node(desk.alice, desk.admin), desk.admin)
    # Handlers do not see each other or admins through node.
    assert not shown(await user_node(desk.partner, desk.other_partner), desk.other_partner)
    assert not shown(await user_node(desk.partner, desk.admin), desk.admin)
    assert not shown(await user_node(desk.product, desk.alice), desk.alice)


async def test_team_node_visibility(gql: GraphQLClient, desk: Desk) -> None:
    teams = {t.name: t for t in await Team.all()}

    async def team_node(viewer: Person, name: str) -> dict[str, Any] | None:
        body = await gql(NODE, {"id": gid("Team", teams[name].id)}, token=viewer.token)
        assert "errors" not in body, body
        return body["data"]["node"]

    missing = await gql(NODE, {"id": gid("Team", 999_999)}, token=desk.alice.token)
    assert missing == {"data": {"node": None}}
    # Members and admins.
    assert await team_node(desk.support, "Support") == {
        "__typename": "Team",
        "id": gid("Team", teams["Support"].id),
        "name": "Support",
        "kind": "INTERNAL",
    }
    assert (await team_node(desk.partner, "Partner") or {}).get("kind") == "EXTERNAL"
    for name in teams:
        assert (await team_node(desk.admin, name) or {}).get("name") == name
    # Nobody else, before any ticket is routed.
    for viewer, name in [
        (desk.alice, "Support"),
        (desk.partner, "Support"),
        (desk.partner, "Other Partner"),
        (desk.support, "Product"),
        (desk.support, "Partner"),
    ]:
        assert await team_node(viewer, name) is None, (viewer.user.email, name)
    # A draft is not routed: it shows no team.
    draft = await make_ticket(desk.alice, "Alice draft about a team", submit=False)
    assert await team_node(desk.alice, "Support") is None
    # Whoever sees a ticket routed to a team sees that team, and only that one.
    await ticket_service.submit_ticket(actor=await desk.alice.actor(), ticket_id=draft.id)
    assert (await team_node(desk.alice, "Support") or {}).get("name") == "Support"
    assert await team_node(desk.alice, "Product") is None
    assert await team_node(desk.bob, "Support") is None
    assert await team_node(desk.partner, "Support") is None
    # A handler who is the author of a ticket routed to another team sees that team.
    await make_ticket(desk.partner, "Partner asks support something")
    assert (await team_node(desk.partner, "Support") or {}).get("name") == "Support"
    assert await team_node(desk.other_partner, "Support") is None


async def test_nested_user_teams_only_lists_visible_teams(
    gql: GraphQLClient, desk: Desk, make_person: MakePerson
) -> None:
    # A handler in Support and Product writes a question routed to Partner.
    both = await make_person(Role.HANDLER, ["Support", "Product"], email="both@example.com")
    await set_route(ticket_type=TicketType.QUESTION, team_name="Partner")
    question = await make_ticket(both, "Question from a busy handler", type=TicketType.QUESTION)
    await Ticket.filter(id=question.id).update(assignee_id=desk.partner.id)

    async def people(viewer: Person) -> dict[str, Any]:
        data = await gql.data(TICKET_PEOPLE, {"number": question.number}, token=viewer.token)
        return data["ticket"]

    seen_by_partner = await people(desk.partner)
    assert seen_by_partner["author"]["displayName"] == both.user.display_name
    assert seen_by_partner["author"]["teams"] == []
    assert seen_by_partner["assignee"]["teams"] == [{"name": "Partner"}]
    assert seen_by_partner["team"]["name"] == "Partner"
    seen_by_admin = await people(desk.admin)
    assert sorted(t["name"] for t in seen_by_admin["author"]["teams"]) == ["Product", "Support"]
    seen_by_author = await people(both)
    assert sorted(t["name"] for t in seen_by_author["author"]["teams"]) == ["Product", "Support"]
    # The other partner sees neither the ticket nor, through anything, these teams.
    hidden = await gql(TICKET_PEOPLE, {"number": question.number}, token=desk.other_partner.token)
    assert hidden == {"data": {"ticket": None}}
    # A Support handler sees the Support team of the author of a ticket routed to Support,
    # not the author's Product team.
    ticket = await make_ticket(both, "Incident reported by both")
    data = await gql.data(TICKET_PEOPLE, {"number": ticket.number}, token=desk.support.token)
    assert data["ticket"]["author"]["teams"] == [{"name": "Support", "kind": "INTERNAL"}]
    data = await gql.data(TICKET_PEOPLE, {"number": ticket.number}, token=desk.product.token)
    assert data == {"ticket": None}


# --- me and tokens ------------------------------------------------------------------------------


async def test_me(gql: GraphQLClient, desk: Desk) -> None:
    data = await gql.data(ME, token=desk.support.token)
    assert data["me"] == {
        "id": gid("User", desk.support.id),
        "email": desk.support.user.email,
        "displayName": desk.support.user.display_name,
        "role": "HANDLER",
        "teams": [{"name": "Support"}],
    }
    assert (await gql.data(ME, token=desk.alice.token))["me"]["id"] == gid("User", desk.alice.id)
    assert await gql(ME) == {"data": {"me": None}}
    # Other operations need a token.
    assert_unauthenticated(await gql(COUNT))


async def test_deactivated_user_is_refused_at_once(gql: GraphQLClient, desk: Desk) -> None:
    await make_ticket(desk.alice, "Alice ticket before leaving")
    assert await count(gql, desk.alice) == 1
    await User.filter(id=desk.alice.id).update(is_active=False)
    assert_unauthenticated(await gql(COUNT, token=desk.alice.token))
    assert_unauthenticated(await gql(BY_NUMBER, {"number": 1}, token=desk.alice.token))
    assert_unauthenticated(
        await gql(NODE, {"id": gid("User", desk.alice.id)}, token=desk.alice.token)
    )
    assert await gql(ME, token=desk.alice.token) == {"data": {"me": None}}
    # Nor can they sign in again, and the refusal tells nothing more than for a stranger.
    body = await gql.data(LOGIN, {"email": desk.alice.user.email, "password": PASSWORD})
    assert body["login"]["token"] is None
    assert body["login"]["userErrors"]
    stranger = await gql.data(LOGIN, {"email": "nobody@example.com", "password": PASSWORD})
    assert body == stranger


def forged_tokens(user_id: int) -> dict[str, str]:
    now = datetime.now(UTC)
    good = auth.issue_token(user_id)
    head, payload, signature = good.split(".")
    other_claims = (
        base64.urlsafe_b64encode(
            json.dumps(
                {"sub": str(user_id + 1), "iat": int(now.timestamp()), "exp": 9_999_999_999}
            ).encode()
        )
        .decode()
        .rstrip("=")
    )
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    return {
        "expired": jwt.encode(
            {
                "sub": str(user_id),
                "iat": now - timedelta(days=2),
                "exp": now - timedelta(seconds=5),
            },
            TEST_SECRET,
            algorithm="HS256",
        ),
        "other secret": jwt.encode(
            {"sub": str(user_id), "iat": now, "exp": now + timedelta(hours=1)},
            "another-secret-that-is-long-enough-for-hs256",
            algorithm="HS256",
        ),
        "payload swapped": f"{head}.{other_claims}.{signature}",
        "signature cut": f"{head}.{payload}.{signature[:-4]}",
        "alg none": f"{none_header}.{payload}.",
        "garbage": "not-a-token",
        "unknown user": jwt.encode(
            {"sub": "999999", "iat": now, "exp": now + timedelta(hours=1)},
            TEST_SECRET,
            algorithm="HS256",
        ),
    }


async def test_expired_or_tampered_tokens_are_unauthenticated(
    gql: GraphQLClient, desk: Desk
) -> None:
    await make_ticket(desk.alice, "Ticket behind a token check")
    for name, token in forged_tokens(desk.alice.id).items():
        body = await gql(COUNT, token=token)
        assert body.get("errors"), name
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", (name, body)
        assert await gql(ME, token=token) == {"data": {"me": None}}, name
    # Other schemes or a missing token part are no token at all.
    for header in ("Basic YWxpY2U6cHc=", "Bearer", "Token " + desk.alice.token):
        body = await gql(COUNT, headers={"authorization": header})
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", header


async def test_login_failures_answer_alike(gql: GraphQLClient, desk: Desk) -> None:
    ok = await gql.data(LOGIN, {"email": desk.alice.user.email, "password": PASSWORD})
    assert ok["login"]["userErrors"] == []
    assert ok["login"]["user"] == {"id": gid("User", desk.alice.id), "email": desk.alice.user.email}
    me = await gql.data(ME, token=ok["login"]["token"])
    assert me["me"]["id"] == gid("User", desk.alice.id)

    wrong_password = await gql.data(
        LOGIN, {"email": desk.alice.user.email, "password": "wrong password!"}
    )
    unknown_email = await gql.data(LOGIN, {"email": "nobody@example.com", "password": PASSWORD})
    for failed in (wrong_password, unknown_email):
        assert failed["login"]["token"] is None
        assert failed["login"]["user"] is None
        assert len(failed["login"]["userErrors"]) == 1
    assert wrong_password == unknown_email
    error = wrong_password["login"]["userErrors"][0]
    assert error["message"]
    assert error["code"] in ("VALIDATION", "NOT_FOUND", "FORBIDDEN")
