"""Routing: which team receives the tickets of each type."""

from __future__ import annotations

from app.models import RoutingRule, Team
from app.models.enums import TicketType
from app.services.actors import Actor, require_admin
from app.services.errors import ErrorCode, fail


async def set_route(*, ticket_type: TicketType, team_name: str) -> RoutingRule:
    """Send tickets of a type to a team (operator command, idempotent)."""
    team = await Team.get_or_none(name=team_name)
    if team is None:
        raise fail(ErrorCode.NOT_FOUND, f"no team named {team_name!r}", "team")
    rule, _ = await RoutingRule.update_or_create(
        ticket_type=ticket_type, defaults={"team_id": team.id}
    )
    return rule


async def team_for(ticket_type: TicketType) -> int | None:
    """The team id for a type; None when no rule exists (admins still see the ticket)."""
    rule = await RoutingRule.get_or_none(ticket_type=ticket_type)
    return rule.team_id if rule else None  # type: ignore[attr-defined]


async def set_routing_rule(*, actor: Actor, ticket_type: TicketType, team_id: int) -> RoutingRule:
    """From now on, tickets of this type go to this team (tickets already routed stay)."""
    require_admin(actor, "change routing")
    if not await Team.exists(id=team_id):
        raise fail(ErrorCode.NOT_FOUND, "Team not found", "team_id")
    rule, _ = await RoutingRule.update_or_create(
        ticket_type=ticket_type, defaults={"team_id": team_id}
    )
    return rule


async def list_routing_rules(actor: Actor) -> list[RoutingRule]:
    require_admin(actor, "see the routing")
    return await RoutingRule.all().order_by("ticket_type")
