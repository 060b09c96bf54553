from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from app.models.enums import MessageKind


class Message(Model):
    """One message of a ticket's conversation: the request, a public message or a note."""

    id = fields.IntField(primary_key=True)
    ticket = fields.ForeignKeyField(
        "models.Ticket", related_name="messages", on_delete=fields.CASCADE
    )
    author = fields.ForeignKeyField(
        "models.User", related_name="messages", on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(MessageKind, max_length=16)
    body = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "messages"
        indexes = (Index(fields=("ticket_id", "id")),)
