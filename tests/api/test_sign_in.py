"""Sign-in safety: failed attempts limited per account and per client address, with the
same answer for an unknown e-mail and a wrong password; a new password ends old tokens."""

from __future__ import annotations

from typing import Any

from app.services import auth
from app.services.users import update_user
from tests.conftest import PASSWORD, Desk, GraphQLClient

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { token userErrors { field message code } } }
"""
ME = "{ me { id } }"


async def login(gql: GraphQLClient, email: str, password: str) -> Any:
    data = await gql.data(LOGIN, {"input": {"email": email, "password": password}})
    return data["login"]


def refusal(answer: Any) -> tuple[Any, list[tuple[str, str]]]:
    return answer["token"], [(e["code"], e["message"]) for e in answer["userErrors"]]


WRONG = (None, [("VALIDATION", "Invalid e-mail or password")])
LIMITED = (None, [("VALIDATION", "Too many failed sign-ins: try again in 15 minutes")])


async def test_failures_are_limited_per_account_known_or_not(
    gql: GraphQLClient, desk: Desk
) -> None:
    known, unknown = desk.alice.user.email, "nobody@example.com"
    for email in (known, unknown):
        for _ in range(auth.ACCOUNT_FAILURES):
            assert refusal(await login(gql, email, "not the password")) == WRONG
        # Past the limit: refused, the right password too, and alike for both.
        assert refusal(await login(gql, email, "not the password")) == LIMITED
    assert refusal(await login(gql, known, PASSWORD)) == LIMITED
    # Another account from the same address still signs in.
    assert (await login(gql, desk.bob.user.email, PASSWORD))["token"]


async def test_a_success_starts_the_accounts_count_again(gql: GraphQLClient, desk: Desk) -> None:
    email = desk.alice.user.email
    for _ in range(auth.ACCOUNT_FAILURES - 1):
        await login(gql, email, "not the password")
    assert (await login(gql, email, PASSWORD))["token"]
    for _ in range(auth.ACCOUNT_FAILURES - 1):
        assert refusal(await login(gql, email, "not the password")) == WRONG
    assert (await login(gql, email, PASSWORD))["token"]


async def test_failures_are_limited_per_client_address(gql: GraphQLClient, desk: Desk) -> None:
    # Many accounts, a few tries each, from one address (the tests' 127.0.0.1).
    for n in range(auth.ADDRESS_FAILURES):
        assert refusal(await login(gql, f"guess{n}@example.com", "password1")) == WRONG
    assert refusal(await login(gql, desk.bob.user.email, PASSWORD)) == LIMITED


async def test_a_new_password_ends_the_old_tokens(gql: GraphQLClient, desk: Desk) -> None:
    old_token = desk.support.token
    assert (await gql.data(ME, token=old_token))["me"]
    await update_user(
        actor=await desk.admin.actor(),
        user_id=desk.support.id,
        changes={"password": "a brand new password"},
    )
    answer = await gql("{ tickets { totalCount } }", token=old_token)
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert refusal(await login(gql, desk.support.user.email, PASSWORD)) == WRONG
    fresh = (await login(gql, desk.support.user.email, "a brand new password"))["token"]
    assert (await gql.data(ME, token=fresh))["me"]
    # Other people's tokens are untouched.
    assert (await gql.data(ME, token=desk.alice.token))["me"]
