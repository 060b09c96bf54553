from tortoise import fields
from tortoise.models import Model


class FeedEvent(Model):
    """An opened ticket in the live feed. Positions come from a counter advanced in the
    submitting transaction, so they are gapless and in commit order: a client that
    resumes after position N misses nothing."""

    position = fields.BigIntField(primary_key=True, generated=False)
    ticket = fields.ForeignKeyField(
        "models.Ticket", related_name="feed_events", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "feed_events"
