"""Administration of accounts: the users list, creating users, changing and deactivating them."""

from __future__ import annotations

from functools import partial
from typing import Any

import strawberry
from strawberry.types import Info

from app.models.enums import Language, MailKind, Role
from app.schema.connections import Connection, Edge, connection
from app.schema.context import Context, require_actor
from app.schema.errors import UserError, attempt
from app.schema.mutations import given, input_pk
from app.schema.types import UserNode
from app.schema.values import value
from app.services import users
from app.services.pagination import Window


@strawberry.input
class CreateUserInput:
    email: str
    display_name: str = strawberry.field(description="1 to 100 printable characters.")
    role: Role
    password: str = strawberry.field(description="8 to 1,000 characters.")


@strawberry.input(description="Absent fields stay as they are.")
class UpdateUserInput:
    id: strawberry.ID
    display_name: str | None = strawberry.UNSET
    role: Role | None = strawberry.UNSET
    active: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="False ends the user's access at once: tokens, open subscriptions.",
    )
    password: str | None = strawberry.UNSET
    validator: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Validates, prioritises and plans improvements (admins always may).",
    )


@strawberry.input(description="Absent fields stay as they are.")
class UpdatePreferencesInput:
    language: Language | None = strawberry.field(
        default=strawberry.UNSET, description="The language of one's e-mails (default fr)."
    )
    mails_off: list[MailKind] | None = strawberry.field(
        default=strawberry.UNSET, description="The kinds of e-mail one does not want."
    )


@strawberry.type
class UpdatePreferencesPayload:
    user: UserNode | None = None
    user_errors: list[UserError]


@strawberry.type
class CreateUserPayload:
    user: UserNode | None = None
    user_errors: list[UserError]


@strawberry.type
class UpdateUserPayload:
    user: UserNode | None = None
    user_errors: list[UserError]


@strawberry.type
class UserQuery:
    @strawberry.field(description="Every account, oldest first (admins only).")
    async def users(
        self,
        info: Info[Context, Any],
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
        role: Role | None = strawberry.UNSET,
        active: bool | None = strawberry.UNSET,
    ) -> Connection[UserNode]:
        actor = require_actor(info)
        role_, active_ = value(role), value(active)
        page = await users.list_users(
            actor=actor,
            window=Window(first=value(first), after=value(after)),
            role=role_,
            active=active_,
        )
        edges = [
            Edge(encode=partial(users.user_cursor, u), node=UserNode.from_model(u))
            for u in page.items
        ]
        return connection(
            edges,
            has_next=page.has_next,
            has_previous=page.has_previous,
            count=lambda: users.count_users(actor=actor, role=role_, active=active_),
        )


@strawberry.type
class UserMutation:
    @strawberry.mutation(description="A new account (admins only); teams via addTeamMember.")
    async def create_user(
        self, info: Info[Context, Any], input: CreateUserInput
    ) -> CreateUserPayload:
        actor = require_actor(info)
        user, errors = await attempt(
            users.create_user(
                actor=actor,
                email=input.email,
                display_name=input.display_name,
                role=input.role,
                password=input.password,
            )
        )
        return CreateUserPayload(user=user and UserNode.from_model(user), user_errors=errors)

    @strawberry.mutation(
        description="Change a user's name, role or password, or deactivate them (admins only)."
    )
    async def update_user(
        self, info: Info[Context, Any], input: UpdateUserInput
    ) -> UpdateUserPayload:
        actor = require_actor(info)

        async def run() -> Any:
            pk = input_pk(input.id, "User")
            changes = given(input, "display_name", "role", "active", "password", "validator")
            return await users.update_user(actor=actor, user_id=pk, changes=changes)

        user, errors = await attempt(run())
        return UpdateUserPayload(user=user and UserNode.from_model(user), user_errors=errors)

    @strawberry.mutation(description="One's own settings: e-mail language and kinds turned off.")
    async def update_preferences(
        self, info: Info[Context, Any], input: UpdatePreferencesInput
    ) -> UpdatePreferencesPayload:
        actor = require_actor(info)
        user, errors = await attempt(
            users.update_preferences(
                actor=actor, language=value(input.language), mails_off=value(input.mails_off)
            )
        )
        return UpdatePreferencesPayload(user=user and UserNode.from_model(user), user_errors=errors)
