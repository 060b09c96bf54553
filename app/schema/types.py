"""Object types of the contract, mapped from the models."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from app.models import Calendar, Message, Team, Ticket, TicketEvent, User
from app.models.enums import (
    DelayCounting,
    Language,
    MailKind,
    MessageKind,
    Priority,
    Role,
    SlaStatus,
    TeamKind,
    TicketEventKind,
    TicketStatus,
    TicketType,
)
from app.schema.connections import Connection, Edge, connection
from app.schema.context import Context, require_actor
from app.schema.ids import to_global_id
from app.schema.values import value
from app.services import messages, sla, teams, tickets, users
from app.services.pagination import Window

if TYPE_CHECKING:
    from app.schema.improvements import ImprovementNode

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
strawberry.enum(
    MessageKind,
    description="REQUEST: the description, as submitted. PUBLIC: seen by the requester. "
    "INTERNAL: a note between handlers, never shown to requesters.",
)
strawberry.enum(
    SlaStatus,
    description="ON_TRACK; AT_RISK: less than 20% of the delay left; BREACHED: no response "
    "in time; MET: answered in time; PAUSED: WAITING, the clock stands still.",
)
strawberry.enum(DelayCounting)
strawberry.enum(Language, description="fr or en: the language of a user's e-mails.")
strawberry.enum(MailKind, description="The kinds of e-mail the service sends.")


@strawberry.interface
class Node:
    """An object with an opaque global id (Relay)."""

    id: strawberry.ID = strawberry.field(
        description="Opaque global id (Relay). Never a bare database key."
    )


@strawberry.type(name="OpeningHours")
class OpeningHoursType:
    weekday: int = strawberry.field(description="0 = Monday … 6 = Sunday.")
    opens: str = strawberry.field(description="Local time, HH:MM.")
    closes: str = strawberry.field(description="Local time, HH:MM.")


@strawberry.type(name="Calendar")
class CalendarNode(Node):
    name: str
    time_zone: str = strawberry.field(description='IANA time zone, e.g. "Europe/Brussels".')
    opening_hours: list[OpeningHoursType]
    holidays: list[date]
    is_default: bool = strawberry.field(
        description="The calendar of every team that has none of its own."
    )

    @classmethod
    def from_model(cls, calendar: Calendar) -> CalendarNode:
        return cls(
            id=strawberry.ID(to_global_id("Calendar", calendar.id)),
            name=calendar.name,
            time_zone=calendar.time_zone,
            opening_hours=[
                OpeningHoursType(weekday=d, opens=o, closes=c) for d, o, c in calendar.opening_hours
            ],
            holidays=[date.fromisoformat(d) for d in calendar.holidays],
            is_default=calendar.is_default,
        )


@strawberry.type(name="Team")
class TeamNode(Node):
    name: str
    kind: TeamKind
    pk: strawberry.Private[int]
    calendar_id: strawberry.Private[int | None]

    @strawberry.field(description="The team's business hours; null: the default calendar.")
    async def calendar(self) -> CalendarNode | None:
        if self.calendar_id is None:
            return None
        calendar = await Calendar.get_or_none(id=self.calendar_id)
        return CalendarNode.from_model(calendar) if calendar else None

    @strawberry.field(
        description="Active members, for admins and the team's own members; null for others."
    )
    async def members(self, info: Info[Context, Any]) -> list[UserNode] | None:
        found = await teams.team_members(require_actor(info), self.pk)
        return None if found is None else [UserNode.from_model(u) for u in found]

    @classmethod
    def from_model(cls, team: Team) -> TeamNode:
        return cls(
            id=strawberry.ID(to_global_id("Team", team.id)),
            name=team.name,
            kind=team.kind,
            pk=team.id,
            calendar_id=team.calendar_id,  # type: ignore[attr-defined]
        )


@strawberry.type(name="User")
class UserNode(Node):
    email: str
    display_name: str
    role: Role
    active: bool = strawberry.field(description="False: the account is deactivated.")
    validator: bool = strawberry.field(description="Validates and plans improvements.")
    language: Language = strawberry.field(description="The language of their e-mails.")
    pk: strawberry.Private[int]
    mails_off_kinds: strawberry.Private[list[str]]

    @strawberry.field(description="The kinds of e-mail they turned off: for themself only.")
    def mails_off(self, info: Info[Context, Any]) -> list[MailKind] | None:
        if require_actor(info).id != self.pk:
            return None
        return [MailKind(kind) for kind in self.mails_off_kinds]

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
            active=user.is_active,
            validator=user.is_validator,
            language=Language(user.language),
            pk=user.id,
            mails_off_kinds=list(user.mails_off or []),
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


@strawberry.type(name="Message")
class MessageNode(Node):
    kind: MessageKind
    body: str
    created_at: datetime
    author_id: strawberry.Private[int]

    @strawberry.field(description="An internal note between handlers: never shown to requesters.")
    def internal(self) -> bool:
        return self.kind is MessageKind.INTERNAL

    @strawberry.field
    async def author(self, info: Info[Context, Any]) -> UserNode | None:
        user = await info.context.loaders.users.load(self.author_id)
        return UserNode.from_model(user) if user else None

    @classmethod
    def from_model(cls, message: Message) -> MessageNode:
        return cls(
            id=strawberry.ID(to_global_id("Message", message.id)),
            kind=message.kind,
            body=message.body,
            created_at=message.created_at,
            author_id=message.author_id,  # type: ignore[attr-defined]
        )


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
    sla_status: SlaStatus = strawberry.field(
        description="Where the response clock stands; ON_TRACK for a draft, whose clock "
        "has not started."
    )
    first_responded_at: datetime | None = strawberry.field(
        description="When a handler first answered publicly: the response clock stopped then."
    )
    waiting_since: datetime | None = strawberry.field(
        description="Set while WAITING: the response clock is paused since then."
    )
    closed_at: datetime | None
    resolution: str | None = strawberry.field(
        description="What was done, given when the ticket was closed; null again once reopened."
    )
    version: int = strawberry.field(
        description="Increases with every change; send it back as expectedVersion to avoid "
        "lost updates."
    )
    pk: strawberry.Private[int]
    author_id: strawberry.Private[int]
    assignee_id: strawberry.Private[int | None]
    team_id: strawberry.Private[int | None]
    improvement_id: strawberry.Private[int | None]

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

    @strawberry.field(
        description="The item of the list of improvements and fixes this ticket asks for."
    )
    async def improvement(
        self, info: Info[Context, Any]
    ) -> Annotated[ImprovementNode, strawberry.lazy("app.schema.improvements")] | None:
        from app.schema.improvements import ImprovementNode

        if self.improvement_id is None:
            return None
        item = await info.context.loaders.improvements.load(self.improvement_id)
        return ImprovementNode.from_model(item) if item else None

    @strawberry.field(description="The ticket's history, oldest first.")
    async def history(
        self,
        info: Info[Context, Any],
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
    ) -> Connection[TicketEventNode]:
        actor, pk, team_id = require_actor(info), self.pk, self.team_id
        page = await tickets.list_history(
            actor=actor,
            ticket_id=pk,
            team_id=team_id,
            window=Window(first=value(first), after=value(after)),
        )
        edges = [
            Edge(encode=partial(tickets.history_cursor, e), node=TicketEventNode.from_model(e))
            for e in page.items
        ]
        return connection(
            edges,
            has_next=page.has_next,
            has_previous=page.has_previous,
            count=lambda: tickets.count_history(actor=actor, ticket_id=pk, team_id=team_id),
        )

    @strawberry.field(
        description="The conversation, oldest first: the request, public messages, and "
        "internal notes for those who handle the ticket."
    )
    async def messages(
        self,
        info: Info[Context, Any],
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
    ) -> Connection[MessageNode]:
        actor, pk, team_id = require_actor(info), self.pk, self.team_id
        page = await messages.list_messages(
            actor=actor,
            ticket_id=pk,
            team_id=team_id,
            window=Window(first=value(first), after=value(after)),
        )
        edges = [
            Edge(encode=partial(messages.message_cursor, m), node=MessageNode.from_model(m))
            for m in page.items
        ]
        return connection(
            edges,
            has_next=page.has_next,
            has_previous=page.has_previous,
            count=lambda: messages.count_messages(actor=actor, ticket_id=pk, team_id=team_id),
        )

    @classmethod
    def from_model(cls, ticket: Ticket, now: datetime | None = None) -> TicketNode:
        now = now or datetime.now(UTC)
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
            overdue=sla.is_overdue(ticket, now),
            sla_status=sla.sla_status(ticket, now),
            first_responded_at=ticket.first_responded_at,
            waiting_since=ticket.waiting_since,
            closed_at=ticket.closed_at,
            resolution=ticket.resolution,
            version=ticket.version,
            pk=ticket.id,
            author_id=ticket.author_id,  # type: ignore[attr-defined]
            assignee_id=ticket.assignee_id,  # type: ignore[attr-defined]
            team_id=ticket.team_id,  # type: ignore[attr-defined]
            improvement_id=ticket.improvement_id,  # type: ignore[attr-defined]
        )
