"""Test fixtures: a real uvicorn server per database, clients that speak GraphQL like users.

The whole suite runs once on SQLite and, when TEST_DATABASE_URL is set, once more
on PostgreSQL: every test depends on the `backend` fixture through `server`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
import websockets
from argon2 import PasswordHasher
from tortoise.backends.base.executor import EXECUTOR_CACHE

from app.config import ResponseDelay, Settings, use_settings
from app.limits import MAX_WS_MESSAGE_BYTES
from app.main import create_app
from app.models import (
    Calendar,
    Counter,
    Improvement,
    LoginFailure,
    Membership,
    Message,
    OutboxMail,
    Release,
    RoutingRule,
    Team,
    Ticket,
    TicketEvent,
    User,
)
from app.models import ResponseDelay as ResponseDelaySetting
from app.models.enums import DelayCounting, Priority, Role, TeamKind, TicketType
from app.services import auth, feed, tickets
from app.services.actors import Actor, load_actor
from app.services.routing import set_route
from app.services.teams import ensure_team
from app.services.users import ensure_user
from tests.mailbox import Mailbox

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256"
PASSWORD = "correct horse battery"
BACKENDS = ["sqlite"] + (["postgres"] if os.environ.get("TEST_DATABASE_URL") else [])


async def _reset_postgres(url: str) -> None:
    """Start from an empty database: drop everything in the public schema."""
    dsn = url.replace("postgres://", "postgresql://", 1)
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


@pytest.fixture(scope="session", params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The database URL of one backend, empty."""
    if request.param == "postgres":
        url = os.environ["TEST_DATABASE_URL"]
        await _reset_postgres(url)
        return url
    path: Path = tmp_path_factory.mktemp("db") / "test.sqlite3"
    return f"sqlite://{path}"


@dataclass
class Server:
    url: str
    settings: Settings

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/graphql"


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    """The SMTP server the service sends its e-mail to."""
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture(scope="session")
async def server(backend: str, mailbox: Mailbox) -> AsyncIterator[Server]:
    """The service, served by uvicorn on a free loopback port, with migrations applied."""
    settings = Settings(
        database_url=backend,
        smtp_url=mailbox.url,
        mail_retry=timedelta(milliseconds=200),
        secret_key=TEST_SECRET,
        allowed_origins=("https://allowed.example",),
        connection_init_timeout=timedelta(seconds=2),
        # Deadlines independent of the hour the suite runs at; business hours have their
        # own tests.
        response_delays={
            p: ResponseDelay(d.amount, DelayCounting.AROUND_THE_CLOCK)
            for p, d in Settings().response_delays.items()
        },
    )
    # Tortoise caches each model's SQL per connection name, not per dialect: forget
    # the previous backend's statements before serving another one in this process.
    EXECUTOR_CACHE.clear()
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
        ws="websockets-sansio",
        ws_max_size=MAX_WS_MESSAGE_BYTES,  # as `support-desk serve` sets it
    )
    uv = uvicorn.Server(config)
    task = asyncio.create_task(uv.serve())
    for _ in range(500):
        if uv.started or task.done():
            break
        await asyncio.sleep(0.02)
    if not uv.started:
        task.result()  # raise why it failed
        raise RuntimeError("the test server did not start")
    port = uv.servers[0].sockets[0].getsockname()[1]
    yield Server(url=f"http://127.0.0.1:{port}", settings=settings)
    uv.should_exit = True
    await task


@pytest.fixture(autouse=True)
async def clean(server: Server) -> None:
    """Each test starts from empty tables (ticket numbers restart too)."""
    use_settings(server.settings)
    tables = (
        Message,
        TicketEvent,
        Ticket,
        Improvement,
        Release,
        OutboxMail,
        LoginFailure,
        RoutingRule,
        Membership,
        Team,
        User,
    )
    for model in tables:
        await model.all().delete()
    await ResponseDelaySetting.all().delete()
    await Calendar.filter(is_default=False).delete()
    await Calendar.filter(is_default=True).update(
        time_zone="Europe/Brussels",
        opening_hours=[[day, "09:00", "17:00"] for day in range(5)],
        holidays=[],
    )
    await Counter.filter(name="ticket_number").update(value=0)


# --- GraphQL over HTTP ---------------------------------------------------------------------


class GraphQLClient:
    def __init__(self, server: Server, http: httpx.AsyncClient) -> None:
        self.server = server
        self.http = http

    async def raw(
        self, body: Any, *, token: str | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        sent = {"content-type": "application/json", **(headers or {})}
        if token:
            sent["authorization"] = f"Bearer {token}"
        content = body if isinstance(body, str | bytes) else json.dumps(body)
        return await self.http.post(f"{self.server.url}/graphql", content=content, headers=sent)

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The whole response body of a GraphQL request (data and errors)."""
        response = await self.raw(
            {"query": query, "variables": variables or {}}, token=token, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """The data of a request that must succeed without top-level errors."""
        body = await self(query, variables, token=token)
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture
async def gql(server: Server) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield GraphQLClient(server, http)


# --- People, teams and routing in one line each ---------------------------------------------


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """Argon2 at its lowest cost: the suite creates hundreds of people. Login still hashes
    and verifies for real, with the same code."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        yield


@dataclass
class Person:
    user: User
    token: str

    @property
    def id(self) -> int:
        return self.user.id

    async def actor(self) -> Actor:
        actor = await load_actor(self.user.id)
        assert actor is not None
        return actor


MakePerson = Callable[..., Awaitable[Person]]


@pytest.fixture
def make_person() -> MakePerson:
    counter = iter(range(1, 10_000))

    async def make(
        role: Role = Role.REQUESTER, teams: list[str] | None = None, email: str | None = None
    ) -> Person:
        n = next(counter)
        user = await ensure_user(
            email=email or f"{role.value.lower()}{n}@example.com",
            display_name=f"{role.value.title()} {n}",
            role=role,
            team_names=teams or [],
            password=PASSWORD,
        )
        return Person(user=user, token=auth.issue_token(user.id))

    return make


@dataclass
class Desk:
    """The teams and routing of domain.md, with one person of every kind."""

    admin: Person
    support: Person  # internal handler of Support (INCIDENT, QUESTION)
    product: Person  # internal handler of Product (FEATURE_REQUEST)
    partner: Person  # external handler of Partner
    other_partner: Person  # external handler of another external team
    alice: Person  # requester
    bob: Person  # requester


@pytest.fixture
async def desk(make_person: MakePerson) -> Desk:
    await ensure_team(name="Support", kind=TeamKind.INTERNAL)
    await ensure_team(name="Product", kind=TeamKind.INTERNAL)
    await ensure_team(name="Partner", kind=TeamKind.EXTERNAL)
    await ensure_team(name="Other Partner", kind=TeamKind.EXTERNAL)
    await set_route(ticket_type=TicketType.INCIDENT, team_name="Support")
    await set_route(ticket_type=TicketType.QUESTION, team_name="Support")
    await set_route(ticket_type=TicketType.FEATURE_REQUEST, team_name="Product")
    return Desk(
        admin=await make_person(Role.ADMIN),
        support=await make_person(Role.HANDLER, ["Support"]),
        product=await make_person(Role.HANDLER, ["Product"]),
        partner=await make_person(Role.HANDLER, ["Partner"]),
        other_partner=await make_person(Role.HANDLER, ["Other Partner"]),
        alice=await make_person(Role.REQUESTER),
        bob=await make_person(Role.REQUESTER),
    )


async def make_ticket(
    person: Person,
    subject: str = "Something does not work at all",
    *,
    type: TicketType | None = TicketType.INCIDENT,
    priority: Priority | None = None,
    description: str | None = None,
    reference: str | None = None,
    submit: bool = True,
) -> Ticket:
    """A ticket of person's, made through the services: submitted unless submit=False."""
    actor = await person.actor()
    ticket = await tickets.create_draft(
        actor=actor,
        subject=subject,
        type=type,
        priority=priority,
        description=description,
        reference=reference,
    )
    if submit:
        ticket = await tickets.submit_ticket(actor=actor, ticket_id=ticket.id)
    return ticket


# --- The live feed over a real websocket ------------------------------------------------------


class Subscription:
    """One graphql-transport-ws connection with one subscription, as a client opens it."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws

    async def next(self, seconds: float = 5) -> dict[str, Any]:
        """The next message that is not a ping (pings are answered)."""
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), seconds))
            if message["type"] == "ping":
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            return message

    async def nothing_within(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            message = await self.next(seconds)
            raise AssertionError(f"expected no message, got {message}")
        return True


@contextlib.asynccontextmanager
async def open_socket(
    server: Server, init_payload: Any = None, *, origin: str | None = None
) -> AsyncIterator[websockets.ClientConnection]:
    headers = {"Origin": origin} if origin else None
    async with websockets.connect(
        server.ws_url,
        subprotocols=["graphql-transport-ws"],
        additional_headers=headers,
        open_timeout=5,
    ) as ws:
        init: dict[str, Any] = {"type": "connection_init"}
        if init_payload is not None:
            init["payload"] = init_payload
        await ws.send(json.dumps(init))
        yield ws


@contextlib.asynccontextmanager
async def subscribe(
    server: Server, token: str, query: str, variables: dict[str, Any] | None = None
) -> AsyncIterator[Subscription]:
    listening = feed.subscriber_count()
    async with open_socket(server, {"Authorization": f"Bearer {token}"}) as ws:
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables or {}},
                }
            )
        )
        # The server registers the subscriber asynchronously: wait until it listens,
        # so that nothing a test publishes next can be missed.
        for _ in range(250):
            if feed.subscriber_count() > listening:
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the subscription did not start listening")
        yield Subscription(ws)
