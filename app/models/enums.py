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
    ASSIGNED = "ASSIGNED"
    STATUS_CHANGED = "STATUS_CHANGED"
    MESSAGE_POSTED = "MESSAGE_POSTED"
    # An internal note: the history shows it only to those who see internal notes.
    NOTE_ADDED = "NOTE_ADDED"
    # Linked to an item of the list of improvements and fixes.
    LINKED = "LINKED"


class FeedEventKind(StrEnum):
    # Submitted: for ticketOpened, and for ticketUpdated of that ticket.
    OPENED = "OPENED"
    # Any later change of a submitted ticket: for ticketUpdated only.
    CHANGED = "CHANGED"
    # Re-routed to another team: for ticketOpened, to those who could not see it before.
    ROUTED = "ROUTED"
    # A release was published: for releasePublished.
    PUBLISHED = "PUBLISHED"


class MessageKind(StrEnum):
    # The ticket's description, posted by its author at submission.
    REQUEST = "REQUEST"
    PUBLIC = "PUBLIC"
    # A note between handlers; requesters never see it.
    INTERNAL = "INTERNAL"


class SlaStatus(StrEnum):
    ON_TRACK = "ON_TRACK"
    AT_RISK = "AT_RISK"
    BREACHED = "BREACHED"
    MET = "MET"
    PAUSED = "PAUSED"


class DelayCounting(StrEnum):
    BUSINESS_HOURS = "BUSINESS_HOURS"
    AROUND_THE_CLOCK = "AROUND_THE_CLOCK"


class ImprovementKind(StrEnum):
    IMPROVEMENT = "IMPROVEMENT"
    FIX = "FIX"


class ImprovementStatus(StrEnum):
    PROPOSED = "PROPOSED"
    VALIDATED = "VALIDATED"
    PLANNED = "PLANNED"
    RELEASED = "RELEASED"
    REJECTED = "REJECTED"


class MailKind(StrEnum):
    """The kinds of e-mail the service sends; each user may turn any of them off."""

    # A ticket was opened for one's team.
    TICKET_OPENED = "TICKET_OPENED"
    # The desk answered one's ticket.
    REPLY = "REPLY"
    # A release was published (to the teams).
    RELEASE = "RELEASE"
    # What one asked for shipped in a release.
    SHIPPED = "SHIPPED"


class Language(StrEnum):
    FR = "fr"
    EN = "en"
