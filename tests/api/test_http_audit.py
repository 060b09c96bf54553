"""GraphQL over HTTP as the spec asks: the graphql-http npm package's server audits, and
the Accept negotiation that clients of either media type rely on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.graphql_app import GRAPHQL_RESPONSE_JSON, JSON, negotiate_media_type
from app.schema import OperationNameRequired
from tests.api.test_real_clients import node_script
from tests.conftest import GraphQLClient, Server

SYNTAX_ERROR = {"query": "{"}


async def run_audit(server: Server) -> list[dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        *node_script("audit.mjs"),
        f"{server.url}/graphql",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines()]


async def test_the_graphql_http_audit_finds_nothing_to_fix(server: Server) -> None:
    results = await run_audit(server)
    # graphql-http 1.23 has 61 server audits: a short list means the script broke.
    assert len(results) >= 60, results
    assert {r["status"] for r in results} <= {"ok", "notice", "warn", "error"}
    not_ok = [r for r in results if r["status"] in ("warn", "error")]
    assert not_ok == [], json.dumps(not_ok, indent=1)
    graphql_response = [r for r in results if GRAPHQL_RESPONSE_JSON in r["name"]]
    assert len(graphql_response) >= 15
    assert all(r["status"] == "ok" for r in graphql_response)
    # MAYs are optional, but we meet them all today (e.g. 400 on a non-object
    # variables): a new notice is a regression in how bad input is answered.
    assert [r for r in results if r["status"] == "notice"] == []


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),  # older clients send no Accept
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/json", JSON),
        ("Application/JSON; charset=utf-8", JSON),
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        # What graphql-http's own client sends.
        (f"{GRAPHQL_RESPONSE_JSON}, {JSON};q=0.9", GRAPHQL_RESPONSE_JSON),
        (f"{JSON}, {GRAPHQL_RESPONSE_JSON}", GRAPHQL_RESPONSE_JSON),
        (f"{JSON}, {GRAPHQL_RESPONSE_JSON};q=0.5", JSON),
        (f"{GRAPHQL_RESPONSE_JSON};q=0, */*", JSON),
        (f"{GRAPHQL_RESPONSE_JSON}, */*;q=0.1", GRAPHQL_RESPONSE_JSON),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSON),
        ("text/html", None),
        ("application/xml", None),
        ("application/json;q=0", None),
        ("application/json;q=abc", None),
        ("application/json;q=2", None),
        (" , ;", None),
    ],
)
def test_accept_negotiation(accept: str | None, chosen: str | None) -> None:
    assert negotiate_media_type(accept) == chosen


async def test_graphql_response_json_answers_a_bad_document_with_400_and_no_data(
    gql: GraphQLClient,
) -> None:
    response = await gql.raw(SYNTAX_ERROR, headers={"accept": GRAPHQL_RESPONSE_JSON})
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_JSON
    assert "accept" in response.headers["vary"].lower()
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["message"].startswith("Syntax Error")
    assert body["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}


async def test_graphql_response_json_answers_bad_variables_and_limits_with_400(
    gql: GraphQLClient,
) -> None:
    accept = {"accept": GRAPHQL_RESPONSE_JSON}
    coercion = {"query": "query($n: Int) { ticket(number: $n) { id } }", "variables": {"n": "x"}}
    too_long = {"query": "{ " + "__typename " * 2_100 + "}"}
    two_operations = {"query": "query A { __typename } query B { __typename }"}
    for body in (coercion, too_long, two_operations):
        response = await gql.raw(body, headers=accept)
        assert response.status_code == 400, (body, response.text)
        assert "data" not in response.json()
        assert response.json()["errors"]


async def test_graphql_response_json_keeps_200_and_data_for_field_errors(
    gql: GraphQLClient,
) -> None:
    """A field error is a partial result, not a bad request: the client reads data."""
    response = await gql.raw(
        {"query": "{ tickets { totalCount } }"}, headers={"accept": GRAPHQL_RESPONSE_JSON}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_JSON
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["path"] == ["tickets"]
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_application_json_keeps_answering_200_with_the_errors(gql: GraphQLClient) -> None:
    """Clients that predate the new media type read errors from a 200, as before."""
    for headers in ({}, {"accept": JSON}, {"accept": "*/*"}):
        response = await gql.raw(SYNTAX_ERROR, headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"] == JSON
        assert response.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}


async def test_a_crash_before_execution_leaks_nothing(
    gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in a schema extension: the client learns only that it was ours."""

    def crash(self: OperationNameRequired) -> Iterator[None]:
        raise RuntimeError("secret detail: /srv/support-desk/.secret_key")
        yield

    monkeypatch.setattr(OperationNameRequired, "on_validate", crash)
    for accept, status in ((JSON, 200), (GRAPHQL_RESPONSE_JSON, 500)):
        response = await gql.raw({"query": "{ __typename }"}, headers={"accept": accept})
        assert response.status_code == status
        errors = response.json()["errors"]
        assert errors == [
            {"message": "Internal error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
        ]


async def test_a_client_that_accepts_neither_type_gets_406_and_nothing_runs(
    gql: GraphQLClient,
) -> None:
    mutation = {
        "query": 'mutation { login(input: {email: "x@example.com", password: "p"}) '
        "{ token userErrors { code } } }"
    }
    response = await gql.raw(mutation, headers={"accept": "text/html"})
    assert response.status_code == 406
    assert response.headers["content-type"].startswith("text/plain")
    assert GRAPHQL_RESPONSE_JSON in response.text
    assert "Traceback" not in response.text


async def test_browsers_still_get_graphiql(server: Server) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        for accept in ("text/html", "text/html,application/xhtml+xml,*/*;q=0.8"):
            response = await http.get(f"{server.url}/graphql", headers={"accept": accept})
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/html")
            assert "graphiql" in response.text.lower()


async def test_get_queries_follow_the_same_rules(server: Server) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        url = f"{server.url}/graphql"
        ok = await http.get(
            url, params={"query": "{ __typename }"}, headers={"accept": GRAPHQL_RESPONSE_JSON}
        )
        assert ok.status_code == 200
        assert ok.headers["content-type"] == GRAPHQL_RESPONSE_JSON
        assert ok.json() == {"data": {"__typename": "Query"}}
        bad = await http.get(url, params={"query": "{"}, headers={"accept": GRAPHQL_RESPONSE_JSON})
        assert bad.status_code == 400
        assert "data" not in bad.json()
