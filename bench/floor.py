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
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

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
    ],
    lifespan=lifespan,
)
