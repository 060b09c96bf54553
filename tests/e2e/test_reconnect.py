"""The server restarts under an open dashboard: the page says it is offline, reconnects by
itself and catches up with the last cursor, every ticket shown once.

Real `support-desk serve` processes (tests/servers.py) on one database, one after the other,
behind one address: a small TCP gateway that the browser connects to, forwarding to whichever
server runs and refusing connections while none does (as a stopped server's port does). It is
closed from just before the first server stops until a ticket has been submitted to the second,
so that this ticket can only reach the page by the resumed subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from tests.e2e.conftest import row, sign_in
from tests.servers import SEED_PASSWORD, Spec, Submitter, fresh_database, seed, server_env, serving


class Gateway:
    """One loopback address in front of the server of the moment."""

    def __init__(self) -> None:
        self.target: int | None = None
        self.listener: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        assert self.listener is not None
        return f"http://127.0.0.1:{self.listener.sockets[0].getsockname()[1]}"

    async def start(self) -> None:
        self.listener = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    def forward_to(self, port: int | None) -> None:
        """Send new connections to port; None refuses them and cuts the open ones."""
        self.target = port
        if port is None:
            for writer in list(self.links):
                writer.close()

    async def stop(self) -> None:
        self.forward_to(None)
        assert self.listener is not None
        self.listener.close()
        await self.listener.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.target is None:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            return
        self.links.update((writer, up_writer))
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self.links.difference_update((writer, up_writer))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()


@contextlib.asynccontextmanager
async def database_like(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database of its own for the serve processes, of the suite's current kind."""
    if backend.startswith("sqlite"):
        yield f"sqlite://{tmp_path / 'restart.sqlite3'}"
    else:
        async with fresh_database(backend) as url:
            yield url


async def test_after_a_restart_the_page_catches_up_once(
    page: Page, backend: str, tmp_path: Path
) -> None:
    gateway = Gateway()
    await gateway.start()
    async with (
        database_like(backend, tmp_path) as url,
        httpx.AsyncClient(timeout=10, trust_env=False) as http,
    ):
        people = await seed(url)
        submitter = Submitter(http, people["alice"])
        env = server_env(url)
        try:
            async with serving([Spec("first", env)], tmp_path) as [first]:
                gateway.forward_to(first.port)
                await sign_in(page, gateway.url, "support1@example.com", SEED_PASSWORD)
                await expect(page.get_by_role("heading", name="Queue")).to_be_visible()
                await expect(page.locator(".live")).to_have_text("Live")
                await page.evaluate("window.sameDocument = true")
                before = await submitter.open(first, "Submitted before the restart")
                await expect(row(page, before)).to_be_visible()  # live, and its cursor kept
                gateway.forward_to(None)
            await expect(page.locator(".offline-banner")).to_contain_text("Offline since")

            async with serving([Spec("second", env)], tmp_path) as [second]:
                meanwhile = await submitter.open(second, "Submitted while the page was offline")
                await expect(row(page, meanwhile)).to_have_count(0)
                gateway.forward_to(second.port)

                # Backoff waits up to ~12 s between attempts: give it time, measure nothing.
                await expect(row(page, meanwhile)).to_be_visible(timeout=40_000)
                await expect(page.locator(".offline-banner")).to_be_hidden()
                after = await submitter.open(second, "Submitted after the reconnection")
                await expect(row(page, after)).to_be_visible()
                # Any replayed duplicate would have come before the live ticket after it.
                for number in (before, meanwhile, after):
                    await expect(row(page, number)).to_have_count(1)
                assert await page.evaluate("window.sameDocument") is True
        finally:
            await gateway.stop()
