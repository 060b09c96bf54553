"""Subscriptions: the live feed of opened tickets, the changes of one ticket, releases."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Hashable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from app.models import Ticket
from app.models.enums import Priority, TicketType
from app.schema.context import Context, Loaders, require_actor
from app.schema.execution import SharedEventExecutor, current_subscription, shared_payload
from app.schema.frames import NextFrames, current_frames
from app.schema.improvements import ReleaseNode
from app.schema.mutations import ticket_pk
from app.schema.queries import id_argument
from app.schema.types import TicketNode
from app.schema.values import value
from app.services import feed, releases
from app.services.actors import Actor
from app.services.pagination import Column, decode_cursor, encode_cursor

FEED_COLUMNS = (Column("position"),)


@strawberry.input
class TicketFeedFilter:
    type: list[TicketType] | None = strawberry.UNSET
    priority: list[Priority] | None = strawberry.UNSET
    team_id: strawberry.ID | None = strawberry.UNSET


@strawberry.type
class TicketOpenedEvent:
    cursor: str = strawberry.field(
        description="Opaque position in the feed; pass it back as `after` to resume without gaps."
    )
    ticket: TicketNode
    # Results of this event shared between subscribers, and their JSON texts
    # (app/schema/execution.py).
    shared_results: strawberry.Private[dict[Hashable, Any]]
    shared_payloads: strawberry.Private[dict[Hashable, Any]]


def opened_event(delivery: feed.Delivery) -> TicketOpenedEvent:
    """The event as every subscriber gets it, made once per event: it does not depend on
    the viewer (fields that do are resolved per subscriber, with its loaders)."""
    made = delivery.shared.get(TicketOpenedEvent)
    if isinstance(made, TicketOpenedEvent):
        return made
    event = TicketOpenedEvent(
        cursor=encode_cursor("feed", [delivery.position]),
        ticket=TicketNode.from_model(delivery.ticket),
        shared_results={},
        shared_payloads={},
    )
    delivery.shared[TicketOpenedEvent] = event
    return event


class OpenedTicketFrames:
    """Sends the events of a ticketOpened subscription whose results are shared as
    ready-made messages, from the feed's hub (feed.Sink) or from its own task."""

    def __init__(
        self, info: Info[Context, Any], executor: SharedEventExecutor, frames: NextFrames
    ) -> None:
        self.info = info
        self.executor = executor
        self.frames = frames
        self.key = executor.share_key

    async def encode(self, delivery: feed.Delivery) -> bytes | None:
        as_viewer_now(self.info, delivery.viewer, delivery.ticket)
        return await shared_payload(self.executor, opened_event(delivery))

    def send(self, encoded: bytes) -> bool:
        return self.frames.send_now(encoded)

    async def deliver(self, delivery: feed.Delivery) -> bool:
        """From the subscription's task: False when the event must be yielded instead."""
        payload = await self.encode(delivery)
        if payload is None:
            return False
        await self.frames.send(payload)
        return True


def opened_ticket_frames(info: Info[Context, Any]) -> OpenedTicketFrames | None:
    """Ready-made messages, when this subscription's results are shared and it runs over
    graphql-transport-ws."""
    executor, frames = current_subscription(), current_frames()
    if executor is None or frames is None or executor.share_key is None:
        return None
    return OpenedTicketFrames(info, executor, frames)


# What a client should do about each end: resume with its last cursor, or sign in again.
END_CODES = {feed.SubscriberTooSlow: "SUBSCRIBER_TOO_SLOW", feed.ViewerSignedOut: "UNAUTHENTICATED"}


def stream_ended(error: feed.StreamEnded) -> GraphQLError:
    return GraphQLError(str(error), extensions={"code": END_CODES[type(error)]})


def as_viewer_now(info: Info[Context, Any], viewer: Actor, ticket: Ticket | None = None) -> None:
    """Nested fields of this event are resolved for the viewer as they are now, not as
    they were when the socket connected."""
    info.context.actor = viewer
    info.context.loaders = (
        Loaders.for_feed_event(viewer, ticket) if ticket else Loaders(viewer, cache=False)
    )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Tickets as they are opened (submitted), in submission order, each only to "
        "subscribers allowed to see it; a ticket re-routed to another team comes again, then, "
        "to those of that team who could not see it before. With `after`, first replays every "
        "event after that cursor, then continues live, with no gap and no duplicate."
    )
    async def ticket_opened(
        self,
        info: Info[Context, Any],
        filter: TicketFeedFilter | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
    ) -> AsyncGenerator[TicketOpenedEvent, None]:
        actor = require_actor(info)
        given = value(after)
        resume = decode_cursor("feed", given, FEED_COLUMNS, "after")[0] if given else None
        flt = feed.FeedFilter()
        if filter:
            flt = feed.FeedFilter(
                type=value(filter.type),
                priority=value(filter.priority),
                team_id=id_argument(value(filter.team_id), "Team", "filter.teamId"),
            )
        frames = opened_ticket_frames(info)
        sink = frames if frames is not None and frames.frames.direct else None
        stream = feed.ticket_opened_stream(actor=actor, flt=flt, after=resume, sink=sink)
        try:
            async for delivery in stream:
                if frames is not None and await frames.deliver(delivery):
                    continue
                as_viewer_now(info, delivery.viewer, delivery.ticket)
                yield opened_event(delivery)
        except feed.StreamEnded as error:
            raise stream_ended(error) from None

    @strawberry.subscription(
        description="The ticket each time it changes (status, assignment, type, priority, "
        "a new message), while the viewer may see it. An internal note is pushed only to "
        "those who see notes. A ticket the viewer may not see, or no longer sees, ends the "
        "subscription with NOT_FOUND."
    )
    async def ticket_updated(
        self, info: Info[Context, Any], id: strawberry.ID
    ) -> AsyncGenerator[TicketNode, None]:
        actor = require_actor(info)
        stream = feed.ticket_changes(actor=actor, ticket_id=ticket_pk(id))
        try:
            async for delivery in stream:
                as_viewer_now(info, delivery.viewer, delivery.ticket)
                yield TicketNode.from_model(delivery.ticket)
        except feed.StreamEnded as error:
            raise stream_ended(error) from None

    @strawberry.subscription(
        description="Releases as they are published, to those who may see them: the teams' "
        "dashboards get the notes."
    )
    async def release_published(
        self, info: Info[Context, Any]
    ) -> AsyncGenerator[ReleaseNode, None]:
        actor = require_actor(info)
        try:
            async for release, viewer in releases.publications(actor=actor):
                as_viewer_now(info, viewer)
                yield ReleaseNode.from_model(release)
        except feed.StreamEnded as error:
            raise stream_ended(error) from None
