"""Mutations that work a ticket: messages, take, assign, wait, resume, close, reopen."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.types import Info

from app.models import Ticket
from app.schema.context import Context, require_actor
from app.schema.errors import UserError, attempt
from app.schema.ids import pk_of
from app.schema.mutations import TicketPayload, ticket_pk
from app.schema.types import MessageNode, TicketNode
from app.schema.values import value
from app.services import handling, messages
from app.services.actors import Actor
from app.services.errors import ErrorCode, fail


async def _run(
    info: Info[Context, Any], work: Callable[[Actor], Awaitable[Ticket]]
) -> tuple[TicketNode | None, list[UserError]]:
    actor = require_actor(info)

    async def run() -> Ticket:
        return await work(actor)

    ticket, errors = await attempt(run())
    return (TicketNode.from_model(ticket) if ticket else None), errors


@strawberry.input
class PostMessageInput:
    id: strawberry.ID = strawberry.field(description="The ticket.")
    body: str = strawberry.field(description="1 to 20,000 characters; newlines are kept.")
    internal: bool | None = strawberry.field(
        default=False,
        description="An internal note for the ticket's team and admins; never shown to "
        "requesters. Null means false.",
    )


@strawberry.type
class PostMessagePayload:
    message: MessageNode | None = None
    ticket: TicketNode | None = None
    user_errors: list[UserError]


@strawberry.input
class TakeTicketInput:
    id: strawberry.ID


@strawberry.input
class AssignTicketInput:
    id: strawberry.ID
    assignee_id: strawberry.ID = strawberry.field(
        description="An active handler of the ticket's team."
    )


@strawberry.input
class AwaitTicketInput:
    id: strawberry.ID
    reason: str | None = strawberry.field(
        default=strawberry.UNSET, description="Whom or what the ticket waits for."
    )


@strawberry.input
class ResumeTicketInput:
    id: strawberry.ID


@strawberry.input
class CloseTicketInput:
    id: strawberry.ID
    resolution: str = strawberry.field(
        description="What was done; posted to the requester as a public message."
    )


@strawberry.input
class ReopenTicketInput:
    id: strawberry.ID
    reason: str | None = strawberry.UNSET


@strawberry.type
class TakeTicketPayload(TicketPayload):
    pass


@strawberry.type
class AssignTicketPayload(TicketPayload):
    pass


@strawberry.type
class AwaitTicketPayload(TicketPayload):
    pass


@strawberry.type
class ResumeTicketPayload(TicketPayload):
    pass


@strawberry.type
class CloseTicketPayload(TicketPayload):
    pass


@strawberry.type
class ReopenTicketPayload(TicketPayload):
    pass


@strawberry.type
class HandlingMutation:
    @strawberry.mutation(
        description="A public message (the author, the ticket's team, admins) or an internal "
        "note (the team, admins). A handler's first public message stops the response clock; "
        "the author's message resumes a WAITING ticket."
    )
    async def post_message(
        self, info: Info[Context, Any], input: PostMessageInput
    ) -> PostMessagePayload:
        actor = require_actor(info)

        async def run() -> Any:
            return await messages.post_message(
                actor=actor,
                ticket_id=ticket_pk(input.id),
                body=input.body,
                internal=bool(input.internal),
            )

        result, errors = await attempt(run())
        if result is None:
            return PostMessagePayload(user_errors=errors)
        message, ticket = result
        return PostMessagePayload(
            message=MessageNode.from_model(message),
            ticket=TicketNode.from_model(ticket),
            user_errors=[],
        )

    @strawberry.mutation(description="A handler of the ticket's team takes it: OPEN -> PENDING.")
    async def take_ticket(
        self, info: Info[Context, Any], input: TakeTicketInput
    ) -> TakeTicketPayload:
        ticket, errors = await _run(
            info, lambda actor: handling.take_ticket(actor=actor, ticket_id=ticket_pk(input.id))
        )
        return TakeTicketPayload(ticket=ticket, user_errors=errors)

    @strawberry.mutation(
        description="Give the ticket to a handler of its team; an OPEN ticket becomes PENDING."
    )
    async def assign_ticket(
        self, info: Info[Context, Any], input: AssignTicketInput
    ) -> AssignTicketPayload:
        async def work(actor: Actor) -> Ticket:
            assignee = pk_of(input.assignee_id, "User")
            if assignee is None:
                raise fail(ErrorCode.VALIDATION, "assigneeId is not a user's id", "assignee_id")
            return await handling.assign_ticket(
                actor=actor, ticket_id=ticket_pk(input.id), assignee_id=assignee
            )

        ticket, errors = await _run(info, work)
        return AssignTicketPayload(ticket=ticket, user_errors=errors)

    @strawberry.mutation(
        description="PENDING -> WAITING for the requester or a third party; the response "
        "clock pauses."
    )
    async def await_ticket(
        self, info: Info[Context, Any], input: AwaitTicketInput
    ) -> AwaitTicketPayload:
        ticket, errors = await _run(
            info,
            lambda actor: handling.set_waiting(
                actor=actor, ticket_id=ticket_pk(input.id), reason=value(input.reason)
            ),
        )
        return AwaitTicketPayload(ticket=ticket, user_errors=errors)

    @strawberry.mutation(description="WAITING -> PENDING by hand.")
    async def resume_ticket(
        self, info: Info[Context, Any], input: ResumeTicketInput
    ) -> ResumeTicketPayload:
        ticket, errors = await _run(
            info, lambda actor: handling.resume_ticket(actor=actor, ticket_id=ticket_pk(input.id))
        )
        return ResumeTicketPayload(ticket=ticket, user_errors=errors)

    @strawberry.mutation(description="Close with a resolution note (OPEN, PENDING or WAITING).")
    async def close_ticket(
        self, info: Info[Context, Any], input: CloseTicketInput
    ) -> CloseTicketPayload:
        ticket, errors = await _run(
            info,
            lambda actor: handling.close_ticket(
                actor=actor, ticket_id=ticket_pk(input.id), resolution=input.resolution
            ),
        )
        return CloseTicketPayload(ticket=ticket, user_errors=errors)

    @strawberry.mutation(
        description="CLOSED -> OPEN: the author within the reopening period, the ticket's "
        "team and admins at any time."
    )
    async def reopen_ticket(
        self, info: Info[Context, Any], input: ReopenTicketInput
    ) -> ReopenTicketPayload:
        ticket, errors = await _run(
            info,
            lambda actor: handling.reopen_ticket(
                actor=actor, ticket_id=ticket_pk(input.id), reason=value(input.reason)
            ),
        )
        return ReopenTicketPayload(ticket=ticket, user_errors=errors)
