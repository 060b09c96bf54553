"""The GraphQL schema: the contract of api.graphql, mapped onto the services."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime

import strawberry
from graphql import GraphQLError, OperationDefinitionNode
from starlette.websockets import WebSocket
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from app.schema.admin import AdminMutation, AdminQuery
from app.schema.context import Context
from app.schema.errors import (
    UNAVAILABLE,
    UNAVAILABLE_MESSAGE,
    database_unavailable,
    is_expected,
    label_errors,
)
from app.schema.execution import SharedEventExecutor
from app.schema.handling import HandlingMutation
from app.schema.improvements import (
    ImprovementMutation,
    ImprovementNode,
    ImprovementQuery,
    ReleaseNode,
)
from app.schema.mutations import TicketMutation
from app.schema.queries import TicketQuery
from app.schema.scalars import DateTime
from app.schema.subscriptions import Subscription
from app.schema.types import (
    CalendarNode,
    MessageNode,
    TeamNode,
    TicketEventNode,
    TicketNode,
    UserNode,
)
from app.schema.users import UserMutation, UserQuery
from app.services.actors import load_actor

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2_000


# Built once: the limiters make new rule classes per instance, and ValidationCache
# keys its cache on the rule classes, so per-request limiters would never hit it.
_LIMIT_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]


class InternalErrorMask(MaskErrors):
    """Unexpected errors reach clients as a bare message with a code, never their details."""

    def __init__(self) -> None:
        super().__init__(
            should_mask_error=lambda e: not is_expected(e), error_message="Internal error"
        )

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        if database_unavailable(error.original_error):
            masked.message = UNAVAILABLE_MESSAGE
            masked.extensions = {"code": UNAVAILABLE}
        else:
            masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return masked

    def _process_result(self, result: object) -> None:
        # The parent asks isinstance() of a runtime-checkable Protocol, which inspects the
        # Protocol's members on every call: a few microseconds for every feed delivery.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]


class OperationNameRequired(SchemaExtension):
    """A document with several operations must say which to run (GraphQL spec, 6.1).

    Strawberry would run the first one (its `operation_name` falls back to it, so
    the name the client sent is read). Placed after ValidationCache, this adds the
    error to a copy of the cached validation result.
    """

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context._provided_operation_name is None and document is not None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) > 1:
                error = GraphQLError(
                    "The document holds several operations: say which one to run with "
                    "operationName",
                    extensions={"code": "BAD_REQUEST"},
                )
                context.pre_execution_errors = [*(context.pre_execution_errors or []), error]
        yield


class ActorAsNowOnSockets(SchemaExtension):
    """A websocket signs in once, at connection_init: each operation on it acts as the
    user is now, so that a user deactivated meanwhile can start nothing more on it (HTTP
    requests load the user afresh anyway)."""

    async def on_operation(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if (
            isinstance(context, Context)
            and isinstance(context.request, WebSocket)
            and context.actor is not None
        ):
            context.actor = await load_actor(context.actor.id)
        yield


class RequestLimits(AddValidationRules):
    """Depth and alias limits, checked during (cached) validation."""

    def __init__(self) -> None:
        super().__init__(_LIMIT_RULES)


Query = merge_types("Query", (TicketQuery, AdminQuery, UserQuery, ImprovementQuery))
Mutation = merge_types(
    "Mutation",
    (TicketMutation, HandlingMutation, AdminMutation, UserMutation, ImprovementMutation),
)


class SupportDeskSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        label_errors(errors)


def build_schema(*, introspection: bool = True) -> SupportDeskSchema:
    """The schema; without introspection for production (ENVIRONMENT, INTROSPECTION)."""
    return SupportDeskSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            TicketNode,
            UserNode,
            TeamNode,
            TicketEventNode,
            MessageNode,
            CalendarNode,
            ImprovementNode,
            ReleaseNode,
        ],
        config=StrawberryConfig(scalar_map={datetime: DateTime}),
        execution_context_class=SharedEventExecutor,
        extensions=[
            InternalErrorMask,
            RequestLimits,
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            ParserCache,
            ValidationCache,
            OperationNameRequired,
            ActorAsNowOnSockets,
            *([] if introspection else [DisableIntrospection]),
        ],
    )


schema = build_schema()
