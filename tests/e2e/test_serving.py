"""How the dashboard is served: at /dashboard, under a strict Content-Security-Policy, with
the vendored graphql-ws build matching the pinned npm package."""

from __future__ import annotations

import subprocess
import sys

import httpx

from app.dashboard import content_security_policy
from tests.conftest import Server
from tests.servers import REPO


async def test_the_page_is_served_under_a_strict_policy(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        redirect = await http.get("/dashboard")
        assert redirect.status_code in (307, 308)
        assert redirect.headers["location"].endswith("/dashboard/")
        page = await http.get("/dashboard/")
        script = await http.get("/dashboard/js/main.js")
        missing = await http.get("/dashboard/nothing-here.js")
    assert page.status_code == 200
    assert "<main" in page.text
    host = server.url.removeprefix("http://")
    policy = page.headers["content-security-policy"]
    assert policy == content_security_policy(host)
    assert "script-src 'self';" in policy
    assert "default-src 'none';" in policy
    assert f"connect-src 'self' ws://{host} wss://{host};" in policy
    assert "unsafe" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["content-security-policy"] == policy
    assert missing.status_code == 404


def test_an_odd_host_header_never_reaches_the_policy() -> None:
    policy = content_security_policy("evil.example; script-src *")
    assert "evil" not in policy
    assert "connect-src 'self';" in policy


def test_the_vendored_graphql_ws_is_the_pinned_package() -> None:
    check = subprocess.run(
        [sys.executable, str(REPO / "scripts/vendor-graphql-ws"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
