"""Races between two real `support-desk serve` processes on one PostgreSQL database:
optimistic versions, ticket numbers, submission and adjustment stay consistent.

PostgreSQL only (several processes cannot share an SQLite database): with
TEST_DATABASE_URL set these tests run, and fail if the database is unreachable.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import (
    CREATE_DRAFT,
    SUBMIT,
    Person,
    ServeProcess,
    Spec,
    fresh_database,
    query,
    seed,
    server_env,
    serving,
)

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="several processes need PostgreSQL (TEST_DATABASE_URL)"
)
UPDATE = """
mutation U($input: UpdateDraftInput!) {
  updateDraft(input: $input) { ticket { version } userErrors { code } } }
"""
ADJUST = """
mutation A($input: AdjustTicketInput!) {
  adjustTicket(input: $input) { ticket { priority version } userErrors { code } } }
"""


@pytest.fixture(autouse=True)
def clean() -> None:
    """Replaces conftest's table cleaning: these tests serve their own database."""


@pytest.fixture(scope="module")
async def two_servers(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Any]:
    async with fresh_database(TEST_DATABASE_URL) as url:
        people = await seed(url)
        env = server_env(url)
        logs = tmp_path_factory.mktemp("logs")
        async with serving([Spec("A", env), Spec("B", env)], Path(logs)) as servers:
            yield url, people, servers


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(timeout=30, trust_env=False, limits=limits) as client:
        yield client


async def call(
    http: httpx.AsyncClient, server: ServeProcess, person: Person, document: str, input: Any
) -> Any:
    response = await http.post(
        f"{server.url}/graphql",
        json={"query": document, "variables": {"input": input}},
        headers={"authorization": f"Bearer {person.token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


async def draft(http: httpx.AsyncClient, server: ServeProcess, person: Person, subject: str) -> Any:
    created = await call(
        http, server, person, CREATE_DRAFT, {"subject": subject, "type": "INCIDENT"}
    )
    assert created["userErrors"] == [], created
    return created["ticket"]


async def test_fifty_updates_of_one_version_across_processes_one_wins(
    two_servers: Any, http: httpx.AsyncClient
) -> None:
    url, people, (a, b) = two_servers
    alice = people["alice"]
    ticket = await draft(http, a, alice, "Fifty editors at once on one draft")
    answers = await asyncio.gather(
        *(
            call(
                http,
                (a, b)[n % 2],
                alice,
                UPDATE,
                {"id": ticket["id"], "description": f"edit {n}", "expectedVersion": 1},
            )
            for n in range(50)
        )
    )
    wins = [x for x in answers if not x["userErrors"]]
    assert len(wins) == 1, wins
    assert wins[0]["ticket"]["version"] == 2
    assert sorted(e["code"] for x in answers for e in x["userErrors"]) == ["CONFLICT"] * 49
    [row] = await query(url, "SELECT version FROM tickets WHERE number = $1", ticket["number"])
    assert row["version"] == 2


async def test_concurrent_drafts_across_processes_get_unique_numbers(
    two_servers: Any, http: httpx.AsyncClient
) -> None:
    _, people, (a, b) = two_servers
    made = await asyncio.gather(
        *(
            draft(http, (a, b)[n % 2], people["alice"], f"Parallel draft number {n}")
            for n in range(40)
        )
    )
    numbers = [t["number"] for t in made]
    assert len(set(numbers)) == 40


async def test_racing_submissions_and_adjustments_leave_one_consistent_ticket(
    two_servers: Any, http: httpx.AsyncClient
) -> None:
    url, people, (a, b) = two_servers
    alice, admin = people["alice"], people["admin"]
    ticket = await draft(http, a, alice, "Submitted and adjusted at the same time")
    submits = [call(http, (a, b)[n % 2], alice, SUBMIT, {"id": ticket["id"]}) for n in range(10)]
    adjusts = [
        call(http, (b, a)[n % 2], admin, ADJUST, {"id": ticket["id"], "priority": f"P{n % 4 + 1}"})
        for n in range(10)
    ]
    answers = await asyncio.gather(*submits, *adjusts)
    submitted = [x for x in answers[:10] if not x["userErrors"]]
    assert len(submitted) == 1, answers[:10]
    refused = {e["code"] for x in answers[:10] for e in x["userErrors"]}
    assert refused <= {"INVALID_STATE", "CONFLICT"}
    adjusted = [x for x in answers[10:] if not x["userErrors"]]
    assert {e["code"] for x in answers[10:] for e in x["userErrors"]} <= {
        "NOT_FOUND",  # still a draft then: a draft is its author's only
        "CONFLICT",  # changed meanwhile
    }
    rows = await query(
        url,
        "SELECT t.version, t.priority, t.status, "
        "(SELECT count(*) FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'SUBMITTED')"
        " AS submitted, "
        "(SELECT count(*) FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'ADJUSTED')"
        " AS adjusted, "
        "(SELECT count(*) FROM feed_events f WHERE f.ticket_id = t.id AND f.kind = 'OPENED')"
        " AS opened "
        "FROM tickets t WHERE t.number = $1",
        ticket["number"],
    )
    [row] = rows
    assert (row["status"], row["submitted"], row["opened"]) == ("OPEN", 1, 1)
    # Every acknowledged adjustment is in the history (one entry each: only the priority
    # changed), and the version counts the submission and each of them.
    assert row["adjusted"] <= len(adjusted)
    assert row["version"] == 2 + row["adjusted"]
    last = await query(
        url,
        "SELECT e.to_value FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
        "WHERE t.number = $1 AND e.kind = 'ADJUSTED' ORDER BY e.id DESC LIMIT 1",
        ticket["number"],
    )
    if last:  # the ticket's priority is the one the last recorded adjustment set
        assert row["priority"] == last[0]["to_value"]
