"""Mutations: one input and one payload each, expected failures as userErrors."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from app.models.enums import Priority, TicketType
from app.schema.context import Context, require_actor
from app.schema.errors import UserError, attempt
from app.schema.ids import pk_of
from app.schema.types import TicketNode, UserNode
from app.schema.values import value
from app.services import auth, tickets
from app.services.errors import not_found


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.type
class LoginPayload:
    token: str | None = None
    user: UserNode | None = None
    user_errors: list[UserError]


@strawberry.input
class CreateDraftInput:
    subject: str
    description: str | None = strawberry.UNSET
    reference: str | None = strawberry.UNSET
    type: TicketType | None = strawberry.UNSET
    priority: Priority | None = strawberry.field(
        default=strawberry.UNSET,
        description="The urgency the author asks for; when absent the type's default applies "
        "at submission.",
    )


@strawberry.input(
    description="Absent fields stay as they are; an explicit null clears an optional field."
)
class UpdateDraftInput:
    id: strawberry.ID
    subject: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    reference: str | None = strawberry.UNSET
    type: TicketType | None = strawberry.UNSET
    priority: Priority | None = strawberry.UNSET
    expected_version: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="When given and not equal to the ticket's version, nothing changes and a "
        "CONFLICT error is returned.",
    )


@strawberry.input
class DeleteDraftInput:
    id: strawberry.ID


@strawberry.input
class SubmitTicketInput:
    id: strawberry.ID


@strawberry.input
class AdjustTicketInput:
    id: strawberry.ID
    type: TicketType | None = strawberry.UNSET
    priority: Priority | None = strawberry.UNSET
    reason: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Why the admin re-typed or re-prioritised; kept in the history.",
    )


@strawberry.type
class TicketPayload:
    ticket: TicketNode | None = None
    user_errors: list[UserError]


@strawberry.type
class CreateDraftPayload(TicketPayload):
    pass


@strawberry.type
class UpdateDraftPayload(TicketPayload):
    pass


@strawberry.type
class SubmitTicketPayload(TicketPayload):
    pass


@strawberry.type
class AdjustTicketPayload(TicketPayload):
    pass


@strawberry.type
class DeleteDraftPayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError]


def input_pk(global_id: str, type_name: str, field: str = "id") -> int:
    """The key behind an id in a mutation's input; NOT_FOUND on that field for an id of
    another type or a tampered one, as for a hidden object."""
    pk = pk_of(global_id, type_name)
    if pk is None:
        raise not_found(type_name, field)
    return pk


def ticket_pk(global_id: str, field: str = "id") -> int:
    return input_pk(global_id, "Ticket", field)


def given(input: object, *names: str) -> dict[str, Any]:
    """The fields a client sent, explicit nulls included; absent ones left out."""
    return {n: getattr(input, n) for n in names if getattr(input, n) is not strawberry.UNSET}


@strawberry.type
class TicketMutation:
    @strawberry.mutation(
        description="A token for the Authorization header. Failed attempts are limited per "
        "account and per client address."
    )
    async def login(self, info: Info[Context, Any], input: LoginInput) -> LoginPayload:
        client = info.context.request.client
        result, errors = await attempt(
            auth.login(
                email=input.email, password=input.password, client=client.host if client else None
            )
        )
        if result is None:
            return LoginPayload(user_errors=errors)
        token, user = result
        return LoginPayload(token=token, user=UserNode.from_model(user), user_errors=[])

    @strawberry.mutation
    async def create_draft(
        self, info: Info[Context, Any], input: CreateDraftInput
    ) -> CreateDraftPayload:
        actor = require_actor(info)
        ticket, errors = await attempt(
            tickets.create_draft(
                actor=actor,
                subject=input.subject,
                description=value(input.description),
                reference=value(input.reference),
                type=value(input.type),
                priority=value(input.priority),
                user_agent=info.context.user_agent,
            )
        )
        return CreateDraftPayload(
            ticket=ticket and TicketNode.from_model(ticket), user_errors=errors
        )

    @strawberry.mutation
    async def update_draft(
        self, info: Info[Context, Any], input: UpdateDraftInput
    ) -> UpdateDraftPayload:
        actor = require_actor(info)

        async def run() -> Any:
            return await tickets.update_draft(
                actor=actor,
                ticket_id=ticket_pk(input.id),
                changes=given(input, "subject", "description", "reference", "type", "priority"),
                expected_version=value(input.expected_version),
                user_agent=info.context.user_agent,
            )

        ticket, errors = await attempt(run())
        return UpdateDraftPayload(
            ticket=ticket and TicketNode.from_model(ticket), user_errors=errors
        )

    @strawberry.mutation
    async def delete_draft(
        self, info: Info[Context, Any], input: DeleteDraftInput
    ) -> DeleteDraftPayload:
        actor = require_actor(info)

        async def run() -> str:
            await tickets.delete_draft(actor=actor, ticket_id=ticket_pk(input.id))
            return input.id

        deleted, errors = await attempt(run())
        return DeleteDraftPayload(deleted_id=deleted and strawberry.ID(deleted), user_errors=errors)

    @strawberry.mutation
    async def submit_ticket(
        self, info: Info[Context, Any], input: SubmitTicketInput
    ) -> SubmitTicketPayload:
        actor = require_actor(info)

        async def run() -> Any:
            return await tickets.submit_ticket(actor=actor, ticket_id=ticket_pk(input.id))

        ticket, errors = await attempt(run())
        return SubmitTicketPayload(
            ticket=ticket and TicketNode.from_model(ticket), user_errors=errors
        )

    @strawberry.mutation
    async def adjust_ticket(
        self, info: Info[Context, Any], input: AdjustTicketInput
    ) -> AdjustTicketPayload:
        actor = require_actor(info)

        async def run() -> Any:
            return await tickets.adjust_ticket(
                actor=actor,
                ticket_id=ticket_pk(input.id),
                changes=given(input, "type", "priority"),
                reason=value(input.reason),
            )

        ticket, errors = await attempt(run())
        return AdjustTicketPayload(
            ticket=ticket and TicketNode.from_model(ticket), user_errors=errors
        )
