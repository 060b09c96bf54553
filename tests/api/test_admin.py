"""Routing administration over GraphQL: teams, memberships, routing rules, calendars, delays."""

from __future__ import annotations

from typing import Any

from app.models import Calendar, Membership, RoutingRule, Team
from app.models.enums import Role, TicketType
from app.schema.ids import to_global_id
from tests.conftest import Desk, GraphQLClient, MakePerson, Person, make_ticket

ERRORS = "userErrors { field message code }"


async def mutate(
    gql: GraphQLClient, person: Person, field: str, input_type: str, body: str, **input: Any
) -> dict[str, Any]:
    query = f"mutation M($input: {input_type}!) {{ {field}(input: $input) {{ {body} {ERRORS} }} }}"
    return (await gql.data(query, {"input": input}, token=person.token))[field]


async def create_team(gql: GraphQLClient, person: Person, **input: Any) -> dict[str, Any]:
    return await mutate(
        gql, person, "createTeam", "CreateTeamInput", "team { id name kind }", **input
    )


async def test_only_admins_administer(gql: GraphQLClient, desk: Desk) -> None:
    support = await Team.get(name="Support")
    for person in (desk.support, desk.partner, desk.alice):
        team = await create_team(gql, person, name="Night shift", kind="INTERNAL")
        rule = await mutate(
            gql,
            person,
            "setRoutingRule",
            "SetRoutingRuleInput",
            "routingRule { type }",
            type="FEATURE_REQUEST",
            teamId=to_global_id("Team", support.id),
        )
        calendar = await mutate(
            gql,
            person,
            "createCalendar",
            "CreateCalendarInput",
            "calendar { id }",
            name="Mine",
            timeZone="UTC",
            openingHours=[{"weekday": 0, "opens": "08:00", "closes": "12:00"}],
        )
        delay = await mutate(
            gql,
            person,
            "setResponseDelay",
            "SetResponseDelayInput",
            "responseDelay { minutes }",
            priority="P1",
            minutes=5,
            counting="AROUND_THE_CLOCK",
        )
        for payload in (team, rule, calendar, delay):
            assert [e["code"] for e in payload["userErrors"]] == ["FORBIDDEN"]
    assert not await Team.exists(name="Night shift")
    assert not await Calendar.exists(name="Mine")
    rule = await RoutingRule.get(ticket_type=TicketType.FEATURE_REQUEST).select_related("team")
    assert rule.team.name == "Product"
    refused = await gql("query { routingRules { type } }", token=desk.support.token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_teams_members_and_routing_take_effect_at_once(
    gql: GraphQLClient, desk: Desk, make_person: MakePerson
) -> None:
    created = await create_team(gql, desk.admin, name="  Hosting partner  ", kind="EXTERNAL")
    assert created["userErrors"] == []
    assert created["team"]["name"] == "Hosting partner"
    team_id = created["team"]["id"]
    again = await create_team(gql, desk.admin, name="Hosting partner", kind="INTERNAL")
    assert [e["code"] for e in again["userErrors"]] == ["CONFLICT"]

    external = await make_person(Role.HANDLER)
    joined = await mutate(
        gql,
        desk.admin,
        "addTeamMember",
        "AddTeamMemberInput",
        "team { members { id } }",
        teamId=team_id,
        userId=to_global_id("User", external.id),
    )
    assert joined["team"]["members"] == [{"id": to_global_id("User", external.id)}]
    requester = await mutate(
        gql,
        desk.admin,
        "addTeamMember",
        "AddTeamMemberInput",
        "team { id }",
        teamId=team_id,
        userId=to_global_id("User", desk.alice.id),
    )
    assert [e["code"] for e in requester["userErrors"]] == ["VALIDATION"]
    assert not await Membership.exists(user_id=desk.alice.id)

    routed = await mutate(
        gql,
        desk.admin,
        "setRoutingRule",
        "SetRoutingRuleInput",
        "routingRule { type team { name } }",
        type="QUESTION",
        teamId=team_id,
    )
    assert routed == {
        "routingRule": {"type": "QUESTION", "team": {"name": "Hosting partner"}},
        "userErrors": [],
    }
    question = await make_ticket(desk.alice, type=TicketType.QUESTION)
    incident = await make_ticket(desk.alice, type=TicketType.INCIDENT)
    see = "query T($id: ID!) { ticket(id: $id) { id team { name } } }"

    async def seen_by(person: Person, ticket_id: int) -> Any:
        result = await gql.data(see, {"id": to_global_id("Ticket", ticket_id)}, token=person.token)
        return result["ticket"]

    assert (await seen_by(external, question.id))["team"] == {"name": "Hosting partner"}
    assert await seen_by(external, incident.id) is None
    assert await seen_by(desk.support, question.id) is None
    # Re-typing re-routes: the incident becomes a question, and the partner's.
    adjusted = await mutate(
        gql,
        desk.admin,
        "adjustTicket",
        "AdjustTicketInput",
        "ticket { team { name } }",
        id=to_global_id("Ticket", incident.id),
        type="QUESTION",
    )
    assert adjusted["ticket"]["team"] == {"name": "Hosting partner"}
    assert await seen_by(external, incident.id) is not None

    left = await mutate(
        gql,
        desk.admin,
        "removeTeamMember",
        "RemoveTeamMemberInput",
        "team { members { id } }",
        teamId=team_id,
        userId=to_global_id("User", external.id),
    )
    assert left["team"]["members"] == []
    assert await seen_by(external, question.id) is None
    teams = await gql.data("query { teams { name } }", token=external.token)
    assert teams["teams"] == []


async def test_calendars_are_validated_and_given_to_teams(gql: GraphQLClient, desk: Desk) -> None:
    body = "calendar { id name timeZone openingHours { weekday opens closes } holidays }"
    hours = [{"weekday": 0, "opens": "08:00", "closes": "12:00"}]
    for bad in (
        {"timeZone": "Mars/Olympus", "openingHours": hours},
        {"timeZone": "UTC", "openingHours": []},
        {"timeZone": "UTC", "openingHours": [{"weekday": 7, "opens": "08:00", "closes": "12:00"}]},
        {"timeZone": "UTC", "openingHours": [{"weekday": 0, "opens": "12:00", "closes": "08:00"}]},
    ):
        refused = await mutate(
            gql, desk.admin, "createCalendar", "CreateCalendarInput", body, name="Bad", **bad
        )
        assert [e["code"] for e in refused["userErrors"]] == ["VALIDATION"], bad
        assert refused["userErrors"][0]["message"]
    assert not await Calendar.exists(name="Bad")

    made = await mutate(
        gql,
        desk.admin,
        "createCalendar",
        "CreateCalendarInput",
        body,
        name="Montreal",
        timeZone="America/Toronto",
        openingHours=hours,
        holidays=["2027-07-01"],
    )
    assert made["userErrors"] == []
    assert made["calendar"]["holidays"] == ["2027-07-01"]
    support = await Team.get(name="Support")
    given = await mutate(
        gql,
        desk.admin,
        "updateTeam",
        "UpdateTeamInput",
        "team { calendar { name } }",
        id=to_global_id("Team", support.id),
        calendarId=made["calendar"]["id"],
    )
    assert given["team"]["calendar"] == {"name": "Montreal"}
    back = await mutate(
        gql,
        desk.admin,
        "updateTeam",
        "UpdateTeamInput",
        "team { calendar { name } }",
        id=to_global_id("Team", support.id),
        calendarId=None,
    )
    assert back["team"]["calendar"] is None
    listed = await gql.data("query { calendars { name isDefault } }", token=desk.support.token)
    assert listed["calendars"] == [
        {"name": "Default", "isDefault": True},
        {"name": "Montreal", "isDefault": False},
    ]


async def test_response_delays_are_set_per_priority(gql: GraphQLClient, desk: Desk) -> None:
    body = "responseDelay { priority minutes counting }"
    for minutes in (0, -5, 7 * 24 * 60 + 1):
        refused = await mutate(
            gql,
            desk.admin,
            "setResponseDelay",
            "SetResponseDelayInput",
            body,
            priority="P1",
            minutes=minutes,
            counting="BUSINESS_HOURS",
        )
        assert refused["userErrors"][0]["field"] == ["input", "minutes"]
    set_ = await mutate(
        gql,
        desk.admin,
        "setResponseDelay",
        "SetResponseDelayInput",
        body,
        priority="P1",
        minutes=30,
        counting="AROUND_THE_CLOCK",
    )
    assert set_["responseDelay"] == {
        "priority": "P1",
        "minutes": 30,
        "counting": "AROUND_THE_CLOCK",
    }
    delays = await gql.data(
        "query { responseDelays { priority minutes counting } }", token=desk.alice.token
    )
    assert delays["responseDelays"][0] == {
        "priority": "P1",
        "minutes": 30,
        "counting": "AROUND_THE_CLOCK",
    }
    assert [d["priority"] for d in delays["responseDelays"]] == ["P1", "P2", "P3", "P4"]
    ticket = await make_ticket(desk.alice, type=TicketType.INCIDENT, priority="P1")  # type: ignore[arg-type]
    assert ticket.submitted_at is not None
    assert ticket.response_due_at is not None
    assert (ticket.response_due_at - ticket.submitted_at).total_seconds() == 30 * 60
