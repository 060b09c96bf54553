"""Text rules for what people type: lengths, trimming, forbidden characters."""

from __future__ import annotations

import unicodedata

from app.services.errors import ErrorCode, Problem

SUBJECT_MIN, SUBJECT_MAX = 10, 150
DESCRIPTION_MAX = 20_000
REFERENCE_MAX = 200
REASON_MAX = 1_000
SEARCH_MAX = 200
TEXT_WHITESPACE = frozenset("\n\r\t")


def _bad_character(text: str, allowed: frozenset[str] = frozenset()) -> str | None:
    """The first control character or lone surrogate in text, if any."""
    for char in text:
        if char in allowed:
            continue
        if unicodedata.category(char) in ("Cc", "Cs"):
            return char
    return None


def _check(
    field: str, text: str, *, maximum: int, minimum: int = 0, allowed: frozenset[str] = frozenset()
) -> list[Problem]:
    problems = []
    bad = _bad_character(text, allowed)
    if bad is not None:
        problems.append(
            Problem(
                ErrorCode.VALIDATION,
                f"{field} contains a forbidden control character (U+{ord(bad):04X})",
                field,
            )
        )
    if not minimum <= len(text) <= maximum:
        bounds = f"between {minimum} and {maximum}" if minimum else f"at most {maximum}"
        problems.append(
            Problem(
                ErrorCode.VALIDATION,
                f"{field} must be {bounds} characters long (it has {len(text)})",
                field,
            )
        )
    return problems


def clean_title(value: str, *, minimum: int, maximum: int) -> tuple[str, list[Problem]]:
    """A one-line title: trimmed, within bounds, no control characters."""
    title = value.strip()
    return title, _check("title", title, minimum=minimum, maximum=maximum)


def clean_subject(value: str) -> tuple[str, list[Problem]]:
    subject = value.strip()
    return subject, _check("subject", subject, minimum=SUBJECT_MIN, maximum=SUBJECT_MAX)


def clean_description(value: str) -> tuple[str, list[Problem]]:
    return value, _check("description", value, maximum=DESCRIPTION_MAX, allowed=TEXT_WHITESPACE)


def clean_body(value: str, field: str = "body") -> tuple[str, list[Problem]]:
    """A message: surrounding blank lines dropped, never empty, newlines kept."""
    body = value.strip()
    return body, _check(field, body, minimum=1, maximum=DESCRIPTION_MAX, allowed=TEXT_WHITESPACE)


def clean_reference(value: str) -> tuple[str | None, list[Problem]]:
    reference = value.strip()
    return reference or None, _check("reference", reference, maximum=REFERENCE_MAX)


def clean_reason(value: str) -> tuple[str | None, list[Problem]]:
    reason = value.strip()
    return reason or None, _check("reason", reason, maximum=REASON_MAX, allowed=TEXT_WHITESPACE)


def clean_search(value: str) -> tuple[str, list[Problem]]:
    search = value.strip()
    return search, _check("search", search, maximum=SEARCH_MAX)


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Réservation' -> 'reservation'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
