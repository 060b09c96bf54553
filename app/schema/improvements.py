"""The list of improvements and fixes, and releases: types, queries and mutations."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import strawberry
from strawberry.types import Info

from app.models import Improvement, Release
from app.models.enums import ImprovementKind, ImprovementStatus, Priority
from app.schema.connections import Connection, Edge, connection
from app.schema.context import Context, require_actor
from app.schema.errors import UserError, attempt
from app.schema.ids import to_global_id
from app.schema.mutations import input_pk, ticket_pk
from app.schema.types import Node, TicketNode, UserNode
from app.schema.values import value
from app.services import improvements, releases
from app.services.pagination import Column, Window, cursor_of, fetch_page

strawberry.enum(ImprovementKind)
strawberry.enum(
    ImprovementStatus,
    description="PROPOSED, then VALIDATED with a priority (or REJECTED), PLANNED into a "
    "release, RELEASED when that release is published.",
)
LINKED_TICKET_COLUMNS = (Column("id"),)


@strawberry.type(name="Improvement", description="An item of the list of improvements and fixes.")
class ImprovementNode(Node):
    title: str
    description: str
    kind: ImprovementKind
    status: ImprovementStatus
    priority: Priority | None = strawberry.field(description="Set by a validator.")
    validated_at: datetime | None
    rejection_reason: str | None
    created_at: datetime
    model: strawberry.Private[Improvement]

    @strawberry.field(
        description="The tickets asking for it. Those who do not see the whole list count "
        "only the tickets they see."
    )
    async def votes(self, info: Info[Context, Any]) -> int:
        require_actor(info)
        return await info.context.loaders.votes.load(self.model)

    @strawberry.field(description="The linked tickets the viewer may see, oldest first.")
    async def tickets(
        self,
        info: Info[Context, Any],
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
    ) -> Connection[TicketNode]:
        actor = require_actor(info)
        linked = improvements.linked_tickets(actor, self.model.id)
        page = await fetch_page(
            linked,
            tag="it",
            columns=LINKED_TICKET_COLUMNS,
            descending=False,
            window=Window(first=value(first), after=value(after)),
        )
        edges = [
            Edge(
                encode=partial(cursor_of, t, tag="it", columns=LINKED_TICKET_COLUMNS),
                node=TicketNode.from_model(t),
            )
            for t in page.items
        ]
        return connection(
            edges, has_next=page.has_next, has_previous=page.has_previous, count=linked.count
        )

    @strawberry.field(description="The validator who accepted it.")
    async def validated_by(self, info: Info[Context, Any]) -> UserNode | None:
        user_id = self.model.validated_by_id  # type: ignore[attr-defined]
        user = await info.context.loaders.users.load(user_id) if user_id else None
        return UserNode.from_model(user) if user else None

    @strawberry.field(description="The release it is planned into or shipped with.")
    async def release(self, info: Info[Context, Any]) -> ReleaseNode | None:
        release_id = self.model.release_id  # type: ignore[attr-defined]
        if release_id is None:
            return None
        require_actor(info)
        release = await info.context.loaders.releases.load(release_id)
        return ReleaseNode.from_model(release) if release else None

    @classmethod
    def from_model(cls, improvement: Improvement) -> ImprovementNode:
        return cls(
            id=strawberry.ID(to_global_id("Improvement", improvement.id)),
            title=improvement.title,
            description=improvement.description,
            kind=improvement.kind,
            status=improvement.status,
            priority=improvement.priority,
            validated_at=improvement.validated_at,
            rejection_reason=improvement.rejection_reason,
            created_at=improvement.created_at,
            model=improvement,
        )


@strawberry.type(name="Release")
class ReleaseNode(Node):
    version: str = strawberry.field(description="A semantic version, e.g. 1.4.0.")
    planned_for: datetime | None
    published_at: datetime | None = strawberry.field(
        description="Set when published: the release is frozen from then on."
    )
    model: strawberry.Private[Release]

    @strawberry.field(
        description="The release notes in Markdown, written at publication: improvements, "
        "then fixes, each with the numbers of the tickets behind it. Only for those who see "
        "the whole list of improvements."
    )
    async def notes(self, info: Info[Context, Any]) -> str | None:
        return await releases.notes_seen_by(require_actor(info), self.model)

    @strawberry.field(description="Its items the viewer may see, by priority then votes.")
    async def improvements(self, info: Info[Context, Any]) -> list[ImprovementNode]:
        items = await releases.planned_improvements(require_actor(info), self.model.id)
        return [ImprovementNode.from_model(i) for i in items]

    @classmethod
    def from_model(cls, release: Release) -> ReleaseNode:
        return cls(
            id=strawberry.ID(to_global_id("Release", release.id)),
            version=release.version,
            planned_for=release.planned_for,
            published_at=release.published_at,
            model=release,
        )


@strawberry.input
class ImprovementFilter:
    status: list[ImprovementStatus] | None = strawberry.UNSET
    kind: list[ImprovementKind] | None = strawberry.UNSET


@strawberry.type
class ImprovementQuery:
    @strawberry.field(
        description="The list of improvements and fixes the viewer may see: by priority "
        "(unprioritised last), then most votes."
    )
    async def improvements(
        self,
        info: Info[Context, Any],
        filter: ImprovementFilter | None = strawberry.UNSET,
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
    ) -> Connection[ImprovementNode]:
        actor = require_actor(info)
        flt = value(filter)
        status = value(flt.status) if flt else None
        kind = value(flt.kind) if flt else None
        page = await improvements.list_improvements(
            actor=actor,
            window=Window(first=value(first), after=value(after)),
            status=status,
            kind=kind,
        )
        edges = [
            Edge(
                encode=partial(improvements.improvement_cursor, i),
                node=ImprovementNode.from_model(i),
            )
            for i in page.items
        ]
        return connection(
            edges,
            has_next=page.has_next,
            has_previous=page.has_previous,
            count=lambda: improvements.count_improvements(actor=actor, status=status, kind=kind),
        )

    @strawberry.field(description="Releases the viewer may see, newest first.")
    async def releases(
        self,
        info: Info[Context, Any],
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
    ) -> Connection[ReleaseNode]:
        actor = require_actor(info)
        page = await releases.list_releases(
            actor=actor, window=Window(first=value(first), after=value(after))
        )
        edges = [
            Edge(encode=partial(releases.release_cursor, r), node=ReleaseNode.from_model(r))
            for r in page.items
        ]
        return connection(
            edges,
            has_next=page.has_next,
            has_previous=page.has_previous,
            count=lambda: releases.count_releases(actor=actor),
        )


# --- mutations --------------------------------------------------------------------------------


@strawberry.input
class ProposeImprovementInput:
    ticket_id: strawberry.ID = strawberry.field(description="A ticket of the proposer's team.")
    title: str = strawberry.field(description="5 to 150 characters.")
    description: str | None = strawberry.UNSET
    kind: ImprovementKind


@strawberry.input
class LinkTicketToImprovementInput:
    ticket_id: strawberry.ID
    improvement_id: strawberry.ID


@strawberry.input
class MergeImprovementsInput:
    source_id: strawberry.ID = strawberry.field(description="The duplicate; it goes.")
    target_id: strawberry.ID = strawberry.field(description="Receives the tickets and votes.")


@strawberry.input
class ValidateImprovementInput:
    id: strawberry.ID
    priority: Priority


@strawberry.input
class RejectImprovementInput:
    id: strawberry.ID
    reason: str | None = strawberry.UNSET


@strawberry.input
class CreateReleaseInput:
    version: str = strawberry.field(description="Semantic versioning: 1.4.0, 2.0.0-rc.1.")
    planned_for: datetime | None = strawberry.UNSET


@strawberry.input
class PlanImprovementInput:
    improvement_id: strawberry.ID
    release_id: strawberry.ID


@strawberry.input
class PublishReleaseInput:
    id: strawberry.ID


@strawberry.type
class ImprovementPayload:
    improvement: ImprovementNode | None = None
    user_errors: list[UserError]


@strawberry.type
class ProposeImprovementPayload(ImprovementPayload):
    pass


@strawberry.type
class LinkTicketToImprovementPayload(ImprovementPayload):
    pass


@strawberry.type
class MergeImprovementsPayload(ImprovementPayload):
    pass


@strawberry.type
class ValidateImprovementPayload(ImprovementPayload):
    pass


@strawberry.type
class RejectImprovementPayload(ImprovementPayload):
    pass


@strawberry.type
class PlanImprovementPayload(ImprovementPayload):
    pass


@strawberry.type
class ReleasePayload:
    release: ReleaseNode | None = None
    user_errors: list[UserError]


@strawberry.type
class CreateReleasePayload(ReleasePayload):
    pass


@strawberry.type
class PublishReleasePayload(ReleasePayload):
    pass


async def _improvement(work: Any) -> tuple[ImprovementNode | None, list[UserError]]:
    improvement, errors = await attempt(work)
    return (ImprovementNode.from_model(improvement) if improvement else None), errors


async def _release(work: Any) -> tuple[ReleaseNode | None, list[UserError]]:
    release, errors = await attempt(work)
    return (ReleaseNode.from_model(release) if release else None), errors


@strawberry.type
class ImprovementMutation:
    @strawberry.mutation(description="A new item of the list from a ticket of one's team.")
    async def propose_improvement(
        self, info: Info[Context, Any], input: ProposeImprovementInput
    ) -> ProposeImprovementPayload:
        actor = require_actor(info)

        async def run() -> Improvement:
            return await improvements.propose_improvement(
                actor=actor,
                ticket_id=ticket_pk(input.ticket_id, "ticket_id"),
                title=input.title,
                kind=input.kind,
                description=value(input.description),
            )

        improvement, errors = await _improvement(run())
        return ProposeImprovementPayload(improvement=improvement, user_errors=errors)

    @strawberry.mutation(description="One more ticket asks for an item: one more vote.")
    async def link_ticket_to_improvement(
        self, info: Info[Context, Any], input: LinkTicketToImprovementInput
    ) -> LinkTicketToImprovementPayload:
        actor = require_actor(info)

        async def run() -> Improvement:
            return await improvements.link_ticket(
                actor=actor,
                ticket_id=ticket_pk(input.ticket_id, "ticket_id"),
                improvement_id=input_pk(input.improvement_id, "Improvement", "improvement_id"),
            )

        improvement, errors = await _improvement(run())
        return LinkTicketToImprovementPayload(improvement=improvement, user_errors=errors)

    @strawberry.mutation(
        description="The source duplicates the target: its tickets and votes move to the "
        "target, then it goes (validators)."
    )
    async def merge_improvements(
        self, info: Info[Context, Any], input: MergeImprovementsInput
    ) -> MergeImprovementsPayload:
        actor = require_actor(info)

        async def run() -> Improvement:
            return await improvements.merge_improvements(
                actor=actor,
                source_id=input_pk(input.source_id, "Improvement", "source_id"),
                target_id=input_pk(input.target_id, "Improvement", "target_id"),
            )

        improvement, errors = await _improvement(run())
        return MergeImprovementsPayload(improvement=improvement, user_errors=errors)

    @strawberry.mutation(description="Accept an item with a priority, or re-prioritise it.")
    async def validate_improvement(
        self, info: Info[Context, Any], input: ValidateImprovementInput
    ) -> ValidateImprovementPayload:
        actor = require_actor(info)

        async def run() -> Improvement:
            return await improvements.validate_improvement(
                actor=actor,
                improvement_id=input_pk(input.id, "Improvement", "id"),
                priority=input.priority,
            )

        improvement, errors = await _improvement(run())
        return ValidateImprovementPayload(improvement=improvement, user_errors=errors)

    @strawberry.mutation(description="Not to be done (validators); its tickets stay linked.")
    async def reject_improvement(
        self, info: Info[Context, Any], input: RejectImprovementInput
    ) -> RejectImprovementPayload:
        actor = require_actor(info)

        async def run() -> Improvement:
            return await improvements.reject_improvement(
                actor=actor,
                improvement_id=input_pk(input.id, "Improvement", "id"),
                reason=value(input.reason),
            )

        improvement, errors = await _improvement(run())
        return RejectImprovementPayload(improvement=improvement, user_errors=errors)

    @strawberry.mutation(description="A release to plan improvements into (validators).")
    async def create_release(
        self, info: Info[Context, Any], input: CreateReleaseInput
    ) -> CreateReleasePayload:
        actor = require_actor(info)
        release, errors = await _release(
            releases.create_release(
                actor=actor, version=input.version, planned_for=value(input.planned_for)
            )
        )
        return CreateReleasePayload(release=release, user_errors=errors)

    @strawberry.mutation(
        description="Put a validated item into an unpublished release, or move it to another."
    )
    async def plan_improvement(
        self, info: Info[Context, Any], input: PlanImprovementInput
    ) -> PlanImprovementPayload:
        actor = require_actor(info)

        async def run() -> Improvement:
            return await releases.plan_improvement(
                actor=actor,
                improvement_id=input_pk(input.improvement_id, "Improvement", "improvement_id"),
                release_id=input_pk(input.release_id, "Release", "release_id"),
            )

        improvement, errors = await _improvement(run())
        return PlanImprovementPayload(improvement=improvement, user_errors=errors)

    @strawberry.mutation(
        description="Freeze the release, mark its items RELEASED and write its notes (admins)."
    )
    async def publish_release(
        self, info: Info[Context, Any], input: PublishReleaseInput
    ) -> PublishReleasePayload:
        actor = require_actor(info)

        async def run() -> Release:
            return await releases.publish_release(
                actor=actor, release_id=input_pk(input.id, "Release", "id")
            )

        release, errors = await _release(run())
        return PublishReleasePayload(release=release, user_errors=errors)
