"""Teams and memberships, and who may see a team."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise.transactions import in_transaction

from app.models import Calendar, Membership, Team, User
from app.models.enums import Role, TeamKind
from app.services.actors import Actor, require_admin
from app.services.errors import ErrorCode, fail, not_found
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


def _clean_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100 or any(not c.isprintable() for c in name):
        raise fail(ErrorCode.VALIDATION, "a team name has 1 to 100 printable characters", "name")
    return name


async def _calendar_id(calendar_id: int | None) -> int | None:
    if calendar_id is not None and not await Calendar.exists(id=calendar_id):
        raise fail(ErrorCode.NOT_FOUND, "Calendar not found", "calendar_id")
    return calendar_id


async def create_team(
    *, actor: Actor, name: str, kind: TeamKind, calendar_id: int | None = None
) -> Team:
    require_admin(actor, "manage teams")
    name = _clean_name(name)
    calendar_id = await _calendar_id(calendar_id)
    async with in_transaction():
        if await Team.exists(name=name):
            raise fail(ErrorCode.CONFLICT, f"a team named {name!r} exists already", "name")
        return await Team.create(name=name, kind=kind, calendar_id=calendar_id)


async def update_team(*, actor: Actor, team_id: int, changes: Mapping[str, Any]) -> Team:
    """Rename, change the kind or the calendar (None: the default one) of a team."""
    require_admin(actor, "manage teams")
    values: dict[str, Any] = {}
    if "name" in changes:
        if changes["name"] is None:
            raise fail(ErrorCode.VALIDATION, "name cannot be cleared", "name")
        values["name"] = _clean_name(changes["name"])
    if "kind" in changes:
        if changes["kind"] is None:
            raise fail(ErrorCode.VALIDATION, "kind cannot be cleared", "kind")
        values["kind"] = changes["kind"]
    if "calendar_id" in changes:
        values["calendar_id"] = await _calendar_id(changes["calendar_id"])
    async with in_transaction():
        team = await Team.get_or_none(id=team_id)
        if team is None:
            raise not_found("Team")
        if "name" in values and await Team.exists(name=values["name"], id__not=team_id):
            raise fail(
                ErrorCode.CONFLICT, f"a team named {values['name']!r} exists already", "name"
            )
        if values:
            await Team.filter(id=team_id).update(**values)
    return await Team.get(id=team_id)


async def add_member(*, actor: Actor, team_id: int, user_id: int) -> Team:
    """Put a handler or admin in a team; requesters handle no tickets."""
    require_admin(actor, "manage teams")
    team = await Team.get_or_none(id=team_id)
    if team is None:
        raise not_found("Team", "team_id")
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise not_found("User", "user_id")
    if user.role == Role.REQUESTER:
        raise fail(
            ErrorCode.VALIDATION, "a requester cannot join a team: make them a handler", "user_id"
        )
    await Membership.get_or_create(team_id=team_id, user_id=user_id)
    return team


async def remove_member(*, actor: Actor, team_id: int, user_id: int) -> Team:
    """Take someone out of a team: they stop seeing its tickets at once."""
    require_admin(actor, "manage teams")
    team = await Team.get_or_none(id=team_id)
    if team is None:
        raise not_found("Team", "team_id")
    await Membership.filter(team_id=team_id, user_id=user_id).delete()
    return team


async def list_teams(actor: Actor) -> list[Team]:
    """Every team for admins; the actor's own teams for anyone else."""
    query = Team.all() if actor.is_admin else Team.filter(id__in=list(actor.team_ids))
    return await query.order_by("name")


async def team_members(actor: Actor, team_id: int) -> list[User] | None:
    """The active members, for admins and the team's own members; None for anyone else."""
    if not (actor.is_admin or team_id in actor.team_ids):
        return None
    members = User.filter(memberships__team_id=team_id, is_active=True)
    return await members.order_by("display_name", "id")
