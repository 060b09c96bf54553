"""Listing tickets: filters, orderings, keyset pages and counts, all within visibility."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.queryset import QuerySet

from app.models import Ticket
from app.models.enums import Priority, TicketStatus, TicketType
from app.services import sla
from app.services.actors import Actor
from app.services.errors import DomainError
from app.services.pagination import Column, Page, Window, cursor_of, fetch_page
from app.services.validation import clean_search, fold
from app.services.visibility import visible_tickets, visible_tickets_parts


class OrderField(StrEnum):
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    SUBMITTED_AT = "SUBMITTED_AT"
    PRIORITY = "PRIORITY"
    RESPONSE_DUE_AT = "RESPONSE_DUE_AT"
    NUMBER = "NUMBER"


_ID = Column("id")
# Every ordering ends with the id, so that equal keys never skip or repeat.
# Priority is refined by the deadline: the most urgent, soonest due first.
ORDER_COLUMNS: dict[OrderField, tuple[Column, ...]] = {
    OrderField.CREATED_AT: (Column("created_at", is_datetime=True), _ID),
    OrderField.UPDATED_AT: (Column("updated_at", is_datetime=True), _ID),
    OrderField.SUBMITTED_AT: (Column("submitted_at", nullable=True, is_datetime=True), _ID),
    OrderField.PRIORITY: (
        Column("priority", choices=frozenset(Priority)),
        Column("response_due_at", nullable=True, is_datetime=True),
        _ID,
    ),
    OrderField.RESPONSE_DUE_AT: (Column("response_due_at", nullable=True, is_datetime=True), _ID),
    OrderField.NUMBER: (Column("number"), _ID),
}


@dataclass(frozen=True)
class TicketOrder:
    field: OrderField = OrderField.CREATED_AT
    descending: bool = True

    @property
    def tag(self) -> str:
        return f"t:{self.field.value}:{'d' if self.descending else 'a'}"


@dataclass(frozen=True)
class TicketFilter:
    status: list[TicketStatus] | None = None
    type: list[TicketType] | None = None
    priority: list[Priority] | None = None
    team_id: int | None = None
    assignee_id: int | None = None
    author_id: int | None = None
    mine: bool | None = None
    search: str | None = None
    overdue: bool | None = None


def matching_tickets(
    actor: Actor, flt: TicketFilter, now: datetime | None = None, *, visible: Q | None = None
) -> QuerySet[Ticket]:
    """The tickets the actor may see that match the filter (of those, the visible part
    given)."""
    query = visible_tickets(actor) if visible is None else Ticket.filter(visible)
    if flt.status is not None:
        query = query.filter(status__in=list(flt.status))
    if flt.type is not None:
        query = query.filter(type__in=list(flt.type))
    if flt.priority is not None:
        query = query.filter(priority__in=list(flt.priority))
    if flt.team_id is not None:
        query = query.filter(team_id=flt.team_id)
    if flt.assignee_id is not None:
        query = query.filter(assignee_id=flt.assignee_id)
    if flt.author_id is not None:
        query = query.filter(author_id=flt.author_id)
    if flt.mine:
        query = query.filter(author_id=actor.id)
    elif flt.mine is False:
        query = query.exclude(author_id=actor.id)
    if flt.search is not None:
        search, problems = clean_search(flt.search)
        if problems:
            raise DomainError(*problems)
        needle = fold(search)
        if needle:
            query = query.filter(search_text__contains=needle)
    if flt.overdue is not None:
        overdue = sla.overdue_q(now or datetime.now(UTC))
        query = query.filter(overdue if flt.overdue else ~overdue)
    return query


async def list_tickets(
    *, actor: Actor, flt: TicketFilter, order: TicketOrder, window: Window
) -> Page[Ticket]:
    """One page of the tickets the actor may see, matching the filter, each with its team
    (whoever sees a ticket sees its team): read in the same statement."""
    query = matching_tickets(actor, flt).select_related("team")
    return await fetch_page(
        query,
        tag=order.tag,
        columns=ORDER_COLUMNS[order.field],
        descending=order.descending,
        window=window,
    )


async def count_tickets(*, actor: Actor, flt: TicketFilter) -> int:
    """How many tickets the actor may see match the filter, all pages together: the
    disjoint parts of visibility counted apart, in one statement."""
    counts = {
        f"part{n}": Subquery(
            # COUNT(*), not of a column: an index without that column can answer it.
            matching_tickets(actor, flt, visible=part).annotate(n=RawSQL("COUNT(*)")).values("n")
        )
        for n, part in enumerate(visible_tickets_parts(actor))
    }
    # One row of the table to select the counts from; none at all means no tickets.
    row = await Ticket.all().annotate(**counts).limit(1).values(*counts)
    return sum(row[0].values()) if row else 0


def ticket_cursor(ticket: Ticket, order: TicketOrder) -> str:
    return cursor_of(ticket, tag=order.tag, columns=ORDER_COLUMNS[order.field])
