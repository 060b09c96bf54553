"""Teams and memberships, and who may see a team."""

from __future__ import annotations

from app.models import Team
from app.models.enums import TeamKind
from app.services.actors import Actor
from app.services.errors import ErrorCode, fail
from app.services.visibility import visible_tickets


async def ensure_team(*, name: str, kind: TeamKind) -> Team:
    """Create a team, or set the kind of the existing one (operator command)."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise fail(ErrorCode.VALIDATION, "a team name has 1 to 100 characters", "name")
    team, created = await Team.get_or_create(name=name, defaults={"kind": kind})
    if not created and team.kind != kind:
        team.kind = kind
        await team.save(update_fields=["kind"])
    return team


async def visible_team_ids(actor: Actor, team_ids: set[int]) -> set[int]:
    """Of team_ids, those visible: to admins, to members, to whoever sees a ticket routed there."""
    if actor.is_admin:
        return set(team_ids)
    shown = team_ids & actor.team_ids
    rest = team_ids - shown
    if rest:
        routed = visible_tickets(actor).filter(team_id__in=list(rest))
        shown |= set(await routed.distinct().values_list("team_id", flat=True))
    return shown


async def get_team(actor: Actor, team_id: int) -> Team | None:
    if not await visible_team_ids(actor, {team_id}):
        return None
    return await Team.get_or_none(id=team_id)


async def teams_by_id(team_ids: list[int]) -> dict[int, Team]:
    """Teams by id, for nesting under tickets the caller already may see."""
    return {t.id: t for t in await Team.filter(id__in=team_ids)}
