from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from app.models.enums import Priority, TicketEventKind, TicketStatus, TicketType


class Ticket(Model):
    id = fields.IntField(primary_key=True)
    number = fields.IntField(unique=True)
    subject = fields.CharField(max_length=150)
    description = fields.TextField(default="")
    reference = fields.CharField(max_length=200, null=True)
    type = fields.CharEnumField(TicketType, max_length=32, null=True)
    # Effective priority; while DRAFT, the preview of what submission would give.
    priority = fields.CharEnumField(Priority, max_length=2)
    requested_priority = fields.CharEnumField(Priority, max_length=2, null=True)
    status = fields.CharEnumField(TicketStatus, max_length=16, default=TicketStatus.DRAFT)
    author = fields.ForeignKeyField(
        "models.User", related_name="authored_tickets", on_delete=fields.RESTRICT
    )
    assignee = fields.ForeignKeyField(
        "models.User", related_name="assigned_tickets", null=True, on_delete=fields.SET_NULL
    )
    team = fields.ForeignKeyField(
        "models.Team", related_name="tickets", null=True, on_delete=fields.SET_NULL
    )
    # The item of the list of improvements and fixes this ticket asks for (a vote for it).
    improvement = fields.ForeignKeyField(
        "models.Improvement", related_name="tickets", null=True, on_delete=fields.SET_NULL
    )
    environment = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    submitted_at = fields.DatetimeField(null=True)
    response_due_at = fields.DatetimeField(null=True)
    # 80% of the response delay spent: the ticket is AT_RISK from then on.
    response_at_risk_at = fields.DatetimeField(null=True)
    first_responded_at = fields.DatetimeField(null=True)
    # Set while WAITING: the response clock is paused since then.
    waiting_since = fields.DatetimeField(null=True)
    # Finished waits, [["start", "end"], ...] in ISO 8601 UTC: they push the deadline back.
    pauses = fields.JSONField(default=list)
    closed_at = fields.DatetimeField(null=True)
    # What was done, given when closing; cleared when the ticket is reopened.
    resolution = fields.TextField(null=True)
    version = fields.IntField(default=1)
    # Lower-cased, accent-free copy of subject, description and reference: the
    # same substring search on SQLite and PostgreSQL without extensions.
    search_text = fields.TextField(default="")

    class Meta:
        table = "tickets"
        indexes = (
            Index(fields=("author_id", "created_at")),
            Index(fields=("team_id", "status", "created_at")),
            Index(fields=("status", "priority", "response_due_at")),
            # The dashboard's order (PRIORITY) over any set of statuses, read in order.
            Index(fields=("priority", "response_due_at", "id")),
            Index(fields=("status", "created_at")),
            Index(fields=("assignee_id", "status")),
            Index(fields=("response_due_at",)),
            Index(fields=("submitted_at",)),
            Index(fields=("updated_at",)),
        )


class TicketEvent(Model):
    """One entry of a ticket's history."""

    id = fields.IntField(primary_key=True)
    ticket = fields.ForeignKeyField(
        "models.Ticket", related_name="events", on_delete=fields.CASCADE
    )
    at = fields.DatetimeField()
    actor = fields.ForeignKeyField(
        "models.User", related_name="ticket_events", null=True, on_delete=fields.SET_NULL
    )
    kind = fields.CharEnumField(TicketEventKind, max_length=16)
    field = fields.CharField(max_length=50, null=True)
    from_value = fields.CharField(max_length=200, null=True)
    to_value = fields.CharField(max_length=200, null=True)
    reason = fields.CharField(max_length=1000, null=True)

    class Meta:
        table = "ticket_events"
        indexes = (Index(fields=("ticket_id", "id")),)


class Counter(Model):
    """Named counters advanced atomically in the writer's transaction (ticket numbers)."""

    name = fields.CharField(max_length=50, primary_key=True)
    value = fields.BigIntField(default=0)

    class Meta:
        table = "counters"
