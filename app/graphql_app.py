"""GraphQL over HTTP and graphql-transport-ws: authentication and request parsing."""

from __future__ import annotations

from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from app.schema.context import Context, Loaders
from app.services.actors import actor_from_token


def bearer_token(value: object) -> str | None:
    """The token of an 'Authorization: Bearer <token>' value."""
    if not isinstance(value, str):
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def token_from_connection_params(params: object) -> str | None:
    """{"Authorization": "Bearer <token>"} (any case of the key) or {"authToken": "<token>"}."""
    if not isinstance(params, dict):
        return None
    for key, value in params.items():
        if isinstance(key, str) and key.lower() == "authorization":
            return bearer_token(value)
    token = params.get("authToken")
    return token if isinstance(token, str) and token else None


class GraphQLApp(GraphQL[Context, None]):
    def parse_json(self, data: str | bytes) -> Any:
        """The request body as JSON; a 400 for any body that is not a JSON object or list."""
        try:
            decoded = self.decode_json(data)
        except ValueError:  # invalid JSON and invalid UTF-8 alike
            raise HTTPException(400, "Unable to parse request body as JSON") from None
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, "The request body must be a JSON object")
        return decoded

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        if isinstance(request, WebSocket):
            # One context per connection: the actor is set by connection_init, and
            # loaders must not cache across feed events.
            return Context(request=request, response=response, actor=None, loaders=Loaders(None))
        token = bearer_token(request.headers.get("authorization"))
        actor = await actor_from_token(token) if token else None
        return Context(request=request, response=response, actor=actor, loaders=Loaders(actor))

    async def on_ws_connect(self, context: Context) -> None:
        actor = await actor_from_token(token_from_connection_params(context.connection_params))
        if actor is None:
            raise ConnectionRejectionError()
        context.actor = actor
        context.loaders = Loaders(actor, cache=False)
