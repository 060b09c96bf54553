from tortoise import fields
from tortoise.models import Model

from app.models.enums import TicketType


class RoutingRule(Model):
    """Which team receives the tickets of a type: at most one rule per type."""

    id = fields.IntField(primary_key=True)
    ticket_type = fields.CharEnumField(TicketType, max_length=32, unique=True)
    team = fields.ForeignKeyField(
        "models.Team", related_name="routing_rules", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "routing_rules"
