"""The benchmark's generated data is data the service accepts: bench/data.py on SQLite, then
a real `support-desk serve` on it answers the suite's own requests consistently."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx

from bench import data, suite

TICKETS = 400


def ask(base: str, token: str, query: str, variables: dict[str, object]) -> dict:
    response = httpx.post(
        base + "/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def test_generated_tickets_are_served(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'bench.sqlite3'}"
    command = [sys.executable, str(suite.ROOT / "bench" / "data.py"), "--database-url", url]
    subprocess.run([*command, "--tickets", str(TICKETS)], check=True, capture_output=True)
    again = subprocess.run(
        [*command, "--tickets", str(TICKETS)], check=True, capture_output=True, text=True
    )
    assert '"generated": false' in again.stdout  # reused, not made twice
    db = sqlite3.connect(tmp_path / "bench.sqlite3")
    support = db.execute("SELECT id FROM teams WHERE name = 'Support'").fetchone()[0]
    open_count = db.execute(
        "SELECT count(*) FROM tickets WHERE team_id = ? AND status = 'OPEN'", (support,)
    ).fetchone()[0]
    found = db.execute(
        "SELECT count(*) FROM tickets WHERE team_id = ? AND status <> 'DRAFT' "
        "AND search_text LIKE ?",
        (support, f"%{data.SEARCH_WORD}%"),
    ).fetchone()[0]
    number, events = db.execute(
        "SELECT t.number, count(e.id) FROM tickets t JOIN ticket_events e ON e.ticket_id = t.id "
        "WHERE t.team_id = ? AND t.status = 'CLOSED' GROUP BY t.id ORDER BY t.id LIMIT 1",
        (support,),
    ).fetchone()
    db.close()
    assert open_count > 0
    assert events > 3

    with suite.running(suite.ours(url)) as server:
        token = suite.login(server.base, data.DASHBOARD_HANDLER)
        listed = ask(server.base, token, suite.OURS_LIST, {})["tickets"]
        assert listed["totalCount"] == open_count
        keys = [(n["priority"], n["responseDueAt"]) for n in listed["nodes"]]
        assert keys == sorted(keys)
        assert {n["team"]["name"] for n in listed["nodes"]} == {"Support"}
        searched = ask(server.base, token, suite.OURS_SEARCH, {"search": data.SEARCH_WORD})
        assert searched["tickets"]["totalCount"] == found
        page = ask(server.base, token, suite.OURS_PAGE, {"number": number})["ticket"]
        kinds = [e["kind"] for e in page["history"]["nodes"]]
        assert len(kinds) == events
        assert kinds[0] == "CREATED"
        assert "SUBMITTED" in kinds
        requester = suite.login(server.base, "requester-1@bench.example")
        draft = ask(server.base, requester, suite.OURS_DRAFT, {"subject": "After the data"})
        submitted = ask(
            server.base, requester, suite.OURS_SUBMIT, {"id": draft["createDraft"]["ticket"]["id"]}
        )["submitTicket"]
        assert submitted["userErrors"] == []
        assert submitted["ticket"]["number"] == TICKETS + 1  # the counter follows the data
