"""Per-request context: the acting user and the request's data loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from app.models import Team, User
from app.services.actors import Actor
from app.services.teams import teams_by_id
from app.services.users import get_users


async def _load_teams(ids: list[int]) -> list[Team | None]:
    found = await teams_by_id(ids)
    return [found.get(i) for i in ids]


@dataclass
class Loaders:
    """Batch nested look-ups; cache only for one HTTP request, never across feed events."""

    actor: Actor | None
    cache: bool = True
    # Nested users follow the same rule as users read by id: null when not visible.
    users: DataLoader[int, User | None] = field(init=False)
    # Whoever sees a ticket sees the team it is routed to.
    teams: DataLoader[int, Team | None] = field(init=False)

    def __post_init__(self) -> None:
        self.users = DataLoader(load_fn=self._load_users, cache=self.cache)
        self.teams = DataLoader(load_fn=_load_teams, cache=self.cache)

    async def _load_users(self, ids: list[int]) -> list[User | None]:
        found = await get_users(self.actor, ids) if self.actor else {}
        return [found.get(i) for i in ids]


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    actor: Actor | None
    loaders: Loaders
    connection_params: dict[str, Any] | None = None

    @property
    def user_agent(self) -> str | None:
        return self.request.headers.get("user-agent")


def require_actor(info: Info[Context, Any]) -> Actor:
    """The signed-in actor, or the UNAUTHENTICATED error the contract promises."""
    actor = info.context.actor
    if actor is None:
        raise GraphQLError(
            "Sign in first: send a valid token in the Authorization header",
            extensions={"code": "UNAUTHENTICATED"},
        )
    return actor
