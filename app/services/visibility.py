"""Who sees which ticket: the one rule behind every read, count, search and feed."""

from __future__ import annotations

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from app.models import Ticket
from app.models.enums import TicketStatus
from app.services.actors import Actor


def _own_and_others(actor: Actor) -> tuple[Q, Q | None]:
    """Drafts only to their author (admins included); others by role and team."""
    own = Q(author_id=actor.id)
    if actor.is_admin:
        return own, ~Q(status=TicketStatus.DRAFT)
    if actor.is_handler and actor.team_ids:
        return own, Q(team_id__in=list(actor.team_ids)) & ~Q(status=TicketStatus.DRAFT)
    return own, None


def visible_tickets_q(actor: Actor) -> Q:
    own, others = _own_and_others(actor)
    return own if others is None else own | others


def visible_tickets_parts(actor: Actor) -> list[Q]:
    """visible_tickets_q as disjoint parts: counted one by one, each can be read from an
    index, where their OR makes the database read every matching row."""
    own, others = _own_and_others(actor)
    return [own] if others is None else [others, own & ~others]


def can_see(actor: Actor, ticket: Ticket) -> bool:
    """visible_tickets_q for one loaded ticket (the feed checks each event in memory);
    tests hold the two to the same answers."""
    return can_see_in(actor, ticket, ticket.team_id)  # type: ignore[attr-defined]


def can_see_in(actor: Actor, ticket: Ticket, team_id: int | None) -> bool:
    """can_see, with the ticket routed to team_id (the team a feed event recorded)."""
    if ticket.author_id == actor.id:  # type: ignore[attr-defined]
        return True
    if ticket.status == TicketStatus.DRAFT:
        return False
    return handles(actor, team_id)


def handles(actor: Actor, team_id: int | None) -> bool:
    """Whether the actor works tickets of that team: admins every team's, handlers their
    teams'. Handling includes seeing internal notes; requesters never do."""
    return actor.is_admin or (actor.is_handler and team_id in actor.team_ids)


def visible_tickets(actor: Actor) -> QuerySet[Ticket]:
    return Ticket.filter(visible_tickets_q(actor))


async def get_visible_ticket(
    actor: Actor, *, ticket_id: int | None = None, number: int | None = None
) -> Ticket | None:
    """The ticket if the actor may see it; None when hidden or missing alike."""
    query = visible_tickets(actor)
    query = query.filter(id=ticket_id) if ticket_id is not None else query.filter(number=number)
    return await query.first()
