"""Ready-made graphql-transport-ws `next` messages, for results encoded once and sent to
many subscribers (app/schema/execution.py, shared results).

Waking each subscriber's task and passing each message through Starlette's WebSocket and
uvicorn's ASGI `send` were over a third of a delivery's cost at 5,000 subscribers
(docs/benchmarks.md). `NextFrames.send_now` writes the message to uvicorn's own
websockets connection instead, the object its ASGI `send` uses, synchronously: the feed's
hub calls it for each subscriber without waking the subscriber's task. On a connection
without compression the frame is made by websockets once per event and message start;
with compression, which keeps state per connection, the connection makes it. It sends
only while the socket is not backed up, so that flow control stays uvicorn's: otherwise
the message waits in the subscriber's bounded queue and goes the ordinary way, which
waits for the socket to drain.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect
from strawberry.http.exceptions import WebSocketDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.frames import Frame, Opcode
from websockets.protocol import State

if TYPE_CHECKING:
    from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
        BaseGraphQLTransportWSHandler,
        Operation,
    )

# Where ServerWebSocket leaves uvicorn's connection in a websocket's scope.
SERVER_CONNECTION = "support_desk.server_websocket"
# What NextFrames uses of it: internals of uvicorn, so a release without one of them leaves
# every message to the ordinary way rather than failing on each.
CONNECTION_PARTS = ("conn", "transport", "writable", "close_sent", "disconnected")
# Each graphql-transport-ws operation runs in an asyncio task of its own.
_frames: ContextVar[NextFrames] = ContextVar("next_frames")


class ServerWebSocket:
    """ASGI middleware, outermost: keeps uvicorn's websocket connection in the scope. The
    `send` uvicorn passes to the application is that connection's bound method; the
    middlewares inside wrap it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            connection = getattr(send, "__self__", None)
            if isinstance(connection, WebSocketsSansIOProtocol) and all(
                hasattr(connection, part) for part in CONNECTION_PARTS
            ):
                scope[SERVER_CONNECTION] = connection
        await self.app(scope, receive, send)


class NextFrames:
    """The `next` messages of one graphql-transport-ws operation, from JSON payloads."""

    def __init__(
        self,
        operation: Operation[Any, Any],
        handler: BaseGraphQLTransportWSHandler[Any, Any],
    ) -> None:
        self.operation = operation
        self.handler = handler
        self.websocket = handler.websocket.ws  # type: ignore[attr-defined]
        self.connection: WebSocketsSansIOProtocol | None = self.websocket.scope.get(
            SERVER_CONNECTION
        )
        self.prefix = f'{{"id":{json.dumps(operation.id)},"type":"next","payload":'.encode()

    @property
    def direct(self) -> bool:
        """Whether send_now can send at all: served by uvicorn's websockets connection."""
        return self.connection is not None

    @property
    def running(self) -> bool:
        """Neither side has ended the operation (a client's `complete` frees its id at
        once, for another operation to take)."""
        operation = self.operation
        return not operation.completed and self.handler.operations.get(operation.id) is operation

    def send_now(self, payload: bytes) -> bool:
        """Send at once, from any task; False when the message must wait: the operation
        ended, the socket is closing, or its write buffer is above uvicorn's limit."""
        connection = self.connection
        if (
            connection is None
            or not self.running
            or connection.close_sent
            or connection.disconnected
            or not connection.writable.is_set()
            or connection.transport.is_closing()
        ):
            return False
        conn = connection.conn
        if conn.extensions:  # compression keeps state per connection: its own frame
            try:
                conn.send_text(b"".join((self.prefix, payload, b"}")))
            except InvalidState:  # the client's close frame came in meanwhile
                return False
            connection.transport.write(b"".join(conn.data_to_send()))
        elif conn.state is State.OPEN:
            connection.transport.write(_plain_frame(self.prefix, payload))
        else:
            return False
        return True

    async def send(self, payload: bytes) -> bool:
        """Send from the operation's own task, waiting while the socket is backed up;
        False when the operation has ended."""
        if not self.running:
            return False
        if self.send_now(payload):
            return True
        message = b"".join((self.prefix, payload, b"}")).decode()
        try:
            await self.websocket.send_text(message)
        except WebSocketDisconnect as error:  # as Strawberry's own sending reports it
            raise WebSocketDisconnected from error
        return True


# The frames of the last payload sent, by message prefix: the hub sends one event's payload
# to thousands of operations in a row, most of them with the same id.
_last_frames: tuple[bytes, dict[bytes, bytes]] = (b"", {})


def _plain_frame(prefix: bytes, payload: bytes) -> bytes:
    """The websocket frame of a `next` message, on a connection without extensions."""
    global _last_frames
    made, frames = _last_frames
    if made is not payload:
        frames = {}
        _last_frames = (payload, frames)
    frame = frames.get(prefix)
    if frame is None:
        message = b"".join((prefix, payload, b"}"))
        frame = frames[prefix] = Frame(Opcode.TEXT, message).serialize(mask=False, extensions=[])
    return frame


def running_ws_operation(
    operation: Operation[Any, Any], handler: BaseGraphQLTransportWSHandler[Any, Any]
) -> None:
    """Called by the websocket handler at the start of each operation's task."""
    _frames.set(NextFrames(operation, handler))


def current_frames() -> NextFrames | None:
    """The messages of the graphql-transport-ws operation this task runs, if any."""
    return _frames.get(None)
