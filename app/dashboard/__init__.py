"""The handler dashboard: static files served at /dashboard under a strict Content-Security-Policy.

The page speaks only the public GraphQL API (HTTP and graphql-transport-ws on /graphql), so
this module serves files and sets headers, nothing more.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.datastructures import Headers, MutableHeaders
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(__file__).parent / "static"
# A Host header of this form may go into connect-src; anything else falls back to 'self'.
PLAIN_HOST = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def content_security_policy(host: str | None) -> str:
    """Scripts, styles, images and connections from the service itself only; the websocket
    of the same host named explicitly, for browsers whose 'self' does not cover ws/wss."""
    connect = "'self'"
    if host and PLAIN_HOST.match(host):
        connect += f" ws://{host} wss://{host}"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


class SecurityHeaders:
    """Adds the dashboard's security headers to every response of the wrapped app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        host = Headers(scope=scope).get("host")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = content_security_policy(host)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["Cache-Control"] = "no-cache"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def dashboard_app() -> ASGIApp:
    """The static page, index.html for the folder itself."""
    return SecurityHeaders(StaticFiles(directory=STATIC, html=True))
