"""What operators rely on: health and readiness endpoints, and production mode (a real
secret required, introspection and GraphiQL off)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from tortoise.exceptions import DBConnectionError, OperationalError
from websockets.exceptions import ConnectionClosed

from app import graphql_app
from app.config import ConfigError, Settings
from app.limits import MAX_BODY_BYTES, MAX_WS_MESSAGE_BYTES
from app.main import create_app
from app.services import feed, tickets
from tests.api.test_feed import acknowledged
from tests.conftest import Desk, GraphQLClient, Server

INTROSPECTION = "{ __schema { queryType { name } } }"
PRODUCTION_SECRET = "x" * 40


async def test_health_and_readiness(gql: GraphQLClient, server: Server) -> None:
    health = await gql.http.get(f"{server.url}/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    ready = await gql.http.get(f"{server.url}/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": True, "migrations": True, "feed": True},
    }


async def test_not_ready_while_the_feed_listener_is_down(
    gql: GraphQLClient, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = feed._hub
    assert hub is not None
    monkeypatch.setattr(hub.broker, "connected", False, raising=False)
    ready = await gql.http.get(f"{server.url}/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": True, "migrations": True, "feed": False}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ENVIRONMENT": "production"}, "SECRET_KEY must be set to at least 32"),
        ({"ENVIRONMENT": "production", "SECRET_KEY": "short"}, "at least 32"),
        ({"ENVIRONMENT": "staging"}, "ENVIRONMENT must be development or production"),
        ({"INTROSPECTION": "maybe"}, "INTROSPECTION must be on or off"),
    ],
)
def test_bad_settings_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({"DATABASE_URL": "sqlite:///tmp/unused.sqlite3", **env})


def test_production_turns_introspection_and_graphiql_off_unless_asked() -> None:
    base = {"ENVIRONMENT": "production", "SECRET_KEY": PRODUCTION_SECRET}
    production = Settings.from_env(base)
    assert (production.introspection, production.graphiql) == (False, False)
    asked = Settings.from_env({**base, "INTROSPECTION": "on", "GRAPHIQL": "on"})
    assert (asked.introspection, asked.graphiql) == (True, True)
    development = Settings.from_env({"SECRET_KEY": PRODUCTION_SECRET})
    assert (development.introspection, development.graphiql) == (True, True)
    closed = Settings.from_env({"SECRET_KEY": PRODUCTION_SECRET, "GRAPHIQL": "off"})
    assert (closed.introspection, closed.graphiql) == (True, False)


def test_serve_refuses_to_start_in_production_without_a_secret(tmp_path: os.PathLike[str]) -> None:
    env = {
        **os.environ,
        "ENVIRONMENT": "production",
        "DATABASE_URL": f"sqlite://{tmp_path}/db.sqlite3",
    }
    env.pop("SECRET_KEY", None)
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture
async def production_client(backend: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app as production builds it. Its lifespan is not run (it would replace this
    process's feed and e-mail sender, which the test server uses): what is checked here
    needs no database."""
    settings = Settings.from_env(
        {"ENVIRONMENT": "production", "SECRET_KEY": PRODUCTION_SECRET, "DATABASE_URL": backend}
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://desk") as client:
        yield client


async def test_production_serves_no_introspection_and_no_graphiql(
    production_client: httpx.AsyncClient, gql: GraphQLClient, server: Server
) -> None:
    answer = await production_client.post("/graphql", json={"query": INTROSPECTION})
    body = answer.json()
    assert body.get("data") is None
    assert "introspection" in body["errors"][0]["message"].lower()
    page = await production_client.get("/graphql", headers={"accept": "text/html"})
    assert "graphiql" not in page.text.lower()
    # Where they are on (development), both answer.
    assert (await gql(INTROSPECTION))["data"]["__schema"]["queryType"] == {"name": "Query"}
    served = await gql.http.get(f"{server.url}/graphql", headers={"accept": "text/html"})
    assert "graphiql" in served.text.lower()


async def test_a_body_over_the_limit_is_refused_with_its_size(
    gql: GraphQLClient, server: Server
) -> None:
    huge = '{"query": "{ me { id } }", "variables": {"x": "' + "a" * MAX_BODY_BYTES + '"}}'
    answer = await gql.raw(huge)
    assert answer.status_code == 413
    assert str(MAX_BODY_BYTES) in answer.json()["errors"][0]["message"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        yield b'{"query": "{ me { id } }", "variables": {"x": "'
        for _ in range(MAX_BODY_BYTES // 65536 + 1):
            yield b"a" * 65536
        yield b'"}}'

    streamed = await gql.http.post(
        f"{server.url}/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    # Under the limit, a long but valid body is served.
    fine = await gql.raw({"query": "{ me { id } }", "variables": {"x": "a" * 100_000}})
    assert fine.status_code == 200


async def test_a_websocket_message_over_the_limit_closes_the_socket(
    server: Server, desk: Desk
) -> None:
    async with acknowledged(server, desk.admin.token) as ws:
        query = "subscription { ticketOpened { cursor } }" + " " * MAX_WS_MESSAGE_BYTES
        message = {"id": "1", "type": "subscribe", "payload": {"query": query}}
        with contextlib.suppress(ConnectionClosed):
            await ws.send(json.dumps(message))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1009  # message too big


async def test_subscriptions_past_the_limit_are_refused_naming_it(
    server: Server, desk: Desk
) -> None:
    limit = server.settings.max_subscriptions_per_connection
    document = "subscription { ticketOpened { cursor } }"
    async with acknowledged(server, desk.admin.token) as ws:
        for n in range(limit + 1):
            message = {"id": str(n), "type": "subscribe", "payload": {"query": document}}
            await ws.send(json.dumps(message))
        refused = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert (refused["id"], refused["type"]) == (str(limit), "error"), refused
        assert f"holds {limit} operations" in refused["payload"][0]["message"]
        # Completing one makes room again.
        await ws.send(json.dumps({"id": "0", "type": "complete"}))
        await asyncio.sleep(0.2)
        again = {"id": "again", "type": "subscribe", "payload": {"query": document}}
        await ws.send(json.dumps(again))
        with contextlib.suppress(TimeoutError):
            answer = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
            raise AssertionError(f"expected the subscription to be accepted, got {answer}")


async def test_a_database_outage_is_told_as_such_not_as_a_crash(
    gql: GraphQLClient, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def gone(*args: object, **kwargs: object) -> None:
        try:
            raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")
        except asyncpg.exceptions.ConnectionDoesNotExistError as error:
            raise OperationalError(error) from error

    monkeypatch.setattr(tickets, "get_visible_ticket", gone)
    body = await gql("{ ticket(number: 1) { id } }", token=desk.admin.token)
    [error] = body["errors"]
    assert error["message"] == "The database is unavailable: try again in a moment"
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
    check = await gql("{ ticket(number: 1) { id } __typename }", token=desk.admin.token)
    assert "connection was closed" not in json.dumps(check)

    # Any other failure is still an internal error, told as nothing more.
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(tickets, "get_visible_ticket", broken)
    body = await gql("{ ticket(number: 1) { id } }", token=desk.admin.token)
    assert body["errors"][0]["message"] == "Internal error"
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}


async def test_a_database_outage_while_signing_the_request_in_answers_503(
    gql: GraphQLClient, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def gone(*args: object, **kwargs: object) -> None:
        raise DBConnectionError("could not connect")

    monkeypatch.setattr(graphql_app, "actor_from_token", gone)
    response = await gql.raw({"query": "{ me { id } }"}, token=desk.admin.token)
    assert response.status_code == 503
    assert "The database is unavailable" in response.text
    assert "could not connect" not in response.text
