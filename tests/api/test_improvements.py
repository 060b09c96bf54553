"""The list of improvements and fixes, and releases, over GraphQL: who may do what, merging,
planning order, publication and its notes, and who sees which items."""

from __future__ import annotations

import asyncio
from typing import Any

from app.models import Improvement, Ticket
from app.models.enums import Role, TicketType
from app.schema.ids import to_global_id
from app.services.routing import set_route
from app.services.users import update_user
from tests.conftest import Desk, GraphQLClient, MakePerson, Person, Server, make_ticket, subscribe

ITEM = "improvement { id title kind status priority votes tickets { totalCount nodes { number } } }"
ERRORS = "userErrors { field code message }"


def gid(ticket: Ticket) -> str:
    return to_global_id("Ticket", ticket.id)


async def mutate(gql: GraphQLClient, person: Person, name: str, fields: str, **payload: Any) -> Any:
    input_type = name[0].upper() + name[1:] + "Input"
    document = (
        f"mutation M($input: {input_type}!) {{ {name}(input: $input) {{ {fields} {ERRORS} }} }}"
    )
    return (await gql.data(document, {"input": payload}, token=person.token))[name]


async def propose(
    gql: GraphQLClient, person: Person, ticket: Ticket, title: str, kind: str = "IMPROVEMENT"
) -> Any:
    return await mutate(
        gql, person, "proposeImprovement", ITEM, ticketId=gid(ticket), title=title, kind=kind
    )


async def link(gql: GraphQLClient, person: Person, ticket: Ticket, item_id: str) -> Any:
    return await mutate(
        gql, person, "linkTicketToImprovement", ITEM, ticketId=gid(ticket), improvementId=item_id
    )


async def validate(gql: GraphQLClient, person: Person, item_id: str, priority: str) -> Any:
    return await mutate(gql, person, "validateImprovement", ITEM, id=item_id, priority=priority)


def codes(payload: Any) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


async def test_who_may_propose_link_and_curate(
    gql: GraphQLClient, desk: Desk, make_person: MakePerson
) -> None:
    feature = await make_ticket(desk.alice, type=TicketType.FEATURE_REQUEST)  # Product's
    draft = await make_ticket(desk.alice, type=TicketType.FEATURE_REQUEST, submit=False)
    for person, code in ((desk.alice, "FORBIDDEN"), (desk.support, "NOT_FOUND")):
        refused = await propose(gql, person, feature, "Export bookings as CSV")
        assert codes(refused) == [code], person
    assert codes(await propose(gql, desk.product, draft, "Export bookings as CSV")) == ["NOT_FOUND"]
    assert await Improvement.all().count() == 0

    made = await propose(gql, desk.product, feature, "  Export bookings as CSV ")
    assert made["userErrors"] == []
    item = made["improvement"]
    assert (item["title"], item["status"], item["priority"], item["votes"]) == (
        "Export bookings as CSV",
        "PROPOSED",
        None,
        1,
    )
    again = await propose(gql, desk.product, feature, "Another item for the same ticket")
    assert codes(again) == ["CONFLICT"]

    # Only validators validate: admins, and the users an admin marks.
    assert codes(await validate(gql, desk.product, item["id"], "P2")) == ["FORBIDDEN"]
    validator = await make_person(Role.HANDLER, ["Product"])
    await update_user(
        actor=await desk.admin.actor(), user_id=validator.id, changes={"validator": True}
    )
    validated = await validate(gql, validator, item["id"], "P2")
    assert validated["userErrors"] == []
    assert (validated["improvement"]["status"], validated["improvement"]["priority"]) == (
        "VALIDATED",
        "P2",
    )
    reprioritised = await validate(gql, desk.admin, item["id"], "P1")
    assert reprioritised["improvement"]["priority"] == "P1"
    rejected = await mutate(gql, desk.product, "rejectImprovement", ITEM, id=item["id"])
    assert codes(rejected) == ["FORBIDDEN"]


async def test_bad_input_changes_nothing(gql: GraphQLClient, desk: Desk) -> None:
    feature = await make_ticket(desk.alice, type=TicketType.FEATURE_REQUEST)
    for title, expected in (
        ("Shrt", "VALIDATION"),
        ("x" * 151, "VALIDATION"),
        ("tab\x07", "VALIDATION"),
    ):
        refused = await propose(gql, desk.product, feature, title)
        assert codes(refused)[0] == expected, title
        assert refused["improvement"] is None
    assert await Improvement.all().count() == 0
    assert (await Ticket.get(id=feature.id)).version == feature.version
    for bad in ("1.4", "v1.4.0", "01.2.3", "1.2.3-", ""):
        made = await mutate(gql, desk.admin, "createRelease", "release { id }", version=bad)
        assert codes(made) == ["VALIDATION"], bad
    ok = await mutate(gql, desk.admin, "createRelease", "release { version }", version="2.0.0-rc.1")
    assert ok["release"] == {"version": "2.0.0-rc.1"}
    twice = await mutate(gql, desk.admin, "createRelease", "release { id }", version="2.0.0-rc.1")
    assert codes(twice) == ["CONFLICT"]


async def test_merging_keeps_every_link_and_vote(gql: GraphQLClient, desk: Desk) -> None:
    tickets = [await make_ticket(desk.alice, type=TicketType.FEATURE_REQUEST) for _ in range(3)]
    duplicate = (await propose(gql, desk.product, tickets[0], "CSV export of bookings"))[
        "improvement"
    ]
    assert (await link(gql, desk.product, tickets[1], duplicate["id"]))["improvement"]["votes"] == 2
    again = await link(gql, desk.product, tickets[1], duplicate["id"])  # linked already
    assert (again["userErrors"], again["improvement"]["votes"]) == ([], 2)
    target = (await propose(gql, desk.product, tickets[2], "Export bookings as CSV"))["improvement"]

    refused = await mutate(
        gql,
        desk.product,
        "mergeImprovements",
        ITEM,
        sourceId=duplicate["id"],
        targetId=target["id"],
    )
    assert codes(refused) == ["FORBIDDEN"]
    merged = await mutate(
        gql, desk.admin, "mergeImprovements", ITEM, sourceId=duplicate["id"], targetId=target["id"]
    )
    assert merged["userErrors"] == []
    assert merged["improvement"]["votes"] == 3
    assert sorted(n["number"] for n in merged["improvement"]["tickets"]["nodes"]) == sorted(
        t.number for t in tickets
    )
    gone = await gql.data(
        "query N($id: ID!) { node(id: $id) { id } }",
        {"id": duplicate["id"]},
        token=desk.admin.token,
    )
    assert gone == {"node": None}
    # The move is in each ticket's history, and the requester sees her ticket's item.
    seen = await gql.data(
        "query T($id: ID!) { ticket(id: $id) { improvement { id status } "
        "history { nodes { kind field from to } } } }",
        {"id": gid(tickets[0])},
        token=desk.alice.token,
    )
    assert seen["ticket"]["improvement"] == {"id": target["id"], "status": "PROPOSED"}
    assert [e for e in seen["ticket"]["history"]["nodes"] if e["kind"] == "LINKED"] == [
        {"kind": "LINKED", "field": "improvement", "from": None, "to": "CSV export of bookings"},
        {
            "kind": "LINKED",
            "field": "improvement",
            "from": "CSV export of bookings",
            "to": "Export bookings as CSV",
        },
    ]
    itself = await mutate(
        gql, desk.admin, "mergeImprovements", ITEM, sourceId=target["id"], targetId=target["id"]
    )
    assert codes(itself) == ["VALIDATION"]


async def test_planning_publishing_and_the_notes(gql: GraphQLClient, desk: Desk) -> None:
    asked = [await make_ticket(desk.alice, type=TicketType.FEATURE_REQUEST) for _ in range(3)]
    broken = await make_ticket(desk.alice, type=TicketType.INCIDENT)
    csv = (await propose(gql, desk.product, asked[0], "Export bookings as CSV"))["improvement"]
    await link(gql, desk.product, asked[1], csv["id"])
    dark = (await propose(gql, desk.product, asked[2], "Dark mode"))["improvement"]
    fix = (await propose(gql, desk.support, broken, "Payment page times out", "FIX"))["improvement"]
    release = (await mutate(gql, desk.admin, "createRelease", "release { id }", version="1.4.0"))[
        "release"
    ]

    # Only validated items are planned.
    plan = "improvement { status release { version } }"
    early = await mutate(
        gql, desk.admin, "planImprovement", plan, improvementId=dark["id"], releaseId=release["id"]
    )
    assert codes(early) == ["INVALID_STATE"]
    for item, priority in ((dark, "P3"), (csv, "P3"), (fix, "P1")):
        await validate(gql, desk.admin, item["id"], priority)
        planned = await mutate(
            gql,
            desk.admin,
            "planImprovement",
            plan,
            improvementId=item["id"],
            releaseId=release["id"],
        )
        assert planned["improvement"] == {"status": "PLANNED", "release": {"version": "1.4.0"}}

    # Planned by priority, then votes.
    query = "query R($id: ID!) { node(id: $id) { ... on Release { improvements { title } } } }"
    listed = await gql.data(query, {"id": release["id"]}, token=desk.admin.token)
    assert [i["title"] for i in listed["node"]["improvements"]] == [
        "Payment page times out",
        "Export bookings as CSV",
        "Dark mode",
    ]

    fields = "release { version publishedAt notes improvements { status } }"
    assert codes(await mutate(gql, desk.support, "publishRelease", fields, id=release["id"])) == [
        "FORBIDDEN"
    ]
    published = await mutate(gql, desk.admin, "publishRelease", fields, id=release["id"])
    assert published["userErrors"] == []
    shipped = published["release"]
    day = shipped["publishedAt"][:10]
    first, second = sorted((asked[0].number, asked[1].number))
    assert shipped["notes"] == (
        f"# 1.4.0 ({day})\n"
        "\n"
        "## Improvements\n"
        "\n"
        f"- Export bookings as CSV (#{first}, #{second})\n"
        f"- Dark mode (#{asked[2].number})\n"
        "\n"
        "## Fixes\n"
        "\n"
        f"- Payment page times out (#{broken.number})\n"
    )
    assert {i["status"] for i in shipped["improvements"]} == {"RELEASED"}

    # Frozen: publishing again, planning into it, re-prioritising its items are refused.
    again = await mutate(gql, desk.admin, "publishRelease", fields, id=release["id"])
    assert codes(again) == ["INVALID_STATE"]
    more = (
        await propose(
            gql,
            desk.product,
            await make_ticket(desk.bob, type=TicketType.FEATURE_REQUEST),
            "Print tickets",
        )
    )["improvement"]
    await validate(gql, desk.admin, more["id"], "P4")
    late = await mutate(
        gql, desk.admin, "planImprovement", plan, improvementId=more["id"], releaseId=release["id"]
    )
    assert codes(late) == ["INVALID_STATE"]
    assert codes(await validate(gql, desk.admin, csv["id"], "P1")) == ["INVALID_STATE"]
    empty = (await mutate(gql, desk.admin, "createRelease", "release { id }", version="1.5.0"))[
        "release"
    ]
    assert codes(await mutate(gql, desk.admin, "publishRelease", fields, id=empty["id"])) == [
        "INVALID_STATE"
    ]


async def test_each_viewer_sees_the_items_of_the_tickets_they_see(
    gql: GraphQLClient, desk: Desk
) -> None:
    await set_route(ticket_type=TicketType.INCIDENT, team_name="Partner")
    partner_ticket = await make_ticket(desk.bob, type=TicketType.INCIDENT)
    await set_route(ticket_type=TicketType.INCIDENT, team_name="Support")
    alices = await make_ticket(desk.alice, type=TicketType.FEATURE_REQUEST)
    bobs = await make_ticket(desk.bob, type=TicketType.FEATURE_REQUEST)
    shared = (await propose(gql, desk.product, alices, "Export bookings as CSV"))["improvement"]
    await link(gql, desk.product, bobs, shared["id"])
    hosting = (await propose(gql, desk.partner, partner_ticket, "Faster failover", "FIX"))[
        "improvement"
    ]
    listing = "{ improvements { totalCount nodes { title votes tickets { totalCount } } } }"

    async def seen(person: Person) -> list[tuple[str, int, int]]:
        data = (await gql.data(listing, token=person.token))["improvements"]
        assert data["totalCount"] == len(data["nodes"])
        return [(n["title"], n["votes"], n["tickets"]["totalCount"]) for n in data["nodes"]]

    every = [("Export bookings as CSV", 2, 2), ("Faster failover", 1, 1)]
    assert await seen(desk.admin) == every
    # An internal handler sees the whole list, and the tickets they may see.
    assert await seen(desk.support) == [("Export bookings as CSV", 2, 0), ("Faster failover", 1, 0)]
    # A requester sees her ticket's item, with her vote only; the partner only its own.
    assert await seen(desk.alice) == [("Export bookings as CSV", 1, 1)]
    assert await seen(desk.partner) == [("Faster failover", 1, 1)]
    assert await seen(desk.other_partner) == []
    node = "query N($id: ID!) { node(id: $id) { id } }"
    assert (await gql.data(node, {"id": hosting["id"]}, token=desk.alice.token))["node"] is None
    assert (await gql.data(node, {"id": shared["id"]}, token=desk.partner.token))["node"] is None


async def test_the_list_is_ordered_by_priority_then_votes_and_filtered(
    gql: GraphQLClient, desk: Desk
) -> None:
    async def item(title: str, votes: int, priority: str | None, kind: str = "IMPROVEMENT") -> str:
        first = await make_ticket(desk.alice, type=TicketType.FEATURE_REQUEST)
        made = (await propose(gql, desk.product, first, title, kind))["improvement"]
        for _ in range(votes - 1):
            more = await make_ticket(desk.bob, type=TicketType.FEATURE_REQUEST)
            await link(gql, desk.product, more, made["id"])
        if priority:
            await validate(gql, desk.admin, made["id"], priority)
        return str(made["id"])

    await item("Unprioritised but popular", 3, None)
    await item("Medium, one vote", 1, "P3")
    await item("Critical fix", 1, "P1", "FIX")
    await item("Medium, two votes", 2, "P3")
    query = """
    query L($first: Int, $after: String, $filter: ImprovementFilter) {
      improvements(first: $first, after: $after, filter: $filter) {
        totalCount pageInfo { hasNextPage endCursor } nodes { title } } }"""

    async def titles(**variables: Any) -> tuple[list[str], Any]:
        data = (await gql.data(query, variables, token=desk.admin.token))["improvements"]
        return [n["title"] for n in data["nodes"]], data

    ordered = [
        "Critical fix",
        "Medium, two votes",
        "Medium, one vote",
        "Unprioritised but popular",
    ]
    assert (await titles())[0] == ordered
    page, data = await titles(first=3)
    assert data["pageInfo"]["hasNextPage"] is True
    rest, _ = await titles(first=3, after=data["pageInfo"]["endCursor"])
    assert page + rest == ordered
    validated, data = await titles(filter={"status": ["VALIDATED"]})
    assert (validated, data["totalCount"]) == (ordered[:3], 3)
    assert (await titles(filter={"kind": ["FIX"]}))[0] == ["Critical fix"]


RELEASES = """
subscription { releasePublished { version notes improvements { title votes } } }
"""


async def test_a_published_release_is_pushed_to_those_who_may_see_it(
    gql: GraphQLClient, desk: Desk, server: Server, make_person: MakePerson
) -> None:
    alices = await make_ticket(desk.alice, type=TicketType.FEATURE_REQUEST)
    bobs = await make_ticket(desk.bob, type=TicketType.FEATURE_REQUEST)
    csv = (await propose(gql, desk.product, alices, "Export bookings as CSV"))["improvement"]
    await link(gql, desk.product, bobs, csv["id"])
    await validate(gql, desk.admin, csv["id"], "P2")
    release = (await mutate(gql, desk.admin, "createRelease", "release { id }", version="1.4.0"))[
        "release"
    ]
    await mutate(
        gql, desk.admin, "planImprovement", ITEM, improvementId=csv["id"], releaseId=release["id"]
    )
    empty = (await mutate(gql, desk.admin, "createRelease", "release { id }", version="1.5.0"))[
        "release"
    ]
    carol = await make_person(Role.REQUESTER)
    async with (
        subscribe(server, desk.admin.token, RELEASES) as admin,
        subscribe(server, desk.support.token, RELEASES) as support,
        subscribe(server, desk.alice.token, RELEASES) as alice,
        subscribe(server, carol.token, RELEASES) as stranger,
        subscribe(server, desk.partner.token, RELEASES) as partner,
    ):
        refused = await mutate(gql, desk.admin, "publishRelease", "release { id }", id=empty["id"])
        assert codes(refused) == ["INVALID_STATE"]
        published = await mutate(
            gql, desk.admin, "publishRelease", "release { notes }", id=release["id"]
        )
        notes = published["release"]["notes"]
        for team_dashboard in (admin, support):
            message = await team_dashboard.next()
            assert message["payload"]["data"]["releasePublished"] == {
                "version": "1.4.0",
                "notes": notes,
                "improvements": [{"title": "Export bookings as CSV", "votes": 2}],
            }
        # The requester hears that what she asked for shipped, without others' tickets.
        message = await alice.next()
        assert message["payload"]["data"]["releasePublished"] == {
            "version": "1.4.0",
            "notes": None,
            "improvements": [{"title": "Export bookings as CSV", "votes": 1}],
        }
        await asyncio.gather(stranger.nothing_within(0.5), partner.nothing_within(0.5))
