"""Ticket use cases: drafts, submission, adjustment, reading one ticket and its history."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app.models import Counter, Membership, Message, Team, Ticket, TicketEvent, User
from app.models.enums import MessageKind, Priority, TicketEventKind, TicketStatus, TicketType
from app.services import feed, mail, routing, sla
from app.services.actors import Actor
from app.services.errors import DomainError, ErrorCode, Problem, fail, not_found
from app.services.pagination import Column, Page, Window, cursor_of, fetch_page
from app.services.validation import (
    clean_description,
    clean_reason,
    clean_reference,
    clean_subject,
    fold,
)
from app.services.visibility import get_visible_ticket, handles

ENVIRONMENT_MAX = 500
# History values are kept short: a long description is recorded as changed, not copied.
HISTORY_VALUE_MAX = 200
DRAFT_FIELDS = ("subject", "description", "reference", "type", "priority")


def utc_now() -> datetime:
    return datetime.now(UTC)


def _search_text(subject: str, description: str, reference: str | None) -> str:
    return fold("\n".join((subject, description, reference or "")))


def _history_value(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= HISTORY_VALUE_MAX else None


async def record_event(
    ticket_id: int,
    actor: Actor | None,
    kind: TicketEventKind,
    at: datetime,
    *,
    field: str | None = None,
    old: object = None,
    new: object = None,
    reason: str | None = None,
) -> None:
    await TicketEvent.create(
        ticket_id=ticket_id,
        actor_id=actor.id if actor else None,
        kind=kind,
        at=at,
        field=field,
        from_value=_history_value(old),
        to_value=_history_value(new),
        reason=reason,
    )


async def record_status_change(
    ticket: Ticket, actor: Actor, at: datetime, to: TicketStatus, reason: str | None = None
) -> None:
    await record_event(
        ticket.id,
        actor,
        TicketEventKind.STATUS_CHANGED,
        at,
        field="status",
        old=ticket.status,
        new=to,
        reason=reason,
    )


async def record_assignment(ticket: Ticket, actor: Actor, at: datetime, to: User | None) -> None:
    """From the ticket's assignee (if any) to another one, or to nobody."""
    assignee_id = ticket.assignee_id  # type: ignore[attr-defined]
    old = await User.get_or_none(id=assignee_id) if assignee_id else None
    await record_event(
        ticket.id,
        actor,
        TicketEventKind.ASSIGNED,
        at,
        field="assignee",
        old=old.display_name if old else None,
        new=to.display_name if to else None,
    )


async def _next_number() -> int:
    # The UPDATE locks the counter row until commit: numbers never repeat.
    await Counter.filter(name="ticket_number").update(value=F("value") + 1)
    counter = await Counter.get(name="ticket_number")
    return int(counter.value)


def _clean_draft_fields(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Validate the given draft fields; an explicit None clears an optional one."""
    cleaned: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, value in values.items():
        if name == "subject":
            if value is None:
                problems.append(Problem(ErrorCode.VALIDATION, "subject cannot be empty", name))
                continue
            cleaned[name], found = clean_subject(value)
        elif name == "description":
            cleaned[name], found = clean_description(value or "")
        elif name == "reference":
            cleaned[name], found = clean_reference(value) if value is not None else (None, [])
        elif name in ("type", "priority"):
            cleaned[name], found = value, []
        else:
            raise ValueError(f"not a draft field: {name}")
        problems.extend(found)
    return cleaned, problems


def _clean_environment(user_agent: str | None) -> str | None:
    if not user_agent:
        return None
    printable = "".join(c for c in user_agent if c.isprintable())
    return printable[:ENVIRONMENT_MAX] or None


async def create_draft(
    *,
    actor: Actor,
    subject: str,
    description: str | None = None,
    reference: str | None = None,
    type: TicketType | None = None,
    priority: Priority | None = None,
    user_agent: str | None = None,
) -> Ticket:
    """A new private draft of the actor's."""
    fields, problems = _clean_draft_fields(
        {
            "subject": subject,
            "description": description,
            "reference": reference,
            "type": type,
            "priority": priority,
        }
    )
    if problems:
        raise DomainError(*problems)
    now = utc_now()
    async with in_transaction():
        ticket = await Ticket.create(
            number=await _next_number(),
            subject=fields["subject"],
            description=fields["description"],
            reference=fields["reference"],
            type=type,
            requested_priority=priority,
            priority=sla.effective_priority(priority, type),
            status=TicketStatus.DRAFT,
            author_id=actor.id,
            environment=_clean_environment(user_agent),
            created_at=now,
            updated_at=now,
            search_text=_search_text(fields["subject"], fields["description"], fields["reference"]),
        )
        await record_event(ticket.id, actor, TicketEventKind.CREATED, now)
    return ticket


async def _own_draft(actor: Actor, ticket_id: int) -> Ticket:
    """The actor's own ticket, which must still be a draft."""
    ticket = await get_visible_ticket(actor, ticket_id=ticket_id)
    if ticket is None:
        raise not_found()
    if ticket.author_id != actor.id:  # type: ignore[attr-defined]
        raise fail(ErrorCode.FORBIDDEN, "only the author may do this", "id")
    if ticket.status != TicketStatus.DRAFT:
        raise fail(
            ErrorCode.INVALID_STATE,
            f"ticket #{ticket.number} is {ticket.status.value}, no longer a draft",
            "id",
        )
    return ticket


def changed_meanwhile(ticket: Ticket) -> DomainError:
    return fail(
        ErrorCode.CONFLICT,
        f"ticket #{ticket.number} changed meanwhile; reload it and try again",
        "id",
    )


async def update_draft(
    *,
    actor: Actor,
    ticket_id: int,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
    user_agent: str | None = None,
) -> Ticket:
    """Change the given fields of the actor's draft; absent fields stay as they are."""
    cleaned, problems = _clean_draft_fields(changes)
    async with in_transaction():
        ticket = await _own_draft(actor, ticket_id)
        if expected_version is not None and expected_version != ticket.version:
            raise fail(
                ErrorCode.CONFLICT,
                f"ticket #{ticket.number} is at version {ticket.version}, "
                f"not {expected_version}; reload it and try again",
                "expected_version",
            )
        if problems:
            raise DomainError(*problems)
        if "priority" in cleaned:
            cleaned["requested_priority"] = cleaned.pop("priority")
        before = {k: getattr(ticket, k) for k in cleaned}
        diff = {k: v for k, v in cleaned.items() if before[k] != v}
        if not diff:
            return ticket
        for name, value in diff.items():
            setattr(ticket, name, value)
        now = utc_now()
        values = {
            **diff,
            "priority": sla.effective_priority(ticket.requested_priority, ticket.type),
            "search_text": _search_text(ticket.subject, ticket.description, ticket.reference),
            "environment": _clean_environment(user_agent),
            "updated_at": now,
            "version": ticket.version + 1,
        }
        updated = await Ticket.filter(
            id=ticket.id, version=ticket.version, status=TicketStatus.DRAFT
        ).update(**values)
        if not updated:
            raise changed_meanwhile(ticket)
        for name, value in diff.items():
            field = "priority" if name == "requested_priority" else name
            await record_event(
                ticket.id,
                actor,
                TicketEventKind.UPDATED,
                now,
                field=field,
                old=before[name],
                new=value,
            )
    return await Ticket.get(id=ticket.id)


async def delete_draft(*, actor: Actor, ticket_id: int) -> None:
    """Delete the actor's draft and its history."""
    async with in_transaction():
        ticket = await _own_draft(actor, ticket_id)
        deleted = await Ticket.filter(id=ticket.id, status=TicketStatus.DRAFT).delete()
        if not deleted:
            raise changed_meanwhile(ticket)


async def submit_ticket(*, actor: Actor, ticket_id: int) -> Ticket:
    """Open the actor's draft: priority, team and deadline are set, then the feed is told."""
    async with feed.announcing() as news:
        ticket = await _own_draft(actor, ticket_id)
        problems = clean_subject(ticket.subject)[1]
        if ticket.type is None:
            problems.append(
                Problem(ErrorCode.VALIDATION, "choose a type before submitting", "type")
            )
        if problems:
            raise DomainError(
                *(Problem(p.code, p.message, p.field, on_ticket=True) for p in problems)
            )
        now = utc_now()
        priority = sla.effective_priority(ticket.requested_priority, ticket.type)
        team_id = await routing.team_for(ticket.type)
        due, at_risk = await sla.deadlines(
            submitted_at=now, priority=priority, team_id=team_id, pauses=()
        )
        updated = await Ticket.filter(
            id=ticket.id, version=ticket.version, status=TicketStatus.DRAFT
        ).update(
            status=TicketStatus.OPEN,
            submitted_at=now,
            priority=priority,
            team_id=team_id,
            response_due_at=due,
            response_at_risk_at=at_risk,
            updated_at=now,
            version=ticket.version + 1,
        )
        if not updated:
            # Another call won the race; tell this one what the ticket became.
            current = await Ticket.get_or_none(id=ticket.id)
            if current is None:
                raise not_found()
            if current.status != TicketStatus.DRAFT:
                raise fail(
                    ErrorCode.INVALID_STATE, f"ticket #{ticket.number} was already submitted", "id"
                )
            raise changed_meanwhile(ticket)
        await record_event(
            ticket.id,
            actor,
            TicketEventKind.SUBMITTED,
            now,
            field="status",
            old=TicketStatus.DRAFT,
            new=TicketStatus.OPEN,
        )
        if ticket.description:
            await Message.create(
                ticket_id=ticket.id,
                author_id=actor.id,
                kind=MessageKind.REQUEST,
                body=ticket.description,
                created_at=now,
            )
        news.ticket_opened(ticket.id, team_id=team_id)
        await mail.ticket_opened(await Ticket.get(id=ticket.id), await User.get(id=actor.id))
    return await Ticket.get(id=ticket.id)


async def _stays_assigned(ticket: Ticket, team_id: int | None) -> bool:
    """Whether the ticket's assignee (if any) is a member of the team it moves to."""
    assignee_id = ticket.assignee_id  # type: ignore[attr-defined]
    if assignee_id is None:
        return True
    return team_id is not None and await Membership.exists(user_id=assignee_id, team_id=team_id)


async def _team_name(team_id: int | None) -> str | None:
    team = await Team.get_or_none(id=team_id) if team_id is not None else None
    return team.name if team else None


async def adjust_ticket(
    *, actor: Actor, ticket_id: int, changes: Mapping[str, Any], reason: str | None = None
) -> Ticket:
    """An admin re-types (and so re-routes) or re-prioritises an open ticket."""
    problems = [
        Problem(ErrorCode.VALIDATION, f"{name} cannot be cleared", name)
        for name in ("type", "priority")
        if name in changes and changes[name] is None
    ]
    reason_text, found = clean_reason(reason) if reason is not None else (None, [])
    problems.extend(found)
    async with feed.announcing() as news:
        ticket = await get_visible_ticket(actor, ticket_id=ticket_id)
        if ticket is None:
            raise not_found()
        if not actor.is_admin:
            raise fail(ErrorCode.FORBIDDEN, "only admins adjust tickets", "id")
        if ticket.status in (TicketStatus.DRAFT, TicketStatus.CLOSED):
            raise fail(
                ErrorCode.INVALID_STATE, f"a {ticket.status.value} ticket cannot be adjusted", "id"
            )
        if problems:
            raise DomainError(*problems)
        diff: dict[str, Any] = {}
        new_type, new_priority = changes.get("type"), changes.get("priority")
        if new_type is not None and new_type != ticket.type:
            diff["type"] = new_type
            team_id = await routing.team_for(new_type)
            if team_id != ticket.team_id:  # type: ignore[attr-defined]
                diff["team_id"] = team_id
        if new_priority is not None and new_priority != ticket.priority:
            diff["priority"] = new_priority
        if not diff:
            return ticket
        if "team_id" in diff and not await _stays_assigned(ticket, diff["team_id"]):
            # Its owner is not in the new team: back into that team's queue.
            diff["assignee_id"] = None
            if ticket.status == TicketStatus.PENDING:
                diff["status"] = TicketStatus.OPEN
        # The deadline follows the new priority, and the new team's calendar.
        diff["response_due_at"], diff["response_at_risk_at"] = await sla.deadlines(
            submitted_at=ticket.submitted_at,
            priority=diff.get("priority", ticket.priority),
            team_id=diff.get("team_id", ticket.team_id),  # type: ignore[attr-defined]
            pauses=sla.pauses_of(ticket),
        )
        now = utc_now()
        updated = await Ticket.filter(id=ticket.id, version=ticket.version).update(
            **diff, updated_at=now, version=ticket.version + 1
        )
        if not updated:
            raise changed_meanwhile(ticket)
        news.ticket_changed(ticket.id)
        if "team_id" in diff:
            news.ticket_routed(
                ticket.id,
                team_id=diff["team_id"],
                team_before_id=ticket.team_id,  # type: ignore[attr-defined]
            )
        recorded: list[tuple[str, object, object]] = []
        if "type" in diff:
            recorded.append(("type", ticket.type, diff["type"]))
        if "team_id" in diff:
            old_team = await _team_name(ticket.team_id)  # type: ignore[attr-defined]
            recorded.append(("team", old_team, await _team_name(diff["team_id"])))
        if "priority" in diff:
            recorded.append(("priority", ticket.priority, diff["priority"]))
        if "assignee_id" in diff:
            await record_assignment(ticket, actor, now, None)
        if "status" in diff:
            await record_status_change(ticket, actor, now, diff["status"])
        for field, old, new in recorded:
            await record_event(
                ticket.id,
                actor,
                TicketEventKind.ADJUSTED,
                now,
                field=field,
                old=old,
                new=new,
                reason=reason_text,
            )
    return await Ticket.get(id=ticket.id)


async def get_ticket(
    *, actor: Actor, ticket_id: int | None = None, number: int | None = None
) -> Ticket | None:
    """Exactly one of id or number; None when missing or hidden."""
    if (ticket_id is None) == (number is None):
        raise fail(ErrorCode.VALIDATION, "give exactly one of id or number")
    return await get_visible_ticket(actor, ticket_id=ticket_id, number=number)


HISTORY_COLUMNS = (Column("id"),)


def _visible_events(actor: Actor, ticket_id: int, team_id: int | None) -> QuerySet[TicketEvent]:
    """A ticket's events; that an internal note was written only for those who handle it."""
    query = TicketEvent.filter(ticket_id=ticket_id)
    return query if handles(actor, team_id) else query.exclude(kind=TicketEventKind.NOTE_ADDED)


def _as_seen_by(actor: Actor, team_id: int | None, event: TicketEvent) -> TicketEvent:
    """Users are no directory: whom a ticket was assigned to is for those who handle it;
    a requester sees that it was assigned, not to whom."""
    if event.field == "assignee" and not handles(actor, team_id):
        event.from_value = event.to_value = None
    return event


async def list_history(
    *, actor: Actor, ticket_id: int, team_id: int | None, window: Window
) -> Page[TicketEvent]:
    """The events of a ticket the actor already may see, oldest first."""
    page = await fetch_page(
        _visible_events(actor, ticket_id, team_id),
        tag="h",
        columns=HISTORY_COLUMNS,
        descending=False,
        window=window,
    )
    for event in page.items:
        _as_seen_by(actor, team_id, event)
    return page


async def count_history(*, actor: Actor, ticket_id: int, team_id: int | None) -> int:
    return await _visible_events(actor, ticket_id, team_id).count()


async def get_event(*, actor: Actor, event_id: int) -> TicketEvent | None:
    """One event, if the actor may see its ticket and that event."""
    event = await TicketEvent.get_or_none(id=event_id)
    if event is None:
        return None
    ticket = await get_visible_ticket(actor, ticket_id=event.ticket_id)  # type: ignore[attr-defined]
    if ticket is None:
        return None
    team_id = ticket.team_id  # type: ignore[attr-defined]
    shown = await _visible_events(actor, ticket.id, team_id).filter(id=event_id).first()
    return _as_seen_by(actor, team_id, shown) if shown else None


def history_cursor(event: TicketEvent) -> str:
    return cursor_of(event, tag="h", columns=HISTORY_COLUMNS)
