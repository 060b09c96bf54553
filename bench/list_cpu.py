"""Server CPU time per request for the dashboard list, read from /proc for the server process.

Starts `support-desk serve --demo` on a fresh database (SQLite in a temporary folder, or
the PostgreSQL database named by BENCH_DATABASE_URL, which is emptied first), signs in as
the admin and sends REQUESTS sequential requests of each query. Prints, per query, the
server's CPU milliseconds per request and the client-observed p50 latency.

    python bench/list_cpu.py [REQUESTS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.proc import cpu_seconds, free_port

QUERIES = {
    "tickets(first: 50) with author/team/assignee + totalCount": """
        { tickets(first: 50, orderBy: {field: PRIORITY, direction: ASC}) {
            totalCount
            nodes { id number subject type priority status responseDueAt overdue
                    author { displayName } team { name } assignee { displayName } } } }""",
    "me": "{ me { id email } }",
}


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    folder = tempfile.mkdtemp()
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite://{folder}/bench.sqlite3"
    if url.startswith("postgres"):
        subprocess.run(
            [
                "psql",
                url.replace("postgres://", "postgresql://", 1),
                "-qc",
                "DROP SCHEMA public CASCADE; CREATE SCHEMA public;",
            ],
            check=True,
        )
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-bench-secret-key"}
    server = subprocess.Popen(
        # The command of this interpreter's environment: a venv need not be activated.
        [str(Path(sys.executable).parent / "support-desk"), "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/graphql"
    try:
        with httpx.Client(timeout=10) as client:
            for _ in range(200):
                try:
                    client.post(base, json={"query": "{ me { id } }"})
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            login = client.post(
                base,
                json={
                    "query": "mutation { login(input: {email: "
                    '"admin@example.com", password: "demo-password"})'
                    " { token } }"
                },
            ).json()
            headers = {"authorization": f"Bearer {login['data']['login']['token']}"}
            print(f"database: {url.split('://')[0]}, {requests} sequential requests each")
            for name, query in QUERIES.items():
                for _ in range(20):  # warm-up
                    client.post(base, json={"query": query}, headers=headers)
                before = cpu_seconds(server.pid)
                latencies = []
                for _ in range(requests):
                    start = time.perf_counter()
                    response = client.post(base, json={"query": query}, headers=headers)
                    latencies.append(time.perf_counter() - start)
                    assert "errors" not in response.json(), response.text
                spent = cpu_seconds(server.pid) - before
                print(
                    f"{name}: server CPU {spent / requests * 1000:.2f} ms/request, "
                    f"p50 {statistics.median(latencies) * 1000:.2f} ms"
                )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
