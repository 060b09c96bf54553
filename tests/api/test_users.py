"""Administration of accounts over GraphQL: only admins manage users, and deactivating a
user ends their access at once, over HTTP and on an open websocket."""

from __future__ import annotations

import json
from typing import Any

from app.models import User
from app.schema.ids import to_global_id
from tests.api.test_feed import OPENED, numbers, open_ticket
from tests.conftest import PASSWORD, Desk, GraphQLClient, Person, Server, subscribe

USERS = """
query Users($first: Int, $after: String, $role: Role, $active: Boolean) {
  users(first: $first, after: $after, role: $role, active: $active) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id email role active }
  }
}
"""
CREATE = """
mutation Create($input: CreateUserInput!) {
  createUser(input: $input) { user { id email displayName role active } userErrors { field code } }
}
"""
UPDATE = """
mutation Update($input: UpdateUserInput!) {
  updateUser(input: $input) { user { id displayName role active } userErrors { field code } }
}
"""
LOGIN = """
mutation Login($input: LoginInput!) { login(input: $input) { token userErrors { code } } }
"""
NEW_PASSWORD = "a long enough password"


async def create(gql: GraphQLClient, person: Person, **fields: Any) -> dict[str, Any]:
    payload = {"email": "new@example.com", "displayName": "New Person", "role": "HANDLER"}
    payload["password"] = NEW_PASSWORD
    payload.update(fields)
    return (await gql.data(CREATE, {"input": payload}, token=person.token))["createUser"]


async def update(gql: GraphQLClient, person: Person, user_id: int, **fields: Any) -> Any:
    payload = {"id": to_global_id("User", user_id), **fields}
    return (await gql.data(UPDATE, {"input": payload}, token=person.token))["updateUser"]


async def test_only_admins_manage_users(gql: GraphQLClient, desk: Desk) -> None:
    for person in (desk.alice, desk.support, desk.partner):
        listed = await gql(USERS, token=person.token)
        assert listed["data"] is None
        assert [e["extensions"]["code"] for e in listed["errors"]] == ["FORBIDDEN"]
        made = await create(gql, person)
        assert [e["code"] for e in made["userErrors"]] == ["FORBIDDEN"]
        changed = await update(gql, person, desk.bob.id, role="ADMIN")
        assert [e["code"] for e in changed["userErrors"]] == ["FORBIDDEN"]
    assert not await User.exists(email="new@example.com")
    assert (await User.get(id=desk.bob.id)).role.value == "REQUESTER"


async def test_admins_list_filter_and_page_users(gql: GraphQLClient, desk: Desk) -> None:
    everyone = (await gql.data(USERS, {"first": 100}, token=desk.admin.token))["users"]
    assert everyone["totalCount"] == 7
    first = (await gql.data(USERS, {"first": 4}, token=desk.admin.token))["users"]
    rest = await gql.data(
        USERS, {"first": 4, "after": first["pageInfo"]["endCursor"]}, token=desk.admin.token
    )
    paged = first["nodes"] + rest["users"]["nodes"]
    assert [u["id"] for u in paged] == [u["id"] for u in everyone["nodes"]]
    handlers = await gql.data(USERS, {"role": "HANDLER"}, token=desk.admin.token)
    assert handlers["users"]["totalCount"] == 4
    assert {u["role"] for u in handlers["users"]["nodes"]} == {"HANDLER"}
    too_many = await gql(USERS, {"first": 101}, token=desk.admin.token)
    assert too_many["data"] is None
    assert "100" in too_many["errors"][0]["message"]


async def test_creating_a_user_is_validated(gql: GraphQLClient, desk: Desk) -> None:
    made = await create(gql, desk.admin, email="  Sam@Example.com ")
    assert made["userErrors"] == []
    assert made["user"]["email"] == "sam@example.com"
    assert made["user"]["active"] is True
    for fields, expected in (
        ({"email": "sam@example.com"}, ("CONFLICT", ["input", "email"])),
        ({"email": "not an address"}, ("VALIDATION", ["input", "email"])),
        ({"email": "x@example.com", "displayName": "  "}, ("VALIDATION", ["input", "displayName"])),
        ({"email": "y@example.com", "password": "short"}, ("VALIDATION", ["input", "password"])),
    ):
        refused = await create(gql, desk.admin, **fields)
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [expected], fields
        assert refused["user"] is None
    assert await User.all().count() == 8
    login = await gql.data(LOGIN, {"input": {"email": "sam@example.com", "password": NEW_PASSWORD}})
    assert login["login"]["token"]


async def test_deactivating_a_user_ends_their_access_at_once(
    gql: GraphQLClient, desk: Desk, server: Server
) -> None:
    me = "{ me { id } tickets { totalCount } }"
    assert (await gql(me, token=desk.support.token))["data"]["me"]
    async with subscribe(server, desk.support.token, OPENED) as feed:
        first = await open_ticket(gql, desk.alice, "INCIDENT")
        assert await numbers(feed, 1) == [first["number"]]

        changed = await update(gql, desk.admin, desk.support.id, active=False)
        assert changed["userErrors"] == []
        assert changed["user"]["active"] is False

        # The token of a minute ago no longer works; the open subscription stops, saying
        # why; the open socket runs nothing more for them.
        answer = await gql(me, token=desk.support.token)
        assert answer["data"] is None
        assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        await open_ticket(gql, desk.alice, "INCIDENT")
        ended = await feed.next()
        assert ended["payload"]["data"] is None, ended
        assert [e["extensions"]["code"] for e in ended["payload"]["errors"]] == ["UNAUTHENTICATED"]
        assert (await feed.next()) == {"id": "1", "type": "complete"}
        for op_id, document in (("2", me), ("3", OPENED)):
            await feed.ws.send(
                json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": document}})
            )
            refused = await feed.next()
            assert refused["id"] == op_id, refused
            if refused["type"] == "error":
                errors = refused["payload"]
            else:
                assert refused["payload"]["data"] is None, refused
                errors = refused["payload"]["errors"]
                assert (await feed.next()) == {"id": op_id, "type": "complete"}
            assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"], refused
    credentials = {"input": {"email": desk.support.user.email, "password": PASSWORD}}
    assert (await gql.data(LOGIN, credentials))["login"]["token"] is None

    # Reactivated, the same person works again.
    assert (await update(gql, desk.admin, desk.support.id, active=True))["userErrors"] == []
    assert (await gql(me, token=desk.support.token))["data"]["me"]
    assert (await gql.data(LOGIN, credentials))["login"]["token"]


async def test_admins_cannot_lock_themselves_out(gql: GraphQLClient, desk: Desk) -> None:
    for fields in ({"active": False}, {"role": "HANDLER"}):
        refused = await update(gql, desk.admin, desk.admin.id, **fields)
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
            ("VALIDATION", ["input", "id"])
        ]
    assert (await User.get(id=desk.admin.id)).is_active
    renamed = await update(gql, desk.admin, desk.admin.id, displayName="Ada")
    assert renamed["user"]["displayName"] == "Ada"
    cleared = await update(gql, desk.admin, desk.bob.id, role=None)
    assert [e["code"] for e in cleared["userErrors"]] == ["VALIDATION"]
    missing = await update(gql, desk.admin, 999_999, active=False)
    assert [e["code"] for e in missing["userErrors"]] == ["NOT_FOUND"]
