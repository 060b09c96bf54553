"""The GraphQL schema: the contract of api.graphql, mapped onto the services."""

from __future__ import annotations

from datetime import datetime

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from app.schema.errors import is_expected, label_errors
from app.schema.mutations import Mutation
from app.schema.queries import Query
from app.schema.scalars import DateTime
from app.schema.subscriptions import Subscription
from app.schema.types import TeamNode, TicketEventNode, TicketNode, UserNode

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2_000


# Built once: the limiters make new rule classes per instance, and ValidationCache
# keys its cache on the rule classes, so per-request limiters would never hit it.
_LIMIT_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]


class RequestLimits(AddValidationRules):
    """Depth and alias limits, checked during (cached) validation."""

    def __init__(self) -> None:
        super().__init__(_LIMIT_RULES)


class SupportDeskSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        label_errors(errors)


schema = SupportDeskSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[TicketNode, UserNode, TeamNode, TicketEventNode],
    config=StrawberryConfig(scalar_map={datetime: DateTime}),
    extensions=[
        lambda: MaskErrors(
            should_mask_error=lambda e: not is_expected(e), error_message="Internal error"
        ),
        RequestLimits,
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        ParserCache,
        ValidationCache,
    ],
)
