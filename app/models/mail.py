from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from app.models.enums import MailKind


class OutboxMail(Model):
    """An e-mail to send, written in the same transaction as the change it announces, so
    that a rolled-back change sends none and an SMTP server that is down loses none."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(MailKind, max_length=16)
    recipient = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=300)
    body = fields.TextField()
    created_at = fields.DatetimeField()
    # Claimed or retried: not before then.
    next_attempt_at = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(null=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox"
        indexes = (Index(fields=("sent_at", "next_attempt_at")),)
