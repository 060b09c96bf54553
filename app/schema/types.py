"""Object types of the contract, mapped from the models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from app.models import Team, Ticket, TicketEvent, User
from app.models.enums import Priority, Role, TeamKind, TicketEventKind, TicketStatus, TicketType
from app.schema.connections import Connection, Edge, connection
from app.schema.context import Context, require_actor
from app.schema.ids import to_global_id
from app.schema.values import value
from app.services import sla, tickets, users
from app.services.pagination import Window

strawberry.enum(TicketType)
strawberry.enum(
    Priority,
    description="P1 = critical, P2 = high, P3 = medium, P4 = low. Sorting ASC puts P1 first.",
)
strawberry.enum(TicketStatus)
strawberry.enum(Role)
strawberry.enum(
    TeamKind, description="INTERNAL: handled in-house. EXTERNAL: a third party (supplier, partner)."
)
strawberry.enum(TicketEventKind)


@strawberry.interface
class Node:
    """An object with an opaque global id (Relay)."""

    id: strawberry.ID = strawberry.field(
        description="Opaque global id (Relay). Never a bare database key."
    )


@strawberry.type(name="Team")
class TeamNode(Node):
    name: str
    kind: TeamKind

    @classmethod
    def from_model(cls, team: Team) -> TeamNode:
        return cls(id=strawberry.ID(to_global_id("Team", team.id)), name=team.name, kind=team.kind)


@strawberry.type(name="User")
class UserNode(Node):
    email: str
    display_name: str
    role: Role
    pk: strawberry.Private[int]

    @strawberry.field(description="The user's teams that the viewer may see.")
    async def teams(self, info: Info[Context, Any]) -> list[TeamNode]:
        actor = require_actor(info)
        return [TeamNode.from_model(t) for t in await users.get_user_teams(actor, self.pk)]

    @classmethod
    def from_model(cls, user: User) -> UserNode:
        return cls(
            id=strawberry.ID(to_global_id("User", user.id)),
            email=user.email,
            display_name=user.display_name,
            role=user.role,
            pk=user.id,
        )


@strawberry.type(name="TicketEvent")
class TicketEventNode(Node):
    at: datetime
    kind: TicketEventKind
    field: str | None = strawberry.field(
        description='Field changed, when the event is about one field (e.g. "priority").'
    )
    from_: str | None = strawberry.field(name="from")
    to: str | None
    reason: str | None
    actor_id: strawberry.Private[int | None]

    @strawberry.field
    async def actor(self, info: Info[Context, Any]) -> UserNode | None:
        if self.actor_id is None:
            return None
        user = await info.context.loaders.users.load(self.actor_id)
        return UserNode.from_model(user) if user else None

    @classmethod
    def from_model(cls, event: TicketEvent) -> TicketEventNode:
        return cls(
            id=strawberry.ID(to_global_id("TicketEvent", event.id)),
            at=event.at,
            kind=event.kind,
            field=event.field,
            from_=event.from_value,
            to=event.to_value,
            reason=event.reason,
            actor_id=event.actor_id,
        )  # type: ignore[attr-defined]


@strawberry.type(name="Ticket")
class TicketNode(Node):
    number: int = strawberry.field(
        description='Human-facing number, unique and increasing ("#42").'
    )
    subject: str
    description: str
    reference: str | None = strawberry.field(
        description="Optional identifier given by the requester: a booking or invoice number, "
        "or a link to the page concerned."
    )
    type: TicketType | None = strawberry.field(
        description="Null only while DRAFT; required to submit."
    )
    priority: Priority = strawberry.field(
        description="Effective priority: requested by the author, defaulted by type, "
        "or adjusted by an admin."
    )
    requested_priority: Priority | None = strawberry.field(
        description="What the author asked for; null when the author left it to the default."
    )
    status: TicketStatus
    environment: str | None = strawberry.field(
        description="User-Agent of the client that last created or edited the draft."
    )
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    response_due_at: datetime | None = strawberry.field(
        description="Response deadline: submission time plus the response delay of the "
        "current priority."
    )
    overdue: bool = strawberry.field(
        description="True when no response was given and responseDueAt has passed."
    )
    version: int = strawberry.field(
        description="Increases with every change; send it back as expectedVersion to avoid "
        "lost updates."
    )
    pk: strawberry.Private[int]
    author_id: strawberry.Private[int]
    assignee_id: strawberry.Private[int | None]
    team_id: strawberry.Private[int | None]

    @strawberry.field
    async def author(self, info: Info[Context, Any]) -> UserNode:
        user = await info.context.loaders.users.load(self.author_id)
        if user is None:  # cannot happen: whoever sees a ticket sees its author
            raise RuntimeError(f"author of ticket {self.pk} is not visible")
        return UserNode.from_model(user)

    @strawberry.field
    async def assignee(self, info: Info[Context, Any]) -> UserNode | None:
        if self.assignee_id is None:
            return None
        user = await info.context.loaders.users.load(self.assignee_id)
        return UserNode.from_model(user) if user else None

    @strawberry.field(
        description="The team the ticket is routed to; set at submission, changed when an "
        "admin re-types it."
    )
    async def team(self, info: Info[Context, Any]) -> TeamNode | None:
        if self.team_id is None:
            return None
        team = await info.context.loaders.teams.load(self.team_id)
        return TeamNode.from_model(team) if team else None

    @strawberry.field(description="The ticket's history, oldest first.")
    async def history(
        self, first: int | None = strawberry.UNSET, after: str | None = strawberry.UNSET
    ) -> Connection[TicketEventNode]:
        page = await tickets.list_history(
            ticket_id=self.pk, window=Window(first=value(first), after=value(after))
        )
        edges = [
            Edge(cursor=tickets.history_cursor(e), node=TicketEventNode.from_model(e))
            for e in page.items
        ]
        pk = self.pk
        return connection(
            edges,
            has_next=page.has_next,
            has_previous=page.has_previous,
            count=lambda: tickets.count_history(ticket_id=pk),
        )

    @classmethod
    def from_model(cls, ticket: Ticket, now: datetime | None = None) -> TicketNode:
        return cls(
            id=strawberry.ID(to_global_id("Ticket", ticket.id)),
            number=ticket.number,
            subject=ticket.subject,
            description=ticket.description,
            reference=ticket.reference,
            type=ticket.type,
            priority=ticket.priority,
            requested_priority=ticket.requested_priority,
            status=ticket.status,
            environment=ticket.environment,
            created_at=ticket.created_at,
            updated_at=ticket.updated_at,
            submitted_at=ticket.submitted_at,
            response_due_at=ticket.response_due_at,
            overdue=sla.is_overdue(
                response_due=ticket.response_due_at,
                first_responded=ticket.first_responded_at,
                now=now or datetime.now(UTC),
            ),
            version=ticket.version,
            pk=ticket.id,
            author_id=ticket.author_id,  # type: ignore[attr-defined]
            assignee_id=ticket.assignee_id,  # type: ignore[attr-defined]
            team_id=ticket.team_id,  # type: ignore[attr-defined]
        )
