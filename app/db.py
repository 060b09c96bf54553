"""Tortoise configuration and migrations."""

from __future__ import annotations

import os
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api import migrate

from app.config import DEFAULT_DATABASE_URL, Settings, sqlite_path


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": database_url},
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


# For the `tortoise` command (makemigrations, history, sqlmigrate ...).
TORTOISE_ORM = tortoise_config(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
