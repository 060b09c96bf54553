from tortoise import fields
from tortoise.models import Model

from app.models.enums import FeedEventKind


class FeedEvent(Model):
    """A submitted ticket was opened or changed. Positions come from a counter advanced in
    the changing transaction, so they are gapless and in commit order: a client that
    resumes after position N misses nothing."""

    position = fields.BigIntField(primary_key=True, generated=False)
    ticket = fields.ForeignKeyField(
        "models.Ticket", related_name="feed_events", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(FeedEventKind, max_length=16, default=FeedEventKind.OPENED)
    # The change is an internal note: only those who see notes hear of it.
    internal = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "feed_events"
