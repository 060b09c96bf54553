"""A real SMTP server for the tests (aiosmtpd), that they can stop and start again."""

from __future__ import annotations

import asyncio
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class Mailbox:
    """Every message the server accepted, parsed; start() and stop() simulate an outage."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.messages: list[EmailMessage] = []
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted"

    def about(self, token: str) -> list[EmailMessage]:
        """The messages whose subject or body mention token (each test uses its own)."""
        return [
            m
            for m in self.messages
            if token in str(m["Subject"]) or token in m.get_body().get_content()  # type: ignore[union-attr]
        ]

    async def wait_for(self, token: str, count: int, seconds: float = 10) -> list[EmailMessage]:
        for _ in range(int(seconds / 0.05)):
            if len(self.about(token)) >= count:
                break
            await asyncio.sleep(0.05)
        found = self.about(token)
        assert len(found) >= count, f"{len(found)} of {count} messages about {token!r}"
        return found
