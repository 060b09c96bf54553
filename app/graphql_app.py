"""GraphQL over HTTP and graphql-transport-ws: authentication, request parsing and the
media types of the GraphQL-over-HTTP spec."""

from __future__ import annotations

from typing import Any

from cross_web import HTTPException, StarletteRequestAdapter
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.types import ExecutionResult

from app.schema.context import Context, Loaders
from app.schema.errors import UNAVAILABLE_MESSAGE, database_unavailable
from app.schema.frames import running_ws_operation
from app.services.actors import actor_from_token

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
INTERNAL = "INTERNAL_SERVER_ERROR"


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


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    """(range, q) of each media range of an Accept value; parameters other than q are
    ignored (both types we serve are UTF-8 JSON), a range with a malformed q is dropped."""
    ranges = []
    for part in accept.split(","):
        media_range, *params = (piece.strip() for piece in part.split(";"))
        if not media_range:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
        if 0.0 <= q <= 1.0:
            ranges.append((media_range.lower(), q))
    return ranges


def negotiate_media_type(accept: str | None) -> str | None:
    """The media type to answer with, or None when the client accepts neither we serve.

    Per the GraphQL-over-HTTP spec, no Accept header means application/json (older
    clients send none); each type takes the q of its most specific matching range
    (RFC 9110). When both are equally acceptable, an explicit graphql-response+json
    wins, but a bare */* or application/* gets application/json, which every client
    understands.
    """
    if accept is None or not accept.strip():
        return JSON
    ranges = _media_ranges(accept)
    best: tuple[float, int, int] | None = None
    chosen = None
    for candidate in (GRAPHQL_RESPONSE_JSON, JSON):
        main_type = candidate.split("/")[0]
        matches = [
            (specificity, q)
            for media_range, q in ranges
            for specificity, pattern in ((2, candidate), (1, f"{main_type}/*"), (0, "*/*"))
            if media_range == pattern
        ]
        if not matches:
            continue
        specificity, q = max(matches)
        preferred = int((candidate == GRAPHQL_RESPONSE_JSON) == (specificity == 2))
        rank = (q, specificity, preferred)
        if q > 0 and (best is None or rank > best):
            best, chosen = rank, candidate
    return chosen


def is_request_error(result: ExecutionResult) -> bool:
    """True when the request failed before execution (syntax, validation, variable
    coercion, limits): no data, and no error is a field error (those carry a path)."""
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or [])
    )


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, with a refusal past the subscription limit that names it, and
    shared feed results sent as ready-made frames (app/schema/execution.py)."""

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        running_ws_operation(operation, self)
        await super().run_operation(operation)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        limit = self.max_subscriptions_per_connection
        if self.connection_acknowledged and limit is not None and len(self.operations) >= limit:
            error = GraphQLError(
                f"This connection holds {limit} operations, the most one connection may: "
                "complete one first (MAX_SUBSCRIPTIONS_PER_CONNECTION)",
                extensions={"code": "BAD_REQUEST"},
            )
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [error.formatted]}
            )
            return
        await super().handle_subscribe(message)


class GraphQLApp(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler

    def parse_json(self, data: str | bytes) -> Any:
        """The request body as JSON; a 400 for any body that is not a JSON object or list."""
        try:
            decoded = self.decode_json(data)
        except ValueError:  # invalid JSON and invalid UTF-8 alike
            raise HTTPException(400, "Unable to parse request body as JSON") from None
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, "The request body must be a JSON object")
        return decoded

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        """Choose the response's media type from Accept before anything runs: a client
        that accepts neither type gets 406 and its operation is not executed."""
        sub_response = await super().get_sub_response(request)
        if isinstance(request, WebSocket):
            return sub_response
        media_type = negotiate_media_type(request.headers.get("accept"))
        if media_type is None:
            # A browser asking for GraphiQL accepts text/html only: let it have the page.
            if self.should_render_graphql_ide(StarletteRequestAdapter(request)):
                return sub_response
            raise HTTPException(
                406, f"Not Acceptable: send Accept: {GRAPHQL_RESPONSE_JSON} or {JSON}"
            )
        sub_response.media_type = media_type
        # process_result sees only the request: it sets the status through this.
        request.state.graphql_sub_response = sub_response
        return sub_response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """With application/graphql-response+json, a request that failed before execution
        answers 4xx and has no data entry, as the spec asks; application/json keeps 200,
        which older clients rely on to read the errors."""
        response = await super().process_result(request, result)
        internal = False
        for error in response.get("errors") or []:
            if isinstance(error, dict) and (error.get("extensions") or {}).get("code") == INTERNAL:
                # An exception raised by a schema extension's hook skips MaskErrors (it
                # masks on leaving the operation): its text must not reach the client.
                error["message"] = "Internal error"
                internal = True
        sub_response: Response | None = getattr(request.state, "graphql_sub_response", None)
        if (
            sub_response is not None
            and sub_response.media_type == GRAPHQL_RESPONSE_JSON
            and is_request_error(result)
        ):
            response.pop("data", None)
            # Bad input is the client's fault (400); a crash before execution is ours.
            sub_response.status_code = 500 if internal else 400
        return response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type:
            response.headers["content-type"] = sub_response.media_type
        # The body depends on Accept: caches must not serve one type to the other.
        response.headers.add_vary_header("Accept")
        return response

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        if isinstance(request, WebSocket):
            # One context per connection: the actor is set by connection_init, and
            # loaders must not cache across feed events.
            return Context(request=request, response=response, actor=None, loaders=Loaders(None))
        token = bearer_token(request.headers.get("authorization"))
        try:
            actor = await actor_from_token(token) if token else None
        except Exception as error:
            if database_unavailable(error):
                raise HTTPException(503, UNAVAILABLE_MESSAGE) from None
            raise
        return Context(request=request, response=response, actor=actor, loaders=Loaders(actor))

    async def on_ws_connect(self, context: Context) -> None:
        actor = await actor_from_token(token_from_connection_params(context.connection_params))
        if actor is None:
            raise ConnectionRejectionError()
        context.actor = actor
        context.loaders = Loaders(actor, cache=False)
