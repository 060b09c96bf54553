"""Demo data: the teams and routing of domain.md, a few people, tickets in every status,
and the list of improvements their feature requests asked for."""

from __future__ import annotations

import random
from datetime import timedelta

from app.models import OutboxMail, Ticket, TicketEvent, User
from app.models.enums import ImprovementKind, Priority, Role, TeamKind, TicketStatus, TicketType
from app.services import handling, improvements, messages, routing, teams, tickets, users
from app.services.actors import Actor, load_actor

DEMO_PASSWORD = "demo-password"
REPLIES = [
    "Thanks, we are looking into it and will come back to you today.",
    "Merci, nous regardons cela et revenons vers vous rapidement.",
    "Could you send us the booking number and a screenshot of the error?",
]
DEMO_USERS = [
    # email, name, role, teams
    ("admin@example.com", "Ada Admin", Role.ADMIN, []),
    ("support@example.com", "Sam Support", Role.HANDLER, ["Support"]),
    ("product@example.com", "Pat Product", Role.HANDLER, ["Product"]),
    ("partner@example.com", "Erin External", Role.HANDLER, ["Partner Hosting"]),
    ("alice@example.com", "Alice Requester", Role.REQUESTER, []),
    ("bob@example.com", "Bob Requester", Role.REQUESTER, []),
]
SUBJECTS = [
    (
        TicketType.INCIDENT,
        "Réservation 4521 introuvable après paiement",
        "After paying, booking 4521 does not appear in my account.\nExpected: the booking listed.",
    ),
    (
        TicketType.INCIDENT,
        "Invoice INV-2026-118 shows the wrong VAT rate",
        "The invoice applies 6% instead of 21%.",
    ),
    (
        TicketType.INCIDENT,
        "Login page times out for the whole office",
        "Since 9:00 nobody can sign in; the page spins then fails.",
    ),
    (
        TicketType.QUESTION,
        "How do I export the monthly bookings to CSV?",
        "I need the list of bookings for November for our accountant.",
    ),
    (
        TicketType.QUESTION,
        "Comment changer l'adresse de facturation ?",
        "Notre adresse a changé, où puis-je la modifier ?",
    ),
    (
        TicketType.FEATURE_REQUEST,
        "Allow recurring bookings every week",
        "We book the same room each Monday; a weekly repeat would save time.",
    ),
    (
        TicketType.FEATURE_REQUEST,
        "Dark mode for the booking calendar",
        "The calendar is hard to read in the evening.",
    ),
    (
        TicketType.INCIDENT,
        "Hosting: backups of the partner server failed",
        "The nightly backup job reports an error since Tuesday.",
    ),
]


async def is_empty() -> bool:
    return not await User.exists()


async def load_demo() -> list[tuple[str, str]]:
    """Fill an empty database; returns the (e-mail, role) logins, all with DEMO_PASSWORD."""
    await teams.ensure_team(name="Support", kind=TeamKind.INTERNAL)
    await teams.ensure_team(name="Product", kind=TeamKind.INTERNAL)
    await teams.ensure_team(name="Partner Hosting", kind=TeamKind.EXTERNAL)
    await routing.set_route(ticket_type=TicketType.INCIDENT, team_name="Support")
    await routing.set_route(ticket_type=TicketType.QUESTION, team_name="Support")
    await routing.set_route(ticket_type=TicketType.FEATURE_REQUEST, team_name="Product")
    people: dict[str, Actor] = {}
    for email, name, role, team_names in DEMO_USERS:
        user = await users.ensure_user(
            email=email, display_name=name, role=role, team_names=team_names, password=DEMO_PASSWORD
        )
        actor = await load_actor(user.id)
        assert actor is not None
        people[email] = actor
    await _demo_tickets(people)
    await _demo_improvements(people)
    # The demo's past is not news: only what people do from now on is e-mailed.
    await OutboxMail.all().delete()
    return [(email, role.value) for email, _, role, _ in DEMO_USERS]


async def _demo_improvements(people: dict[str, Actor]) -> None:
    """The feature requests asking for the same thing become one item each, with a vote per
    ticket; the admin validated one. Releases are left for the admin to make."""
    product, admin = people["product@example.com"], people["admin@example.com"]
    items: dict[str, int] = {}
    feature_requests = Ticket.filter(type=TicketType.FEATURE_REQUEST).exclude(
        status=TicketStatus.DRAFT
    )
    for ticket in await feature_requests.order_by("number"):
        asked = ticket.subject.rsplit(" (", 1)[0]
        if asked in items:
            await improvements.link_ticket(
                actor=product, ticket_id=ticket.id, improvement_id=items[asked]
            )
        else:
            item = await improvements.propose_improvement(
                actor=product, ticket_id=ticket.id, title=asked, kind=ImprovementKind.IMPROVEMENT
            )
            items[asked] = item.id
    if items:
        first = next(iter(items.values()))
        await improvements.validate_improvement(
            actor=admin, improvement_id=first, priority=Priority.P2
        )


async def _demo_tickets(people: dict[str, Actor]) -> None:
    rng = random.Random(42)
    requesters = [people["alice@example.com"], people["bob@example.com"]]
    admin = people["admin@example.com"]
    later = [TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.WAITING, TicketStatus.CLOSED]
    for i in range(30):
        ticket_type, subject, description = SUBJECTS[i % len(SUBJECTS)]
        author = requesters[i % 2]
        draft = await tickets.create_draft(
            actor=author,
            subject=f"{subject} ({i + 1})",
            description=description,
            reference=f"BK-{4500 + i}" if i % 3 == 0 else None,
            type=ticket_type,
            priority=rng.choice([None, None, Priority.P1, Priority.P3]),
            user_agent="support-desk demo",
        )
        if i % 6 == 5:
            continue  # stays a draft
        ticket = await tickets.submit_ticket(actor=author, ticket_id=draft.id)
        if i % 8 == 7:
            # The hosting incident goes to the external partner.
            await tickets.adjust_ticket(
                actor=admin,
                ticket_id=ticket.id,
                changes={"priority": Priority.P2},
                reason="Partner outage affects several customers",
            )
            await Ticket.filter(id=ticket.id).update(team_id=(await _team_id("Partner Hosting")))
        await _age(ticket.id, timedelta(minutes=37 * i))
        status = later[i % 4]
        if status is not TicketStatus.OPEN:
            await _work(ticket.id, status, people, rng)


async def _age(ticket_id: int, age: timedelta) -> None:
    """Move a ticket back in time, so that the demo has old and overdue tickets."""
    ticket = await Ticket.get(id=ticket_id)
    assert ticket.submitted_at is not None
    assert ticket.response_due_at is not None
    await Ticket.filter(id=ticket_id).update(
        created_at=ticket.created_at - age,
        submitted_at=ticket.submitted_at - age,
        response_due_at=ticket.response_due_at - age,
        response_at_risk_at=(ticket.response_at_risk_at or ticket.response_due_at) - age,
        updated_at=ticket.updated_at - age,
    )
    await TicketEvent.filter(ticket_id=ticket_id).update(at=ticket.submitted_at - age)


async def _team_id(name: str) -> int:
    team = await teams.Team.get(name=name)
    return team.id


TEAM_HANDLERS = {
    "Support": "support@example.com",
    "Product": "product@example.com",
    "Partner Hosting": "partner@example.com",
}


async def _work(
    ticket_id: int, status: TicketStatus, people: dict[str, Actor], rng: random.Random
) -> None:
    """Take the ticket, answer it, then leave it PENDING, WAITING or CLOSED."""
    ticket = await Ticket.get(id=ticket_id).select_related("team")
    handler = people[TEAM_HANDLERS[ticket.team.name]]
    await handling.take_ticket(actor=handler, ticket_id=ticket_id)
    await messages.post_message(actor=handler, ticket_id=ticket_id, body=rng.choice(REPLIES))
    if rng.random() < 0.5:
        await messages.post_message(
            actor=handler,
            ticket_id=ticket_id,
            body="Internal: checked the logs, nothing unusual on our side.",
            internal=True,
        )
    if status is TicketStatus.WAITING:
        await handling.set_waiting(
            actor=handler, ticket_id=ticket_id, reason="Waiting for the requester's answer"
        )
    elif status is TicketStatus.CLOSED:
        await handling.close_ticket(
            actor=handler,
            ticket_id=ticket_id,
            resolution="Fixed on our side; thanks for the report.",
        )
