"""Passwords (Argon2) and bearer tokens (JWT)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.config import get_settings
from app.models import LoginFailure, User
from app.services.errors import ErrorCode, fail

# Failed sign-ins allowed in the window, per account and per client address.
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
FAILURE_WINDOW = timedelta(minutes=15)
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


async def login(*, email: str, password: str, client: str | None = None) -> tuple[str, User]:
    """A token for valid credentials; one same answer for every failure. Failures are
    limited per account and per client address: past the limit every attempt is refused,
    known e-mail or not, until the window has passed."""
    email = email.strip().lower()
    if not _encodable(email) or len(email) > 254:
        email = ""  # cannot exist; still costs the same verification below
    keys = [f"account:{email}"] + ([f"address:{client}"] if client else [])
    limited = await _limited(keys)
    user = await User.get_or_none(email=email) if email and not limited else None
    stored = user.password_hash if user else _dummy_hash()
    # The same Argon2 work whatever the outcome, so that timing tells nothing.
    valid = _encodable(password) and await asyncio.to_thread(
        _verify, stored, password[:PASSWORD_MAX]
    )
    if limited:
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise fail(
            ErrorCode.VALIDATION, f"Too many failed sign-ins: try again in {minutes} minutes"
        )
    if user is None or not valid or not user.is_active:
        now = datetime.now(UTC)
        await LoginFailure.bulk_create([LoginFailure(key=key, at=now) for key in keys])
        raise fail(ErrorCode.VALIDATION, "Invalid e-mail or password")
    await LoginFailure.filter(key=keys[0]).delete()  # the account's own count starts again
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(_hasher.hash, password)
        await user.save(update_fields=["password_hash"])
    return issue_token(user.id, user.token_version), user


async def _limited(keys: list[str]) -> bool:
    """Whether any of the keys (account, address) has used up its failures in the window."""
    now = datetime.now(UTC)
    await LoginFailure.filter(at__lt=now - FAILURE_WINDOW).delete()
    for key in keys:
        limit = ACCOUNT_FAILURES if key.startswith("account:") else ADDRESS_FAILURES
        if await LoginFailure.filter(key=key, at__gte=now - FAILURE_WINDOW).count() >= limit:
            return True
    return False


def issue_token(user_id: int, version: int = 0) -> str:
    """A token for the user; version is their token_version (a password change raises it)."""
    settings = get_settings()
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "ver": version, "iat": now, "exp": now + settings.token_lifetime}
    return jwt.encode(claims, settings.secret_key, algorithm=_ALGORITHM)


def token_claims(token: str) -> tuple[int, int] | None:
    """The user and token version a valid, unexpired token names; None for anything else."""
    try:
        claims = jwt.decode(
            token,
            get_settings().secret_key,
            algorithms=[_ALGORITHM],
            options={"require": ["sub", "ver", "exp", "iat"]},
        )
        version = claims["ver"]
        if type(version) is not int:
            return None
        return int(claims["sub"]), version
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
