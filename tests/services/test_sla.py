"""Response deadlines in business time, through the service and its stored calendars."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.models import Calendar, Team, Ticket
from app.models.enums import DelayCounting, Priority, SlaStatus, TicketStatus, TicketType
from app.services import calendars, sla, tickets
from app.services.business_time import Pause
from tests.conftest import Desk, make_ticket

BRUSSELS = ZoneInfo("Europe/Brussels")


def local(*args: int) -> datetime:
    """A Brussels wall-clock time, as an aware datetime."""
    return datetime(*args, tzinfo=BRUSSELS)  # type: ignore[misc]


@pytest.fixture
async def business_hours(desk: Desk) -> None:
    """Every priority counted in the default calendar's business hours (Mon-Fri 09-17)."""
    admin = await desk.admin.actor()
    for priority, hours in (
        (Priority.P1, 1),
        (Priority.P2, 4),
        (Priority.P3, 8),
        (Priority.P4, 24),
    ):
        await calendars.set_response_delay(
            actor=admin,
            priority=priority,
            minutes=hours * 60,
            counting=DelayCounting.BUSINESS_HOURS,
        )


async def due(
    submitted: datetime,
    priority: Priority,
    pauses: list[Pause] | None = None,
    team: int | None = None,
) -> datetime:
    deadline, _ = await sla.deadlines(
        submitted_at=submitted, priority=priority, team_id=team, pauses=pauses or []
    )
    return deadline.astimezone(BRUSSELS)


@pytest.mark.usefixtures("business_hours")
async def test_friday_evening_p2_is_due_monday_at_one() -> None:
    assert await due(local(2027, 1, 8, 17, 30), Priority.P2) == local(2027, 1, 11, 13, 0)


@pytest.mark.usefixtures("business_hours")
async def test_a_holiday_is_skipped(desk: Desk) -> None:
    await calendars.update_calendar(
        actor=await desk.admin.actor(),
        calendar_id=(await Calendar.get(is_default=True)).id,
        changes={"holidays": [date(2027, 1, 11)]},
    )
    assert await due(local(2027, 1, 8, 17, 30), Priority.P2) == local(2027, 1, 12, 13, 0)


@pytest.mark.usefixtures("business_hours")
async def test_across_the_daylight_saving_weekends() -> None:
    # Spring: clocks go forward on Sunday 28 March 2027; Monday is UTC+2.
    spring = await due(local(2027, 3, 26, 16, 0), Priority.P2)
    assert spring == local(2027, 3, 29, 12, 0)
    assert spring.astimezone(UTC) == datetime(2027, 3, 29, 10, 0, tzinfo=UTC)
    # Autumn: clocks go back on Sunday 31 October 2027; Monday is UTC+1.
    autumn = await due(local(2027, 10, 29, 16, 0), Priority.P2)
    assert autumn == local(2027, 11, 1, 12, 0)
    assert autumn.astimezone(UTC) == datetime(2027, 11, 1, 11, 0, tzinfo=UTC)


async def test_around_the_clock_counts_real_time_over_the_spring_night(desk: Desk) -> None:
    await calendars.set_response_delay(
        actor=await desk.admin.actor(),
        priority=Priority.P1,
        minutes=60,
        counting=DelayCounting.AROUND_THE_CLOCK,
    )
    # 01:30 CET + one real hour = 03:30 CEST: the skipped hour does not count.
    assert await due(local(2027, 3, 28, 1, 30), Priority.P1) == local(2027, 3, 28, 3, 30)


@pytest.mark.usefixtures("business_hours")
async def test_a_wait_over_the_weekend_pushes_the_deadline_by_the_business_time_it_took() -> None:
    submitted = local(2027, 1, 7, 10, 0)  # Thursday
    assert await due(submitted, Priority.P3) == local(2027, 1, 8, 10, 0)
    wait = (local(2027, 1, 7, 16, 0), local(2027, 1, 11, 10, 0))  # Thursday 16:00 to Monday 10:00
    # 6 business hours before the wait, the 2 left from Monday 10:00.
    assert await due(submitted, Priority.P3, [wait]) == local(2027, 1, 11, 12, 0)
    # A priority changed after the wait counts from submission with the same wait.
    assert await due(submitted, Priority.P2, [wait]) == local(2027, 1, 7, 14, 0)
    assert await due(submitted, Priority.P4, [wait]) == local(2027, 1, 13, 12, 0)


@pytest.mark.usefixtures("business_hours")
async def test_a_team_calendar_replaces_the_default(desk: Desk) -> None:
    admin = await desk.admin.actor()
    weekend = await calendars.create_calendar(
        actor=admin,
        name="Weekend desk",
        time_zone="America/New_York",
        opening_hours=[(5, "10:00", "14:00"), (6, "10:00", "14:00")],
    )
    team = await Team.get(name="Support")
    team.calendar_id = weekend.id  # type: ignore[attr-defined]
    await team.save()
    new_york = ZoneInfo("America/New_York")
    deadline = await due(local(2027, 1, 8, 17, 30), Priority.P2, team=team.id)
    # Friday 11:30 in New York; Saturday 10:00-14:00 there gives the 4 hours.
    assert deadline.astimezone(new_york) == datetime(2027, 1, 9, 14, 0, tzinfo=new_york)


@pytest.mark.usefixtures("business_hours")
async def test_submission_and_retyping_use_the_routed_teams_calendar(desk: Desk) -> None:
    admin = await desk.admin.actor()
    always = await calendars.create_calendar(
        actor=admin,
        name="Always open",
        time_zone="UTC",
        opening_hours=[(day, "00:00", "23:59") for day in range(7)],
    )
    product = await Team.get(name="Product")
    product.calendar_id = always.id  # type: ignore[attr-defined]
    await product.save()
    ticket = await make_ticket(desk.alice, type=TicketType.INCIDENT, priority=Priority.P1)
    assert ticket.submitted_at is not None
    assert ticket.response_due_at is not None
    expected_support, _ = await sla.deadlines(
        submitted_at=ticket.submitted_at, priority=Priority.P1, team_id=None, pauses=[]
    )
    assert ticket.response_due_at == expected_support
    moved = await tickets.adjust_ticket(
        actor=admin, ticket_id=ticket.id, changes={"type": TicketType.FEATURE_REQUEST}
    )
    assert moved.team_id == product.id  # type: ignore[attr-defined]
    # One hour of a calendar open all day long, except the minute before midnight.
    assert moved.response_due_at is not None
    assert (
        timedelta(hours=1)
        <= moved.response_due_at - ticket.submitted_at
        <= timedelta(hours=1, minutes=1)
    )


NOON = datetime(2027, 1, 7, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def ticket_at(status: TicketStatus, **values: object) -> Ticket:
    """An unsaved ticket due at 12:00, at risk from 11:00 (AT_RISK_SHARE of a 5 h delay)."""
    base = {
        "status": status,
        "submitted_at": NOON - timedelta(hours=5),
        "response_due_at": NOON,
        "response_at_risk_at": NOON - timedelta(hours=1),
        "first_responded_at": None,
        "waiting_since": None,
        "closed_at": None,
    }
    return Ticket(**{**base, **values})


@pytest.mark.parametrize(
    ("ticket", "now", "expected"),
    [
        # A draft's clock has not started.
        (
            ticket_at(TicketStatus.DRAFT, submitted_at=None, response_due_at=None),
            NOON,
            SlaStatus.ON_TRACK,
        ),
        (ticket_at(TicketStatus.OPEN), NOON - timedelta(hours=1) - SECOND, SlaStatus.ON_TRACK),
        (ticket_at(TicketStatus.OPEN), NOON - timedelta(hours=1), SlaStatus.AT_RISK),
        (ticket_at(TicketStatus.PENDING), NOON - SECOND, SlaStatus.AT_RISK),
        (ticket_at(TicketStatus.OPEN), NOON, SlaStatus.BREACHED),
        (ticket_at(TicketStatus.OPEN, first_responded_at=NOON), NOON + SECOND, SlaStatus.MET),
        (
            ticket_at(TicketStatus.PENDING, first_responded_at=NOON + SECOND),
            NOON + SECOND,
            SlaStatus.BREACHED,
        ),
        (
            ticket_at(TicketStatus.WAITING, waiting_since=NOON - SECOND),
            NOON + timedelta(days=1),
            SlaStatus.PAUSED,
        ),
        (ticket_at(TicketStatus.WAITING, waiting_since=NOON), NOON, SlaStatus.BREACHED),
        (ticket_at(TicketStatus.CLOSED, closed_at=NOON - SECOND), NOON + SECOND, SlaStatus.MET),
        (
            ticket_at(TicketStatus.CLOSED, closed_at=NOON + SECOND),
            NOON + SECOND,
            SlaStatus.BREACHED,
        ),
    ],
)
def test_sla_status_at_each_boundary(ticket: Ticket, now: datetime, expected: SlaStatus) -> None:
    assert sla.sla_status(ticket, now) is expected
