"""The operator's commands, run as an administrator would, against the test database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from app.models import Membership, RoutingRule, Team, User
from app.models.enums import Role, TeamKind, TicketType


async def run(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "cli-test-secret"}
    command = [sys.executable, "-m", "app.cli", *args]
    return await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=60, check=False
    )


async def test_bootstrap_commands_are_idempotent(backend: str) -> None:
    for _ in range(2):
        for name, kind in (("Support", "internal"), ("Hosting", "external")):
            done = await run(backend, "create-team", "--name", name, "--kind", kind)
            assert done.returncode == 0, done.stderr
        created = await run(
            backend,
            "create-user",
            "--email",
            "Sam@Example.com",
            "--name",
            "Sam",
            "--role",
            "handler",
            "--team",
            "Support",
            "--team",
            "Hosting",
            "--password",
            "long-enough-password",
        )
        assert created.returncode == 0, created.stderr
        routed = await run(backend, "route", "--type", "incident", "--team", "Support")
        assert routed.returncode == 0, routed.stderr
    teams = await Team.all().order_by("name").values_list("name", "kind")
    assert teams == [("Hosting", TeamKind.EXTERNAL), ("Support", TeamKind.INTERNAL)]
    assert await User.all().values_list("email", "role") == [("sam@example.com", Role.HANDLER)]
    assert await Membership.all().count() == 2
    assert await RoutingRule.all().values_list("ticket_type", flat=True) == [TicketType.INCIDENT]


async def test_route_moves_a_type_to_another_team(backend: str) -> None:
    await run(backend, "create-team", "--name", "Support", "--kind", "internal")
    await run(backend, "create-team", "--name", "Product", "--kind", "internal")
    await run(backend, "route", "--type", "question", "--team", "Support")
    await run(backend, "route", "--type", "question", "--team", "Product")
    rule = await RoutingRule.get(ticket_type=TicketType.QUESTION).prefetch_related("team")
    assert rule.team.name == "Product"
    assert await RoutingRule.all().count() == 1


async def test_unknown_team_is_a_clear_error(backend: str) -> None:
    result = await run(backend, "route", "--type", "incident", "--team", "Nobody")
    assert result.returncode != 0
    assert "no team named 'Nobody'" in result.stderr
    assert "Traceback" not in result.stderr


async def test_a_short_password_is_refused_and_nothing_is_created(backend: str) -> None:
    result = await run(
        backend,
        "create-user",
        "--email",
        "a@example.com",
        "--name",
        "A",
        "--role",
        "requester",
        "--password",
        "short",
    )
    assert result.returncode != 0
    assert "password must be between 8" in result.stderr
    assert await User.all().count() == 0


async def test_migrate_on_a_new_sqlite_file_in_a_new_folder(tmp_path: Path) -> None:
    database = tmp_path / "nested" / "folder" / "desk.sqlite3"
    for _ in range(2):
        result = await run(f"sqlite://{database}", "migrate")
        assert result.returncode == 0, result.stderr
    assert database.exists()


async def test_export_schema_writes_the_sdl(tmp_path: Path, backend: str) -> None:
    target = tmp_path / "schema.graphql"
    result = await run(backend, "export-schema", "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert "type Ticket implements Node" in target.read_text()
