"""Fuzzing over HTTP: queries and mutations generated from the schema (hypothesis-graphql),
and malformed requests. No answer may be a 500, leak a traceback, SQL or a file path,
and a mutation refused as a whole changes nothing.

CI runs a bounded number of examples; a longer run:
    FUZZ_EXAMPLES=2000 ./scripts/test tests/api/test_fuzz.py
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from typing import Any

import hypothesis_graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes

from app.cli import schema_sdl
from app.models import FeedEvent, Improvement, Message, OutboxMail, Release, Ticket, TicketEvent
from tests.conftest import Desk, GraphQLClient

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples every run; FUZZ_EXAMPLES explores more
)
SCALARS = {
    "DateTime": st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ).map(lambda d: nodes.String(d.isoformat())),
    "Date": st.dates().map(lambda d: nodes.String(d.isoformat())),
}
LEAKS = re.compile(
    r"Traceback|File \"|\.py\b|/work/|site-packages|sqlite3|asyncpg|psycopg|SELECT |INSERT |"
    r"UPDATE |tortoise\.|OperationalError|IntegrityError",
)


def check_clean(status: int, text: str) -> None:
    assert status < 500, text
    assert not LEAKS.search(text), text


async def fingerprint() -> tuple[int, ...]:
    """What a refused mutation must leave as it was."""
    counts = [
        await model.all().count()
        for model in (Ticket, TicketEvent, Message, FeedEvent, Improvement, Release, OutboxMail)
    ]
    versions = sum(await Ticket.all().values_list("version", flat=True))
    return (*counts, versions)


PEOPLE = st.sampled_from(["admin", "support", "alice", "partner"])
QUERIES = hypothesis_graphql.queries(schema_sdl(), custom_scalars=SCALARS)
MUTATIONS = hypothesis_graphql.mutations(schema_sdl(), custom_scalars=SCALARS)


async def send(gql: GraphQLClient, desk: Desk, document: str, who: str) -> dict[str, Any]:
    response = await gql.raw({"query": document}, token=getattr(desk, who).token)
    check_clean(response.status_code, response.text)
    body: dict[str, Any] = response.json()
    return body


@FUZZ
@given(document=QUERIES, who=PEOPLE)
async def test_generated_queries_never_crash_or_leak(
    gql: GraphQLClient, desk: Desk, document: str, who: str
) -> None:
    await send(gql, desk, document, who)


@FUZZ
@given(document=MUTATIONS, who=PEOPLE)
async def test_generated_mutations_never_crash_leak_or_half_write(
    gql: GraphQLClient, desk: Desk, document: str, who: str
) -> None:
    before = await fingerprint()
    body = await send(gql, desk, document, who)
    if body.get("data") is None:  # refused as a whole: nothing may have changed
        assert await fingerprint() == before, body


MALFORMED: list[tuple[bytes | str, dict[str, str]]] = [
    (b"{", {}),
    (b"\xff\xfe not utf-8", {}),
    (b'{"query": "\\ud800"}', {}),
    (b'{"query": "{ me { id } }\\u0000"}', {}),
    (b'{"query": 12}', {}),
    (b'{"query": "{ tickets(first: 99999999999999999999) { totalCount } }"}', {}),
    (b'{"query": "{ ticket(number: 1e400) { id } }"}', {}),
    (b'{"query": "query($n: Int) { ticket(number: $n) { id } }", "variables": {"n": 1e40}}', {}),
    (b'{"query": "{ me { id } }", "variables": []}', {}),
    (b"[]", {}),
    ("query=%7B+me+%7B+id+%7D+%7D", {"content-type": "application/x-www-form-urlencoded"}),
    (b"{ me { id } }", {"content-type": "text/plain"}),
    (b'{"query": "{ me { id } }"}', {"content-type": "application/xml"}),
]


@pytest.mark.parametrize(("body", "headers"), MALFORMED)
async def test_malformed_requests_are_clear_4xx_errors(
    gql: GraphQLClient, desk: Desk, body: bytes | str, headers: dict[str, str]
) -> None:
    response = await gql.raw(body, token=desk.admin.token, headers=headers)
    check_clean(response.status_code, response.text)
    if response.status_code == 200:
        assert response.json().get("errors"), response.text
