"""Enumerations shared by the models, the services and the GraphQL schema."""

from enum import StrEnum


class Role(StrEnum):
    REQUESTER = "REQUESTER"
    HANDLER = "HANDLER"
    ADMIN = "ADMIN"


class TeamKind(StrEnum):
    INTERNAL = "INTERNAL"
    EXTERNAL = "EXTERNAL"


class TicketType(StrEnum):
    INCIDENT = "INCIDENT"
    QUESTION = "QUESTION"
    FEATURE_REQUEST = "FEATURE_REQUEST"


class Priority(StrEnum):
    """Values sort as strings in urgency order: P1 first."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class TicketStatus(StrEnum):
    DRAFT = "DRAFT"
    OPEN = "OPEN"
    PENDING = "PENDING"
    WAITING = "WAITING"
    CLOSED = "CLOSED"


class TicketEventKind(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    SUBMITTED = "SUBMITTED"
    ADJUSTED = "ADJUSTED"
