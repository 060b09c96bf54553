"""The raw floor of the benchmarks: the benchmark's reads done by hand with asyncpg in a tiny
Starlette app, answering the same JSON as the service's GraphQL does for the same request.

Each endpoint does what the service's request must do at the least: verify the bearer
token, load the viewer (role and teams), then the same SQL (visibility, filter, keyset
order, one page plus one row, and the count), with the related people and team joined in.
The suite checks that its answers equal the service's, so the two do the same work.

    FLOOR_DATABASE_URL=postgres://... SECRET_KEY=... uvicorn bench.floor:app
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.config import Settings
from app.models.enums import TicketType
from app.services.business_time import add_working_time, validate_calendar
from app.services.sla import AT_RISK_SHARE, effective_priority
from app.services.validation import fold

SECRET_KEY = os.environ.get("SECRET_KEY", "")
PAGE = 50

# The viewer: who may see which ticket (app/services/visibility.py, for a handler).
VISIBLE = "(t.author_id = $1 OR (t.team_id = ANY($2::int[]) AND t.status <> 'DRAFT'))"
PEOPLE = """
    a.display_name AS author_name, tm.name AS team_name, s.display_name AS assignee_name
    FROM tickets t
    JOIN users a ON a.id = t.author_id
    LEFT JOIN teams tm ON tm.id = t.team_id
    LEFT JOIN users s ON s.id = t.assignee_id"""
LIST = f"""
    SELECT t.id, t.number, t.subject, t.type, t.priority, t.status, t.response_due_at, {PEOPLE}
    WHERE {VISIBLE} AND t.status = 'OPEN'
    ORDER BY t.priority, t.response_due_at NULLS LAST, t.id LIMIT {PAGE + 1}"""
LIST_COUNT = f"SELECT count(*) FROM tickets t WHERE {VISIBLE} AND t.status = 'OPEN'"
SEARCH = f"""
    SELECT t.id, t.number, t.subject, t.priority, t.status FROM tickets t
    WHERE {VISIBLE} AND t.search_text LIKE $3
    ORDER BY t.created_at DESC, t.id DESC LIMIT {PAGE + 1}"""
SEARCH_COUNT = f"SELECT count(*) FROM tickets t WHERE {VISIBLE} AND t.search_text LIKE $3"
TICKET = f"""
    SELECT t.id, t.number, t.subject, t.description, t.type, t.priority, t.status,
           t.response_due_at, {PEOPLE}
    WHERE {VISIBLE} AND t.number = $3"""
HISTORY = """
    SELECT e.id, e.at, e.kind, e.field, e.from_value, e.to_value, e.reason,
           u.display_name AS actor_name
    FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id
    WHERE e.ticket_id = $1 ORDER BY e.id LIMIT 21"""
VIEWER = """
    SELECT u.role, u.token_version,
           array(SELECT m.team_id FROM memberships m WHERE m.user_id = u.id) AS team_ids
    FROM users u WHERE u.id = $1 AND u.is_active"""


NEXT_NUMBER = "UPDATE counters SET value = value + 1 WHERE name = 'ticket_number' RETURNING value"
NEW_DRAFT = """
    INSERT INTO tickets (number, subject, description, type, priority, status, author_id,
        environment, created_at, updated_at, pauses, version, search_text)
    VALUES ($1, $2, $3, $4, $5, 'DRAFT', $6, $7, $8, $8, '[]', 1, $9) RETURNING id"""
NEW_EVENT = """
    INSERT INTO ticket_events (ticket_id, at, actor_id, kind, field, from_value, to_value)
    VALUES ($1, $2, $3, $4, $5, $6, $7)"""
OWN_DRAFT = """
    SELECT t.id, t.number, t.subject, t.description, t.type, t.requested_priority,
           t.version, r.team_id
    FROM tickets t LEFT JOIN routing_rules r ON r.ticket_type = t.type
    WHERE t.id = $1 AND t.author_id = $2 AND t.status = 'DRAFT'"""
SUBMIT = """
    UPDATE tickets SET status = 'OPEN', submitted_at = $2, priority = $3, team_id = $4,
        response_due_at = $5, response_at_risk_at = $6, updated_at = $2, version = $7
    WHERE id = $1 AND version = $7 - 1 AND status = 'DRAFT'"""
CALENDAR = """
    SELECT c.time_zone, c.opening_hours, c.holidays FROM calendars c
    WHERE c.id = (SELECT calendar_id FROM teams WHERE id = $1) OR c.is_default
    ORDER BY c.is_default LIMIT 1"""
MEMBERS = """
    SELECT u.email FROM users u JOIN memberships m ON m.user_id = u.id
    WHERE m.team_id = $1 AND u.is_active AND u.id <> $2"""
FEED_EVENT = """
    WITH p AS (UPDATE counters SET value = value + 1 WHERE name = 'feed_position'
               RETURNING value)
    INSERT INTO feed_events (position, created_at, ticket_id, internal, kind)
    SELECT value, $1, $2, false, 'OPENED' FROM p RETURNING position"""
DELAYS = Settings.from_env({}).response_delays


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def named(key: str, name: str | None) -> dict[str, str] | None:
    return {key: name} if name is not None else None


def people(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "author": {"displayName": row["author_name"]},
        "team": named("name", row["team_name"]),
        "assignee": named("displayName", row["assignee_name"]),
    }


async def viewer(request: Request, db: asyncpg.Connection) -> tuple[int, list[int]] | None:
    """The signed-in handler's id and teams, as the service checks them."""
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    try:
        claims = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    user_id = int(claims["sub"])
    row = await db.fetchrow(VIEWER, user_id)
    if row is None or row["token_version"] != claims["ver"]:
        return None
    return user_id, list(row["team_ids"])


def denied() -> JSONResponse:
    return JSONResponse({"errors": [{"message": "Not signed in"}]}, status_code=401)


async def ticket_list(request: Request) -> JSONResponse:
    async with request.app.state.pool.acquire() as db:
        who = await viewer(request, db)
        if who is None:
            return denied()
        rows = await db.fetch(LIST, *who)
        total = await db.fetchval(LIST_COUNT, *who)
    nodes = [
        {
            "id": gid("Ticket", r["id"]),
            "number": r["number"],
            "subject": r["subject"],
            "type": r["type"],
            "priority": r["priority"],
            "status": r["status"],
            "responseDueAt": iso(r["response_due_at"]),
            **people(r),
        }
        for r in rows[:PAGE]
    ]
    return JSONResponse({"data": {"tickets": {"totalCount": total, "nodes": nodes}}})


async def search(request: Request) -> JSONResponse:
    needle = "%" + (await request.json())["search"] + "%"
    async with request.app.state.pool.acquire() as db:
        who = await viewer(request, db)
        if who is None:
            return denied()
        rows = await db.fetch(SEARCH, *who, needle)
        total = await db.fetchval(SEARCH_COUNT, *who, needle)
    nodes = [
        {
            "id": gid("Ticket", r["id"]),
            "number": r["number"],
            "subject": r["subject"],
            "priority": r["priority"],
            "status": r["status"],
        }
        for r in rows[:PAGE]
    ]
    return JSONResponse({"data": {"tickets": {"totalCount": total, "nodes": nodes}}})


async def ticket_page(request: Request) -> JSONResponse:
    number = (await request.json())["number"]
    async with request.app.state.pool.acquire() as db:
        who = await viewer(request, db)
        if who is None:
            return denied()
        row = await db.fetchrow(TICKET, *who, number)
        events = await db.fetch(HISTORY, row["id"]) if row else []
    if row is None:
        return JSONResponse({"data": {"ticket": None}})
    history = [
        {
            "at": iso(e["at"]),
            "kind": e["kind"],
            "field": e["field"],
            "from": e["from_value"],
            "to": e["to_value"],
            "reason": e["reason"],
            "actor": named("displayName", e["actor_name"]),
        }
        for e in events[:20]
    ]
    ticket = {
        "id": gid("Ticket", row["id"]),
        "number": row["number"],
        "subject": row["subject"],
        "description": row["description"],
        "type": row["type"],
        "priority": row["priority"],
        "status": row["status"],
        "responseDueAt": iso(row["response_due_at"]),
        **people(row),
        "history": {"nodes": history},
    }
    return JSONResponse({"data": {"ticket": ticket}})


async def create_draft(request: Request) -> JSONResponse:
    body = await request.json()
    now = datetime.now(UTC)
    async with request.app.state.pool.acquire() as db:
        who = await viewer(request, db)
        if who is None:
            return denied()
        async with db.transaction():
            number = await db.fetchval(NEXT_NUMBER)
            ticket_id = await db.fetchval(
                NEW_DRAFT,
                number,
                body["subject"],
                body["description"],
                body["type"],
                effective_priority(None, TicketType(body["type"])).value,
                who[0],
                request.headers.get("user-agent"),
                now,
                fold(f"{body['subject']}\n{body['description']}\n"),
            )
            await db.execute(NEW_EVENT, ticket_id, now, who[0], "CREATED", None, None, None)
    ticket = {"id": gid("Ticket", ticket_id)}
    return JSONResponse({"data": {"createDraft": {"ticket": ticket, "userErrors": []}}})


async def submit_ticket(request: Request) -> JSONResponse:
    """Routing, business-hours deadlines (the app's own computation), history, the request
    message, the team's e-mails in the outbox, and the feed event with its NOTIFY."""
    body = await request.json()
    ticket_id = int(base64.b64decode(body["id"]).decode().split(":")[1])
    now = datetime.now(UTC)
    async with request.app.state.pool.acquire() as db:
        who = await viewer(request, db)
        if who is None:
            return denied()
        async with db.transaction():
            draft = await db.fetchrow(OWN_DRAFT, ticket_id, who[0])
            priority = effective_priority(draft["requested_priority"], TicketType(draft["type"]))
            delay = DELAYS[priority]
            row = await db.fetchrow(CALENDAR, draft["team_id"])
            calendar = validate_calendar(
                row["time_zone"],
                json.loads(row["opening_hours"]),
                [date.fromisoformat(d) for d in json.loads(row["holidays"])],
            )
            due = add_working_time(calendar, now, delay.amount)
            at_risk = add_working_time(calendar, now, delay.amount * AT_RISK_SHARE)
            await db.execute(
                SUBMIT,
                ticket_id,
                now,
                priority,
                draft["team_id"],
                due,
                at_risk,
                draft["version"] + 1,
            )
            await db.execute(
                NEW_EVENT, ticket_id, now, who[0], "SUBMITTED", "status", "DRAFT", "OPEN"
            )
            await db.execute(
                "INSERT INTO messages (ticket_id, author_id, kind, body, created_at) "
                "VALUES ($1, $2, 'REQUEST', $3, $4)",
                ticket_id,
                who[0],
                draft["description"],
                now,
            )
            members = await db.fetch(MEMBERS, draft["team_id"], who[0])
            await db.executemany(
                "INSERT INTO outbox (kind, recipient, subject, body, created_at, "
                "next_attempt_at, attempts) VALUES ('TICKET_OPENED', $1, $2, $3, $4, $4, 0)",
                [
                    (
                        m["email"],
                        f"#{draft['number']} {draft['subject']}",
                        draft["description"],
                        now,
                    )
                    for m in members
                ],
            )
            position = await db.fetchval(FEED_EVENT, now, ticket_id)
            await db.execute("SELECT pg_notify('support_desk_feed', $1)", str(position))
    ticket = {"number": draft["number"], "status": "OPEN", "responseDueAt": iso(due)}
    return JSONResponse({"data": {"submitTicket": {"ticket": ticket, "userErrors": []}}})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    url = os.environ["FLOOR_DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    app.state.pool = await asyncpg.create_pool(url, min_size=1, max_size=10)
    yield
    await app.state.pool.close()


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/list", ticket_list, methods=["POST"]),
        Route("/search", search, methods=["POST"]),
        Route("/page", ticket_page, methods=["POST"]),
        Route("/draft", create_draft, methods=["POST"]),
        Route("/submit", submit_ticket, methods=["POST"]),
    ],
    lifespan=lifespan,
)
