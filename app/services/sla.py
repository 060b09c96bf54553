"""Priorities, response delays in business time, and the state of the response clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from tortoise.expressions import F, Q

from app.config import ResponseDelay, get_settings
from app.models import Calendar, Team, Ticket
from app.models import ResponseDelay as ResponseDelaySetting
from app.models.enums import DelayCounting, Priority, SlaStatus, TicketStatus, TicketType
from app.services.business_time import (
    BusinessCalendar,
    Pause,
    add_working_time,
    validate_calendar,
)

DEFAULT_PRIORITY_BY_TYPE = {
    TicketType.INCIDENT: Priority.P2,
    TicketType.QUESTION: Priority.P3,
    TicketType.FEATURE_REQUEST: Priority.P4,
}
# A draft without type previews the middle of the scale.
UNTYPED_PRIORITY = Priority.P3
# A ticket is AT_RISK once this share of its delay is spent without an answer.
AT_RISK_SHARE = 0.8


def effective_priority(requested: Priority | None, ticket_type: TicketType | None) -> Priority:
    """The requested priority, else the default of the type, else P3."""
    if requested is not None:
        return requested
    if ticket_type is not None:
        return DEFAULT_PRIORITY_BY_TYPE[ticket_type]
    return UNTYPED_PRIORITY


async def response_delays() -> dict[Priority, ResponseDelay]:
    """Each priority's delay: the admin's setting, else the configured default."""
    delays = dict(get_settings().response_delays)
    for row in await ResponseDelaySetting.all():
        delays[row.priority] = ResponseDelay(timedelta(minutes=row.minutes), row.counting)
    return delays


def business_calendar(calendar: Calendar) -> BusinessCalendar:
    return validate_calendar(
        calendar.time_zone,
        [(day, opens, closes) for day, opens, closes in calendar.opening_hours],
        [date.fromisoformat(d) for d in calendar.holidays],
    )


async def calendar_of_team(team_id: int | None) -> Calendar:
    """The team's own calendar, else the default one."""
    team = await Team.get_or_none(id=team_id).select_related("calendar") if team_id else None
    if team is not None and team.calendar is not None:
        return team.calendar
    return await Calendar.get(is_default=True)


def pauses_of(ticket: Ticket) -> list[Pause]:
    return [(datetime.fromisoformat(s), datetime.fromisoformat(e)) for s, e in ticket.pauses]


def with_pause(ticket: Ticket, start: datetime, end: datetime) -> list[list[str]]:
    """The ticket's finished waits plus [start, end), as stored."""
    return [*ticket.pauses, [start.isoformat(), end.isoformat()]]


async def deadlines(
    *, submitted_at: datetime, priority: Priority, team_id: int | None, pauses: Sequence[Pause]
) -> tuple[datetime, datetime]:
    """(responseDueAt, the moment it becomes AT_RISK), anchored at submission: a change
    of priority or team recomputes both from there, finished waits pushing them back."""
    delay = (await response_delays())[priority]
    calendar = None
    if delay.counting is DelayCounting.BUSINESS_HOURS:
        calendar = business_calendar(await calendar_of_team(team_id))
    due = add_working_time(calendar, submitted_at, delay.amount, pauses)
    at_risk = add_working_time(calendar, submitted_at, delay.amount * AT_RISK_SHARE, pauses)
    return due, at_risk


def sla_status(ticket: Ticket, now: datetime) -> SlaStatus:
    """Where the response clock stands; ON_TRACK for a draft, whose clock has not started."""
    due = ticket.response_due_at
    if due is None:
        return SlaStatus.ON_TRACK
    # The clock stops at the first response, or at closing without one.
    stopped = ticket.first_responded_at or (
        ticket.closed_at if ticket.status == TicketStatus.CLOSED else None
    )
    if stopped is not None:
        return SlaStatus.MET if stopped <= due else SlaStatus.BREACHED
    if ticket.status == TicketStatus.WAITING and ticket.waiting_since is not None:
        return SlaStatus.BREACHED if due <= ticket.waiting_since else SlaStatus.PAUSED
    if now >= due:
        return SlaStatus.BREACHED
    if ticket.response_at_risk_at is not None and now >= ticket.response_at_risk_at:
        return SlaStatus.AT_RISK
    return SlaStatus.ON_TRACK


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    """Late and still unanswered: BREACHED without a first response, and not closed."""
    return (
        ticket.first_responded_at is None
        and ticket.status != TicketStatus.CLOSED
        and sla_status(ticket, now) is SlaStatus.BREACHED
    )


def overdue_q(now: datetime) -> Q:
    """The same rule as is_overdue, for a query."""
    late_while_running = Q(
        status__in=[TicketStatus.OPEN, TicketStatus.PENDING], response_due_at__lte=now
    )
    late_before_waiting = Q(status=TicketStatus.WAITING, response_due_at__lte=F("waiting_since"))
    return Q(
        Q(response_due_at__isnull=False, first_responded_at__isnull=True),
        late_while_running | late_before_waiting,
    )
