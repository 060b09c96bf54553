"""Scalars of the contract."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry


def _serialize(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _parse(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO 8601 string")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("DateTime must carry a UTC offset")
    return parsed


DateTime = strawberry.scalar(
    name="DateTime",
    description="ISO 8601 date-time, always serialised in UTC with an explicit offset.",
    serialize=_serialize,
    parse_value=_parse,
)
