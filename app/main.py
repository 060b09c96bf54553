"""The ASGI application: GraphQL over HTTP and graphql-transport-ws on /graphql, and the
handler dashboard at /dashboard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from tortoise.contrib.starlette import RegisterTortoise

from app.config import Settings, use_settings
from app.dashboard import dashboard_app
from app.db import apply_migrations, readiness, tortoise_config
from app.graphql_app import GraphQLApp
from app.limits import BodySizeLimit
from app.schema import build_schema, schema
from app.schema.frames import ServerWebSocket
from app.services.brokers import make_broker
from app.services.feed import start_feed, stop_feed
from app.services.mail import start_mail, stop_mail


def create_migrated_app() -> Starlette:
    """The app for `support-desk serve`, which applied the migrations before starting
    its workers (several workers must not race to migrate)."""
    return create_app(migrate=False)


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> Starlette:
    settings = settings or Settings.from_env()
    use_settings(settings)
    graphql = GraphQLApp(
        schema if settings.introspection else build_schema(introspection=False),
        graphql_ide="graphiql" if settings.graphiql else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        connection_init_wait_timeout=settings.connection_init_timeout,
        allowed_origins=settings.allowed_origins,
        max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if migrate:
            await apply_migrations(settings)
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            await start_feed(
                make_broker(settings.database_url, settings.broker_url),
                queue_size=settings.feed_queue_size,
                retention=settings.feed_retention,
            )
            start_mail(settings.smtp_url, settings.mail_from, settings.mail_retry)
            try:
                yield
            finally:
                await stop_mail()
                await stop_feed()

    async def home(request: Request) -> Response:
        return RedirectResponse("/graphql")

    async def healthz(request: Request) -> Response:
        """The process is up and serving."""
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        """Ready for traffic: the database answers, no migration is pending, and the live
        feed's listener is connected."""
        checks = await readiness(settings)
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    return Starlette(
        routes=[
            Route("/", home),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Mount("/dashboard", app=dashboard_app(), name="dashboard"),
        ],
        middleware=[
            Middleware(ServerWebSocket),
            Middleware(BodySizeLimit),
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.allowed_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type"],
            ),
        ],
        lifespan=lifespan,
    )
