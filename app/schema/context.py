"""Per-request context: the acting user and the request's data loaders."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from app.models import Improvement, Release, Team, Ticket, User
from app.services.actors import Actor
from app.services.improvements import get_improvements, votes_seen_by
from app.services.releases import get_releases
from app.services.teams import teams_by_id
from app.services.users import get_users, people_of_tickets


async def _load_teams(ids: list[int]) -> list[Team | None]:
    found = await teams_by_id(ids)
    return [found.get(i) for i in ids]


@dataclass
class Loaders:
    """Batch nested look-ups; cache only for one HTTP request, never across feed events.
    Each loader is made when first used: most feed events never use their subscribers'."""

    actor: Actor | None
    cache: bool = True
    # Already loaded and visible to the actor: primed into the loaders.
    known_users: dict[int, User] = field(default_factory=dict)
    known_teams: dict[int, Team] = field(default_factory=dict)
    # Visible to the actor, though not loaded yet: no visibility query for them.
    known_user_ids: set[int] = field(default_factory=set)

    @cached_property
    def users(self) -> DataLoader[int, User | None]:
        """Nested users follow the same rule as users read by id: null when not visible."""
        loader: DataLoader[int, User | None] = DataLoader(self._load_users, cache=self.cache)
        loader.prime_many(self.known_users)
        return loader

    @cached_property
    def teams(self) -> DataLoader[int, Team | None]:
        """Whoever sees a ticket sees the team it is routed to."""
        loader: DataLoader[int, Team | None] = DataLoader(_load_teams, cache=self.cache)
        loader.prime_many(self.known_teams)
        return loader

    @classmethod
    def for_feed_event(cls, actor: Actor, ticket: Ticket) -> Loaders:
        """Loaders for one feed event that the actor may see, given the author and team
        the feed loaded with its ticket: whoever sees a ticket sees both."""
        team: Team | None = ticket.team  # type: ignore[assignment]
        return cls(
            actor,
            known_users={ticket.author_id: ticket.author},  # type: ignore[attr-defined,dict-item]
            known_teams={team.id: team} if team else {},
        )

    @cached_property
    def improvements(self) -> DataLoader[int, Improvement | None]:
        """The items tickets ask for, as the viewer may see them."""
        return DataLoader(self._load_improvements, cache=self.cache)

    @cached_property
    def votes(self) -> DataLoader[Improvement, int]:
        """The votes of items as the viewer may count them."""
        return DataLoader(self._load_votes, cache=self.cache, cache_key_fn=lambda i: i.id)

    async def _load_votes(self, items: list[Improvement]) -> list[int]:
        counted = await votes_seen_by(self.actor, items) if self.actor else {}
        return [counted.get(item.id, 0) for item in items]

    @cached_property
    def releases(self) -> DataLoader[int, Release | None]:
        """The releases items are planned into, as the viewer may see them."""
        return DataLoader(self._load_releases, cache=self.cache)

    async def _load_releases(self, ids: list[int]) -> list[Release | None]:
        found = await get_releases(self.actor, ids) if self.actor else {}
        return [found.get(i) for i in ids]

    async def _load_improvements(self, ids: list[int]) -> list[Improvement | None]:
        found = await get_improvements(self.actor, ids) if self.actor else {}
        return [found.get(i) for i in ids]

    def saw_tickets(self, tickets: Iterable[Ticket], *, teams: Iterable[Team | None] = ()) -> None:
        """Tickets read for the actor: their authors and assignees need no visibility
        query (for one request only: a socket's loaders outlive what the actor may see);
        teams: the teams read with them, whoever sees a ticket sees its team."""
        if self.actor is not None and self.cache:
            self.known_user_ids |= people_of_tickets(self.actor, tickets)
        self.teams.prime_many({team.id: team for team in teams if team is not None})

    async def _load_users(self, ids: list[int]) -> list[User | None]:
        found = await get_users(self.actor, ids, known=self.known_user_ids) if self.actor else {}
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
