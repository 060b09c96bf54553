"""Administration: teams and memberships, routing rules, calendars, response delays."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from app.config import ResponseDelay
from app.models import RoutingRule
from app.models.enums import DelayCounting, Priority, TeamKind, TicketType
from app.schema.context import Context, require_actor
from app.schema.errors import UserError, attempt
from app.schema.mutations import given, input_pk
from app.schema.types import CalendarNode, TeamNode
from app.schema.values import value
from app.services import calendars, routing, sla, teams


def _pk(global_id: str | None, type_name: str, field: str) -> int | None:
    """The key behind an id argument; NOT_FOUND on that field for a foreign or tampered id."""
    return None if global_id is None else input_pk(global_id, type_name, field)


@strawberry.type(name="RoutingRule")
class RoutingRuleType:
    type: TicketType
    team_id: strawberry.Private[int]

    @strawberry.field
    async def team(self, info: Info[Context, Any]) -> TeamNode | None:
        team = await info.context.loaders.teams.load(self.team_id)
        return TeamNode.from_model(team) if team else None

    @classmethod
    def from_model(cls, rule: RoutingRule) -> RoutingRuleType:
        return cls(type=rule.ticket_type, team_id=rule.team_id)  # type: ignore[attr-defined]


@strawberry.type(name="ResponseDelay")
class ResponseDelayType:
    priority: Priority
    minutes: int
    counting: DelayCounting

    @classmethod
    def of(cls, priority: Priority, delay: ResponseDelay) -> ResponseDelayType:
        return cls(
            priority=priority,
            minutes=int(delay.amount.total_seconds() // 60),
            counting=delay.counting,
        )


@strawberry.input
class CreateTeamInput:
    name: str
    kind: TeamKind
    calendar_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Null or absent: the default calendar."
    )


@strawberry.input(description="Absent fields stay as they are.")
class UpdateTeamInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    kind: TeamKind | None = strawberry.UNSET
    calendar_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Null: back to the default calendar."
    )


@strawberry.input
class TeamMemberInput:
    team_id: strawberry.ID
    user_id: strawberry.ID


@strawberry.input
class AddTeamMemberInput(TeamMemberInput):
    pass


@strawberry.input
class RemoveTeamMemberInput(TeamMemberInput):
    pass


@strawberry.input
class SetRoutingRuleInput:
    type: TicketType
    team_id: strawberry.ID


@strawberry.input
class OpeningHoursInput:
    weekday: int = strawberry.field(description="0 = Monday … 6 = Sunday.")
    opens: str = strawberry.field(description="Local time, HH:MM.")
    closes: str = strawberry.field(description="Local time, HH:MM, after opens.")


@strawberry.input
class CreateCalendarInput:
    name: str
    time_zone: str = strawberry.field(description='IANA time zone, e.g. "Europe/Brussels".')
    opening_hours: list[OpeningHoursInput]
    holidays: list[date] | None = strawberry.UNSET


@strawberry.input(description="Absent fields stay as they are.")
class UpdateCalendarInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    time_zone: str | None = strawberry.UNSET
    opening_hours: list[OpeningHoursInput] | None = strawberry.UNSET
    holidays: list[date] | None = strawberry.UNSET


@strawberry.input
class SetResponseDelayInput:
    priority: Priority
    minutes: int = strawberry.field(description="1 to 10,080 (one week).")
    counting: DelayCounting


@strawberry.type
class TeamPayload:
    team: TeamNode | None = None
    user_errors: list[UserError]


@strawberry.type
class CreateTeamPayload(TeamPayload):
    pass


@strawberry.type
class UpdateTeamPayload(TeamPayload):
    pass


@strawberry.type
class AddTeamMemberPayload(TeamPayload):
    pass


@strawberry.type
class RemoveTeamMemberPayload(TeamPayload):
    pass


@strawberry.type
class SetRoutingRulePayload:
    routing_rule: RoutingRuleType | None = None
    user_errors: list[UserError]


@strawberry.type
class CalendarPayload:
    calendar: CalendarNode | None = None
    user_errors: list[UserError]


@strawberry.type
class CreateCalendarPayload(CalendarPayload):
    pass


@strawberry.type
class UpdateCalendarPayload(CalendarPayload):
    pass


@strawberry.type
class SetResponseDelayPayload:
    response_delay: ResponseDelayType | None = None
    user_errors: list[UserError]


def _hours(hours: list[OpeningHoursInput]) -> list[tuple[int, str, str]]:
    return [(h.weekday, h.opens, h.closes) for h in hours]


@strawberry.type
class AdminQuery:
    @strawberry.field(description="Every team for admins; one's own teams for anyone else.")
    async def teams(self, info: Info[Context, Any]) -> list[TeamNode]:
        return [TeamNode.from_model(t) for t in await teams.list_teams(require_actor(info))]

    @strawberry.field(description="Which team receives each ticket type (admins only).")
    async def routing_rules(self, info: Info[Context, Any]) -> list[RoutingRuleType]:
        rules = await routing.list_routing_rules(require_actor(info))
        return [RoutingRuleType.from_model(r) for r in rules]

    @strawberry.field(description="Business calendars, the default first.")
    async def calendars(self, info: Info[Context, Any]) -> list[CalendarNode]:
        require_actor(info)
        return [CalendarNode.from_model(c) for c in await calendars.list_calendars()]

    @strawberry.field(description="The response delay of each priority, P1 first.")
    async def response_delays(self, info: Info[Context, Any]) -> list[ResponseDelayType]:
        require_actor(info)
        delays = await sla.response_delays()
        return [ResponseDelayType.of(p, delays[p]) for p in sorted(delays)]


@strawberry.type
class AdminMutation:
    @strawberry.mutation
    async def create_team(
        self, info: Info[Context, Any], input: CreateTeamInput
    ) -> CreateTeamPayload:
        actor = require_actor(info)

        async def run() -> Any:
            return await teams.create_team(
                actor=actor,
                name=input.name,
                kind=input.kind,
                calendar_id=_pk(value(input.calendar_id), "Calendar", "calendar_id"),
            )

        team, errors = await attempt(run())
        return CreateTeamPayload(team=team and TeamNode.from_model(team), user_errors=errors)

    @strawberry.mutation
    async def update_team(
        self, info: Info[Context, Any], input: UpdateTeamInput
    ) -> UpdateTeamPayload:
        actor = require_actor(info)

        async def run() -> Any:
            changes = given(input, "name", "kind", "calendar_id")
            if "calendar_id" in changes:
                changes["calendar_id"] = _pk(changes["calendar_id"], "Calendar", "calendar_id")
            return await teams.update_team(
                actor=actor, team_id=_pk(input.id, "Team", "id") or 0, changes=changes
            )

        team, errors = await attempt(run())
        return UpdateTeamPayload(team=team and TeamNode.from_model(team), user_errors=errors)

    @strawberry.mutation(description="Put a handler or admin in a team.")
    async def add_team_member(
        self, info: Info[Context, Any], input: AddTeamMemberInput
    ) -> AddTeamMemberPayload:
        actor = require_actor(info)

        async def run() -> Any:
            return await teams.add_member(
                actor=actor,
                team_id=_pk(input.team_id, "Team", "team_id") or 0,
                user_id=_pk(input.user_id, "User", "user_id") or 0,
            )

        team, errors = await attempt(run())
        return AddTeamMemberPayload(team=team and TeamNode.from_model(team), user_errors=errors)

    @strawberry.mutation(description="Take someone out of a team; they stop seeing its tickets.")
    async def remove_team_member(
        self, info: Info[Context, Any], input: RemoveTeamMemberInput
    ) -> RemoveTeamMemberPayload:
        actor = require_actor(info)

        async def run() -> Any:
            return await teams.remove_member(
                actor=actor,
                team_id=_pk(input.team_id, "Team", "team_id") or 0,
                user_id=_pk(input.user_id, "User", "user_id") or 0,
            )

        team, errors = await attempt(run())
        return RemoveTeamMemberPayload(team=team and TeamNode.from_model(team), user_errors=errors)

    @strawberry.mutation(
        description="Send new tickets of a type to a team; re-typing a ticket re-routes it."
    )
    async def set_routing_rule(
        self, info: Info[Context, Any], input: SetRoutingRuleInput
    ) -> SetRoutingRulePayload:
        actor = require_actor(info)

        async def run() -> Any:
            return await routing.set_routing_rule(
                actor=actor,
                ticket_type=input.type,
                team_id=_pk(input.team_id, "Team", "team_id") or 0,
            )

        rule, errors = await attempt(run())
        return SetRoutingRulePayload(
            routing_rule=rule and RoutingRuleType.from_model(rule), user_errors=errors
        )

    @strawberry.mutation
    async def create_calendar(
        self, info: Info[Context, Any], input: CreateCalendarInput
    ) -> CreateCalendarPayload:
        actor = require_actor(info)
        calendar, errors = await attempt(
            calendars.create_calendar(
                actor=actor,
                name=input.name,
                time_zone=input.time_zone,
                opening_hours=_hours(input.opening_hours),
                holidays=value(input.holidays) or [],
            )
        )
        return CreateCalendarPayload(
            calendar=calendar and CalendarNode.from_model(calendar), user_errors=errors
        )

    @strawberry.mutation(description="Deadlines computed from then on use the new hours.")
    async def update_calendar(
        self, info: Info[Context, Any], input: UpdateCalendarInput
    ) -> UpdateCalendarPayload:
        actor = require_actor(info)

        async def run() -> Any:
            changes = given(input, "name", "time_zone", "opening_hours", "holidays")
            if changes.get("opening_hours") is not None:
                changes["opening_hours"] = _hours(changes["opening_hours"])
            return await calendars.update_calendar(
                actor=actor,
                calendar_id=_pk(input.id, "Calendar", "id") or 0,
                changes=changes,
            )

        calendar, errors = await attempt(run())
        return UpdateCalendarPayload(
            calendar=calendar and CalendarNode.from_model(calendar), user_errors=errors
        )

    @strawberry.mutation(
        description="The delay of a priority, for tickets submitted or re-prioritised from now on."
    )
    async def set_response_delay(
        self, info: Info[Context, Any], input: SetResponseDelayInput
    ) -> SetResponseDelayPayload:
        actor = require_actor(info)
        delay, errors = await attempt(
            calendars.set_response_delay(
                actor=actor, priority=input.priority, minutes=input.minutes, counting=input.counting
            )
        )
        return SetResponseDelayPayload(
            response_delay=delay and ResponseDelayType.of(input.priority, delay),
            user_errors=errors,
        )
