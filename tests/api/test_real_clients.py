"""The live feed through real subscription clients that nobody here wrote.

The npm `graphql-ws` client (driven as a Node subprocess, tests/node/feed-client.mjs)
and Python's `gql` with its websockets transport each follow the feed, drop off, and
resume with the last cursor they got: the tickets opened meanwhile must arrive first,
each once and in order, then the live ones. These tests fail, never skip, when Node or
tests/node/node_modules is missing: `scripts/test` installs them with `npm ci`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from app.models import Ticket
from app.services import feed
from app.services.pagination import encode_cursor
from tests.conftest import Desk, Server, make_ticket

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
NODE_PACKAGES = ("graphql-ws", "ws", "graphql", "graphql-http")

OPENED = """
subscription Opened($after: String) {
  ticketOpened(after: $after) { cursor ticket { id number subject priority } }
}
"""


def node_script(name: str) -> list[str]:
    """The command that runs tests/node/<name> with Node, or a failed test saying what
    to install: a missing client must not pass silently as a skip."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is not installed: the real-client tests need node and npm")
    missing = [p for p in NODE_PACKAGES if not (NODE_DIR / "node_modules" / p).is_dir()]
    if missing:
        pytest.fail(
            f"tests/node/node_modules lacks {', '.join(missing)}: run "
            "`npm ci --prefix tests/node` (scripts/test does)"
        )
    return [node, str(NODE_DIR / name)]


async def wait_until(condition: Callable[[], bool], what: str, seconds: float = 5) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting until {what}")


def numbers(events: list[dict[str, Any]]) -> list[int]:
    return [event["ticket"]["number"] for event in events]


def assert_events_are(events: list[dict[str, Any]], expected: list[Ticket]) -> None:
    """The events carry exactly these tickets, in this order, each under its own cursor."""
    assert numbers(events) == [t.number for t in expected]
    assert [e["ticket"]["subject"] for e in events] == [t.subject for t in expected]
    cursors = [e["cursor"] for e in events]
    assert all(isinstance(c, str) and c for c in cursors)
    assert len(set(cursors)) == len(cursors)


# --- Node: the npm graphql-ws client ----------------------------------------------------------


class NodeFeedClient:
    """One running feed-client.mjs: a subscription that prints one JSON line per event."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def next_event(self, seconds: float = 10) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), seconds)
        if not line:
            code, _, problem = await self.finish()
            raise AssertionError(f"the client stopped (exit {code}) before an event: {problem}")
        return json.loads(line)

    async def finish(self, seconds: float = 15) -> tuple[int, list[dict[str, Any]], str]:
        """Exit code, the events it printed that were not read yet, and its stderr."""
        out, err = await asyncio.wait_for(self.process.communicate(), seconds)
        events = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
        assert self.process.returncode is not None
        return self.process.returncode, events, err.decode()


@contextlib.asynccontextmanager
async def node_feed(
    server: Server, token: str, *, count: int, after: str | None = None, wait: bool = True
) -> AsyncIterator[NodeFeedClient]:
    """feed-client.mjs subscribed as token's owner; with wait, yields once the server
    listens for it, so that nothing published next can be missed."""
    command = node_script("feed-client.mjs")
    command += ["--url", server.ws_url, "--token", token, "--count", str(count)]
    command += ["--timeout", "20"] + (["--after", after] if after else [])
    listening = feed.subscriber_count()
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    client = NodeFeedClient(process)
    try:
        if wait:
            await wait_until(
                lambda: feed.subscriber_count() > listening or process.returncode is not None,
                "the Node client's subscription listens",
                seconds=15,
            )
            if process.returncode is not None:
                code, _, problem = await client.finish()
                raise AssertionError(f"the Node client exited {code}: {problem}")
        yield client
    finally:
        if process.returncode is None:
            process.kill()
            await process.communicate()


async def test_node_graphql_ws_client_resumes_with_exactly_the_missed_tickets(
    server: Server, desk: Desk
) -> None:
    baseline = feed.subscriber_count()
    async with node_feed(server, desk.support.token, count=2) as client:
        seen = [await make_ticket(desk.alice, f"Incident seen live {i}") for i in range(2)]
        code, first, problem = await client.finish()
    assert code == 0, problem
    assert_events_are(first, seen)
    # Having got its count, the client disconnected: the server must let the subscription go.
    await wait_until(lambda: feed.subscriber_count() == baseline, "the server drops the client")

    missed = [await make_ticket(desk.bob, f"Incident while offline {i}") for i in range(3)]
    async with node_feed(server, desk.support.token, count=5, after=first[-1]["cursor"]) as client:
        replayed = [await client.next_event() for _ in missed]
        assert_events_are(replayed, missed)
        live = [await make_ticket(desk.alice, f"Incident after resuming {i}") for i in range(2)]
        code, rest, problem = await client.finish()
    assert code == 0, problem
    assert_events_are(rest, live)
    assert len({e["cursor"] for e in [*first, *replayed, *rest]}) == 7


async def test_node_client_is_refused_without_a_valid_token(server: Server, desk: Desk) -> None:
    async with node_feed(server, "not-a-token", count=1, wait=False) as client:
        code, events, problem = await client.finish()
    assert code == 1
    assert events == []
    # graphql-transport-ws: 4403 Forbidden, which graphql-ws does not retry.
    assert json.loads(problem) == {"closeCode": 4403, "reason": "Forbidden"}


async def test_node_client_gets_a_clear_error_for_a_foreign_cursor(
    server: Server, desk: Desk
) -> None:
    ahead = encode_cursor("feed", [10_000])
    async with node_feed(server, desk.support.token, count=1, after=ahead, wait=False) as client:
        code, events, problem = await client.finish()
    assert code == 1
    assert events == []
    errors = json.loads(problem)["errors"]
    assert [e["message"] for e in errors] == ["after is not a cursor of this feed"]


# --- Python: gql with its websockets transport ------------------------------------------------


@contextlib.asynccontextmanager
async def gql_feed(
    server: Server, token: str, after: str | None = None
) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
    """A gql subscription pumped into a queue; leaving the block closes the socket."""
    transport = WebsocketsTransport(
        url=server.ws_url,
        init_payload={"Authorization": f"Bearer {token}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    request = GraphQLRequest(OPENED, variable_values={"after": after} if after else {})
    events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    listening = feed.subscriber_count()
    async with Client(transport=transport) as session:
        assert transport.subprotocol == "graphql-transport-ws"

        async def pump() -> None:
            async for data in session.subscribe(request):
                await events.put(data["ticketOpened"])

        task = asyncio.create_task(pump())
        try:
            await wait_until(
                lambda: feed.subscriber_count() > listening or task.done(),
                "the gql subscription listens",
            )
            if task.done():
                task.result()  # raise why it stopped
                raise AssertionError("the gql subscription ended at once")
            yield events
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def next_events(events: asyncio.Queue[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    return [await asyncio.wait_for(events.get(), 5) for _ in range(n)]


async def test_python_gql_client_resumes_with_exactly_the_missed_tickets(
    server: Server, desk: Desk
) -> None:
    baseline = feed.subscriber_count()
    async with gql_feed(server, desk.support.token) as events:
        seen = [await make_ticket(desk.alice, f"Incident seen live {i}") for i in range(2)]
        first = await next_events(events, 2)
    assert_events_are(first, seen)
    await wait_until(lambda: feed.subscriber_count() == baseline, "the server drops the client")

    missed = [await make_ticket(desk.bob, f"Incident while offline {i}") for i in range(3)]
    async with gql_feed(server, desk.support.token, after=first[-1]["cursor"]) as events:
        assert_events_are(await next_events(events, 3), missed)
        live = [await make_ticket(desk.alice, f"Incident after resuming {i}") for i in range(2)]
        assert_events_are(await next_events(events, 2), live)
        # Nothing replayed twice, nothing extra after the live ones.
        await asyncio.sleep(0.3)
        assert events.empty(), events.get_nowait()


async def test_python_gql_client_gets_a_clear_error_for_a_foreign_cursor(
    server: Server, desk: Desk
) -> None:
    ahead = encode_cursor("feed", [10_000])
    transport = WebsocketsTransport(
        url=server.ws_url,
        init_payload={"Authorization": f"Bearer {desk.support.token}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    request = GraphQLRequest(OPENED, variable_values={"after": ahead})
    async with Client(transport=transport) as session:
        with pytest.raises(TransportQueryError) as raised:
            async for _ in session.subscribe(request):
                pass
    assert raised.value.errors is not None
    assert [e["message"] for e in raised.value.errors] == ["after is not a cursor of this feed"]
