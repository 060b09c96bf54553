"""Business calendars and response delays, managed by admins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from app.config import ResponseDelay
from app.models import Calendar
from app.models import ResponseDelay as ResponseDelaySetting
from app.models.enums import DelayCounting, Priority
from app.services.actors import Actor, require_admin
from app.services.business_time import validate_calendar
from app.services.errors import ErrorCode, fail, not_found

OpeningHoursInput = tuple[int, str, str]
# One week at most: a longer delay is a planning matter, not a response delay.
DELAY_MAX_MINUTES = 7 * 24 * 60


def _checked(
    time_zone: str, opening_hours: Sequence[OpeningHoursInput], holidays: Sequence[date]
) -> dict[str, Any]:
    try:
        validate_calendar(time_zone, opening_hours, holidays)
    except ValueError as error:
        raise fail(ErrorCode.VALIDATION, str(error)) from None
    return {
        "time_zone": time_zone,
        "opening_hours": [list(hours) for hours in sorted(opening_hours)],
        "holidays": sorted({d.isoformat() for d in holidays}),
    }


def _clean_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100 or any(not c.isprintable() for c in name):
        raise fail(
            ErrorCode.VALIDATION, "a calendar name has 1 to 100 printable characters", "name"
        )
    return name


async def list_calendars() -> list[Calendar]:
    return await Calendar.all().order_by("-is_default", "name")


async def create_calendar(
    *,
    actor: Actor,
    name: str,
    time_zone: str,
    opening_hours: Sequence[OpeningHoursInput],
    holidays: Sequence[date] = (),
) -> Calendar:
    require_admin(actor, "manage calendars")
    values = {"name": _clean_name(name), **_checked(time_zone, opening_hours, holidays)}
    async with in_transaction():
        if await Calendar.exists(name=values["name"]):
            raise fail(ErrorCode.CONFLICT, f"a calendar named {values['name']!r} exists", "name")
        return await Calendar.create(**values)


async def update_calendar(
    *, actor: Actor, calendar_id: int, changes: Mapping[str, Any]
) -> Calendar:
    """Change the given parts; deadlines computed from then on use them."""
    require_admin(actor, "manage calendars")
    async with in_transaction():
        calendar = await Calendar.get_or_none(id=calendar_id)
        if calendar is None:
            raise not_found("Calendar")
        for part in ("name", "time_zone", "opening_hours"):
            if part in changes and changes[part] is None:
                raise fail(ErrorCode.VALIDATION, f"{part} cannot be cleared", part)
        name = _clean_name(changes["name"]) if "name" in changes else calendar.name
        if name != calendar.name and await Calendar.exists(name=name):
            raise fail(ErrorCode.CONFLICT, f"a calendar named {name!r} exists", "name")
        values = _checked(
            changes.get("time_zone", calendar.time_zone),
            changes.get("opening_hours", [tuple(h) for h in calendar.opening_hours]),
            changes.get("holidays")
            or (
                [] if "holidays" in changes else [date.fromisoformat(d) for d in calendar.holidays]
            ),
        )
        await Calendar.filter(id=calendar_id).update(name=name, **values)
    return await Calendar.get(id=calendar_id)


async def set_response_delay(
    *, actor: Actor, priority: Priority, minutes: int, counting: DelayCounting
) -> ResponseDelay:
    """The delay of a priority for tickets submitted or re-prioritised from now on."""
    require_admin(actor, "set response delays")
    if not 1 <= minutes <= DELAY_MAX_MINUTES:
        raise fail(
            ErrorCode.VALIDATION,
            f"a response delay is 1 to {DELAY_MAX_MINUTES} minutes (one week)",
            "minutes",
        )
    await ResponseDelaySetting.update_or_create(
        priority=priority, defaults={"minutes": minutes, "counting": counting}
    )
    return ResponseDelay(timedelta(minutes=minutes), counting)
