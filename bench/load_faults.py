"""Load with faults: two workers on PostgreSQL under 200 clients, one worker killed and
PostgreSQL restarted meanwhile; then every acknowledged submission is checked.

Loopback only, bounded in time: `support-desk serve --workers 2` on a fresh database
(made beside LOAD_DATABASE_URL's, dropped afterwards), CLIENTS clients for DURATION
seconds, each creating and submitting tickets or listing the queue, and SUBSCRIBERS
websocket subscribers of the feed.
At a third of the run one worker is killed (uvicorn starts another); at two thirds
PostgreSQL is restarted (`pg_ctlcluster ... restart`: it ends every connection). Then the
run checks that every submission that was acknowledged exists exactly once, with one
SUBMITTED history entry and one OPENED feed event, and reports the requests, the errors by
kind and when they happened, and how long /readyz took to answer 200 again.

    .venv/bin/python bench/load_faults.py [--clients 200] [--subscribers 20] [--duration 60]

It restarts this machine's PostgreSQL: run it when nothing else uses the database server.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.services.pagination import encode_cursor  # noqa: E402
from tests.servers import (  # noqa: E402  (the repository's own helpers)
    CREATE_DRAFT,
    SUBMIT,
    Spec,
    feed_head,
    fresh_database,
    query,
    seed,
    server_env,
    serving,
)

LIST = "{ tickets(first: 20, filter: {status: [OPEN]}) { totalCount nodes { number } } }"
# A fresh database is made beside this one, and dropped afterwards.
BASE_URL = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


class Tally:
    def __init__(self, started: float) -> None:
        self.started = started
        self.requests = 0
        self.errors: collections.Counter[str] = collections.Counter()
        self.error_times: list[float] = []
        self.acknowledged: list[int] = []
        self.received: collections.Counter[int] = collections.Counter()

    def error(self, kind: str) -> None:
        at = time.monotonic() - self.started
        self.errors[f"{kind} (from {int(at // 5) * 5} s)"] += 1
        self.error_times.append(at)


async def graphql(
    http: httpx.AsyncClient, url: str, token: str, document: str, variables: dict[str, Any]
) -> Any:
    response = await http.post(
        f"{url}/graphql",
        json={"query": document, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
    )
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}")
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(body["errors"][0].get("extensions", {}).get("code", "error"))
    return body["data"]


async def client(
    n: int, http: httpx.AsyncClient, url: str, tokens: dict[str, str], tally: Tally, end: float
) -> None:
    author, handler = tokens["alice"], tokens["support1"]
    while time.monotonic() < end:
        tally.requests += 1
        try:
            if n % 4 == 3:  # a quarter of the clients are handlers watching the queue
                await graphql(http, url, handler, LIST, {})
                continue
            fields = {"subject": f"Load test ticket {n} {time.monotonic():.3f}", "type": "INCIDENT"}
            created = (await graphql(http, url, author, CREATE_DRAFT, {"input": fields}))[
                "createDraft"
            ]
            if created["userErrors"]:
                tally.error(f"createDraft {created['userErrors'][0]['code']}")
                continue
            tally.requests += 1
            submitted = (
                await graphql(http, url, author, SUBMIT, {"input": {"id": created["ticket"]["id"]}})
            )["submitTicket"]
            if submitted["userErrors"]:
                tally.error(f"submitTicket {submitted['userErrors'][0]['code']}")
                continue
            tally.acknowledged.append(int(submitted["ticket"]["number"]))
        except (httpx.HTTPError, RuntimeError) as error:
            tally.error(f"{type(error).__name__}: {error}"[:80])
            await asyncio.sleep(0.2)


async def subscriber(url: str, token: str, after: str, tally: Tally, end: float) -> None:
    """Follows the feed from after (the head before the run), resuming with its last cursor
    whenever the socket drops: it should receive every opened ticket exactly once."""
    while time.monotonic() < end + 10:
        try:
            async with websockets.connect(
                url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"]
            ) as ws:
                init = {"Authorization": f"Bearer {token}"}
                await ws.send(json.dumps({"type": "connection_init", "payload": init}))
                await ws.recv()
                variables = {"after": after}
                document = (
                    "subscription O($after: String) { ticketOpened(after: $after) "
                    "{ cursor ticket { number } } }"
                )
                payload = {"query": document, "variables": variables}
                await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
                while time.monotonic() < end + 10:
                    message = json.loads(
                        await asyncio.wait_for(ws.recv(), end + 10 - time.monotonic())
                    )
                    if message["type"] == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                    elif message["type"] == "next" and message["payload"].get("data"):
                        event = message["payload"]["data"]["ticketOpened"]
                        after = event["cursor"]
                        tally.received[event["ticket"]["number"]] += 1
                    else:
                        break
        except (OSError, websockets.WebSocketException, TimeoutError, json.JSONDecodeError):
            await asyncio.sleep(0.5)


def worker_pids(parent: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True, check=False)
    return [int(pid) for pid in out.stdout.split()]


async def ready_again(http: httpx.AsyncClient, url: str, since: float) -> float:
    """Seconds from since until /readyz answers 200."""
    while True:
        try:
            if (await http.get(f"{url}/readyz", timeout=2)).status_code == 200:
                return time.monotonic() - since
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.1)


async def faults(
    server: Any, http: httpx.AsyncClient, started: float, duration: float, report: dict[str, Any]
) -> None:
    await asyncio.sleep(duration / 3)
    workers = await asyncio.to_thread(worker_pids, server.process.pid)
    victim = max(workers, key=lambda pid: pid) if workers else None
    if victim is not None:
        os.kill(victim, signal.SIGKILL)
        report["worker killed at s"] = round(time.monotonic() - started, 1)
    await asyncio.sleep(duration / 3)
    cluster = sorted(os.listdir("/etc/postgresql"))[-1]
    restarted = time.monotonic()
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"]
    await asyncio.to_thread(subprocess.run, command, check=True)
    report["PostgreSQL restarted at s"] = round(restarted - started, 1)
    report["PostgreSQL restart took s"] = round(time.monotonic() - restarted, 1)
    report["ready again after the restart, s"] = round(
        await ready_again(http, server.url, restarted), 2
    )


async def run(args: argparse.Namespace) -> None:
    async with fresh_database(BASE_URL) as url:
        people = await seed(url)
        tokens = {name: person.token for name, person in people.items()}
        logs = Path(tempfile.mkdtemp())
        async with serving([Spec("load", server_env(url), workers=2)], logs) as (server,):
            limits = httpx.Limits(max_connections=args.clients + 10)
            async with httpx.AsyncClient(timeout=30, limits=limits, trust_env=False) as http:
                started = time.monotonic()
                end = started + args.duration
                tally = Tally(started)
                report: dict[str, Any] = {}
                head = encode_cursor("feed", [await feed_head(url)])
                subscribers = [
                    asyncio.create_task(
                        subscriber(server.url, tokens["support2"], head, tally, end)
                    )
                    for _ in range(args.subscribers)
                ]
                await asyncio.gather(
                    faults(server, http, started, args.duration, report),
                    *(client(n, http, server.url, tokens, tally, end) for n in range(args.clients)),
                )
                await asyncio.gather(*subscribers)
                healthy = (await http.get(f"{server.url}/readyz")).status_code == 200
        rows = await query(
            url,
            "SELECT t.number, "
            "(SELECT count(*) FROM ticket_events e WHERE e.ticket_id = t.id "
            " AND e.kind = 'SUBMITTED') AS submitted, "
            "(SELECT count(*) FROM feed_events f WHERE f.ticket_id = t.id "
            " AND f.kind = 'OPENED') AS opened "
            "FROM tickets t WHERE t.status <> 'DRAFT'",
        )
    found = {row["number"]: (row["submitted"], row["opened"]) for row in rows}
    acknowledged = collections.Counter(tally.acknowledged)
    missing = [n for n in acknowledged if n not in found]
    twice = [n for n, c in acknowledged.items() if c > 1]
    wrong = [n for n in acknowledged if n in found and found[n] != (1, 1)]
    delivered = [n for n in acknowledged if tally.received[n] >= args.subscribers]
    print(f"command: {shlex.join(['python', *sys.argv])}")
    print(f"clients {args.clients}, subscribers {args.subscribers}, {args.duration:g} s")
    for key, value in report.items():
        print(f"{key}: {value}")
    print(f"requests: {tally.requests}; acknowledged submissions: {len(acknowledged)}")
    print(f"errors: {sum(tally.errors.values())}")
    for kind, count in tally.errors.most_common():
        print(f"  {count:6}  {kind}")
    if tally.error_times:
        print(f"errors between s {min(tally.error_times):.1f} and {max(tally.error_times):.1f}")
    print(f"acknowledged but missing: {len(missing)}; acknowledged twice: {len(twice)}")
    print(f"without exactly one SUBMITTED entry and one feed event: {len(wrong)}")
    print(f"received by every subscriber: {len(delivered)}/{len(acknowledged)}")
    duplicates = sum(1 for n in acknowledged if tally.received[n] > args.subscribers)
    print(f"received more often than there are subscribers: {duplicates}")
    print(f"ready at the end: {healthy}")
    ok = not missing and not twice and not wrong and healthy and not duplicates
    ok = ok and len(delivered) == len(acknowledged)
    print("RESULT:", "every acknowledged submission is there once" if ok else "FAILED")
    if not ok:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--subscribers", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
