"""Errors as clients see them: userErrors for expected failures, clean top-level errors."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

import strawberry
from graphql import GraphQLError

from app.services.errors import DomainError, ErrorCode

logger = logging.getLogger("app.errors")
T = TypeVar("T")

UserErrorCode = strawberry.enum(ErrorCode, name="UserErrorCode")


@strawberry.type(description="An expected failure of a mutation: nothing was changed.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "subject"]; '
        "null when not about one field."
    )
    message: str
    code: UserErrorCode  # type: ignore[valid-type]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def user_errors(error: DomainError) -> list[UserError]:
    errors = []
    for problem in error.problems:
        path = None
        if problem.field is not None:
            name = _camel(problem.field)
            path = [name] if problem.on_ticket else ["input", name]
        errors.append(UserError(field=path, message=problem.message, code=problem.code))
    return errors


async def attempt(call: Awaitable[T]) -> tuple[T | None, list[UserError]]:
    """Run a use case for a mutation payload: its result, or the userErrors it refused with."""
    try:
        return await call, []
    except DomainError as error:
        return None, user_errors(error)


def is_expected(error: GraphQLError) -> bool:
    """Errors whose message is meant for the client; anything else is masked."""
    original = error.original_error
    return original is None or isinstance(original, GraphQLError | DomainError)


def label_errors(errors: list[GraphQLError]) -> None:
    """Give expected errors a code; log unexpected ones, with their traceback, for operators."""
    for error in errors:
        original = error.original_error
        if isinstance(original, DomainError):
            error.extensions = {"code": original.problems[0].code.value}
        elif not is_expected(error):
            logger.error("unexpected error in %s", error.path, exc_info=original)
            error.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        elif error.extensions is None or "code" not in error.extensions:
            # Syntax, validation and variable errors: the request itself is at fault.
            error.extensions = {**(error.extensions or {}), "code": "BAD_REQUEST"}


__all__ = ["UserError", "UserErrorCode", "attempt", "is_expected", "label_errors"]
