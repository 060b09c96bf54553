from tortoise import fields
from tortoise.models import Model

from app.models.enums import TeamKind


class Team(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    kind = fields.CharEnumField(TeamKind, max_length=16)
    # Null: the default calendar counts this team's business hours.
    calendar = fields.ForeignKeyField(
        "models.Calendar", related_name="teams", null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "teams"


class Membership(Model):
    """A handler belongs to a team and sees the tickets routed to it."""

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField(
        "models.User", related_name="memberships", on_delete=fields.CASCADE
    )
    team = fields.ForeignKeyField(
        "models.Team", related_name="memberships", on_delete=fields.CASCADE
    )

    class Meta:
        table = "memberships"
        unique_together = (("user", "team"),)
