"""Tortoise models: data and constraints only; the rules live in app.services."""

from app.models.feed import FeedEvent
from app.models.improvements import Improvement, Release
from app.models.mail import OutboxMail
from app.models.messages import Message
from app.models.routing import RoutingRule
from app.models.sla import Calendar, ResponseDelay
from app.models.teams import Membership, Team
from app.models.tickets import Counter, Ticket, TicketEvent
from app.models.users import LoginFailure, User

__all__ = [
    "Calendar",
    "Counter",
    "FeedEvent",
    "Improvement",
    "LoginFailure",
    "Membership",
    "Message",
    "OutboxMail",
    "Release",
    "ResponseDelay",
    "RoutingRule",
    "Team",
    "Ticket",
    "TicketEvent",
    "User",
]
