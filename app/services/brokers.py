"""Brokers that wake the feed hubs: in-process, PostgreSQL LISTEN/NOTIFY, or Redis pub/sub.

They carry wake-ups only; the feed_events table holds the events themselves, so a
wake-up lost while a listener reconnects costs a little delay, never an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg
import redis.asyncio as redis
from tortoise.backends.base.client import BaseDBAsyncClient

logger = logging.getLogger(__name__)

CHANNEL = "support_desk_feed"
# Names the LISTEN connection in pg_stat_activity, for operators (and the fault tests).
LISTENER_APPLICATION_NAME = "support-desk feed listener"
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 30.0
KEEPALIVE = 10.0


class LocalBroker:
    """One process (SQLite, or tests): the hub is woken directly after commit."""

    def __init__(self) -> None:
        self._wake: Callable[[], None] | None = None

    async def announce(self, connection: BaseDBAsyncClient, position: int) -> None:
        return None

    async def committed(self, position: int) -> None:
        if self._wake is not None:
            self._wake()

    async def listen(self, wake: Callable[[], None]) -> None:
        self._wake = wake
        wake()
        await asyncio.Event().wait()


class PostgresBroker:
    """NOTIFY inside the submitting transaction; one LISTEN connection per process."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self.connected = False

    async def announce(self, connection: BaseDBAsyncClient, position: int) -> None:
        await connection.execute_query("SELECT pg_notify($1, $2)", [CHANNEL, str(position)])

    async def committed(self, position: int) -> None:
        return None  # NOTIFY reaches every listener, this process's included

    async def listen(self, wake: Callable[[], None]) -> None:
        delay = BACKOFF_FIRST
        while True:
            try:
                connection = await asyncpg.connect(
                    self._dsn,
                    timeout=10,
                    server_settings={"application_name": LISTENER_APPLICATION_NAME},
                )
            except (OSError, asyncpg.PostgresError, TimeoutError) as error:
                logger.warning(
                    "feed listener: cannot connect (%s); retrying in %.1fs", error, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            delay = BACKOFF_FIRST
            try:
                await self._listen_on(connection, wake)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
                logger.warning("feed listener: connection lost (%s); reconnecting", error)
            finally:
                self.connected = False
                with contextlib.suppress(Exception):
                    await connection.close(timeout=2)

    async def _listen_on(self, connection: asyncpg.Connection, wake: Callable[[], None]) -> None:
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        await connection.add_listener(CHANNEL, lambda *_: wake())
        self.connected = True
        wake()  # catch up on whatever was committed while not listening
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), KEEPALIVE)
            if not lost.is_set():
                await connection.execute("SELECT 1", timeout=KEEPALIVE)  # notices a dead link
        # Terminated by the server (restart, pg_terminate_backend): say so, then reconnect.
        logger.warning("feed listener: connection closed by the server; reconnecting")


class RedisBroker:
    """PUBLISH after commit; one subscribed connection per process."""

    def __init__(self, url: str) -> None:
        self._client = redis.from_url(url)
        self.connected = False

    async def announce(self, connection: BaseDBAsyncClient, position: int) -> None:
        return None

    async def committed(self, position: int) -> None:
        try:
            await self._client.publish(CHANNEL, str(position))
        except (redis.RedisError, OSError) as error:
            # The hubs' periodic poll still finds the event.
            logger.warning("feed: could not publish to Redis (%s)", error)

    async def listen(self, wake: Callable[[], None]) -> None:
        delay = BACKOFF_FIRST
        while True:
            pubsub = self._client.pubsub()
            try:
                await pubsub.subscribe(CHANNEL)
                self.connected = True
                delay = BACKOFF_FIRST
                wake()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        wake()
            except (redis.RedisError, OSError) as error:
                logger.warning("feed listener: Redis lost (%s); retrying in %.1fs", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
            finally:
                self.connected = False
                with contextlib.suppress(Exception):
                    await pubsub.aclose()


def make_broker(database_url: str, broker_url: str) -> LocalBroker | PostgresBroker | RedisBroker:
    """Redis when BROKER_URL says so; else NOTIFY on PostgreSQL; else in-process (SQLite)."""
    if broker_url:
        return RedisBroker(broker_url)
    if database_url.startswith(("postgres://", "postgresql://")):
        return PostgresBroker(database_url)
    return LocalBroker()
