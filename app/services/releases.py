"""Releases: a version, the improvements planned into it, and its notes once published."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app.models import Improvement, Release, Ticket
from app.models.enums import ImprovementKind, ImprovementStatus
from app.services import feed, mail
from app.services.actors import Actor, require_admin
from app.services.errors import ErrorCode, fail, not_found
from app.services.improvements import IMPROVEMENT_COLUMNS, sees_every_item, visible_improvements
from app.services.pagination import Column, Page, Window, cursor_of, fetch_page, order
from app.services.tickets import utc_now

# Semantic Versioning 2.0.0, as semver.org gives it.
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
VERSION_MAX = 100
# Newest first.
RELEASE_COLUMNS = (Column("id"),)


async def visible_releases(actor: Actor) -> QuerySet[Release]:
    """Every release for those who see the whole list; for others, the releases of the
    items they see."""
    if await sees_every_item(actor):
        return Release.all()
    theirs = (await visible_improvements(actor)).filter(release_id__isnull=False)
    return Release.filter(id__in=await theirs.values_list("release_id", flat=True))


async def get_releases(actor: Actor, release_ids: list[int]) -> dict[int, Release]:
    """Of these releases, those the actor may see, by id (the items of a page at once)."""
    found = await (await visible_releases(actor)).filter(id__in=release_ids)
    return {release.id: release for release in found}


async def get_release(actor: Actor, release_id: int) -> Release | None:
    return (await get_releases(actor, [release_id])).get(release_id)


async def list_releases(*, actor: Actor, window: Window) -> Page[Release]:
    return await fetch_page(
        await visible_releases(actor),
        tag="r",
        columns=RELEASE_COLUMNS,
        descending=True,
        window=window,
    )


async def count_releases(*, actor: Actor) -> int:
    return await (await visible_releases(actor)).count()


def release_cursor(release: Release) -> str:
    return cursor_of(release, tag="r", columns=RELEASE_COLUMNS)


async def planned_improvements(actor: Actor, release_id: int) -> list[Improvement]:
    """The release's items the actor may see, by priority then votes."""
    items = (await visible_improvements(actor)).filter(release_id=release_id)
    return await order(items, IMPROVEMENT_COLUMNS, descending=False)


async def notes_seen_by(actor: Actor, release: Release) -> str | None:
    """The notes name tickets of every team: only for those who see the whole list."""
    return release.notes if await sees_every_item(actor) else None


# --- changes ------------------------------------------------------------------------------


def _require_validator(actor: Actor, what: str) -> None:
    if not actor.validates:
        raise fail(ErrorCode.FORBIDDEN, f"only validators {what}")


async def create_release(
    *, actor: Actor, version: str, planned_for: datetime | None = None
) -> Release:
    _require_validator(actor, "plan releases")
    version = version.strip()
    if len(version) > VERSION_MAX or not SEMVER.match(version):
        raise fail(
            ErrorCode.VALIDATION,
            f"{version[:VERSION_MAX]!r} is not a semantic version such as 1.4.0 or 2.0.0-rc.1",
            "version",
        )
    try:
        async with in_transaction():
            return await Release.create(
                version=version, planned_for=planned_for, created_at=utc_now()
            )
    except IntegrityError:
        raise fail(ErrorCode.CONFLICT, f"release {version} exists already", "version") from None


async def plan_improvement(*, actor: Actor, improvement_id: int, release_id: int) -> Improvement:
    """Put a validated item into a release that is not published (or move it to another)."""
    _require_validator(actor, "plan improvements")
    async with in_transaction():
        improvement = await Improvement.get_or_none(id=improvement_id)
        if improvement is None:
            raise not_found("Improvement", "improvement_id")
        release = await Release.get_or_none(id=release_id)
        if release is None:
            raise not_found("Release", "release_id")
        if improvement.status not in (ImprovementStatus.VALIDATED, ImprovementStatus.PLANNED):
            raise fail(
                ErrorCode.INVALID_STATE,
                f"{improvement.title!r} is {improvement.status.value}: only validated "
                "improvements are planned",
                "improvement_id",
            )
        # A planned item is in an unpublished release: publishing makes it RELEASED.
        if release.published_at is not None:
            raise fail(
                ErrorCode.INVALID_STATE,
                f"release {release.version} is published: its content is frozen",
                "release_id",
            )
        await Improvement.filter(id=improvement.id).update(
            status=ImprovementStatus.PLANNED, release_id=release.id, updated_at=utc_now()
        )
    return await Improvement.get(id=improvement.id)


def release_notes(
    version: str, published: datetime, items: list[tuple[Improvement, list[int]]]
) -> str:
    """The Markdown notes: improvements, then fixes, each line with the item's title and the
    numbers of the tickets behind it; an empty group is left out."""
    lines = [f"# {version} ({published.date().isoformat()})"]
    for kind, heading in (
        (ImprovementKind.IMPROVEMENT, "Improvements"),
        (ImprovementKind.FIX, "Fixes"),
    ):
        group = [(item, numbers) for item, numbers in items if item.kind is kind]
        if not group:
            continue
        lines += ["", f"## {heading}", ""]
        for item, numbers in group:
            asked = ", ".join(f"#{n}" for n in sorted(numbers))
            lines.append(f"- {item.title} ({asked})" if asked else f"- {item.title}")
    return "\n".join(lines) + "\n"


async def publish_release(*, actor: Actor, release_id: int) -> Release:
    """Freeze the release: its items become RELEASED and its notes are written. Exactly once,
    even when two admins publish at the same moment."""
    require_admin(actor, "publish releases")
    async with feed.announcing() as news:
        release = await Release.get_or_none(id=release_id)
        if release is None:
            raise not_found("Release")
        items = await order(
            Improvement.filter(release_id=release.id), IMPROVEMENT_COLUMNS, descending=False
        )
        if not items:
            raise fail(
                ErrorCode.INVALID_STATE,
                f"nothing is planned into release {release.version}: plan improvements first",
                "id",
            )
        numbers: dict[int, list[int]] = {item.id: [] for item in items}
        teams: dict[int, set[int]] = {item.id: set() for item in items}
        requesters: dict[int, list[int]] = {}
        linked = Ticket.filter(improvement_id__in=list(numbers)).values_list(
            "improvement_id", "number", "team_id", "author_id"
        )
        for improvement_id, number, team_id, author_id in await linked:
            numbers[improvement_id].append(number)
            if team_id is not None:
                teams[improvement_id].add(team_id)
            requesters.setdefault(author_id, []).append(number)
        now = utc_now()
        notes = release_notes(release.version, now, [(i, numbers[i.id]) for i in items])
        # Conditional, so that of two concurrent publications exactly one wins.
        published = await Release.filter(id=release.id, published_at__isnull=True).update(
            published_at=now, notes=notes
        )
        if not published:
            raise fail(
                ErrorCode.INVALID_STATE, f"release {release.version} is published already", "id"
            )
        await Improvement.filter(release_id=release.id).update(
            status=ImprovementStatus.RELEASED, updated_at=now
        )
        news.release_published(release.id)
        shipped = [mail.ShippedItem(i.title, numbers[i.id], teams[i.id]) for i in items]
        await mail.release_published(release.version, notes, shipped, requesters)
    return await Release.get(id=release.id)


async def publications(*, actor: Actor) -> AsyncIterator[tuple[Release, Actor]]:
    """Each release as it is published, to those who may see it (as they are then)."""
    async for delivery in feed.published_releases(actor=actor):
        if await get_release(delivery.viewer, delivery.release.id) is not None:
            yield delivery.release, delivery.viewer
