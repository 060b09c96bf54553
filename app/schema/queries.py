"""Query fields: node, me, ticket, tickets."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from app.models import Calendar
from app.models.enums import Priority, TicketStatus, TicketType
from app.schema.connections import Connection, Edge, connection
from app.schema.context import Context, require_actor
from app.schema.ids import parse_global_id, pk_of
from app.schema.improvements import ImprovementNode, ReleaseNode
from app.schema.types import (
    CalendarNode,
    MessageNode,
    Node,
    TeamNode,
    TicketEventNode,
    TicketNode,
    UserNode,
)
from app.schema.values import value
from app.services import improvements, messages, releases, teams, ticket_list, tickets, users
from app.services.actors import Actor
from app.services.pagination import Window
from app.services.ticket_list import OrderField

strawberry.enum(OrderField, name="TicketOrderField")


@strawberry.enum
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input
class TicketFilter:
    status: list[TicketStatus] | None = strawberry.UNSET
    type: list[TicketType] | None = strawberry.UNSET
    priority: list[Priority] | None = strawberry.UNSET
    team_id: strawberry.ID | None = strawberry.UNSET
    assignee_id: strawberry.ID | None = strawberry.UNSET
    author_id: strawberry.ID | None = strawberry.UNSET
    mine: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Only tickets I authored."
    )
    search: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Case- and accent-insensitive substring over subject, description and "
        "reference; % and _ are plain characters.",
    )
    overdue: bool | None = strawberry.UNSET


@strawberry.input
class TicketOrder:
    field: OrderField
    direction: OrderDirection


def id_argument(value: strawberry.ID | None, type_name: str, name: str) -> int | None:
    """The key of an id argument; a clear error for an id of another type or a tampered one."""
    if value is None:
        return None
    pk = pk_of(value, type_name)
    if pk is None:
        raise GraphQLError(f"{name} is not a {type_name} id", extensions={"code": "BAD_REQUEST"})
    return pk


def to_service_filter(flt: TicketFilter | None) -> ticket_list.TicketFilter:
    if flt is None:
        return ticket_list.TicketFilter()
    return ticket_list.TicketFilter(
        status=value(flt.status),
        type=value(flt.type),
        priority=value(flt.priority),
        team_id=id_argument(value(flt.team_id), "Team", "filter.teamId"),
        assignee_id=id_argument(value(flt.assignee_id), "User", "filter.assigneeId"),
        author_id=id_argument(value(flt.author_id), "User", "filter.authorId"),
        mine=value(flt.mine),
        search=value(flt.search),
        overdue=value(flt.overdue),
    )


async def resolve_node(actor: Actor, global_id: str) -> Node | None:
    parsed = parse_global_id(global_id)
    if parsed is None:
        return None
    type_name, pk = parsed
    if type_name == "Ticket":
        ticket = await tickets.get_ticket(actor=actor, ticket_id=pk)
        return TicketNode.from_model(ticket) if ticket else None
    if type_name == "User":
        user = await users.get_user(actor, pk)
        return UserNode.from_model(user) if user else None
    if type_name == "Team":
        team = await teams.get_team(actor, pk)
        return TeamNode.from_model(team) if team else None
    if type_name == "TicketEvent":
        event = await tickets.get_event(actor=actor, event_id=pk)
        return TicketEventNode.from_model(event) if event else None
    if type_name == "Message":
        message = await messages.get_message(actor=actor, message_id=pk)
        return MessageNode.from_model(message) if message else None
    if type_name == "Improvement":
        item = await improvements.get_improvement(actor, pk)
        return ImprovementNode.from_model(item) if item else None
    if type_name == "Release":
        release = await releases.get_release(actor, pk)
        return ReleaseNode.from_model(release) if release else None
    if type_name == "Calendar":
        calendar = await Calendar.get_or_none(id=pk)
        return CalendarNode.from_model(calendar) if calendar else None
    return None


@strawberry.type
class TicketQuery:
    @strawberry.field
    async def node(self, info: Info[Context, Any], id: strawberry.ID) -> Node | None:
        return await resolve_node(require_actor(info), id)

    @strawberry.field(
        description="The signed-in user; null when the request carries no valid token."
    )
    async def me(self, info: Info[Context, Any]) -> UserNode | None:
        actor = info.context.actor
        if actor is None:
            return None
        user = await users.get_user(actor, actor.id)
        return UserNode.from_model(user) if user else None

    @strawberry.field(
        description="Exactly one of id or number. Null when it does not exist or the viewer "
        "may not see it."
    )
    async def ticket(
        self,
        info: Info[Context, Any],
        id: strawberry.ID | None = strawberry.UNSET,
        number: int | None = strawberry.UNSET,
    ) -> TicketNode | None:
        actor = require_actor(info)
        id, number = value(id), value(number)
        if (id is None) == (number is None):
            raise GraphQLError(
                "ticket takes exactly one of id or number", extensions={"code": "BAD_REQUEST"}
            )
        pk = pk_of(id, "Ticket") if id is not None else None
        if id is not None and pk is None:
            return None
        ticket = await tickets.get_ticket(actor=actor, ticket_id=pk, number=number)
        if ticket is None:
            return None
        info.context.loaders.saw_tickets([ticket])
        return TicketNode.from_model(ticket)

    @strawberry.field(
        description="Only the tickets the viewer may see. first/last: 1..100, default 20."
    )
    async def tickets(
        self,
        info: Info[Context, Any],
        filter: TicketFilter | None = strawberry.UNSET,
        order_by: TicketOrder | None = strawberry.UNSET,
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
        last: int | None = strawberry.UNSET,
        before: str | None = strawberry.UNSET,
    ) -> Connection[TicketNode]:
        actor = require_actor(info)
        flt = to_service_filter(value(filter))
        order = ticket_list.TicketOrder()
        if order_by:
            order = ticket_list.TicketOrder(
                order_by.field, order_by.direction == OrderDirection.DESC
            )
        page = await ticket_list.list_tickets(
            actor=actor,
            flt=flt,
            order=order,
            window=Window(
                first=value(first), after=value(after), last=value(last), before=value(before)
            ),
        )
        info.context.loaders.saw_tickets(page.items, teams=[t.team for t in page.items])
        now = datetime.now(UTC)
        edges = [
            Edge(
                encode=partial(ticket_list.ticket_cursor, t, order),
                node=TicketNode.from_model(t, now),
            )
            for t in page.items
        ]
        return connection(
            edges,
            has_next=page.has_next,
            has_previous=page.has_previous,
            count=lambda: ticket_list.count_tickets(actor=actor, flt=flt),
        )
