"""Settings read from the environment, validated once at start-up."""

from __future__ import annotations

import logging
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from app.models.enums import DelayCounting, Priority

logger = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite://data/support-desk.sqlite3"
# Counted in business hours: a business day is 8 of them (the default calendar's 09:00-17:00).
DEFAULT_RESPONSE_DELAYS = {
    Priority.P1: "1h",
    Priority.P2: "4h",
    Priority.P3: "8h",
    Priority.P4: "24h",
}
AROUND_THE_CLOCK_SUFFIX = "24/7"
SECRET_MIN = 32
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class ConfigError(ValueError):
    """A setting has a value the service cannot run with."""


@dataclass(frozen=True)
class ResponseDelay:
    """How long handlers have to answer, and whether only business hours count."""

    amount: timedelta
    counting: DelayCounting = DelayCounting.BUSINESS_HOURS


def parse_response_delay(name: str, text: str) -> ResponseDelay:
    """'4h' counts business hours; '4h 24/7' counts around the clock."""
    amount, _, clock = text.strip().partition(" ")
    if clock.strip() not in ("", AROUND_THE_CLOCK_SUFFIX):
        raise ConfigError(f"{name} must look like 4h or 4h 24/7, not {text!r}")
    counting = DelayCounting.AROUND_THE_CLOCK if clock.strip() else DelayCounting.BUSINESS_HOURS
    return ResponseDelay(parse_duration(name, amount), counting)


def parse_duration(name: str, text: str) -> timedelta:
    """Parse '90m', '4h', '3d' or '30s' into a timedelta."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise ConfigError(f"{name} must be a positive duration such as 30m, 4h or 3d, not {text!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_switch(name: str, text: str | None, default: bool) -> bool:
    """on/off (true/false, 1/0); the default when unset."""
    if text is None or not text.strip():
        return default
    value = text.strip().lower()
    if value in ("on", "true", "1", "yes"):
        return True
    if value in ("off", "false", "0", "no"):
        return False
    raise ConfigError(f"{name} must be on or off, not {text!r}")


def parse_count(name: str, text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise ConfigError(f"{name} must be a positive whole number, not {text!r}")
    return int(text)


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = ""
    token_lifetime: timedelta = timedelta(hours=12)
    allowed_origins: tuple[str, ...] = ()
    # Defaults until an admin sets a priority's delay in the service.
    response_delays: dict[Priority, ResponseDelay] = field(
        default_factory=lambda: {
            p: parse_response_delay(p.value, text) for p, text in DEFAULT_RESPONSE_DELAYS.items()
        }
    )
    # How long after closing a requester may still reopen their ticket.
    reopen_period: timedelta = timedelta(days=14)
    connection_init_timeout: timedelta = timedelta(seconds=5)
    broker_url: str = ""
    feed_retention: timedelta = timedelta(days=30)
    feed_queue_size: int = 1_000
    max_subscriptions_per_connection: int = 20
    # permessage-deflate costs each websocket about 40 KiB and each frame a compression,
    # for feed messages of a few hundred bytes: off unless asked for.
    ws_per_message_deflate: bool = False
    # production: a set secret is required, introspection and GraphiQL default to off.
    environment: str = "development"
    introspection: bool = True
    graphiql: bool = True
    # smtp://user:password@host:587 (STARTTLS when offered) or smtps://host:465; empty:
    # e-mails are written to the log instead of sent.
    smtp_url: str = ""
    mail_from: str = "support-desk <support-desk@localhost>"
    # The first retry of an e-mail the SMTP server refused; each next one waits twice as long.
    mail_retry: timedelta = timedelta(seconds=30)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @classmethod
    def from_env(cls, env: os._Environ[str] | dict[str, str] = os.environ) -> Settings:
        database_url = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        environment = env.get("ENVIRONMENT", "").strip().lower() or "development"
        if environment not in ("development", "production"):
            raise ConfigError(f"ENVIRONMENT must be development or production, not {environment!r}")
        production = environment == "production"
        secret_key = env.get("SECRET_KEY", "").strip()
        if production and len(secret_key) < SECRET_MIN:
            raise ConfigError(
                f"in production SECRET_KEY must be set to at least {SECRET_MIN} random "
                "characters (a generated development key is refused)"
            )
        delays = {
            p: parse_response_delay(
                f"RESPONSE_DELAY_{p.value}", env.get(f"RESPONSE_DELAY_{p.value}", d)
            )
            for p, d in DEFAULT_RESPONSE_DELAYS.items()
        }
        origins = tuple(o.strip() for o in env.get("ALLOWED_ORIGINS", "").split(",") if o.strip())
        smtp_url = env.get("SMTP_URL", "").strip()
        if smtp_url and not smtp_url.startswith(("smtp://", "smtps://")):
            raise ConfigError(f"SMTP_URL must be an smtp:// or smtps:// URL, not {smtp_url!r}")
        broker_url = env.get("BROKER_URL", "").strip()
        if broker_url and not broker_url.startswith(("redis://", "rediss://")):
            raise ConfigError(f"BROKER_URL must be a redis:// URL, not {broker_url!r}")
        return cls(
            database_url=database_url,
            environment=environment,
            introspection=parse_switch("INTROSPECTION", env.get("INTROSPECTION"), not production),
            graphiql=parse_switch("GRAPHIQL", env.get("GRAPHIQL"), not production),
            ws_per_message_deflate=parse_switch(
                "WS_PER_MESSAGE_DEFLATE", env.get("WS_PER_MESSAGE_DEFLATE"), False
            ),
            secret_key=secret_key or _local_secret(database_url),
            token_lifetime=parse_duration("TOKEN_LIFETIME", env.get("TOKEN_LIFETIME", "12h")),
            allowed_origins=origins,
            response_delays=delays,
            reopen_period=parse_duration("REOPEN_PERIOD", env.get("REOPEN_PERIOD", "14d")),
            connection_init_timeout=parse_duration(
                "CONNECTION_INIT_TIMEOUT", env.get("CONNECTION_INIT_TIMEOUT", "5s")
            ),
            broker_url=broker_url,
            feed_retention=parse_duration("FEED_RETENTION", env.get("FEED_RETENTION", "30d")),
            feed_queue_size=parse_count("FEED_QUEUE_SIZE", env.get("FEED_QUEUE_SIZE", "1000")),
            max_subscriptions_per_connection=parse_count(
                "MAX_SUBSCRIPTIONS_PER_CONNECTION",
                env.get("MAX_SUBSCRIPTIONS_PER_CONNECTION", "20"),
            ),
            smtp_url=smtp_url,
            mail_from=env.get("MAIL_FROM", "").strip() or cls.mail_from,
            mail_retry=parse_duration("MAIL_RETRY", env.get("MAIL_RETRY", "30s")),
        )


def sqlite_path(database_url: str) -> Path | None:
    """The file behind a sqlite:// URL, or None for another database or memory."""
    if not database_url.startswith("sqlite://"):
        return None
    path = database_url.removeprefix("sqlite://").split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def _local_secret(database_url: str) -> str:
    """A development secret, generated once and kept beside the database."""
    db_file = sqlite_path(database_url)
    folder = db_file.parent if db_file else Path("data")
    key_file = folder / ".secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    logger.warning("SECRET_KEY is not set: generated one in %s (development only)", key_file)
    return key


_current: Settings | None = None


def use_settings(settings: Settings) -> None:
    """Make settings the ones the services read (at start-up and in tests)."""
    global _current
    _current = settings


def get_settings() -> Settings:
    global _current
    if _current is None:
        _current = Settings.from_env()
    return _current
