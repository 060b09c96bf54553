"""Real `support-desk serve` processes for the multi-process feed tests, and their clients.

Each server is a child process in its own process group, on a free loopback port, with
its own environment (DATABASE_URL, SECRET_KEY, BROKER_URL, FEED_QUEUE_SIZE ...); stopping
it ends the whole group, workers included. `python -m tests.servers` (run by `seed`)
migrates a database and creates the people the tests act as.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import websockets
from websockets.exceptions import ConnectionClosed

from app.services.brokers import LISTENER_APPLICATION_NAME
from app.services.pagination import Column, decode_cursor

REPO = Path(__file__).resolve().parent.parent
SECRET = "multi-process-test-secret-key-long-enough-for-hs256"
SEED_PASSWORD = "correct horse battery"
STARTUP_SECONDS = 30.0

OPENED = """
subscription Opened($after: String) {
  ticketOpened(after: $after) { cursor ticket { number } }
}
"""
CREATE_DRAFT = """
mutation Create($input: CreateDraftInput!) {
  createDraft(input: $input) { ticket { id number } userErrors { field message code } }
}
"""
SUBMIT = """
mutation Submit($input: SubmitTicketInput!) {
  submitTicket(input: $input) { ticket { number status } userErrors { field message code } }
}
"""


# --- databases --------------------------------------------------------------------------------


def _dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def with_database(url: str, name: str) -> str:
    """The same server and credentials as url, another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextlib.asynccontextmanager
async def fresh_database(base_url: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database beside base_url's, dropped afterwards."""
    name = f"sd_feed_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_dsn(base_url), timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield with_database(base_url, name)
    finally:
        admin = await asyncpg.connect(_dsn(base_url), timeout=10)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def query(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(_dsn(url), timeout=10)
    try:
        return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def feed_head(url: str) -> int:
    rows = await query(url, "SELECT value FROM counters WHERE name = 'feed_position'")
    return int(rows[0]["value"])


async def feed_numbers(url: str, after: int) -> list[int]:
    """Ticket numbers of the feed's events after a position, in position order."""
    rows = await query(
        url,
        "SELECT t.number FROM feed_events f JOIN tickets t ON t.id = f.ticket_id "
        "WHERE f.position > $1 ORDER BY f.position",
        after,
    )
    return [row["number"] for row in rows]


async def listener_pids(url: str) -> list[int]:
    """Backends of the feed listeners (one per serving process) on url's database."""
    rows = await query(
        url,
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name = $1 ORDER BY pid",
        LISTENER_APPLICATION_NAME,
    )
    return [row["pid"] for row in rows]


async def terminate_listeners(url: str) -> list[int]:
    """pg_terminate_backend every feed listener of url's database; their pids."""
    pids = await listener_pids(url)
    for pid in pids:
        [row] = await query(url, "SELECT pg_terminate_backend($1) AS done", pid)
        assert row["done"], f"could not terminate listener {pid}"
    return pids


async def seed(url: str) -> dict[str, Person]:
    """Migrate url's database and create the desk in a child process (one start-up for all)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.servers",
        cwd=REPO,
        env=server_env(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    people = json.loads(out.decode().strip().splitlines()[-1])
    return {name: Person(name, p["id"], p["token"]) for name, p in people.items()}


@dataclass(frozen=True)
class Person:
    name: str
    id: int
    token: str


# --- servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a child: this one, minus any setting of ours, plus these."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BROKER_", "FEED_"))}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET,  # the same key everywhere: a token works on every process
        PYTHONUNBUFFERED="1",
        **settings,
    )
    return env


@dataclass
class ServeProcess:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _start(name: str, env: dict[str, str], log_dir: Path, workers: int) -> ServeProcess:
    port = free_port()
    log = log_dir / f"{name}-{port}.log"
    command = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    with log.open("wb") as out:
        # Its own process group, so that stopping it also ends uvicorn's workers.
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return ServeProcess(name, port, process, log)


async def _ready(server: ServeProcess, http: httpx.AsyncClient) -> None:
    deadline = asyncio.get_running_loop().time() + STARTUP_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"{server.name} exited at start-up:\n{server.log_tail()}")
        with contextlib.suppress(httpx.TransportError):
            response = await http.post(f"{server.url}/graphql", json={"query": "{ __typename }"})
            if response.status_code == 200:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{server.name} not ready in {STARTUP_SECONDS}s:\n{server.log_tail()}")


async def _stop(server: ServeProcess) -> None:
    group = server.process.pid  # the group leader's pid is the group's id
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    for _ in range(100):
        if server.process.poll() is not None and not _group_alive(group):
            return
        await asyncio.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    server.process.wait(5)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass(frozen=True)
class Spec:
    name: str
    env: dict[str, str]
    workers: int = 1


@contextlib.asynccontextmanager
async def serving(specs: Sequence[Spec], log_dir: Path) -> AsyncIterator[list[ServeProcess]]:
    """Start the servers together, wait until each answers, stop them all afterwards."""
    servers: list[ServeProcess] = []
    try:
        for spec in specs:
            servers.append(_start(spec.name, spec.env, log_dir, spec.workers))
        async with httpx.AsyncClient(timeout=5, trust_env=False) as http:
            await asyncio.gather(*(_ready(server, http) for server in servers))
        yield servers
    finally:
        await asyncio.gather(*(_stop(server) for server in servers))
        for server in servers:
            assert not _group_alive(server.process.pid), f"{server.name} left processes"


# --- submitting tickets ------------------------------------------------------------------------


class Submitter:
    """Opens tickets through the servers' GraphQL API, as a requester's browser does."""

    def __init__(self, http: httpx.AsyncClient, author: Person) -> None:
        self.http = http
        self.author = author

    async def call(self, server: ServeProcess, document: str, variables: dict[str, Any]) -> Any:
        response = await self.http.post(
            f"{server.url}/graphql",
            json={"query": document, "variables": variables},
            headers={"authorization": f"Bearer {self.author.token}"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    async def open(self, server: ServeProcess, subject: str, description: str = "") -> int:
        """Create and submit an incident through server; its number."""
        fields = {"subject": subject, "type": "INCIDENT", "description": description}
        created = (await self.call(server, CREATE_DRAFT, {"input": fields}))["createDraft"]
        assert created["userErrors"] == [], created
        submitted = await self.call(server, SUBMIT, {"input": {"id": created["ticket"]["id"]}})
        payload = submitted["submitTicket"]
        assert payload["userErrors"] == [], payload
        assert payload["ticket"]["status"] == "OPEN", payload
        return int(payload["ticket"]["number"])


# --- subscribers -------------------------------------------------------------------------------

FEED_COLUMNS = (Column("position"),)


def position_of(cursor: str) -> int:
    return int(decode_cursor("feed", cursor, FEED_COLUMNS, "cursor")[0])


@dataclass(frozen=True)
class Received:
    number: int
    position: int
    cursor: str
    at: float  # loop time of arrival


@dataclass
class FeedClient:
    """One graphql-transport-ws socket with one ticketOpened subscription, read in the
    background so that a test can watch many subscribers at once."""

    label: str
    ws: websockets.ClientConnection
    events: list[Received] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    ended: str | None = None
    reader: asyncio.Task[None] | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)  # set on each arrival

    @property
    def numbers(self) -> list[int]:
        return [event.number for event in self.events]

    @property
    def last_cursor(self) -> str:
        return self.events[-1].cursor

    async def wait_for(self, count: int, seconds: float) -> list[Received]:
        """The first count events; fails with what arrived if they do not within seconds."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while len(self.events) < count and self.ended is None:
                    self.changed.clear()
                    await self.changed.wait()
        assert len(self.events) >= count, (
            f"{self.label}: {len(self.events)} of {count} events in {seconds}s "
            f"(ended: {self.ended}, errors: {self.errors})"
        )
        return self.events[:count]

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                kind = message["type"]
                if kind == "ping":
                    await self.ws.send(json.dumps({"type": "pong"}))
                elif kind == "next":
                    payload = message["payload"]
                    if payload.get("errors"):
                        self.errors.extend(payload["errors"])
                        continue
                    event = payload["data"]["ticketOpened"]
                    self.events.append(
                        Received(
                            number=event["ticket"]["number"],
                            position=position_of(event["cursor"]),
                            cursor=event["cursor"],
                            at=asyncio.get_running_loop().time(),
                        )
                    )
                elif kind == "error":
                    self.errors.extend(message["payload"])
                    self.ended = "error"
                elif kind == "complete":
                    self.ended = "complete"
                self.changed.set()
        except ConnectionClosed as closed:
            self.ended = self.ended or f"closed ({closed.rcvd.code if closed.rcvd else None})"
        self.ended = self.ended or "closed"
        self.changed.set()

    async def close(self) -> None:
        await self.ws.close()
        if self.reader is not None:
            await self.reader


async def connect_socket(
    server: ServeProcess, token: str, *, receive_buffer: int | None = None, **options: Any
) -> Any:
    """A websocket past connection_init (acknowledged), with no subscription yet.

    receive_buffer shrinks the kernel's receive buffer (set before connecting, so that
    the TCP window follows), for a client meant to stall after a few messages.
    """
    if receive_buffer is not None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.port))
        options["sock"] = sock
    ws = await websockets.connect(
        server.ws_url,
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        open_timeout=10,
        proxy=None,
        **options,
    )
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    await ws.send(json.dumps(init))
    ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert ack["type"] == "connection_ack", ack
    return ws


async def send_subscribe(ws: Any, document: str, variables: dict[str, Any]) -> None:
    payload = {"query": document, "variables": variables}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))


async def follow(
    server: ServeProcess, person: Person, *, after: str | None = None, label: str = ""
) -> FeedClient:
    """Subscribe to the feed on server as person, reading in the background."""
    ws = await connect_socket(server, person.token)
    await send_subscribe(ws, OPENED, {"after": after} if after else {})
    client = FeedClient(label or f"{person.name}@{server.name}", ws)
    client.reader = asyncio.create_task(client._read())
    return client


# --- seeding (run in a child process: python -m tests.servers) ---------------------------------


async def _seed_here() -> dict[str, dict[str, Any]]:
    from tortoise import Tortoise

    from app.config import Settings, use_settings
    from app.db import apply_migrations, tortoise_config
    from app.models.enums import Role, TeamKind, TicketType
    from app.services.auth import issue_token
    from app.services.routing import set_route
    from app.services.teams import ensure_team
    from app.services.users import ensure_user

    settings = Settings.from_env()
    use_settings(settings)
    await apply_migrations(settings)
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        await ensure_team(name="Support", kind=TeamKind.INTERNAL)
        await ensure_team(name="Product", kind=TeamKind.INTERNAL)
        for ticket_type in TicketType:
            team = "Product" if ticket_type is TicketType.FEATURE_REQUEST else "Support"
            await set_route(ticket_type=ticket_type, team_name=team)
        people = {
            "admin": (Role.ADMIN, []),
            "admin2": (Role.ADMIN, []),
            "support1": (Role.HANDLER, ["Support"]),
            "support2": (Role.HANDLER, ["Support"]),
            "support3": (Role.HANDLER, ["Support"]),
            "product": (Role.HANDLER, ["Product"]),
            "alice": (Role.REQUESTER, []),
        }
        made: dict[str, dict[str, Any]] = {}
        for name, (role, teams) in people.items():
            user = await ensure_user(
                email=f"{name}@example.com",
                display_name=name.title(),
                role=role,
                team_names=teams,
                password=SEED_PASSWORD,
            )
            made[name] = {"id": user.id, "token": issue_token(user.id)}
        return made
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_seed_here())))
