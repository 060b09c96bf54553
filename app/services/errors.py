"""Domain errors: the expected failures of a use case, each with a code."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID_STATE = "INVALID_STATE"
    CONFLICT = "CONFLICT"


@dataclass(frozen=True)
class Problem:
    code: ErrorCode
    message: str
    # The input field at fault (its service-side name), if any.
    field: str | None = None
    # True when the field is the stored ticket's, not the caller's input.
    on_ticket: bool = False


class DomainError(Exception):
    """A use case refused: nothing was changed."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def fail(code: ErrorCode, message: str, field: str | None = None) -> DomainError:
    return DomainError(Problem(code, message, field))


def not_found(what: str = "Ticket", field: str | None = "id") -> DomainError:
    # Hidden and missing answer alike, so that nobody learns what exists.
    return fail(ErrorCode.NOT_FOUND, f"{what} not found", field)
