from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from app.models.enums import Language, Role


class User(Model):
    id = fields.IntField(primary_key=True)
    # Stored lower-cased so that uniqueness ignores case.
    email = fields.CharField(max_length=254, unique=True)
    display_name = fields.CharField(max_length=100)
    role = fields.CharEnumField(Role, max_length=16, default=Role.REQUESTER)
    password_hash = fields.CharField(max_length=255)
    # In every token; raised when the password changes, so that older tokens stop working.
    token_version = fields.IntField(default=0)
    is_active = fields.BooleanField(default=True)
    # Validates, prioritises and rejects improvements (admins always may).
    is_validator = fields.BooleanField(default=False)
    # The language of the e-mails they get, and the kinds of e-mail they turned off.
    language = fields.CharEnumField(Language, max_length=2, default=Language.FR)
    mails_off = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"


class LoginFailure(Model):
    """A failed sign-in, by account (the e-mail as typed) and by client address: what the
    rate limits count."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=300)
    at = fields.DatetimeField()

    class Meta:
        table = "login_failures"
        indexes = (Index(fields=("key", "at")),)
