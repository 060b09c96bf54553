"""The acting user, as every rule receives it."""

from __future__ import annotations

from dataclasses import dataclass

from app.models import Membership, User
from app.models.enums import Role
from app.services.auth import token_claims
from app.services.errors import ErrorCode, fail


@dataclass(frozen=True)
class Actor:
    """The signed-in user as the rules need them: identity, role and teams."""

    id: int
    role: Role
    team_ids: frozenset[int]
    # Designated by an admin to validate improvements.
    validator: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_handler(self) -> bool:
        return self.role in (Role.HANDLER, Role.ADMIN)

    @property
    def validates(self) -> bool:
        """Validates, prioritises, rejects, merges and plans improvements."""
        return self.is_admin or self.validator


def require_admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise fail(ErrorCode.FORBIDDEN, f"only admins {what}")


async def load_actor(user_id: int, token_version: int | None = None) -> Actor | None:
    """The actor for an active user, read fresh from the database; with token_version,
    only while the user's tokens are of that version (a new password ends older ones).
    One statement: every request signs in with it."""
    query = User.filter(id=user_id, is_active=True)
    if token_version is not None:
        query = query.filter(token_version=token_version)
    rows = await query.values_list("role", "is_validator", "memberships__team_id")
    if not rows:
        return None
    role, validator, _ = rows[0]
    return Actor(
        id=user_id,
        role=Role(role),
        team_ids=frozenset(team_id for _, _, team_id in rows if team_id is not None),
        validator=bool(validator),
    )


# Role(value) is a slow call: load_actors makes thousands of actors per feed batch.
_ROLES = {role.value: role for role in Role}


async def load_actors(user_ids: set[int]) -> dict[int, Actor]:
    """Fresh actors for the active users among user_ids, in one statement.

    The feed calls this for every batch of events with all its subscribers: the ids are
    written into the SQL (whole numbers only, so nothing can be injected), which is many
    times cheaper for thousands of ids than a bound ORM parameter each."""
    if not user_ids:
        return {}
    ids = ",".join(str(int(user_id)) for user_id in user_ids)
    _, rows = await User._meta.db.execute_query(
        f"SELECT u.id, u.role, u.is_validator, m.team_id FROM {User._meta.db_table} u "
        f"LEFT JOIN {Membership._meta.db_table} m ON m.user_id = u.id "
        f"WHERE u.is_active AND u.id IN ({ids})"
    )
    users: dict[int, tuple[str, bool]] = {}
    teams: dict[int, set[int]] = {}
    for user_id, role, validator, team_id in rows:
        if user_id not in users:
            users[user_id] = (role, validator)
            teams[user_id] = set()
        if team_id is not None:
            teams[user_id].add(team_id)
    return {
        uid: Actor(
            id=uid, role=_ROLES[role], team_ids=frozenset(teams[uid]), validator=bool(validator)
        )
        for uid, (role, validator) in users.items()
    }


async def actor_from_token(token: str | None) -> Actor | None:
    claims = token_claims(token) if token else None
    return await load_actor(*claims) if claims is not None else None
