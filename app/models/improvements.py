from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from app.models.enums import ImprovementKind, ImprovementStatus, Priority


class Improvement(Model):
    """An item of the list of improvements and fixes. The tickets linked to it are its votes."""

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=150)
    description = fields.TextField(default="")
    kind = fields.CharEnumField(ImprovementKind, max_length=16)
    status = fields.CharEnumField(
        ImprovementStatus, max_length=16, default=ImprovementStatus.PROPOSED
    )
    # Set by a validator at validation.
    priority = fields.CharEnumField(Priority, max_length=2, null=True)
    # How many tickets are linked to it, kept with the links: the list is ordered by it.
    votes = fields.IntField(default=0)
    proposed_by = fields.ForeignKeyField(
        "models.User", related_name="proposed_improvements", on_delete=fields.RESTRICT
    )
    validated_by = fields.ForeignKeyField(
        "models.User", related_name="validated_improvements", null=True, on_delete=fields.SET_NULL
    )
    validated_at = fields.DatetimeField(null=True)
    rejection_reason = fields.TextField(null=True)
    release = fields.ForeignKeyField(
        "models.Release", related_name="improvements", null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "improvements"
        indexes = (Index(fields=("priority", "votes", "id")),)


class Release(Model):
    """A version and the improvements planned into it, frozen once published."""

    id = fields.IntField(primary_key=True)
    version = fields.CharField(max_length=100, unique=True)
    planned_for = fields.DatetimeField(null=True)
    published_at = fields.DatetimeField(null=True)
    # The release notes in Markdown, written at publication.
    notes = fields.TextField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "releases"
