"""Tortoise configuration and migrations."""

from __future__ import annotations

import os
from typing import Any

import asyncpg
from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate
from tortoise.migrations.executor import MigrationExecutor

from app.config import DEFAULT_DATABASE_URL, Settings, sqlite_path
from app.services.feed import listener_connected


class PooledConnection(asyncpg.Connection):
    """A pooled PostgreSQL connection handed back without asyncpg's reset statement.

    asyncpg sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`
    each time a connection returns to the pool, and Tortoise takes one from the pool
    for every statement outside a transaction: a round trip per statement. Nothing of
    the service leaves such session state on pooled connections (the feed listens on a
    connection of its own); an open transaction is still rolled back on release."""

    def get_reset_query(self) -> str:
        return ""


def connection_config(database_url: str) -> dict[str, Any]:
    config = expand_db_url(database_url)
    if config["engine"] == "tortoise.backends.asyncpg":
        config["credentials"]["connection_class"] = PooledConnection
    return config


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": connection_config(database_url)},
        "apps": {
            "models": {
                "models": ["app.models"],
                "default_connection": "default",
                "migrations": "app.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def prepare_storage(settings: Settings) -> None:
    """Create the folder of an SQLite database file."""
    db_file = sqlite_path(settings.database_url)
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)


async def apply_migrations(settings: Settings) -> None:
    """Apply pending migrations, then release the connections used for it."""
    prepare_storage(settings)
    await migrate(config=tortoise_config(settings.database_url))
    await Tortoise.close_connections()


async def readiness(settings: Settings) -> dict[str, bool]:
    """What /readyz reports: the database answers, migrations are applied, and the feed's
    listener is connected (in-process feeds always are)."""
    try:
        connection = connections.get("default")
        await connection.execute_query("SELECT 1")
        apps = tortoise_config(settings.database_url)["apps"]
        pending = await MigrationExecutor(connection, apps).plan()
        database, migrated = True, not pending
    except Exception:  # unreachable, or the database is restarting
        database = migrated = False
    return {"database": database, "migrations": migrated, "feed": listener_connected()}


# For the `tortoise` command (makemigrations, history, sqlmigrate ...).
TORTOISE_ORM = tortoise_config(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
