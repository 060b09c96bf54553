from tortoise import fields
from tortoise.models import Model

from app.models.enums import DelayCounting, Priority


class Calendar(Model):
    """Business hours in a time zone, with holidays. One of them is the default calendar."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    time_zone = fields.CharField(max_length=64)
    # [[weekday 0=Monday, "HH:MM" opens, "HH:MM" closes], ...] in local wall-clock time.
    opening_hours = fields.JSONField()
    # ["YYYY-MM-DD", ...]
    holidays = fields.JSONField()
    is_default = fields.BooleanField(default=False)

    class Meta:
        table = "calendars"


class ResponseDelay(Model):
    """An admin's setting of the response delay of a priority (else the configured default)."""

    priority = fields.CharEnumField(Priority, max_length=2, primary_key=True)
    minutes = fields.IntField()
    counting = fields.CharEnumField(DelayCounting, max_length=16)

    class Meta:
        table = "response_delays"
