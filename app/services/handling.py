"""Working a ticket: take, assign, wait, resume, close and reopen, as domain.md's lifecycle
allows; anything else is INVALID_STATE and changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.config import get_settings
from app.models import Message, Ticket, User
from app.models.enums import MessageKind, Role, TicketEventKind, TicketStatus
from app.services import feed, mail, sla
from app.services.actors import Actor
from app.services.errors import DomainError, ErrorCode, fail, not_found
from app.services.tickets import (
    changed_meanwhile,
    record_assignment,
    record_event,
    record_status_change,
    utc_now,
)
from app.services.validation import clean_body, clean_reason
from app.services.visibility import get_visible_ticket, handles

OPEN, PENDING, WAITING, CLOSED = (
    TicketStatus.OPEN,
    TicketStatus.PENDING,
    TicketStatus.WAITING,
    TicketStatus.CLOSED,
)
# The statuses each action starts from.
ALLOWED_FROM = {
    "taken": {OPEN},
    "assigned": {OPEN, PENDING, WAITING},
    "set waiting": {PENDING},
    "resumed": {WAITING},
    "closed": {OPEN, PENDING, WAITING},
    "reopened": {CLOSED},
}


async def _ticket_for(
    actor: Actor, ticket_id: int, action: str, *, author_too: bool = False
) -> Ticket:
    """The ticket, if the actor may see it, may act on it, and its status allows the action."""
    ticket = await get_visible_ticket(actor, ticket_id=ticket_id)
    if ticket is None:
        raise not_found()
    is_author = author_too and ticket.author_id == actor.id  # type: ignore[attr-defined]
    if not (is_author or handles(actor, ticket.team_id)):  # type: ignore[attr-defined]
        raise fail(ErrorCode.FORBIDDEN, f"only the ticket's team may have it {action}", "id")
    if ticket.status not in ALLOWED_FROM[action]:
        raise fail(
            ErrorCode.INVALID_STATE,
            f"ticket #{ticket.number} is {ticket.status.value}: it cannot be {action}",
            "id",
        )
    return ticket


async def _save(news: feed.Announcements, ticket: Ticket, now: datetime, **changes: Any) -> None:
    updated = await Ticket.filter(id=ticket.id, version=ticket.version).update(
        **changes, updated_at=now, version=ticket.version + 1
    )
    if not updated:
        raise changed_meanwhile(ticket)
    news.ticket_changed(ticket.id)


async def take_ticket(*, actor: Actor, ticket_id: int) -> Ticket:
    """A handler of the ticket's team makes it theirs: OPEN -> PENDING."""
    async with feed.announcing() as news:
        ticket = await _ticket_for(actor, ticket_id, "taken")
        now = utc_now()
        await _save(news, ticket, now, assignee_id=actor.id, status=PENDING)
        await record_assignment(ticket, actor, now, await User.get(id=actor.id))
        await record_status_change(ticket, actor, now, PENDING)
    return await Ticket.get(id=ticket.id)


async def assign_ticket(*, actor: Actor, ticket_id: int, assignee_id: int) -> Ticket:
    """An admin or a handler of the team gives the ticket to a member of that team."""
    async with feed.announcing() as news:
        ticket = await _ticket_for(actor, ticket_id, "assigned")
        team_id = ticket.team_id  # type: ignore[attr-defined]
        if team_id is None:
            raise fail(
                ErrorCode.INVALID_STATE,
                f"ticket #{ticket.number} has no team yet: re-type it to route it first",
                "id",
            )
        member = await User.get_or_none(
            id=assignee_id,
            is_active=True,
            role__in=[Role.HANDLER, Role.ADMIN],
            memberships__team_id=team_id,
        )
        if member is None:
            raise fail(
                ErrorCode.VALIDATION,
                "the assignee must be an active handler of the ticket's team",
                "assignee_id",
            )
        if member.id == ticket.assignee_id:  # type: ignore[attr-defined]
            return ticket
        now = utc_now()
        status = PENDING if ticket.status == OPEN else ticket.status
        await _save(news, ticket, now, assignee_id=member.id, status=status)
        await record_assignment(ticket, actor, now, member)
        if status != ticket.status:
            await record_status_change(ticket, actor, now, status)
    return await Ticket.get(id=ticket.id)


async def set_waiting(*, actor: Actor, ticket_id: int, reason: str | None = None) -> Ticket:
    """PENDING -> WAITING for the requester or a third party: the response clock pauses."""
    reason_text, problems = clean_reason(reason) if reason is not None else (None, [])
    async with feed.announcing() as news:
        ticket = await _ticket_for(actor, ticket_id, "set waiting")
        if problems:
            raise DomainError(*problems)
        now = utc_now()
        await _save(news, ticket, now, status=WAITING, waiting_since=now)
        await record_status_change(ticket, actor, now, WAITING, reason_text)
    return await Ticket.get(id=ticket.id)


async def resume_changes(actor: Actor, ticket: Ticket, now: datetime) -> dict[str, Any]:
    """WAITING -> PENDING (OPEN when it has no owner any more, re-routed meanwhile): the
    wait becomes a pause that pushes the deadlines back. Records the event; the caller
    saves the returned changes with its own."""
    to = PENDING if ticket.assignee_id is not None else OPEN  # type: ignore[attr-defined]
    changes: dict[str, Any] = {"status": to, "waiting_since": None}
    if ticket.waiting_since is not None:
        changes["pauses"] = sla.with_pause(ticket, ticket.waiting_since, now)
        ticket.pauses = changes["pauses"]
    changes["response_due_at"], changes["response_at_risk_at"] = await sla.deadlines(
        submitted_at=ticket.submitted_at,  # type: ignore[arg-type]
        priority=ticket.priority,
        team_id=ticket.team_id,  # type: ignore[attr-defined]
        pauses=sla.pauses_of(ticket),
    )
    await record_status_change(ticket, actor, now, to)
    return changes


async def resume_ticket(*, actor: Actor, ticket_id: int) -> Ticket:
    """WAITING -> PENDING by hand (a requester's message does it by itself)."""
    async with feed.announcing() as news:
        ticket = await _ticket_for(actor, ticket_id, "resumed")
        now = utc_now()
        await _save(news, ticket, now, **await resume_changes(actor, ticket, now))
    return await Ticket.get(id=ticket.id)


async def close_ticket(*, actor: Actor, ticket_id: int, resolution: str) -> Ticket:
    """Done: the resolution note is posted as a public message, then the ticket closes."""
    text, problems = clean_body(resolution, "resolution")
    async with feed.announcing() as news:
        ticket = await _ticket_for(actor, ticket_id, "closed")
        if problems:
            raise DomainError(*problems)
        now = utc_now()
        changes: dict[str, Any] = {
            "status": CLOSED,
            "closed_at": now,
            "resolution": text,
            "waiting_since": None,
        }
        if ticket.status == WAITING and ticket.waiting_since is not None:
            changes["pauses"] = sla.with_pause(ticket, ticket.waiting_since, now)
        is_author = ticket.author_id == actor.id  # type: ignore[attr-defined]
        if not is_author and ticket.first_responded_at is None:
            # The resolution answers the requester: it is the first response.
            changes["first_responded_at"] = now
        await _save(news, ticket, now, **changes)
        await Message.create(
            ticket_id=ticket.id,
            author_id=actor.id,
            kind=MessageKind.PUBLIC,
            body=text,
            created_at=now,
        )
        await record_event(ticket.id, actor, TicketEventKind.MESSAGE_POSTED, now)
        await record_status_change(ticket, actor, now, CLOSED)
        if not is_author:
            await mail.reply_posted(ticket, text)
    return await Ticket.get(id=ticket.id)


async def reopen_ticket(*, actor: Actor, ticket_id: int, reason: str | None = None) -> Ticket:
    """CLOSED -> OPEN: by the author within the reopening period, by the team any time."""
    reason_text, problems = clean_reason(reason) if reason is not None else (None, [])
    async with feed.announcing() as news:
        ticket = await _ticket_for(actor, ticket_id, "reopened", author_too=True)
        if problems:
            raise DomainError(*problems)
        now = utc_now()
        period = get_settings().reopen_period
        acting_as_author = not handles(actor, ticket.team_id)  # type: ignore[attr-defined]
        if acting_as_author and ticket.closed_at is not None and now > ticket.closed_at + period:
            raise fail(
                ErrorCode.INVALID_STATE,
                f"ticket #{ticket.number} was closed more than {period.days} days ago: "
                "submit a new ticket instead",
                "id",
            )
        await _save(news, ticket, now, status=OPEN, closed_at=None, resolution=None)
        await record_status_change(ticket, actor, now, OPEN, reason_text)
    return await Ticket.get(id=ticket.id)
