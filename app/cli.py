"""The support-desk command: serve, migrate, and bootstrap an installation."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import uvicorn
from graphql import lexicographic_sort_schema, print_schema
from tortoise import Tortoise

from app.config import ConfigError, Settings, use_settings
from app.db import apply_migrations, tortoise_config
from app.limits import MAX_WS_MESSAGE_BYTES
from app.models.enums import Role, TeamKind, TicketType
from app.services.errors import DomainError

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def schema_sdl() -> str:
    """The schema as SDL, sorted so that the file is stable and diff-friendly."""
    from app.schema import schema

    return print_schema(lexicographic_sort_schema(schema._schema)) + "\n"


def _settings() -> Settings:
    settings = Settings.from_env()
    use_settings(settings)
    return settings


async def _with_database(settings: Settings, work: Callable[[], Awaitable[None]]) -> None:
    await apply_migrations(settings)
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        await work()
    finally:
        await Tortoise.close_connections()


def _serve(args: argparse.Namespace) -> None:
    settings = _settings()
    if args.workers > 1 and settings.is_sqlite:
        raise ConfigError(
            "SQLite serves a single process: set DATABASE_URL to a PostgreSQL database "
            "to run several workers"
        )
    # Migrate (and load the demo) once, here, before any worker starts.
    asyncio.run(_with_database(settings, _load_demo if args.demo else _nothing))
    uvicorn.run(
        "app.main:create_migrated_app",
        factory=True,
        host=args.host,
        port=args.port,
        reload=args.reload,
        workers=args.workers,
        proxy_headers=True,
        ws_max_size=MAX_WS_MESSAGE_BYTES,
        ws_per_message_deflate=settings.ws_per_message_deflate,
    )


async def _nothing() -> None:
    return None


async def _load_demo() -> None:
    from app.demo import DEMO_PASSWORD, is_empty, load_demo

    if not await is_empty():
        print("The database already has users: demo data not loaded.")
        return
    logins = await load_demo()
    print(f"Demo data loaded. Sign in with any of these (password: {DEMO_PASSWORD}):")
    for email, role in logins:
        print(f"  {email:24} {role}")


def _create_team(args: argparse.Namespace) -> None:
    settings = _settings()
    from app.services.teams import ensure_team

    async def work() -> None:
        team = await ensure_team(name=args.name, kind=TeamKind(args.kind.upper()))
        print(f"team {team.name!r} ({team.kind.value})")

    asyncio.run(_with_database(settings, work))


def _create_user(args: argparse.Namespace) -> None:
    settings = _settings()
    from app.models import User
    from app.services.users import ensure_user

    async def work() -> None:
        password = args.password
        if password is None and not await User.exists(email=args.email.strip().lower()):
            password = getpass.getpass(f"Password for {args.email}: ")
        user = await ensure_user(
            email=args.email,
            display_name=args.name,
            role=Role(args.role.upper()),
            team_names=args.team,
            password=password,
        )
        print(f"user {user.email} ({user.role.value})")

    asyncio.run(_with_database(settings, work))


def _route(args: argparse.Namespace) -> None:
    settings = _settings()
    from app.services.routing import set_route

    async def work() -> None:
        await set_route(ticket_type=TicketType(args.type.upper()), team_name=args.team)
        print(f"{args.type.upper()} tickets go to {args.team!r}")

    asyncio.run(_with_database(settings, work))


def _migrate(args: argparse.Namespace) -> None:
    settings = _settings()
    asyncio.run(apply_migrations(settings))
    print("migrations applied")


def _export_schema(args: argparse.Namespace) -> None:
    target = Path(args.output)
    target.write_text(schema_sdl())
    print(f"wrote {target}")


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="support-desk", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve GraphiQL and the API at /graphql")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--reload", action="store_true", help="restart when the code changes")
    serve.add_argument(
        "--workers", type=_positive, default=1, help="worker processes (PostgreSQL only)"
    )
    serve.add_argument("--demo", action="store_true", help="load demo data into an empty database")
    serve.set_defaults(run=_serve)

    commands.add_parser("migrate", help="apply pending migrations").set_defaults(run=_migrate)

    team = commands.add_parser("create-team", help="create a team (idempotent)")
    team.add_argument("--name", required=True)
    team.add_argument("--kind", required=True, choices=["internal", "external"])
    team.set_defaults(run=_create_team)

    user = commands.add_parser("create-user", help="create or update a user (idempotent)")
    user.add_argument("--email", required=True)
    user.add_argument("--name", required=True)
    user.add_argument("--role", required=True, choices=["requester", "handler", "admin"])
    user.add_argument("--team", action="append", default=[], help="a team to join; repeatable")
    user.add_argument("--password", help="prompted for when not given")
    user.set_defaults(run=_create_user)

    route = commands.add_parser("route", help="send the tickets of a type to a team")
    route.add_argument("--type", required=True, choices=["incident", "question", "feature_request"])
    route.add_argument("--team", required=True)
    route.set_defaults(run=_route)

    export = commands.add_parser("export-schema", help="write schema.graphql from the code")
    export.add_argument("--output", default=str(SCHEMA_FILE))
    export.set_defaults(run=_export_schema)
    return parser


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("tortoise").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (ConfigError, DomainError) as error:
        sys.exit(f"support-desk: {error}")


if __name__ == "__main__":
    main()
