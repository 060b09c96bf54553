from tortoise import fields
from tortoise.models import Model

from app.models.enums import FeedEventKind


class FeedEvent(Model):
    """A submitted ticket was opened or changed, or a release was published. Positions come
    from a counter advanced in the changing transaction, so they are gapless and in commit
    order: a client that resumes after position N misses nothing."""

    position = fields.BigIntField(primary_key=True, generated=False)
    # The ticket of OPENED and CHANGED events.
    ticket = fields.ForeignKeyField(
        "models.Ticket", related_name="feed_events", null=True, on_delete=fields.CASCADE
    )
    # The release of PUBLISHED events.
    release = fields.ForeignKeyField(
        "models.Release", related_name="feed_events", null=True, on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(FeedEventKind, max_length=16, default=FeedEventKind.OPENED)
    # The change is an internal note: only those who see notes hear of it.
    internal = fields.BooleanField(default=False)
    # OPENED and ROUTED: the ticket's team then (its current team may have changed since),
    # and for ROUTED the team it left: whoever saw it there knew of it already.
    team_id = fields.IntField(null=True)
    team_before_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "feed_events"
