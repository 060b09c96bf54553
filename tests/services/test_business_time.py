"""Business-time deadlines: opening hours, holidays, pauses and daylight saving in Brussels.

Expected instants are written out twice: as the Brussels wall clock (what people read)
and as the UTC instant (what is stored), so that neither can hide an offset mistake.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.services.business_time import (
    BusinessCalendar,
    OpeningHours,
    Pause,
    add_working_time,
    validate_calendar,
    working_time_between,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
HOUR = timedelta(hours=1)
OFFICE = BusinessCalendar(
    BRUSSELS, tuple(OpeningHours(weekday, time(9), time(17)) for weekday in range(5))
)
# Monday 7 June 2027 off: the week of most examples below.
OFFICE_WITH_HOLIDAY = BusinessCalendar(
    OFFICE.time_zone, OFFICE.hours, frozenset({date(2027, 6, 7)})
)
# Only the small hours of Sunday: the nights when the clocks change.
SUNDAY_NIGHT = BusinessCalendar(BRUSSELS, (OpeningHours(6, time(0), time(6)),))


@pytest.fixture(autouse=True)
def clean() -> None:
    """Pure functions: no server or database to clean (replaces the conftest's fixture)."""


def at(wall_clock: str) -> datetime:
    """A Brussels wall-clock time, 'YYYY-MM-DD HH:MM[:SS]'."""
    return datetime.fromisoformat(wall_clock).replace(tzinfo=BRUSSELS)


def assert_instant(result: datetime, local: str, utc: str) -> None:
    assert result.tzinfo is UTC
    assert f"{result.astimezone(BRUSSELS):%a %Y-%m-%d %H:%M:%S %z}" == local
    assert result.isoformat() == utc


# --- add_working_time -----------------------------------------------------------------------

# 2027-06-04 is a Friday; Brussels is on summer time (+0200) all that month.
OFFICE_CASES = [
    pytest.param(
        OFFICE,
        at("2027-06-04 17:30"),
        4 * HOUR,
        "Mon 2027-06-07 13:00:00 +0200",
        "2027-06-07T11:00:00+00:00",
        id="friday-after-closing-4h",
    ),
    pytest.param(
        OFFICE,
        at("2027-06-09 10:00"),
        8 * HOUR,
        "Thu 2027-06-10 10:00:00 +0200",
        "2027-06-10T08:00:00+00:00",
        id="wednesday-10h-8h",
    ),
    pytest.param(
        OFFICE,
        at("2027-06-04 12:00"),
        24 * HOUR,
        "Wed 2027-06-09 12:00:00 +0200",
        "2027-06-09T10:00:00+00:00",
        id="friday-noon-3-business-days",
    ),
    pytest.param(
        OFFICE_WITH_HOLIDAY,
        at("2027-06-04 17:30"),
        4 * HOUR,
        "Tue 2027-06-08 13:00:00 +0200",
        "2027-06-08T11:00:00+00:00",
        id="monday-holiday",
    ),
    pytest.param(
        OFFICE_WITH_HOLIDAY,
        at("2027-06-04 12:00"),
        24 * HOUR,
        "Thu 2027-06-10 12:00:00 +0200",
        "2027-06-10T10:00:00+00:00",
        id="monday-holiday-3-business-days",
    ),
    pytest.param(
        OFFICE,
        at("2027-06-07 07:15"),
        2 * HOUR,
        "Mon 2027-06-07 11:00:00 +0200",
        "2027-06-07T09:00:00+00:00",
        id="before-opening",
    ),
    pytest.param(
        OFFICE,
        at("2027-06-07 17:00"),
        HOUR,
        "Tue 2027-06-08 10:00:00 +0200",
        "2027-06-08T08:00:00+00:00",
        id="at-closing",
    ),
    pytest.param(
        OFFICE,
        at("2027-06-07 13:00"),
        4 * HOUR,
        "Mon 2027-06-07 17:00:00 +0200",
        "2027-06-07T15:00:00+00:00",
        id="runs-out-at-closing-keeps-closing-time",
    ),
    pytest.param(
        OFFICE,
        at("2027-06-07 16:59:59"),
        timedelta(seconds=2),
        "Tue 2027-06-08 09:00:01 +0200",
        "2027-06-08T07:00:01+00:00",
        id="seconds-across-the-night",
    ),
    pytest.param(
        OFFICE,
        at("2027-06-07 10:00"),
        timedelta(0),
        "Mon 2027-06-07 10:00:00 +0200",
        "2027-06-07T08:00:00+00:00",
        id="zero-while-open",
    ),
    pytest.param(
        OFFICE,
        at("2027-06-07 17:00"),
        timedelta(0),
        "Tue 2027-06-08 09:00:00 +0200",
        "2027-06-08T07:00:00+00:00",
        id="zero-at-closing",
    ),
    pytest.param(
        OFFICE,
        at("2027-06-05 11:00"),
        timedelta(0),
        "Mon 2027-06-07 09:00:00 +0200",
        "2027-06-07T07:00:00+00:00",
        id="zero-on-saturday",
    ),
    pytest.param(
        OFFICE,
        datetime(2027, 6, 4, 11, 30, tzinfo=ZoneInfo("America/New_York")),
        4 * HOUR,
        "Mon 2027-06-07 13:00:00 +0200",
        "2027-06-07T11:00:00+00:00",
        id="start-in-another-zone",
    ),
    pytest.param(
        None,
        at("2027-06-04 17:30"),
        4 * HOUR,
        "Fri 2027-06-04 21:30:00 +0200",
        "2027-06-04T19:30:00+00:00",
        id="24-7",
    ),
    pytest.param(
        None,
        at("2027-06-04 17:30"),
        timedelta(0),
        "Fri 2027-06-04 17:30:00 +0200",
        "2027-06-04T15:30:00+00:00",
        id="24-7-zero-is-start",
    ),
]


@pytest.mark.parametrize(("calendar", "start", "amount", "local", "utc"), OFFICE_CASES)
def test_add_working_time(
    calendar: BusinessCalendar | None, start: datetime, amount: timedelta, local: str, utc: str
) -> None:
    assert_instant(add_working_time(calendar, start, amount), local, utc)


# 2027-03-28 and 2027-10-31 are Sundays: at 02:00 the clocks jump to 03:00 in spring; at
# 03:00 they fall back to 02:00 in autumn.
DAYLIGHT_SAVING_CASES = [
    pytest.param(
        OFFICE,
        at("2027-03-26 15:00"),
        4 * HOUR,
        "Mon 2027-03-29 11:00:00 +0200",
        "2027-03-29T09:00:00+00:00",
        id="office-over-spring-weekend",
    ),
    pytest.param(
        OFFICE,
        at("2027-10-29 15:00"),
        4 * HOUR,
        "Mon 2027-11-01 11:00:00 +0100",
        "2027-11-01T10:00:00+00:00",
        id="office-over-autumn-weekend",
    ),
    pytest.param(
        None,
        at("2027-03-28 01:30"),
        HOUR,
        "Sun 2027-03-28 03:30:00 +0200",
        "2027-03-28T01:30:00+00:00",
        id="24-7-spring-night",
    ),
    pytest.param(
        None,
        datetime.fromisoformat("2027-10-31T02:30+02:00"),
        HOUR,
        "Sun 2027-10-31 02:30:00 +0100",
        "2027-10-31T01:30:00+00:00",
        id="24-7-autumn-night-same-wall-clock-an-hour-later",
    ),
    pytest.param(
        SUNDAY_NIGHT,
        at("2027-03-27 20:00"),
        2 * HOUR,
        "Sun 2027-03-28 03:00:00 +0200",
        "2027-03-28T01:00:00+00:00",
        id="window-over-the-spring-jump",
    ),
    pytest.param(
        SUNDAY_NIGHT,
        at("2027-03-27 20:00"),
        5 * HOUR,
        "Sun 2027-03-28 06:00:00 +0200",
        "2027-03-28T04:00:00+00:00",
        id="spring-window-00-06-lasts-5h",
    ),
    pytest.param(
        SUNDAY_NIGHT,
        at("2027-10-30 20:00"),
        7 * HOUR,
        "Sun 2027-10-31 06:00:00 +0100",
        "2027-10-31T05:00:00+00:00",
        id="autumn-window-00-06-lasts-7h",
    ),
]


@pytest.mark.parametrize(("calendar", "start", "amount", "local", "utc"), DAYLIGHT_SAVING_CASES)
def test_add_working_time_across_daylight_saving(
    calendar: BusinessCalendar | None, start: datetime, amount: timedelta, local: str, utc: str
) -> None:
    assert_instant(add_working_time(calendar, start, amount), local, utc)


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"),
    [
        pytest.param(
            OFFICE, at("2027-03-26 09:00"), at("2027-03-29 17:00"), 16 * HOUR, id="spring"
        ),
        pytest.param(
            OFFICE, at("2027-10-29 09:00"), at("2027-11-01 17:00"), 16 * HOUR, id="autumn"
        ),
        pytest.param(
            None, at("2027-03-28 00:00"), at("2027-03-29 00:00"), 23 * HOUR, id="24-7-spring"
        ),
        pytest.param(
            None, at("2027-10-31 00:00"), at("2027-11-01 00:00"), 25 * HOUR, id="24-7-autumn"
        ),
        pytest.param(
            SUNDAY_NIGHT,
            at("2027-03-27 12:00"),
            at("2027-03-29 12:00"),
            5 * HOUR,
            id="night-spring",
        ),
        pytest.param(
            SUNDAY_NIGHT,
            at("2027-10-30 12:00"),
            at("2027-11-01 12:00"),
            7 * HOUR,
            id="night-autumn",
        ),
    ],
)
def test_working_time_between_across_daylight_saving(
    calendar: BusinessCalendar | None, start: datetime, end: datetime, expected: timedelta
) -> None:
    assert working_time_between(calendar, start, end) == expected


@pytest.mark.parametrize(
    ("opens", "closes", "spring", "autumn"),
    [
        # The skipped hour never happens; the repeated one happens twice.
        pytest.param(time(2), time(3), timedelta(0), 2 * HOUR, id="the-changing-hour"),
        # 02:30 does not exist in spring: read with winter time, it is 03:30 summer time.
        pytest.param(time(2, 30), time(4), timedelta(minutes=30), 2.5 * HOUR, id="opens-in-gap"),
    ],
)
def test_windows_made_of_the_changing_hour(
    opens: time, closes: time, spring: timedelta, autumn: timedelta
) -> None:
    calendar = BusinessCalendar(BRUSSELS, (OpeningHours(6, opens, closes),))
    assert working_time_between(calendar, at("2027-03-28 00:00"), at("2027-03-29 00:00")) == spring
    assert working_time_between(calendar, at("2027-10-31 00:00"), at("2027-11-01 00:00")) == autumn


def test_a_window_closing_in_the_gap_is_not_counted_twice() -> None:
    # The first window, read until 02:30 winter time = 03:30 summer time, overlaps the second
    # from 03:10: counted are 01:00-02:00 winter time and 03:00-04:00 summer time, once.
    calendar = BusinessCalendar(
        BRUSSELS, (OpeningHours(6, time(1), time(2, 30)), OpeningHours(6, time(3, 10), time(4)))
    )
    assert (
        working_time_between(calendar, at("2027-03-28 00:00"), at("2027-03-29 00:00")) == 2 * HOUR
    )
    assert_instant(
        add_working_time(calendar, at("2027-03-28 00:00"), 2 * HOUR),
        "Sun 2027-03-28 04:00:00 +0200",
        "2027-03-28T02:00:00+00:00",
    )


# --- Pauses ---------------------------------------------------------------------------------

WEEKEND_PAUSE: list[Pause] = [(at("2027-06-04 18:00"), at("2027-06-07 08:00"))]
OFFICE_PAUSE: list[Pause] = [(at("2027-06-04 15:00"), at("2027-06-07 11:00"))]
# Waiting for the customer from Wednesday 11:00 to Thursday 10:00.
WAITING: list[Pause] = [(at("2027-06-09 11:00"), at("2027-06-10 10:00"))]
# Overlapping, nested, touching, empty, unsorted, in another zone and on a closed day.
TANGLED: list[Pause] = [
    (at("2027-06-07 11:00"), at("2027-06-07 13:00")),
    (at("2027-06-07 10:00"), at("2027-06-07 12:00")),
    (at("2027-06-07 12:30"), at("2027-06-07 12:45")),
    (datetime(2027, 6, 7, 9, 30, tzinfo=UTC), datetime(2027, 6, 7, 10, 30, tzinfo=UTC)),
    (at("2027-06-07 13:00"), at("2027-06-07 13:30")),
    (at("2027-06-07 15:00"), at("2027-06-07 15:00")),
    (at("2027-06-05 10:00"), at("2027-06-06 10:00")),
]


@pytest.mark.parametrize(
    ("calendar", "start", "amount", "pauses", "local", "utc"),
    [
        pytest.param(
            None,
            at("2027-06-04 12:00"),
            24 * HOUR,
            WEEKEND_PAUSE,
            "Tue 2027-06-08 02:00:00 +0200",
            "2027-06-08T00:00:00+00:00",
            id="24-7-weekend-pause",
        ),
        pytest.param(
            OFFICE,
            at("2027-06-04 10:00"),
            8 * HOUR,
            OFFICE_PAUSE,
            "Mon 2027-06-07 14:00:00 +0200",
            "2027-06-07T12:00:00+00:00",
            id="office-weekend-pause",
        ),
        # A priority change after the pause: same start, same pauses, another amount.
        pytest.param(
            OFFICE,
            at("2027-06-09 10:00"),
            4 * HOUR,
            WAITING,
            "Thu 2027-06-10 13:00:00 +0200",
            "2027-06-10T11:00:00+00:00",
            id="office-pause-then-4h",
        ),
        pytest.param(
            OFFICE,
            at("2027-06-09 10:00"),
            16 * HOUR,
            WAITING,
            "Fri 2027-06-11 17:00:00 +0200",
            "2027-06-11T15:00:00+00:00",
            id="office-pause-then-16h",
        ),
        pytest.param(
            None,
            at("2027-06-09 10:00"),
            4 * HOUR,
            WAITING,
            "Thu 2027-06-10 13:00:00 +0200",
            "2027-06-10T11:00:00+00:00",
            id="24-7-pause-then-4h",
        ),
        pytest.param(
            None,
            at("2027-06-09 10:00"),
            16 * HOUR,
            WAITING,
            "Fri 2027-06-11 01:00:00 +0200",
            "2027-06-10T23:00:00+00:00",
            id="24-7-pause-then-16h",
        ),
        pytest.param(
            OFFICE,
            at("2027-06-09 11:30"),
            timedelta(0),
            WAITING,
            "Thu 2027-06-10 10:00:00 +0200",
            "2027-06-10T08:00:00+00:00",
            id="zero-inside-a-pause",
        ),
        pytest.param(
            None,
            at("2027-06-09 11:30"),
            timedelta(0),
            WAITING,
            "Thu 2027-06-10 10:00:00 +0200",
            "2027-06-10T08:00:00+00:00",
            id="24-7-zero-inside-a-pause",
        ),
        pytest.param(
            None,
            at("2027-06-09 11:00"),
            timedelta(0),
            WAITING,
            "Thu 2027-06-10 10:00:00 +0200",
            "2027-06-10T08:00:00+00:00",
            id="24-7-zero-at-the-start-of-a-pause",
        ),
        pytest.param(
            None,
            at("2027-06-10 10:00"),
            timedelta(0),
            WAITING,
            "Thu 2027-06-10 10:00:00 +0200",
            "2027-06-10T08:00:00+00:00",
            id="24-7-zero-at-the-end-of-a-pause",
        ),
        # 09:00-10:00, then paused until 13:30, then 3 hours.
        pytest.param(
            OFFICE,
            at("2027-06-07 09:00"),
            4 * HOUR,
            TANGLED,
            "Mon 2027-06-07 16:30:00 +0200",
            "2027-06-07T14:30:00+00:00",
            id="office-tangled-pauses",
        ),
        pytest.param(
            None,
            at("2027-06-05 09:00"),
            4 * HOUR,
            TANGLED,
            "Sun 2027-06-06 13:00:00 +0200",
            "2027-06-06T11:00:00+00:00",
            id="24-7-tangled-pauses",
        ),
    ],
)
def test_add_working_time_with_pauses(
    calendar: BusinessCalendar | None,
    start: datetime,
    amount: timedelta,
    pauses: list[Pause],
    local: str,
    utc: str,
) -> None:
    assert_instant(add_working_time(calendar, start, amount, pauses), local, utc)


@pytest.mark.parametrize(
    ("calendar", "start", "end", "pauses", "expected"),
    [
        pytest.param(
            OFFICE, at("2027-06-04 17:30"), at("2027-06-07 13:00"), [], 4 * HOUR, id="weekend"
        ),
        pytest.param(
            OFFICE_WITH_HOLIDAY,
            at("2027-06-04 09:00"),
            at("2027-06-11 17:00"),
            [],
            40 * HOUR,
            id="week-with-holiday",
        ),
        pytest.param(
            OFFICE,
            at("2027-06-07 09:00"),
            at("2027-06-07 17:00"),
            TANGLED,
            4.5 * HOUR,
            id="tangled-pauses",
        ),
        pytest.param(
            None,
            at("2027-06-04 12:00"),
            at("2027-06-08 02:00"),
            WEEKEND_PAUSE,
            24 * HOUR,
            id="24-7-weekend-pause",
        ),
        pytest.param(
            OFFICE, at("2027-06-07 12:00"), at("2027-06-07 12:00"), [], timedelta(0), id="empty"
        ),
        pytest.param(
            OFFICE, at("2027-06-07 13:00"), at("2027-06-07 12:00"), [], timedelta(0), id="reversed"
        ),
        pytest.param(
            None,
            at("2027-06-07 13:00"),
            at("2027-06-07 12:00"),
            [],
            timedelta(0),
            id="24-7-reversed",
        ),
    ],
)
def test_working_time_between(
    calendar: BusinessCalendar | None,
    start: datetime,
    end: datetime,
    pauses: list[Pause],
    expected: timedelta,
) -> None:
    assert working_time_between(calendar, start, end, pauses) == expected


# --- working_time_between undoes add_working_time ------------------------------------------

SHIFTS = validate_calendar(
    "Europe/Brussels",
    [
        (0, "08:00", "12:00"),
        (0, "13:00", "17:30"),
        (2, "22:00", "23:59"),
        (3, "00:00", "02:00"),
        (5, "10:00", "14:00"),
        (6, "00:00", "06:00"),
    ],
    [date(2027, 3, 29), date(2027, 11, 1), date(2027, 12, 25)],
)
ZONES = [UTC, BRUSSELS, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")]


def random_cases(seed: int, count: int) -> list[tuple[datetime, timedelta, list[Pause]]]:
    """Starts all over 2027 (both clock changes included), in several zones, with up to four
    pauses near the start, some overlapping; amounts up to a week, one in ten zero."""
    rng = random.Random(seed)
    year_start = datetime(2027, 1, 1, tzinfo=UTC)

    def moment(around: datetime) -> datetime:
        shifted = around + timedelta(seconds=rng.randrange(-3 * 86_400, 10 * 86_400))
        return shifted.astimezone(rng.choice(ZONES))

    cases = []
    for _ in range(count):
        start = moment(year_start + timedelta(seconds=rng.randrange(365 * 86_400)))
        pauses: list[Pause] = []
        for _ in range(rng.randrange(5)):
            pause_start = moment(start)
            pauses.append((pause_start, pause_start + timedelta(seconds=rng.randrange(4 * 86_400))))
        amount = timedelta(seconds=0 if rng.random() < 0.1 else rng.randrange(7 * 86_400))
        cases.append((start, amount, pauses))
    return cases


@pytest.mark.parametrize(
    "calendar",
    [
        pytest.param(None, id="24-7"),
        pytest.param(OFFICE, id="office"),
        pytest.param(OFFICE_WITH_HOLIDAY, id="office-with-holiday"),
        pytest.param(SHIFTS, id="shifts"),
    ],
)
def test_working_time_between_undoes_add_working_time(calendar: BusinessCalendar | None) -> None:
    for start, amount, pauses in random_cases(seed=20270328, count=300):
        due = add_working_time(calendar, start, amount, pauses)
        assert working_time_between(calendar, start, due, pauses) == amount, (start, amount, pauses)


# --- Refused inputs -------------------------------------------------------------------------

NAIVE = datetime(2027, 6, 7, 10, 0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda: add_working_time(OFFICE, NAIVE, HOUR),
            "start must carry a time zone, got naive 2027-06-07T10:00:00",
            id="naive-start",
        ),
        pytest.param(
            lambda: working_time_between(None, at("2027-06-07 09:00"), NAIVE),
            "end must carry a time zone, got naive 2027-06-07T10:00:00",
            id="naive-end",
        ),
        pytest.param(
            lambda: add_working_time(
                None, at("2027-06-07 09:00"), HOUR, [(NAIVE, at("2027-06-08 09:00"))]
            ),
            "pause start must carry a time zone, got naive 2027-06-07T10:00:00",
            id="naive-pause",
        ),
        pytest.param(
            lambda: working_time_between(
                OFFICE,
                at("2027-06-07 09:00"),
                at("2027-06-07 08:00"),
                [(at("2027-06-07 10:00"), NAIVE)],
            ),
            "pause end must carry a time zone, got naive 2027-06-07T10:00:00",
            id="naive-pause-even-for-an-empty-range",
        ),
        pytest.param(
            lambda: add_working_time(OFFICE, at("2027-06-07 09:00"), -HOUR),
            "amount must not be negative, got -1 day, 23:00:00",
            id="negative-amount",
        ),
        pytest.param(
            lambda: add_working_time(
                OFFICE,
                at("2027-06-07 09:00"),
                HOUR,
                [(at("2027-06-07 11:00"), at("2027-06-07 10:00"))],
            ),
            "pause ends (2027-06-07T08:00:00+00:00) before it starts (2027-06-07T09:00:00+00:00)",
            id="reversed-pause",
        ),
    ],
)
def test_refused_inputs(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        call()


# 1830 days from 2027-01-01 on, that day included.
FIVE_IDLE_YEARS = (
    "no counted time for five years, up to 2032-01-04: "
    "check the calendar's opening hours, holidays and the pauses"
)
MONDAYS_ONLY = (OpeningHours(0, time(9), time(17)),)


def every_monday_from_2027_01_04(weeks: int) -> frozenset[date]:
    return frozenset(date(2027, 1, 4) + timedelta(weeks=week) for week in range(weeks))


def test_the_search_gives_up_after_five_years_without_counted_time() -> None:
    # Six years of Monday holidays on a Monday-only calendar.
    calendar = BusinessCalendar(BRUSSELS, MONDAYS_ONLY, every_monday_from_2027_01_04(6 * 53))
    with pytest.raises(ValueError, match=f"^{re.escape(FIVE_IDLE_YEARS)}$"):
        add_working_time(calendar, at("2027-01-01 12:00"), HOUR)


def test_the_search_goes_on_through_four_years_without_counted_time() -> None:
    calendar = BusinessCalendar(BRUSSELS, MONDAYS_ONLY, every_monday_from_2027_01_04(4 * 53))
    assert_instant(
        add_working_time(calendar, at("2027-01-01 12:00"), HOUR),
        "Mon 2031-01-27 10:00:00 +0100",
        "2031-01-27T09:00:00+00:00",
    )


def test_an_amount_of_more_than_five_years_is_no_idle_search() -> None:
    # 320 full weeks of 40 hours from Monday 2027-01-04 09:00.
    assert_instant(
        add_working_time(OFFICE, at("2027-01-04 09:00"), 320 * 40 * HOUR),
        "Fri 2033-02-18 17:00:00 +0100",
        "2033-02-18T16:00:00+00:00",
    )


@pytest.mark.parametrize(
    "calendar", [pytest.param(None, id="24-7"), pytest.param(OFFICE, id="office")]
)
def test_a_pause_of_six_years_stops_the_search(calendar: BusinessCalendar | None) -> None:
    pause = (at("2027-01-01 00:00"), at("2033-01-01 00:00"))
    with pytest.raises(ValueError, match=f"^{re.escape(FIVE_IDLE_YEARS)}$"):
        add_working_time(calendar, at("2027-01-01 12:00"), HOUR, [pause])
    # Measuring has an end, so it needs no limit.
    assert working_time_between(calendar, pause[0], pause[1], [pause]) == timedelta(0)


# --- validate_calendar ----------------------------------------------------------------------

WEEKDAYS_9_TO_5 = [(weekday, "09:00", "17:00") for weekday in range(5)]


def test_validate_calendar_builds_the_calendar() -> None:
    calendar = validate_calendar(
        "Europe/Brussels",
        [(4, "13:00", "17:00"), (4, "08:30", "13:00"), (6, "00:00", "23:59")],
        [date(2027, 6, 7), date(2027, 6, 7), date(2027, 12, 25)],
    )
    assert calendar == BusinessCalendar(
        ZoneInfo("Europe/Brussels"),
        (
            OpeningHours(4, time(13), time(17)),
            OpeningHours(4, time(8, 30), time(13)),
            OpeningHours(6, time(0), time(23, 59)),
        ),
        frozenset({date(2027, 6, 7), date(2027, 12, 25)}),
    )


def test_validate_calendar_accepts_the_limits() -> None:
    four_a_day = [
        (weekday, opens, closes)
        for weekday in range(7)
        for opens, closes in [
            ("00:00", "06:00"),
            ("06:00", "12:00"),
            ("12:00", "18:00"),
            ("18:00", "23:59"),
        ]
    ]
    holidays = [date(2027, 1, 1) + timedelta(days=n) for n in range(1000)]
    calendar = validate_calendar("UTC", four_a_day, [*holidays, date(2027, 1, 1)])
    assert len(calendar.hours) == 28
    assert len(calendar.holidays) == 1000


@pytest.mark.parametrize(
    ("time_zone", "hours", "holidays", "message"),
    [
        pytest.param(
            "Europe/Brusels",
            WEEKDAYS_9_TO_5,
            [],
            "unknown time zone 'Europe/Brusels'",
            id="zone-typo",
        ),
        pytest.param(
            "europe/brussels",
            WEEKDAYS_9_TO_5,
            [],
            "unknown time zone 'europe/brussels'",
            id="zone-case",
        ),
        pytest.param("", WEEKDAYS_9_TO_5, [], "unknown time zone ''", id="zone-empty"),
        pytest.param(
            "Europe", WEEKDAYS_9_TO_5, [], "unknown time zone 'Europe'", id="zone-directory"
        ),
        pytest.param(
            "../etc/passwd",
            WEEKDAYS_9_TO_5,
            [],
            "unknown time zone '../etc/passwd'",
            id="zone-path",
        ),
        pytest.param(
            "Europe/Brussels",
            [(0, "9:00", "17:00")],
            [],
            "opening time '9:00' is not a time of day in HH:MM (00:00 to 23:59)",
            id="one-digit-hour",
        ),
        pytest.param(
            "Europe/Brussels",
            [(0, "09:00", "24:00")],
            [],
            "closing time '24:00' is not a time of day in HH:MM (00:00 to 23:59)",
            id="hour-24",
        ),
        pytest.param(
            "Europe/Brussels",
            [(0, "09:60", "17:00")],
            [],
            "opening time '09:60' is not a time of day in HH:MM (00:00 to 23:59)",
            id="minute-60",
        ),
        pytest.param(
            "Europe/Brussels",
            [(0, "09:00", "17:00:00")],
            [],
            "closing time '17:00:00' is not a time of day in HH:MM (00:00 to 23:59)",
            id="seconds",
        ),
        pytest.param(
            "Europe/Brussels",
            [(0, "09:00\n", "17:00")],
            [],
            "opening time '09:00\\n' is not a time of day in HH:MM (00:00 to 23:59)",
            id="trailing-newline",
        ),
        pytest.param(
            "Europe/Brussels",
            [(0, "\uff10\uff19:00", "17:00")],
            [],
            "opening time '\uff10\uff19:00' is not a time of day in HH:MM (00:00 to 23:59)",
            id="fullwidth-digits",
        ),
        pytest.param(
            "Europe/Brussels",
            [(0, "17:00", "09:00")],
            [],
            "Monday 17:00-09:00: the closing time must be after the opening time",
            id="closes-before-opens",
        ),
        pytest.param(
            "Europe/Brussels",
            [(2, "09:00", "09:00")],
            [],
            "Wednesday 09:00-09:00: the closing time must be after the opening time",
            id="closes-at-opening",
        ),
        pytest.param(
            "Europe/Brussels",
            [(7, "09:00", "17:00")],
            [],
            "weekday 7 does not exist: use 0 (Monday) to 6 (Sunday)",
            id="weekday-7",
        ),
        pytest.param(
            "Europe/Brussels",
            [(-1, "09:00", "17:00")],
            [],
            "weekday -1 does not exist: use 0 (Monday) to 6 (Sunday)",
            id="weekday-negative",
        ),
        pytest.param(
            "Europe/Brussels",
            [(0, "09:00", "12:00"), (0, "11:00", "13:00")],
            [],
            "opening windows Monday 09:00-12:00 and Monday 11:00-13:00 overlap",
            id="overlap",
        ),
        pytest.param(
            "Europe/Brussels",
            [(4, "13:00", "17:00"), (1, "08:00", "18:00"), (4, "08:00", "13:30")],
            [],
            "opening windows Friday 08:00-13:30 and Friday 13:00-17:00 overlap",
            id="overlap-given-out-of-order",
        ),
        pytest.param(
            "Europe/Brussels",
            [(3, "09:00", "17:00"), (3, "09:00", "17:00")],
            [],
            "opening windows Thursday 09:00-17:00 and Thursday 09:00-17:00 overlap",
            id="twice-the-same-window",
        ),
        pytest.param(
            "Europe/Brussels",
            [],
            [],
            "a business calendar needs at least one opening window",
            id="no-opening-hours",
        ),
        pytest.param(
            "Europe/Brussels",
            [(n % 7, f"{n // 7:02}:00", f"{n // 7:02}:30") for n in range(29)],
            [],
            "a business calendar has at most 28 opening windows, not 29",
            id="29-windows",
        ),
        pytest.param(
            "Europe/Brussels",
            WEEKDAYS_9_TO_5,
            [date(2027, 1, 1) + timedelta(days=n) for n in range(1001)],
            "a business calendar has at most 1000 holidays, not 1001",
            id="1001-holidays",
        ),
    ],
)
def test_validate_calendar_refuses(
    time_zone: str, hours: list[tuple[int, str, str]], holidays: list[date], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        validate_calendar(time_zone, hours, holidays)


def test_calendars_built_in_code_keep_the_rules() -> None:
    with pytest.raises(
        ValueError, match=r"^opening windows Monday 09:00-12:00 and Monday 11:00-13:00 overlap$"
    ):
        BusinessCalendar(
            BRUSSELS, (OpeningHours(0, time(11), time(13)), OpeningHours(0, time(9), time(12)))
        )
