"""Users: accounts, and who may see whom."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from app.models import Membership, Team, User
from app.models.enums import Role
from app.services.actors import Actor
from app.services.auth import hash_password
from app.services.errors import ErrorCode, fail
from app.services.teams import visible_team_ids
from app.services.visibility import visible_tickets


async def get_user(actor: Actor, user_id: int) -> User | None:
    """A user is visible to themself, to admins and to handlers who see one of their tickets."""
    if actor.id == user_id or actor.is_admin:
        return await User.get_or_none(id=user_id)
    if not actor.is_handler:
        return None
    theirs = visible_tickets(actor).filter(author_id=user_id)
    if not await theirs.exists():
        theirs = visible_tickets(actor).filter(assignee_id=user_id)
        if not await theirs.exists():
            return None
    return await User.get_or_none(id=user_id)


async def get_user_teams(actor: Actor, user_id: int) -> list[Team]:
    """The teams of a user that the actor may see."""
    team_ids = await Membership.filter(user_id=user_id).values_list("team_id", flat=True)
    shown = await visible_team_ids(actor, set(team_ids))
    return await Team.filter(id__in=shown).order_by("name")


async def ensure_user(
    *,
    email: str,
    display_name: str,
    role: Role,
    team_names: list[str] | None = None,
    password: str | None = None,
) -> User:
    """Create or update an account (operator command): running it twice changes nothing more."""
    email = email.strip().lower()
    display_name = display_name.strip()
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise fail(ErrorCode.VALIDATION, f"{email!r} is not an e-mail address", "email")
    if not 1 <= len(display_name) <= 100:
        raise fail(ErrorCode.VALIDATION, "name must be 1 to 100 characters", "display_name")
    teams = []
    for name in team_names or []:
        team = await Team.get_or_none(name=name)
        if team is None:
            raise fail(ErrorCode.NOT_FOUND, f"no team named {name!r}", "team")
        teams.append(team)
    async with in_transaction():
        user = await User.get_or_none(email=email)
        if user is None:
            if password is None:
                raise fail(ErrorCode.VALIDATION, "a new user needs a password", "password")
            user = await User.create(
                email=email,
                display_name=display_name,
                role=role,
                password_hash=hash_password(password),
            )
        else:
            user.display_name, user.role = display_name, role
            if password is not None:
                user.password_hash = hash_password(password)
            await user.save()
        for team in teams:
            await Membership.get_or_create(user_id=user.id, team_id=team.id)
    return user


async def users_by_id(user_ids: list[int]) -> dict[int, User]:
    """Users by id, for nesting under tickets the caller already may see."""
    return {u.id: u for u in await User.filter(id__in=user_ids)}
