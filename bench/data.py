"""Fill a database with N realistic tickets for the benchmarks, quickly.

The schema is the app's own: its migrations are applied first, and the teams, routing,
handlers and admins are made through its services (as `support-desk` commands do). Then
requesters, tickets, their history and their messages are bulk-inserted: COPY
(asyncpg `copy_records_to_table`, indexes rebuilt afterwards) on PostgreSQL, `executemany`
in one transaction on SQLite. Deadlines are the app's own (`add_working_time` over the
default calendar with the configured delays), computed once per submission instant of a
pool of instants that tickets share.

Every user's password is BENCH_PASSWORD. About 1 % of the tickets mention SEARCH_WORD.
A database that already holds this generator's data for N tickets is left as it is
(a `counters` row records what was generated); any other content is dropped first.

    python bench/data.py --database-url postgres://postgres@127.0.0.1:5432/db --tickets 100000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from tortoise import Tortoise

from app.config import Settings, sqlite_path, use_settings
from app.db import apply_migrations, tortoise_config
from app.models import Calendar, Team, User
from app.models.enums import (
    DelayCounting,
    MessageKind,
    Priority,
    Role,
    TeamKind,
    TicketEventKind,
    TicketStatus,
    TicketType,
)
from app.services import routing, sla, teams, users
from app.services.auth import hash_password
from app.services.business_time import add_working_time
from app.services.tickets import _search_text  # the app's own search copy, not a second one

# Bump when the generated data changes, so that older benchmark databases are regenerated.
GENERATOR_VERSION = 2
MARKER = f"bench_data_v{GENERATOR_VERSION}"
BENCH_PASSWORD = "bench-password"
SEARCH_WORD = "zeppelin"
SEARCH_SHARE = 0.01
# The handler whose dashboard the benchmarks load, and the admin.
DASHBOARD_HANDLER = "support-1@bench.example"
ADMIN = "admin-1@bench.example"
SEED = 7
CHUNK = 20_000

# (team, kind, handlers)
TEAMS = [
    ("Support", TeamKind.INTERNAL, 12),
    ("Product", TeamKind.INTERNAL, 6),
    ("Partner Hosting", TeamKind.EXTERNAL, 4),
]
ROUTES = {
    TicketType.INCIDENT: "Support",
    TicketType.QUESTION: "Support",
    TicketType.FEATURE_REQUEST: "Product",
}
# Share of incidents an admin re-routes to the external partner.
PARTNER_SHARE = 0.06
STATUS_WEIGHTS = {
    TicketStatus.DRAFT: 2,
    TicketStatus.OPEN: 6,
    TicketStatus.PENDING: 5,
    TicketStatus.WAITING: 2,
    TicketStatus.CLOSED: 85,
}
TYPE_WEIGHTS = {TicketType.INCIDENT: 45, TicketType.QUESTION: 35, TicketType.FEATURE_REQUEST: 20}

FIRST = "Alice Bob Chloé Damien Emma François Gaëlle Hugo Inès Jules Karim Léa Manon Noah Olivia "
FIRST += "Pierre Quentin Rose Sam Théo Ursula Victor Wendy Xavier Yasmine Zoé"
LAST = "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
LAST += "Lefebvre Michel Garcia Smith Jones Taylor Brown Wilson Evans Peeters Janssens Maes"
FIRST_NAMES, LAST_NAMES = FIRST.split(), LAST.split()

# (type, language, subject, description); {n} a number, {thing} a noun of the domain.
TEMPLATES = [
    (
        TicketType.INCIDENT,
        "fr",
        "Réservation {n} introuvable après paiement",
        "J'ai payé la réservation {n} mais elle n'apparaît pas dans mon compte. {extra}",
    ),
    (
        TicketType.INCIDENT,
        "en",
        "Booking {n} missing after payment",
        "I paid for booking {n} but it is not listed in my account. {extra}",
    ),
    (
        TicketType.INCIDENT,
        "en",
        "Invoice INV-{n} shows the wrong VAT rate",
        "The invoice applies 6% instead of 21% on the {thing}. {extra}",
    ),
    (
        TicketType.INCIDENT,
        "fr",
        "La page de connexion ne répond plus",
        "Depuis ce matin personne ne peut se connecter, la page tourne puis échoue. {extra}",
    ),
    (
        TicketType.INCIDENT,
        "en",
        "Payment declined for order {n}",
        "The card was charged but the order {n} says the payment failed. {extra}",
    ),
    (
        TicketType.QUESTION,
        "en",
        "How do I export the monthly bookings to CSV?",
        "I need the list of bookings for the {thing} for our accountant. {extra}",
    ),
    (
        TicketType.QUESTION,
        "fr",
        "Comment changer l'adresse de facturation ?",
        "Notre adresse a changé, où puis-je la modifier pour la facture {n} ? {extra}",
    ),
    (
        TicketType.QUESTION,
        "fr",
        "Annuler la réservation {n} sans frais ?",
        "Est-il possible d'annuler la réservation {n} du {thing} sans pénalité ? {extra}",
    ),
    (
        TicketType.FEATURE_REQUEST,
        "en",
        "Allow recurring bookings every week",
        "We book the same {thing} each Monday; a weekly repeat would save time. {extra}",
    ),
    (
        TicketType.FEATURE_REQUEST,
        "fr",
        "Mode sombre pour le calendrier",
        "Le calendrier des réservations est difficile à lire le soir. {extra}",
    ),
    (
        TicketType.FEATURE_REQUEST,
        "en",
        "Export invoices as PDF in bulk",
        "Downloading {n} invoices one by one takes an afternoon. {extra}",
    ),
]
THINGS = {
    "fr": ["salle de réunion", "chambre double", "mois de novembre", "séminaire", "parking"],
    "en": ["meeting room", "double room", "month of November", "conference", "parking space"],
}
EXTRAS = {
    "fr": [
        "Merci de votre aide.",
        "C'est urgent, nous avons des clients qui attendent.",
        "Le problème se répète depuis mardi.",
        "Voici une capture d'écran de l'erreur.",
        "",
    ],
    "en": [
        "Thanks for your help.",
        "This is urgent, customers are waiting.",
        "It keeps happening since Tuesday.",
        "Screenshot of the error attached.",
        "",
    ],
}
# Appended to ~1 % of descriptions: the word the search scenario looks for.
SEARCH_SENTENCES = {
    "fr": f"Cela concerne l'hôtel {SEARCH_WORD.capitalize()} à Bruxelles.",
    "en": f"This is about the {SEARCH_WORD.capitalize()} hotel in Brussels.",
}
REPLIES = [
    "Thanks, we are looking into it and will come back to you today.",
    "Merci, nous regardons cela et revenons vers vous rapidement.",
    "Could you send us the booking number and a screenshot of the error?",
    "Pourriez-vous nous envoyer le numéro de réservation ?",
]
RESOLUTIONS = ["Fixed on our side; thanks for the report.", "Remboursé.", "Answered by e-mail."]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36",
]

TICKET_COLUMNS = [
    "id",
    "number",
    "subject",
    "description",
    "reference",
    "type",
    "priority",
    "requested_priority",
    "status",
    "author_id",
    "assignee_id",
    "team_id",
    "environment",
    "created_at",
    "updated_at",
    "submitted_at",
    "response_due_at",
    "response_at_risk_at",
    "first_responded_at",
    "waiting_since",
    "pauses",
    "closed_at",
    "resolution",
    "version",
    "search_text",
]
EVENT_COLUMNS = [
    "id",
    "ticket_id",
    "at",
    "actor_id",
    "kind",
    "field",
    "from_value",
    "to_value",
    "reason",
]
MESSAGE_COLUMNS = [
    "id",
    "ticket_id",
    "author_id",
    "kind",
    "body",
    "created_at",
]
USER_COLUMNS = [
    "email",
    "display_name",
    "role",
    "password_hash",
    "token_version",
    "is_active",
    "is_validator",
    "language",
    "mails_off",
    "created_at",
]


@dataclass(frozen=True)
class Person:
    id: int
    name: str


@dataclass
class World:
    """What the tickets refer to: people, teams and the response deadlines."""

    requesters: list[Person]
    handlers: dict[int, list[Person]]  # team id -> its handlers
    admin: Person
    team_ids: dict[str, int]
    team_names: dict[int, str]
    delays: dict[Priority, Any]
    calendar: Any

    def __post_init__(self) -> None:
        self._deadlines: dict[tuple[datetime, Priority], tuple[datetime, datetime]] = {}

    def deadlines(self, submitted: datetime, priority: Priority) -> tuple[datetime, datetime]:
        """(responseDueAt, at-risk moment) as submission computes them (teams have no
        calendar of their own here, so the default one counts for all)."""
        key = (submitted, priority)
        found = self._deadlines.get(key)
        if found is None:
            delay = self.delays[priority]
            calendar = self.calendar if delay.counting is DelayCounting.BUSINESS_HOURS else None
            found = (
                add_working_time(calendar, submitted, delay.amount),
                add_working_time(calendar, submitted, delay.amount * sla.AT_RISK_SHARE),
            )
            self._deadlines[key] = found
        return found


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


async def make_world(n_tickets: int, password_hash: str, now: datetime) -> World:
    """Teams, routes, handlers and an admin through the services; requesters in bulk."""
    rng = random.Random(SEED)
    for name, kind, _ in TEAMS:
        await teams.ensure_team(name=name, kind=kind)
    for ticket_type, team_name in ROUTES.items():
        await routing.set_route(ticket_type=ticket_type, team_name=team_name)
    team_ids = {team.name: team.id for team in await Team.all()}
    handlers: dict[int, list[Person]] = {}
    for name, _, count in TEAMS:
        people = []
        for i in range(1, count + 1):
            slug = name.split()[0].lower()
            user = await users.ensure_user(
                email=f"{slug}-{i}@bench.example",
                display_name=person_name(rng),
                role=Role.HANDLER,
                team_names=[name],
                password=BENCH_PASSWORD,
            )
            people.append(Person(user.id, user.display_name))
        handlers[team_ids[name]] = people
    admin = await users.ensure_user(
        email=ADMIN, display_name="Ada Admin", role=Role.ADMIN, password=BENCH_PASSWORD
    )
    n_requesters = max(50, n_tickets // 20)
    rows = [
        (
            f"requester-{i}@bench.example",
            person_name(rng),
            Role.REQUESTER.value,
            password_hash,
            0,
            True,
            False,
            rng.choice(["fr", "en"]),
            [],
            now - timedelta(days=400),
        )
        for i in range(1, n_requesters + 1)
    ]
    await User.bulk_create(
        [User(**dict(zip(USER_COLUMNS, row, strict=True))) for row in rows], batch_size=5000
    )
    requesters = [
        Person(u.id, u.display_name) for u in await User.filter(role=Role.REQUESTER).order_by("id")
    ]
    default = await Calendar.get(is_default=True)
    return World(
        requesters=requesters,
        handlers=handlers,
        admin=Person(admin.id, admin.display_name),
        team_ids=team_ids,
        team_names={v: k for k, v in team_ids.items()},
        delays=await sla.response_delays(),
        calendar=sla.business_calendar(default),
    )


def weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class Rows:
    """Tickets with their history and messages, numbered from 1, chunk by chunk."""

    def __init__(self, world: World, now: datetime, n_tickets: int) -> None:
        self.world = world
        self.rng = random.Random(SEED + 1)
        self.event_id = 0
        self.message_id = 0
        # Submission instants shared by many tickets, so that deadlines are computed once
        # per (instant, priority): older ones over a year, recent ones over the last 10 days.
        day = timedelta(days=1).total_seconds()
        plan_rng = random.Random(SEED + 2)
        old = [
            now - timedelta(seconds=plan_rng.uniform(10 * day, 365 * day)) for _ in range(40_000)
        ]
        new = [now - timedelta(seconds=plan_rng.uniform(0, 10 * day)) for _ in range(10_000)]
        # Each ticket's status and submission, numbered in the order of time as the service
        # numbers them: the tickets still open are the recent ones, at the end of the table.
        plan = []
        for _ in range(n_tickets):
            status = weighted(plan_rng, STATUS_WEIGHTS)
            recent = status is not TicketStatus.CLOSED or plan_rng.random() < 0.1
            plan.append((plan_rng.choice(new if recent else old), status))
        plan.sort(key=lambda item: item[0])
        self.plan = plan

    def chunk(self, first: int, last: int) -> tuple[list[tuple], list[tuple], list[tuple]]:
        tickets: list[tuple] = []
        events: list[tuple] = []
        messages: list[tuple] = []
        for number in range(first, last + 1):
            self._ticket(number, tickets, events, messages)
        return tickets, events, messages

    def _event(self, events: list[tuple], ticket_id: int, at: datetime, actor: Person | None,
               kind: TicketEventKind, field: str | None = None, old: str | None = None,
               new: str | None = None, reason: str | None = None) -> None:  # fmt: skip
        self.event_id += 1
        actor_id = actor.id if actor else None
        events.append((self.event_id, ticket_id, at, actor_id, kind.value, field, old, new, reason))

    def _message(self, messages: list[tuple], ticket_id: int, author: Person,
                 kind: MessageKind, body: str, at: datetime) -> None:  # fmt: skip
        self.message_id += 1
        messages.append((self.message_id, ticket_id, author.id, kind.value, body, at))

    def _ticket(self, tid: int, tickets: list, events: list, messages: list) -> None:
        rng, world = self.rng, self.world
        submitted, status = self.plan[tid - 1]
        ticket_type = weighted(rng, TYPE_WEIGHTS)
        _, lang, subject, description = rng.choice([t for t in TEMPLATES if t[0] is ticket_type])
        n = rng.randint(1000, 99999)
        thing = rng.choice(THINGS[lang])
        subject = subject.format(n=n, thing=thing)
        description = description.format(n=n, thing=thing, extra=rng.choice(EXTRAS[lang]))
        if rng.random() < SEARCH_SHARE:
            description = f"{description} {SEARCH_SENTENCES[lang]}"
        reference = f"BK-{n}" if rng.random() < 0.4 else None
        requested = rng.choice([Priority.P1, Priority.P2, Priority.P3, Priority.P4])
        requested = requested if rng.random() < 0.3 else None
        priority = sla.effective_priority(requested, ticket_type)
        author = rng.choice(world.requesters)
        created = submitted - timedelta(seconds=rng.randint(30, 900))
        self._event(events, tid, created, author, TicketEventKind.CREATED)
        row: dict[str, Any] = {
            "id": tid,
            "number": tid,
            "subject": subject,
            "description": description,
            "reference": reference,
            "type": ticket_type.value,
            "priority": priority.value,
            "requested_priority": requested.value if requested else None,
            "status": status.value,
            "author_id": author.id,
            "assignee_id": None,
            "team_id": None,
            "environment": rng.choice(USER_AGENTS),
            "created_at": created,
            "updated_at": created,
            "submitted_at": None,
            "response_due_at": None,
            "response_at_risk_at": None,
            "first_responded_at": None,
            "waiting_since": None,
            "pauses": "[]",
            "closed_at": None,
            "resolution": None,
            "version": 1,
            "search_text": _search_text(subject, description, reference),
        }
        if status is not TicketStatus.DRAFT:
            self._submitted(row, tid, author, submitted, priority, ticket_type, status, events,
                            messages)  # fmt: skip
        tickets.append(tuple(row[c] for c in TICKET_COLUMNS))

    def _submitted(self, row: dict[str, Any], tid: int, author: Person, submitted: datetime,
                   priority: Priority, ticket_type: TicketType, status: TicketStatus,
                   events: list, messages: list) -> None:  # fmt: skip
        rng, world = self.rng, self.world
        team_id = world.team_ids[ROUTES[ticket_type]]
        due, at_risk = world.deadlines(submitted, priority)
        row.update(
            submitted_at=submitted,
            team_id=team_id,
            response_due_at=due,
            response_at_risk_at=at_risk,
            updated_at=submitted,
            version=2,
        )
        self._event(events, tid, submitted, author, TicketEventKind.SUBMITTED, "status",
                    TicketStatus.DRAFT.value, TicketStatus.OPEN.value)  # fmt: skip
        self._message(messages, tid, author, MessageKind.REQUEST, row["description"], submitted)
        if ticket_type is TicketType.INCIDENT and rng.random() < PARTNER_SHARE:
            at = submitted + timedelta(minutes=rng.randint(2, 30))
            partner = world.team_ids["Partner Hosting"]
            self._event(events, tid, at, world.admin, TicketEventKind.ADJUSTED, "team",
                        world.team_names[team_id], world.team_names[partner],
                        "Partner outage affects several customers")  # fmt: skip
            row.update(team_id=partner, updated_at=at, version=row["version"] + 1)
            team_id = partner
        if status is TicketStatus.OPEN:
            return
        handler = rng.choice(world.handlers[team_id])
        taken = submitted + timedelta(minutes=rng.randint(5, 60 * 30))
        answered = taken + timedelta(minutes=rng.randint(1, 120))
        self._event(events, tid, taken, handler, TicketEventKind.ASSIGNED, "assignee", None,
                    handler.name)  # fmt: skip
        self._event(events, tid, taken, handler, TicketEventKind.STATUS_CHANGED, "status",
                    TicketStatus.OPEN.value, TicketStatus.PENDING.value)  # fmt: skip
        self._event(events, tid, answered, handler, TicketEventKind.MESSAGE_POSTED)
        self._message(messages, tid, handler, MessageKind.PUBLIC, rng.choice(REPLIES), answered)
        row.update(
            assignee_id=handler.id,
            first_responded_at=answered,
            updated_at=answered,
            version=row["version"] + 2,
        )
        if status is TicketStatus.WAITING:
            since = answered + timedelta(minutes=1)
            self._event(events, tid, since, handler, TicketEventKind.STATUS_CHANGED, "status",
                        TicketStatus.PENDING.value, TicketStatus.WAITING.value,
                        "Waiting for the requester's answer")  # fmt: skip
            row.update(waiting_since=since, updated_at=since, version=row["version"] + 1)
        elif status is TicketStatus.CLOSED:
            closed = answered + timedelta(hours=rng.randint(1, 120))
            resolution = rng.choice(RESOLUTIONS)
            self._message(messages, tid, handler, MessageKind.PUBLIC, resolution, closed)
            self._event(events, tid, closed, handler, TicketEventKind.MESSAGE_POSTED)
            self._event(events, tid, closed, handler, TicketEventKind.STATUS_CHANGED, "status",
                        TicketStatus.PENDING.value, TicketStatus.CLOSED.value)  # fmt: skip
            row.update(
                closed_at=closed, resolution=resolution, updated_at=closed,
                version=row["version"] + 1,
            )  # fmt: skip


def chunks(n_tickets: int) -> Iterator[tuple[int, int]]:
    for first in range(1, n_tickets + 1, CHUNK):
        yield first, min(n_tickets, first + CHUNK - 1)


# --- PostgreSQL ------------------------------------------------------------------------


def pg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def pg_generated(url: str) -> int | None:
    """How many tickets this generator's data holds, or None when it is not its data."""
    connection = await asyncpg.connect(pg_dsn(url))
    try:
        if await connection.fetchval("SELECT to_regclass('counters')") is None:
            return None
        return await connection.fetchval("SELECT value FROM counters WHERE name = $1", MARKER)
    finally:
        await connection.close()


async def pg_reset(url: str) -> None:
    connection = await asyncpg.connect(pg_dsn(url))
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


async def pg_bulk(url: str, rows: Rows, n_tickets: int) -> None:
    """COPY the tickets, events and messages with the tables' secondary indexes dropped,
    then rebuild them, set the sequences and counters, and ANALYZE."""
    connection = await asyncpg.connect(pg_dsn(url))
    try:
        async with connection.transaction():
            tables = ("tickets", "ticket_events", "messages")
            indexes = await connection.fetch(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY($1::text[]) "
                "AND indexname LIKE 'idx_%'",
                list(tables),
            )
            for index in indexes:
                await connection.execute(f'DROP INDEX "{index["indexname"]}"')
            for first, last in chunks(n_tickets):
                tickets, events, messages = rows.chunk(first, last)
                await connection.copy_records_to_table(
                    "tickets", records=tickets, columns=TICKET_COLUMNS
                )
                await connection.copy_records_to_table(
                    "ticket_events", records=events, columns=EVENT_COLUMNS
                )
                await connection.copy_records_to_table(
                    "messages", records=messages, columns=MESSAGE_COLUMNS
                )
            for index in indexes:
                await connection.execute(index["indexdef"])
            for table in tables:
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
            await connection.execute(
                "UPDATE counters SET value = $1 WHERE name = 'ticket_number'", n_tickets
            )
            await connection.execute(
                "INSERT INTO counters (name, value) VALUES ($1, $2)", MARKER, n_tickets
            )
        # As autovacuum would have: the visibility map lets counts use index-only scans.
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


# --- SQLite ----------------------------------------------------------------------------


def sqlite_value(value: object) -> object:
    if isinstance(value, datetime):
        return str(value)  # as Tortoise stores them: '2026-12-04 02:47:51.016335+00:00'
    return value


def sqlite_generated(path: str) -> int | None:
    with sqlite3.connect(path) as db:
        try:
            row = db.execute("SELECT value FROM counters WHERE name = ?", (MARKER,)).fetchone()
        except sqlite3.OperationalError:
            return None
    return row[0] if row else None


def sqlite_insert(db: sqlite3.Connection, table: str, columns: Sequence[str], rows: list) -> None:
    marks = ", ".join("?" * len(columns))
    db.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
        ([sqlite_value(v) for v in row] for row in rows),
    )


def sqlite_bulk(path: str, rows: Rows, n_tickets: int) -> None:
    db = sqlite3.connect(path)
    try:
        with db:
            for first, last in chunks(n_tickets):
                tickets, events, messages = rows.chunk(first, last)
                sqlite_insert(db, "tickets", TICKET_COLUMNS, tickets)
                sqlite_insert(db, "ticket_events", EVENT_COLUMNS, events)
                sqlite_insert(db, "messages", MESSAGE_COLUMNS, messages)
            db.execute("UPDATE counters SET value = ? WHERE name = 'ticket_number'", (n_tickets,))
            db.execute("INSERT INTO counters (name, value) VALUES (?, ?)", (MARKER, n_tickets))
        db.execute("ANALYZE")
    finally:
        db.close()


# --- both ------------------------------------------------------------------------------


async def counts(url: str) -> dict[str, int]:
    """How many history events and messages the database holds."""
    query = "SELECT (SELECT count(*) FROM ticket_events), (SELECT count(*) FROM messages)"
    sqlite_file = sqlite_path(url)
    if sqlite_file is not None:
        with sqlite3.connect(sqlite_file) as db:
            events, messages = db.execute(query).fetchone()
    else:
        connection = await asyncpg.connect(pg_dsn(url))
        try:
            events, messages = await connection.fetchrow(query)
        finally:
            await connection.close()
    return {"events": events, "messages": messages}


async def generate(url: str, n_tickets: int, *, force: bool = False) -> dict[str, Any]:
    """Make sure the database holds this generator's N tickets; returns what was done and
    how long it took."""
    sqlite_file = sqlite_path(url)
    held = sqlite_generated(str(sqlite_file)) if sqlite_file else await pg_generated(url)
    if held == n_tickets and not force:
        return {"tickets": n_tickets, "generated": False, "seconds": 0.0, **await counts(url)}
    started = time.perf_counter()
    if sqlite_file is not None:
        sqlite_file.unlink(missing_ok=True)
    else:
        await pg_reset(url)
    settings = Settings.from_env(
        {"DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-bench-secret-key"}
    )
    use_settings(settings)
    await apply_migrations(settings)
    now = datetime.now(UTC).replace(microsecond=0)
    await Tortoise.init(config=tortoise_config(url))
    try:
        world = await make_world(n_tickets, hash_password(BENCH_PASSWORD), now)
    finally:
        await Tortoise.close_connections()
    rows = Rows(world, now, n_tickets)
    if sqlite_file is not None:
        sqlite_bulk(str(sqlite_file), rows, n_tickets)
    else:
        await pg_bulk(url, rows, n_tickets)
    return {
        "tickets": n_tickets,
        "generated": True,
        "seconds": round(time.perf_counter() - started, 1),
        "events": rows.event_id,
        "messages": rows.message_id,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--tickets", type=int, required=True)
    parser.add_argument("--force", action="store_true", help="regenerate even if present")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(generate(args.database_url, args.tickets, force=args.force))))


if __name__ == "__main__":
    main()
