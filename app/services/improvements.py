"""The list of improvements and fixes: items proposed from tickets, voted for by the tickets
linked to them, validated and prioritised by the validators, planned into releases."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import F, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app.models import Improvement, Team, Ticket
from app.models.enums import ImprovementKind, ImprovementStatus, Priority, TeamKind, TicketEventKind
from app.services import feed
from app.services.actors import Actor
from app.services.errors import DomainError, ErrorCode, fail, not_found
from app.services.pagination import Column, Page, Window, cursor_of, fetch_page
from app.services.tickets import record_event, utc_now
from app.services.validation import clean_description, clean_reason, clean_title
from app.services.visibility import get_visible_ticket, handles, visible_tickets

TITLE_MIN, TITLE_MAX = 5, 150
# Most urgent first, then most asked for.
IMPROVEMENT_COLUMNS = (
    Column("priority", nullable=True, choices=frozenset(Priority)),
    Column("votes", reverse=True),
    Column("id"),
)
PROPOSED, VALIDATED, PLANNED, RELEASED, REJECTED = (
    ImprovementStatus.PROPOSED,
    ImprovementStatus.VALIDATED,
    ImprovementStatus.PLANNED,
    ImprovementStatus.RELEASED,
    ImprovementStatus.REJECTED,
)


async def sees_every_item(actor: Actor) -> bool:
    """Admins, validators and handlers of an internal team see the whole list. Requesters
    and external parties see only the items of tickets they see: the list names other
    tickets, which are not theirs to know of."""
    if actor.validates:
        return True
    if not actor.is_handler or not actor.team_ids:
        return False
    return await Team.filter(id__in=list(actor.team_ids), kind=TeamKind.INTERNAL).exists()


async def visible_improvements(actor: Actor) -> QuerySet[Improvement]:
    if await sees_every_item(actor):
        return Improvement.all()
    theirs = visible_tickets(actor).filter(improvement_id__isnull=False)
    return Improvement.filter(id__in=Subquery(theirs.values("improvement_id")))


async def get_improvements(actor: Actor, improvement_ids: list[int]) -> dict[int, Improvement]:
    """Of these items, those the actor may see, by id (the tickets of a page at once)."""
    found = await (await visible_improvements(actor)).filter(id__in=improvement_ids)
    return {item.id: item for item in found}


async def get_improvement(actor: Actor, improvement_id: int) -> Improvement | None:
    """The item if the actor may see it; None when hidden or missing alike."""
    return (await get_improvements(actor, [improvement_id])).get(improvement_id)


async def list_improvements(
    *,
    actor: Actor,
    window: Window,
    status: list[ImprovementStatus] | None = None,
    kind: list[ImprovementKind] | None = None,
) -> Page[Improvement]:
    """The items the actor may see, by priority (unprioritised last), then votes."""
    return await fetch_page(
        _filtered(await visible_improvements(actor), status, kind),
        tag="i",
        columns=IMPROVEMENT_COLUMNS,
        descending=False,
        window=window,
    )


async def count_improvements(
    *,
    actor: Actor,
    status: list[ImprovementStatus] | None = None,
    kind: list[ImprovementKind] | None = None,
) -> int:
    return await _filtered(await visible_improvements(actor), status, kind).count()


def _filtered(
    query: QuerySet[Improvement],
    status: list[ImprovementStatus] | None,
    kind: list[ImprovementKind] | None,
) -> QuerySet[Improvement]:
    if status is not None:
        query = query.filter(status__in=status)
    if kind is not None:
        query = query.filter(kind__in=kind)
    return query


def improvement_cursor(improvement: Improvement) -> str:
    return cursor_of(improvement, tag="i", columns=IMPROVEMENT_COLUMNS)


async def votes_seen_by(actor: Actor, items: list[Improvement]) -> dict[int, int]:
    """The votes of each item by id. Every linked ticket counts; those who do not see the
    whole list count only the tickets they see, so that no one learns of tickets that are
    not theirs (one query for all the items)."""
    if await sees_every_item(actor):
        return {item.id: item.votes for item in items}
    seen = (
        await visible_tickets(actor)
        .filter(improvement_id__in=[item.id for item in items])
        .annotate(seen=Count("id"))
        .group_by("improvement_id")
        .values_list("improvement_id", "seen")
    )
    counted = dict(seen)
    return {item.id: counted.get(item.id, 0) for item in items}


def linked_tickets(actor: Actor, improvement_id: int) -> QuerySet[Ticket]:
    return visible_tickets(actor).filter(improvement_id=improvement_id)


# --- changes ------------------------------------------------------------------------------


async def _ticket_to_link(
    actor: Actor, ticket_id: int, *, linked_to: int | None = None
) -> Ticket | None:
    """A submitted ticket the actor handles, not linked to any item yet; None when it is
    linked to linked_to already."""
    ticket = await get_visible_ticket(actor, ticket_id=ticket_id)
    if ticket is None:
        raise not_found(field="ticket_id")
    if not handles(actor, ticket.team_id):  # type: ignore[attr-defined]
        raise fail(
            ErrorCode.FORBIDDEN,
            "only the ticket's team links it to the list of improvements",
            "ticket_id",
        )
    if linked_to is not None and ticket.improvement_id == linked_to:  # type: ignore[attr-defined]
        return None
    if ticket.improvement_id is not None:  # type: ignore[attr-defined]
        raise fail(
            ErrorCode.CONFLICT,
            f"ticket #{ticket.number} is already linked to another improvement: merge the "
            "two items if they are the same",
            "ticket_id",
        )
    return ticket


async def _link(
    news: feed.Announcements,
    actor: Actor,
    ticket: Ticket,
    improvement: Improvement,
    now: datetime,
    old_title: str | None = None,
) -> None:
    """Point the ticket at the item: a change of the ticket, in its history and its feed."""
    updated = await Ticket.filter(id=ticket.id, version=ticket.version).update(
        improvement_id=improvement.id, updated_at=now, version=ticket.version + 1
    )
    if not updated:
        raise fail(
            ErrorCode.CONFLICT, f"ticket #{ticket.number} changed meanwhile: try again", "ticket_id"
        )
    await record_event(
        ticket.id,
        actor,
        TicketEventKind.LINKED,
        now,
        field="improvement",
        old=old_title,
        new=improvement.title,
    )
    news.ticket_changed(ticket.id)


async def propose_improvement(
    *,
    actor: Actor,
    ticket_id: int,
    title: str,
    kind: ImprovementKind,
    description: str | None = None,
) -> Improvement:
    """A new item of the list, proposed from a ticket of the actor's team: its first vote."""
    title_text, problems = clean_title(title, minimum=TITLE_MIN, maximum=TITLE_MAX)
    text, found = clean_description(description or "")
    if problems or found:
        raise DomainError(*problems, *found)
    async with feed.announcing() as news:
        ticket = await _ticket_to_link(actor, ticket_id)
        assert ticket is not None  # only None when linked_to is given
        now = utc_now()
        improvement = await Improvement.create(
            title=title_text,
            description=text,
            kind=kind,
            proposed_by_id=actor.id,
            votes=1,
            created_at=now,
            updated_at=now,
        )
        await _link(news, actor, ticket, improvement, now)
    return improvement


async def link_ticket(*, actor: Actor, ticket_id: int, improvement_id: int) -> Improvement:
    """One more ticket asks for an existing item: one more vote."""
    async with feed.announcing() as news:
        ticket = await _ticket_to_link(actor, ticket_id, linked_to=improvement_id)
        improvement = await get_improvement(actor, improvement_id)
        if improvement is None:
            raise not_found("Improvement", "improvement_id")
        if ticket is None:
            return improvement  # linked to it already: nothing to do
        if improvement.status is REJECTED:
            raise fail(
                ErrorCode.INVALID_STATE,
                f"{improvement.title!r} was rejected: propose a new item instead",
                "improvement_id",
            )
        now = utc_now()
        await _link(news, actor, ticket, improvement, now)
        await Improvement.filter(id=improvement.id).update(votes=F("votes") + 1, updated_at=now)
    return await Improvement.get(id=improvement.id)


async def _for_validator(actor: Actor, improvement_id: int, field: str = "id") -> Improvement:
    if not actor.validates:
        raise fail(ErrorCode.FORBIDDEN, "only validators curate the list of improvements", field)
    improvement = await Improvement.get_or_none(id=improvement_id)
    if improvement is None:
        raise not_found("Improvement", field)
    return improvement


def _refuse_unless(improvement: Improvement, allowed: set[ImprovementStatus], what: str) -> None:
    if improvement.status not in allowed:
        raise fail(
            ErrorCode.INVALID_STATE,
            f"{improvement.title!r} is {improvement.status.value}: it cannot be {what}",
            "id",
        )


async def merge_improvements(*, actor: Actor, source_id: int, target_id: int) -> Improvement:
    """The source is a duplicate of the target: its tickets and votes move to the target,
    then the source goes."""
    if source_id == target_id:
        raise fail(ErrorCode.VALIDATION, "an item cannot be merged into itself", "target_id")
    async with feed.announcing() as news:
        source = await _for_validator(actor, source_id, "source_id")
        target = await _for_validator(actor, target_id, "target_id")
        if source.status in (PLANNED, RELEASED):
            raise fail(
                ErrorCode.INVALID_STATE,
                f"{source.title!r} is {source.status.value}: merge the other item into it",
                "source_id",
            )
        if target.status in (RELEASED, REJECTED):
            raise fail(
                ErrorCode.INVALID_STATE,
                f"{target.title!r} is {target.status.value}: it takes no more tickets",
                "target_id",
            )
        now = utc_now()
        moved = await Ticket.filter(improvement_id=source.id)
        for ticket in moved:
            await _link(news, actor, ticket, target, now, old_title=source.title)
        await Improvement.filter(id=target.id).update(votes=F("votes") + len(moved), updated_at=now)
        await source.delete()
    return await Improvement.get(id=target.id)


async def validate_improvement(
    *, actor: Actor, improvement_id: int, priority: Priority
) -> Improvement:
    """Accept the item with a priority, or change the priority of an accepted one."""
    async with in_transaction():
        improvement = await _for_validator(actor, improvement_id)
        _refuse_unless(improvement, {PROPOSED, VALIDATED, PLANNED}, "validated")
        now = utc_now()
        changes: dict[str, object] = {"priority": priority, "updated_at": now}
        if improvement.status is PROPOSED:
            changes.update(status=VALIDATED, validated_by_id=actor.id, validated_at=now)
        await Improvement.filter(id=improvement.id).update(**changes)
    return await Improvement.get(id=improvement.id)


async def reject_improvement(
    *, actor: Actor, improvement_id: int, reason: str | None = None
) -> Improvement:
    """Not to be done; its tickets stay linked, and their authors see that it was rejected."""
    text, problems = clean_reason(reason) if reason is not None else (None, [])
    if problems:
        raise DomainError(*problems)
    async with in_transaction():
        improvement = await _for_validator(actor, improvement_id)
        _refuse_unless(improvement, {PROPOSED, VALIDATED}, "rejected")
        await Improvement.filter(id=improvement.id).update(
            status=REJECTED, rejection_reason=text, updated_at=utc_now()
        )
    return await Improvement.get(id=improvement.id)
