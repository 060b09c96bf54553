"""Response deadlines counted in business time: opening hours, holidays and pauses.

Pure and dependency-free. Opening hours are local wall-clock times in the calendar's zone,
turned into UTC day by day, so a 09:00-17:00 window stays 09:00-17:00 local across daylight
saving changes; a window that contains the skipped or repeated hour lasts its real length.
A local time inside the spring-forward gap is read with the offset before the gap (PEP 495
fold=0, as RFC 5545 does): 02:30 on that night is 03:30 summer time. A repeated autumn time
means its first occurrence. Time is never counted twice, even where such readings overlap.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Four windows a day, every day: room for split shifts, yet a bounded loop per day.
MAX_WINDOWS = 7 * 4
MAX_HOLIDAYS = 1000
# Searching for counted time gives up after this many days in a row without any, so that
# a calendar of holidays only, or an endless pause, cannot loop forever.
SEARCH_LIMIT_DAYS = 5 * 366

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_HH_MM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")  # ASCII digits only, unlike \d

Pause = tuple[datetime, datetime]  # [start, end), aware
_Span = tuple[datetime, datetime]  # [start, end) in UTC


@dataclass(frozen=True)
class OpeningHours:
    weekday: int  # 0 = Monday … 6 = Sunday
    opens: time  # local wall-clock time
    closes: time  # strictly after opens; no window across midnight

    def __post_init__(self) -> None:
        # Exactly int: True and 1.0 are `in range(7)` too, but no weekday.
        if type(self.weekday) is not int or self.weekday not in range(7):
            raise ValueError(
                f"weekday {self.weekday!r} does not exist: use 0 (Monday) to 6 (Sunday)"
            )
        if self.closes <= self.opens:
            raise ValueError(f"{self}: the closing time must be after the opening time")

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.opens:%H:%M}-{self.closes:%H:%M}"


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly opening hours in a time zone, minus holidays (local dates).

    Checked on construction, so that calendars built in code keep the rules that
    validate_calendar enforces on user input: the counting relies on them.
    """

    time_zone: ZoneInfo
    hours: tuple[OpeningHours, ...]
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not self.hours:
            raise ValueError("a business calendar needs at least one opening window")
        if len(self.hours) > MAX_WINDOWS:
            raise ValueError(
                f"a business calendar has at most {MAX_WINDOWS} opening windows, "
                f"not {len(self.hours)}"
            )
        if len(self.holidays) > MAX_HOLIDAYS:
            raise ValueError(
                f"a business calendar has at most {MAX_HOLIDAYS} holidays, not {len(self.holidays)}"
            )
        for weekday in range(7):
            for earlier, later in pairwise(self.windows_on(weekday)):
                if later.opens < earlier.closes:
                    raise ValueError(f"opening windows {earlier} and {later} overlap")

    def windows_on(self, weekday: int) -> list[OpeningHours]:
        """That weekday's windows, in the order of the day."""
        return sorted((h for h in self.hours if h.weekday == weekday), key=lambda h: h.opens)


def validate_calendar(
    time_zone: str, hours: Sequence[tuple[int, str, str]], holidays: Sequence[date]
) -> BusinessCalendar:
    """A calendar from user input, e.g. 'Europe/Brussels', [(0, '09:00', '17:00'), ...].

    Raises ValueError with a message that names the bad part.
    """
    try:
        zone = ZoneInfo(time_zone)
    # Missing keys, malformed paths ('../x', 'Europe/') and directories fail differently.
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {time_zone!r}") from None
    windows = tuple(
        OpeningHours(weekday, _parse_hh_mm(opens, "opening"), _parse_hh_mm(closes, "closing"))
        for weekday, opens, closes in hours
    )
    return BusinessCalendar(zone, windows, frozenset(holidays))


def _parse_hh_mm(text: str, which: str) -> time:
    match = _HH_MM.fullmatch(text)
    if match is None:
        raise ValueError(f"{which} time {text!r} is not a time of day in HH:MM (00:00 to 23:59)")
    return time(int(match[1]), int(match[2]))


def add_working_time(
    calendar: BusinessCalendar | None,
    start: datetime,
    amount: timedelta,
    pauses: Sequence[Pause] = (),
) -> datetime:
    """The instant at which `amount` of counted time has elapsed since `start`, counting only
    the calendar's opening hours (outside holidays) and never inside a pause. Result is aware
    UTC. amount == 0 -> the first counted instant at or after start (start itself when 24/7
    and not paused). A calendar of None means the clock runs 24/7.

    An amount that runs out exactly at a closing time gives that closing time, not the next
    opening. Raises ValueError when five years pass without any counted time.
    """
    if amount < timedelta(0):
        raise ValueError(f"amount must not be negative, got {amount}")
    # An open search never runs dry: it yields or raises.
    spans = _counted(calendar, _utc(start, "start"), _sorted_pauses(pauses), until=None)
    left = amount
    lo, hi = next(spans)
    while left > hi - lo:
        left -= hi - lo
        lo, hi = next(spans)
    return lo + left


def working_time_between(
    calendar: BusinessCalendar | None,
    start: datetime,
    end: datetime,
    pauses: Sequence[Pause] = (),
) -> timedelta:
    """Counted time in [start, end) — zero when end <= start."""
    start, end = _utc(start, "start"), _utc(end, "end")
    paused = _sorted_pauses(pauses)  # checked even for an empty range, like start and end
    total = timedelta(0)
    if end <= start:
        return total
    for lo, hi in _counted(calendar, start, paused, until=end):
        if lo >= end:
            break
        total += min(hi, end) - lo
    return total


def _utc(moment: datetime, what: str) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError(f"{what} must carry a time zone, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _sorted_pauses(pauses: Sequence[Pause]) -> list[_Span]:
    """The pauses in UTC, by start; they may still overlap."""
    spans: list[_Span] = []
    for pause_start, pause_end in pauses:
        lo, hi = _utc(pause_start, "pause start"), _utc(pause_end, "pause end")
        if hi < lo:
            raise ValueError(f"pause ends ({hi.isoformat()}) before it starts ({lo.isoformat()})")
        spans.append((lo, hi))
    return sorted(spans)


def _counted(
    calendar: BusinessCalendar | None,
    since: datetime,
    pauses: list[_Span],
    until: datetime | None,
) -> Iterator[_Span]:
    """Counted time from `since` on, as non-empty UTC spans in order, one day at a time.

    With `until`, stops after the (local) day of until; without, searches on and raises
    ValueError after SEARCH_LIMIT_DAYS days in a row without counted time.
    """
    zone = UTC if calendar is None else calendar.time_zone
    day = since.astimezone(zone).date()
    last_day = None if until is None else until.astimezone(zone).date()
    next_pause = 0  # pauses before this index end before the current span: done with them
    counted_up_to = since  # nothing before it counts (again)
    idle_days = 0
    while last_day is None or day <= last_day:
        found = False
        for lo, hi in _opening(calendar, day):
            lo = max(lo, counted_up_to)
            counted_up_to = max(counted_up_to, hi)
            while next_pause < len(pauses) and pauses[next_pause][1] <= lo:
                next_pause += 1
            # Cut the span at every pause that starts inside it; `lo` only moves forward, so
            # overlapping and nested pauses are swept in their order of start.
            index = next_pause
            while index < len(pauses) and pauses[index][0] < hi:
                pause_start, pause_end = pauses[index]
                if lo < pause_start:
                    found = True
                    yield lo, pause_start
                lo = max(lo, pause_end)
                index += 1
            # Empty when what is left of the window was before `since` or paused, lies in the
            # spring-forward gap, or is covered by the previous window (a gap reading run late).
            if lo < hi:
                found = True
                yield lo, hi
        idle_days = 0 if found else idle_days + 1
        if until is None and idle_days >= SEARCH_LIMIT_DAYS:
            raise ValueError(
                f"no counted time for five years, up to {day.isoformat()}: "
                "check the calendar's opening hours, holidays and the pauses"
            )
        day += timedelta(days=1)


def _opening(calendar: BusinessCalendar | None, day: date) -> list[_Span]:
    """The day's opening windows in UTC, in order; 24/7 is one window per UTC day."""
    if calendar is None:
        midnight = datetime.combine(day, time(), tzinfo=UTC)
        return [(midnight, midnight + timedelta(days=1))]
    if day in calendar.holidays:
        return []
    zone = calendar.time_zone
    return [
        (
            datetime.combine(day, window.opens, tzinfo=zone).astimezone(UTC),
            datetime.combine(day, window.closes, tzinfo=zone).astimezone(UTC),
        )
        for window in calendar.windows_on(day.weekday())
    ]
