"""Tortoise models: data and constraints only; the rules live in app.services."""

from app.models.feed import FeedEvent
from app.models.messages import Message
from app.models.routing import RoutingRule
from app.models.sla import Calendar, ResponseDelay
from app.models.teams import Membership, Team
from app.models.tickets import Counter, Ticket, TicketEvent
from app.models.users import User

__all__ = [
    "Calendar",
    "Counter",
    "FeedEvent",
    "Membership",
    "Message",
    "ResponseDelay",
    "RoutingRule",
    "Team",
    "Ticket",
    "TicketEvent",
    "User",
]
