"""Errors as clients see them: userErrors for expected failures, clean top-level errors."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

import asyncpg
import strawberry
from graphql import GraphQLError
from tortoise.exceptions import DBConnectionError

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


# Raised when the database cannot be reached or ends the connection (restarting, failing
# over): the request may succeed again in a moment.
DATABASE_GONE = (
    ConnectionError,
    DBConnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InterfaceError,
)
UNAVAILABLE = "SERVICE_UNAVAILABLE"
UNAVAILABLE_MESSAGE = "The database is unavailable: try again in a moment"


def database_unavailable(error: BaseException | None) -> bool:
    """Whether the error, or one it came from, says the database is out of reach."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, DATABASE_GONE):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def label_errors(errors: list[GraphQLError]) -> None:
    """Give expected errors a code; log unexpected ones, with their traceback, for operators."""
    for error in errors:
        original = error.original_error
        if isinstance(original, DomainError):
            error.extensions = {"code": original.problems[0].code.value}
        elif database_unavailable(original):
            logger.warning("database unavailable in %s: %s", error.path, original)
            error.extensions = {"code": UNAVAILABLE}
        elif not is_expected(error):
            logger.error("unexpected error in %s", error.path, exc_info=original)
            error.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        elif error.extensions is None or "code" not in error.extensions:
            # Syntax, validation and variable errors: the request itself is at fault.
            error.extensions = {**(error.extensions or {}), "code": "BAD_REQUEST"}


__all__ = [
    "UNAVAILABLE",
    "UNAVAILABLE_MESSAGE",
    "UserError",
    "UserErrorCode",
    "attempt",
    "database_unavailable",
    "is_expected",
    "label_errors",
]
