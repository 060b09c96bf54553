"""Passwords (Argon2) and bearer tokens (JWT)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from functools import cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.config import get_settings
from app.models import User
from app.services.errors import ErrorCode, fail

PASSWORD_MIN = 8
PASSWORD_MAX = 1_000
_hasher = PasswordHasher()
_ALGORITHM = "HS256"


@cache
def _dummy_hash() -> str:
    # Verified against when the e-mail is unknown, so both failures take as long.
    return _hasher.hash("not-a-real-password")


def _encodable(text: str) -> bool:
    """False for text with lone surrogates or NUL, which no stored value can contain."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def hash_password(password: str) -> str:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise fail(
            ErrorCode.VALIDATION,
            f"password must be between {PASSWORD_MIN} and {PASSWORD_MAX} characters",
            "password",
        )
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def login(*, email: str, password: str) -> tuple[str, User]:
    """A token for valid credentials; one same answer for every failure."""
    email = email.strip().lower()
    if not _encodable(email) or len(email) > 254:
        email = ""  # cannot exist; still costs the same verification below
    user = await User.get_or_none(email=email) if email else None
    stored = user.password_hash if user else _dummy_hash()
    valid = _encodable(password) and await asyncio.to_thread(
        _verify, stored, password[:PASSWORD_MAX]
    )
    if user is None or not valid or not user.is_active:
        raise fail(ErrorCode.VALIDATION, "Invalid e-mail or password")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(_hasher.hash, password)
        await user.save(update_fields=["password_hash"])
    return issue_token(user.id), user


def issue_token(user_id: int) -> str:
    settings = get_settings()
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "iat": now, "exp": now + settings.token_lifetime}
    return jwt.encode(claims, settings.secret_key, algorithm=_ALGORITHM)


def user_id_from_token(token: str) -> int | None:
    """The user a valid, unexpired token names; None for anything else."""
    try:
        claims = jwt.decode(
            token,
            get_settings().secret_key,
            algorithms=[_ALGORITHM],
            options={"require": ["sub", "exp", "iat"]},
        )
        return int(claims["sub"])
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
