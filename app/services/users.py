"""Users: accounts, and who may see whom."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.models import Membership, Team, Ticket, User
from app.models.enums import Language, MailKind, Role
from app.services.actors import Actor, require_admin
from app.services.auth import hash_password
from app.services.errors import DomainError, ErrorCode, Problem, fail, not_found
from app.services.pagination import Column, Page, Window, cursor_of, fetch_page
from app.services.teams import visible_team_ids
from app.services.visibility import visible_tickets


async def visible_user_ids(actor: Actor, user_ids: set[int]) -> set[int]:
    """Of user_ids, those the actor may see: themself, anyone for admins, and for handlers
    their teammates and the authors and assignees of the tickets they see. Users are not
    a directory."""
    if actor.is_admin:
        return set(user_ids)
    shown = user_ids & {actor.id}
    if not actor.is_handler:
        return shown
    if actor.team_ids and user_ids - shown:
        # Teammates, so that work can be handed over.
        teammates = Membership.filter(
            team_id__in=list(actor.team_ids), user_id__in=list(user_ids - shown)
        )
        shown |= set(await teammates.values_list("user_id", flat=True))
    # Only those not yet shown are looked for among the tickets: a handler's history is
    # mostly teammates', and the tickets of a busy handler run into the hundreds of
    # thousands.
    for column in ("author_id", "assignee_id"):
        rest = list(user_ids - shown)
        if not rest:
            break
        theirs = visible_tickets(actor).filter(**{f"{column}__in": rest})
        shown |= set(await theirs.distinct().values_list(column, flat=True))
    return shown


def people_of_tickets(actor: Actor, tickets: Iterable[Ticket]) -> set[int]:
    """The authors and assignees of tickets the actor sees whom visible_user_ids shows
    them, known without asking the database: every author (a requester sees only their
    own tickets), and the assignees for handlers, or when the actor is the assignee."""
    shown: set[int] = set()
    for ticket in tickets:
        shown.add(ticket.author_id)  # type: ignore[attr-defined]
        assignee_id: int | None = ticket.assignee_id  # type: ignore[attr-defined]
        if assignee_id is not None and (actor.is_handler or assignee_id == actor.id):
            shown.add(assignee_id)
    return shown


async def get_users(
    actor: Actor, user_ids: list[int], *, known: Set[int] = frozenset()
) -> dict[int, User]:
    """The users of user_ids that the actor may see, by id; known: ids already known to
    be visible to the actor (people_of_tickets), which need no visibility query."""
    wanted = set(user_ids)
    shown = (wanted & known) | await visible_user_ids(actor, wanted - known)
    return {u.id: u for u in await User.filter(id__in=list(shown))} if shown else {}


async def get_user(actor: Actor, user_id: int) -> User | None:
    return (await get_users(actor, [user_id])).get(user_id)


async def get_user_teams(actor: Actor, user_id: int) -> list[Team]:
    """The teams of a user that the actor may see."""
    team_ids = await Membership.filter(user_id=user_id).values_list("team_id", flat=True)
    shown = await visible_team_ids(actor, set(team_ids))
    return await Team.filter(id__in=shown).order_by("name")


USER_COLUMNS = (Column("id"),)


def _clean_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise fail(ErrorCode.VALIDATION, f"{email[:254]!r} is not an e-mail address", "email")
    return email


def _clean_display_name(display_name: str) -> str:
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 100 or not display_name.isprintable():
        raise fail(
            ErrorCode.VALIDATION,
            "the name must be 1 to 100 printable characters",
            "display_name",
        )
    return display_name


async def ensure_user(
    *,
    email: str,
    display_name: str,
    role: Role,
    team_names: list[str] | None = None,
    password: str | None = None,
) -> User:
    """Create or update an account (operator command): running it twice changes nothing more."""
    email = _clean_email(email)
    display_name = _clean_display_name(display_name)
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
                user.token_version += 1  # the old password's tokens stop working
            await user.save()
        for team in teams:
            await Membership.get_or_create(user_id=user.id, team_id=team.id)
    return user


async def list_users(
    *, actor: Actor, window: Window, role: Role | None = None, active: bool | None = None
) -> Page[User]:
    """Every account, oldest first (admins only)."""
    require_admin(actor, "list users")
    return await fetch_page(
        _users(role, active), tag="u", columns=USER_COLUMNS, descending=False, window=window
    )


async def count_users(*, actor: Actor, role: Role | None = None, active: bool | None = None) -> int:
    require_admin(actor, "list users")
    return await _users(role, active).count()


def _users(role: Role | None, active: bool | None) -> Any:
    query = User.all()
    if role is not None:
        query = query.filter(role=role)
    if active is not None:
        query = query.filter(is_active=active)
    return query


def user_cursor(user: User) -> str:
    return cursor_of(user, tag="u", columns=USER_COLUMNS)


async def create_user(
    *, actor: Actor, email: str, display_name: str, role: Role, password: str
) -> User:
    """A new account (admins only); teams are given with addTeamMember."""
    require_admin(actor, "create users")
    email, display_name = _clean_email(email), _clean_display_name(display_name)
    password_hash = hash_password(password)
    try:
        async with in_transaction():
            return await User.create(
                email=email, display_name=display_name, role=role, password_hash=password_hash
            )
    except IntegrityError:
        raise fail(ErrorCode.CONFLICT, f"{email} already has an account", "email") from None


async def update_user(*, actor: Actor, user_id: int, changes: Mapping[str, Any]) -> User:
    """Change a user's name, role, password, validator or active flag (admins only). A deactivated
    user loses access at once: every request and feed event reloads the acting user."""
    require_admin(actor, "manage users")
    problems = [
        Problem(ErrorCode.VALIDATION, f"{name} cannot be cleared", name)
        for name in ("display_name", "role", "active", "password", "validator")
        if name in changes and changes[name] is None
    ]
    if problems:
        raise DomainError(*problems)
    async with in_transaction():
        user = await User.get_or_none(id=user_id)
        if user is None:
            raise not_found("User")
        if user.id == actor.id and (
            changes.get("active") is False or changes.get("role", Role.ADMIN) != Role.ADMIN
        ):
            raise fail(
                ErrorCode.VALIDATION,
                "admins cannot deactivate or demote themselves: ask another admin",
                "id",
            )
        if "display_name" in changes:
            user.display_name = _clean_display_name(changes["display_name"])
        if "role" in changes:
            user.role = changes["role"]
        if "active" in changes:
            user.is_active = changes["active"]
        if "validator" in changes:
            user.is_validator = changes["validator"]
        if "password" in changes:
            user.password_hash = hash_password(changes["password"])
            user.token_version += 1  # the old password's tokens stop working
        await user.save()
    return user


async def update_preferences(
    *, actor: Actor, language: Language | None = None, mails_off: list[MailKind] | None = None
) -> User:
    """The actor's own settings: the language of their e-mails, the kinds they turned off."""
    user = await User.get(id=actor.id)
    if language is not None:
        user.language = language
    if mails_off is not None:
        user.mails_off = sorted({kind.value for kind in mails_off})
    await user.save()
    return user
