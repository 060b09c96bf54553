"""The live feed across real `support-desk serve` processes sharing one PostgreSQL database.

What a dashboard relies on, whichever process it is connected to: every opened ticket
it may see arrives once, in position order, promptly; a listener that loses its
connection catches up; a dropped client resumes with its last cursor; a subscriber that
cannot keep up is cut off with a reason without slowing the others.

PostgreSQL only (several processes cannot share an SQLite database): with
TEST_DATABASE_URL set these tests run, and fail if the database or Redis is unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import string
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as redis

from app.services.brokers import CHANNEL
from app.services.pagination import encode_cursor
from tests.servers import (
    FeedClient,
    Person,
    Received,
    ServeProcess,
    Spec,
    Submitter,
    connect_socket,
    feed_head,
    feed_numbers,
    follow,
    fresh_database,
    listener_pids,
    position_of,
    seed,
    send_subscribe,
    server_env,
    serving,
    terminate_listeners,
)

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
# A woken hub delivers in milliseconds; without a wake-up only its 5 s poll would.
PROMPT = 2.5
DELIVERY = 30.0  # seconds for a whole burst to reach every subscriber

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL,
    reason="several serve processes need PostgreSQL: set TEST_DATABASE_URL",
)
needs_redis = pytest.mark.skipif(
    not TEST_REDIS_URL, reason="the Redis broker needs TEST_REDIS_URL (redis://host:6379/n)"
)


@pytest.fixture(autouse=True)
def clean() -> None:
    """Replaces conftest's table cleaning: these tests serve their own database."""


@dataclass
class Installation:
    url: str
    people: dict[str, Person]


@pytest.fixture(scope="module")
async def installation() -> AsyncIterator[Installation]:
    """A fresh database, migrated, with the desk's people; dropped after the module."""
    async with fresh_database(TEST_DATABASE_URL) as url:
        yield Installation(url, await seed(url))


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(timeout=30, trust_env=False, limits=limits) as client:
        yield client


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    return tmp_path


POST_NOTE = """mutation P($id: ID!, $body: String!) {
  postMessage(input: {id: $id, body: $body, internal: true}) { userErrors { code } } }"""
TAKE = "mutation T($input: TakeTicketInput!) { takeTicket(input: $input) { userErrors { code } } }"
FIND = "query F($n: Int!) { ticket(number: $n) { id } }"


async def ticket_id_of(
    http: httpx.AsyncClient, server: ServeProcess, person: Person, number: int
) -> str:
    data = await Submitter(http, person).call(server, FIND, {"n": number})
    return str(data["ticket"]["id"])


def head_cursor(position: int) -> str:
    """The cursor of the feed's head: subscribing after it misses nothing opened later,
    even if the subscription is registered after the first submissions."""
    return encode_cursor("feed", [position])


def subject(label: str, n: int) -> str:
    return f"Multi-process feed test: {label} {n}"


async def until(check: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await check():
        assert loop.time() < deadline, f"not within {seconds}s: {what}"
        await asyncio.sleep(0.05)


async def promptly(
    submitter: Submitter, through: ServeProcess, subs: list[FeedClient], label: str
) -> int:
    """Open a ticket through one process: every subscriber has it within PROMPT seconds."""
    counts = [len(sub.events) for sub in subs]
    started = asyncio.get_running_loop().time()
    number = await submitter.open(through, subject(label, len(counts)))
    for sub, count in zip(subs, counts, strict=True):
        event = (await sub.wait_for(count + 1, PROMPT))[count]
        assert event.number == number, (sub.label, event, number)
        assert event.at - started < PROMPT, (sub.label, event.at - started)
    return number


async def open_many(
    submitter: Submitter, servers: list[ServeProcess], count: int, label: str, concurrency: int
) -> list[int]:
    """count tickets, submitted concurrently, spread over the servers in turn."""
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> int:
        async with gate:
            return await submitter.open(servers[i % len(servers)], subject(label, i))

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def all_receive_exactly(subs: list[FeedClient], expected: list[int], head: int) -> None:
    """Every subscriber has exactly the expected numbers, in feed position order, once."""
    await asyncio.gather(*(sub.wait_for(len(expected), DELIVERY) for sub in subs))
    await asyncio.sleep(0.3)  # a duplicate or stray event would arrive by now
    positions = list(range(head + 1, head + len(expected) + 1))
    for sub in subs:
        assert sub.numbers == expected, sub.label
        assert [e.position for e in sub.events] == positions, sub.label
        assert (sub.errors, sub.ended) == ([], None), sub.label


async def close_all(subs: list[FeedClient]) -> None:
    await asyncio.gather(*(sub.close() for sub in subs))


# --- two processes, one database -------------------------------------------------------------


async def test_ticket_opened_through_one_process_reaches_a_subscriber_of_another(
    installation: Installation, http: httpx.AsyncClient, logs: Path
) -> None:
    env = server_env(installation.url)
    people = installation.people
    async with serving([Spec("A", env), Spec("B", env)], logs) as (a, b):
        head = await feed_head(installation.url)
        sub = await follow(b, people["support1"], after=head_cursor(head))
        submitter = Submitter(http, people["alice"])
        numbers = [await promptly(submitter, a, [sub], "A to B") for _ in range(3)]
        await all_receive_exactly([sub], numbers, head)
        await sub.close()


UPDATED = "subscription U($id: ID!) { ticketUpdated(id: $id) { status messages { totalCount } } }"


@pytest.mark.parametrize("broker", ["postgres", pytest.param("redis", marks=needs_redis)])
async def test_a_change_through_one_process_reaches_a_ticket_page_on_another(
    installation: Installation, http: httpx.AsyncClient, logs: Path, broker: str
) -> None:
    env = server_env(
        installation.url, **({"BROKER_URL": TEST_REDIS_URL} if broker == "redis" else {})
    )
    people = installation.people
    async with serving([Spec("A", env), Spec("B", env)], logs) as (a, b):
        number = await Submitter(http, people["alice"]).open(a, subject("page", 0))
        ticket_id = await ticket_id_of(http, a, people["support1"], number)
        ws = await connect_socket(b, people["support1"].token)
        await send_subscribe(ws, UPDATED, {"id": ticket_id})
        handler = Submitter(http, people["support1"])
        # B registers the subscription asynchronously: post notes through A until one
        # arrives, so that the change below is surely after it.
        for attempt in range(20):
            await handler.call(a, POST_NOTE, {"id": ticket_id, "body": f"note {attempt}"})
            with contextlib.suppress(TimeoutError):
                first = json.loads(await asyncio.wait_for(ws.recv(), 1))
                break
        else:
            raise AssertionError("no note reached the ticket page on B")
        assert first["type"] == "next", first
        await handler.call(a, TAKE, {"input": {"id": ticket_id}})
        while True:  # skip the pushes of the notes posted before the first arrived
            message = json.loads(await asyncio.wait_for(ws.recv(), PROMPT))
            assert message["type"] == "next", message
            if message["payload"]["data"]["ticketUpdated"]["status"] == "PENDING":
                break
        await ws.close()


@pytest.mark.parametrize("broker", ["postgres", pytest.param("redis", marks=needs_redis)])
async def test_burst_across_processes_reaches_every_subscriber_once_in_order(
    broker: str, installation: Installation, http: httpx.AsyncClient, logs: Path
) -> None:
    settings = {"BROKER_URL": TEST_REDIS_URL} if broker == "redis" else {}
    env = server_env(installation.url, **settings)
    people = installation.people
    async with serving([Spec("A", env), Spec("B", env)], logs) as (a, b):
        if broker == "redis":
            # No LISTEN connection: Redis alone carries the wake-ups between processes.
            assert await listener_pids(installation.url) == []
            async with redis.from_url(TEST_REDIS_URL) as client:
                listening = dict(await client.pubsub_numsub(CHANNEL))
            assert listening[CHANNEL.encode()] >= 2, listening
        else:
            assert len(await listener_pids(installation.url)) == 2
        head = await feed_head(installation.url)
        subs = [
            await follow(server, people[name], after=head_cursor(head))
            for server in (a, b)
            for name in ("admin", "support1", "support2")
        ]
        submitter = Submitter(http, people["alice"])
        # Each process's tickets wake the other's hub at once.
        opened = [await promptly(submitter, s, subs, "warm-up") for s in (a, b)]
        opened += await open_many(submitter, [a, b], 200, f"burst {broker}", concurrency=16)

        expected = await feed_numbers(installation.url, head)
        assert sorted(expected) == sorted(opened)  # the table holds each ticket once
        await all_receive_exactly(subs, expected, head)
        await close_all(subs)


# --- faults: listeners killed, clients dropped ---------------------------------------------


async def test_killed_listeners_lose_nothing_and_a_dropped_client_resumes_exactly(
    installation: Installation, http: httpx.AsyncClient, logs: Path
) -> None:
    url = installation.url
    people = installation.people
    env = server_env(url)
    async with serving([Spec("A", env), Spec("B", env)], logs) as (a, b):
        first_listeners = await listener_pids(url)
        assert len(first_listeners) == 2, first_listeners
        head = await feed_head(url)
        start = head_cursor(head)
        live = [
            await follow(a, people["admin"], after=start),
            await follow(a, people["support1"], after=start),
            await follow(b, people["admin2"], after=start),
            await follow(b, people["support2"], after=start),
        ]
        dropping = await follow(b, people["support3"], after=start, label="dropping")
        submitter = Submitter(http, people["alice"])
        opened = [await promptly(submitter, s, [*live, dropping], "before") for s in (a, b)]

        submitted: list[int] = []
        killed: list[list[int]] = []

        async def submit_all() -> None:
            gate = asyncio.Semaphore(3)

            async def one(i: int) -> None:
                async with gate:
                    submitted.append(await submitter.open((a, b)[i % 2], subject("fault", i)))

            await asyncio.gather(*(one(i) for i in range(150)))

        async def listeners_back(old: list[int]) -> bool:
            now = await listener_pids(url)
            return len(now) == 2 and not set(now) & set(old)

        async def chaos() -> tuple[list[Received], FeedClient]:
            await until(_at_least(submitted, 30), 30, "30 submissions")
            killed.append(await terminate_listeners(url))
            await until(lambda: listeners_back(killed[-1]), 10, "listeners reconnected")
            # The dropping client goes away mid-stream, as a laptop lid closes.
            await until(_has_events(dropping, 20), 30, "20 events at the dropping client")
            await dropping.close()
            before = list(dropping.events)
            await until(_at_least(submitted, 80), 30, "80 submissions")
            killed.append(await terminate_listeners(url))
            await until(_at_least(submitted, 110), 30, "110 submissions")
            resumed = await follow(b, people["support3"], after=before[-1].cursor, label="resumed")
            return before, resumed

        _, (before, resumed) = await asyncio.gather(submit_all(), chaos())
        assert [len(pids) for pids in killed] == [2, 2], killed
        await until(lambda: listeners_back(killed[-1]), 10, "listeners reconnected")
        opened += submitted
        so_far = len(await feed_numbers(url, head))
        await asyncio.gather(*(sub.wait_for(so_far, DELIVERY) for sub in live))
        await resumed.wait_for(so_far - len(before), DELIVERY)
        # LISTEN works again: wake-ups cross processes at once, not by the 5 s poll.
        opened += [await promptly(submitter, s, [*live, resumed], "after") for s in (a, b)]

        expected = await feed_numbers(url, head)
        assert sorted(expected) == sorted(opened)
        await all_receive_exactly(live, expected, head)
        # The dropped client: a prefix, then from its last cursor exactly what it missed.
        assert [e.number for e in before] == expected[: len(before)]
        resume_at = position_of(before[-1].cursor)
        await all_receive_exactly([resumed], expected[len(before) :], resume_at)
        await close_all([*live, resumed])


def _at_least(items: list[int], count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return len(items) >= count

    return check


def _has_events(sub: FeedClient, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return len(sub.events) >= count

    return check


# --- several workers behind one port ---------------------------------------------------------


async def test_two_workers_behind_one_port_deliver_everything(
    installation: Installation, http: httpx.AsyncClient, logs: Path
) -> None:
    url = installation.url
    people = installation.people
    async with serving([Spec("workers", server_env(url), workers=2)], logs) as (server,):
        # One hub, so one listener, per worker: both workers are up and listening.
        await until(_listeners(url, 2), 20, "two workers listening")
        head = await feed_head(url)
        names = ("admin", "admin2", "support1", "support2", "support3", "alice")
        # Several connections, so that the kernel spreads them over both workers.
        subs = [await follow(server, people[name], after=head_cursor(head)) for name in names]
        submitter = Submitter(http, people["alice"])
        opened = [await promptly(submitter, server, subs, "workers") for _ in range(4)]
        opened += await open_many(submitter, [server], 40, "workers burst", concurrency=8)
        expected = await feed_numbers(url, head)
        assert sorted(expected) == sorted(opened)
        await all_receive_exactly(subs, expected, head)
        await close_all(subs)


def _listeners(url: str, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return len(await listener_pids(url)) == count

    return check


# --- a subscriber that does not read ---------------------------------------------------------

# About 500 kB per event (25 aliases of a 20,000-character description): a client that
# stops reading fills the socket buffers after a few events, then its queue.
HEAVY_ALIASES = 25
HEAVY = (
    "subscription Heavy($after: String) { ticketOpened(after: $after) { cursor ticket { number "
    + " ".join(f"d{i}: description" for i in range(HEAVY_ALIASES))
    + " } } }"
)
QUEUE_SIZE = 8
# Enough for the stalled client to be cut off with room to spare: here it happens
# after about 30 (about 10 events fill the kernel's buffers, 8 its queue).
HEAVY_TICKETS = 50


async def test_subscriber_that_stops_reading_is_cut_off_with_a_reason_others_get_everything(
    installation: Installation, http: httpx.AsyncClient, logs: Path
) -> None:
    url = installation.url
    people = installation.people
    env = server_env(url, FEED_QUEUE_SIZE=str(QUEUE_SIZE))
    async with serving([Spec("small-queues", env)], logs) as (server,):
        head = await feed_head(url)
        fast = [
            await follow(server, people[name], after=head_cursor(head))
            for name in ("admin", "support1")
        ]
        # Stops reading its socket as soon as one message waits (a stalled browser tab),
        # with small kernel buffers so that the server feels it after a few events.
        slow = await connect_socket(
            server,
            people["admin2"].token,
            receive_buffer=16_384,
            max_queue=1,
            compression=None,
            max_size=None,
        )
        await send_subscribe(slow, HEAVY, {"after": head_cursor(head)})

        submitter = Submitter(http, people["alice"])
        noise = random.Random(7)
        opened = []
        for i in range(HEAVY_TICKETS):
            # Incompressible text, so that the events really are heavy on the wire.
            text = "".join(noise.choices(string.ascii_letters, k=20_000))
            opened.append(await submitter.open(server, subject("heavy", i), text))

        expected = await feed_numbers(url, head)
        assert expected == opened  # one at a time: position order is submission order
        await all_receive_exactly(fast, expected, head)

        # The slow one reads at last: a gap-free prefix, then the reason and the end.
        prefix: list[dict[str, Any]] = []
        while True:
            message = json.loads(await asyncio.wait_for(slow.recv(), 10))
            if message["type"] == "ping":
                await slow.send(json.dumps({"type": "pong"}))
            elif message["type"] == "next" and "errors" not in message["payload"]:
                prefix.append(message["payload"]["data"]["ticketOpened"])
            else:
                break
        numbers = [event["ticket"]["number"] for event in prefix]
        assert 0 < len(numbers) < len(expected), numbers
        assert numbers == expected[: len(numbers)]
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert len(errors) == 1, message
        assert "fell too far behind" in errors[0]["message"], errors
        assert "last cursor" in errors[0]["message"], errors
        assert errors[0].get("extensions", {}).get("code") == "SUBSCRIBER_TOO_SLOW", errors
        if message["type"] == "next":
            done = json.loads(await asyncio.wait_for(slow.recv(), 5))
            assert done == {"id": "1", "type": "complete"}, done
        await slow.close()

        # Its last cursor resumes it with exactly the rest.
        last = prefix[-1]["cursor"]
        resumed = await follow(server, people["admin2"], after=last)
        await all_receive_exactly([resumed], expected[len(numbers) :], position_of(last))
        await close_all([*fast, resumed])
