"""Priorities and response delays."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

from app.config import get_settings
from app.models.enums import Priority, TicketType

DEFAULT_PRIORITY_BY_TYPE = {
    TicketType.INCIDENT: Priority.P2,
    TicketType.QUESTION: Priority.P3,
    TicketType.FEATURE_REQUEST: Priority.P4,
}
# A draft without type previews the middle of the scale.
UNTYPED_PRIORITY = Priority.P3


def effective_priority(requested: Priority | None, ticket_type: TicketType | None) -> Priority:
    """The requested priority, else the default of the type, else P3."""
    if requested is not None:
        return requested
    if ticket_type is not None:
        return DEFAULT_PRIORITY_BY_TYPE[ticket_type]
    return UNTYPED_PRIORITY


def response_due_at(submitted_at: datetime, priority: Priority) -> datetime:
    """Anchored at submission: a priority change moves the deadline from there."""
    return submitted_at + get_settings().response_delays[priority]


def is_overdue(
    *, response_due: datetime | None, first_responded: datetime | None, now: datetime
) -> bool:
    return response_due is not None and first_responded is None and now > response_due


def overdue_q(now: datetime) -> Q:
    """The same rule as is_overdue, for a query."""
    return Q(
        response_due_at__isnull=False, first_responded_at__isnull=True, response_due_at__lt=now
    )
