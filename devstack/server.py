"""The one ASGI app on the API port: /ws, @connections, /dev, and every other path for the Chalice app.

HTTP routes run in this process; websocket events go to the Lambda worker process (see lambda_worker)."""

from __future__ import annotations

from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from devstack.config import HOST, StackConfig
from devstack.connections_api import ConnectionsApi
from devstack.dev_routes import DevContext, DevRoutes
from devstack.gateway_http import HttpGateway
from devstack.gateway_ws import WebsocketGateway
from devstack.lambda_runtime import Invoker
from devstack.ws_registry import MAX_MESSAGE_BYTES


def build_app(config: StackConfig, app_module: Any, dev: DevContext) -> ASGIApp:
    invoker = Invoker(app_module)
    websockets = WebsocketGateway(
        dev.lambda_worker.websocket,
        frozenset(app_module.app.websocket_handlers),
        dev.registry,
        idle_timeout=config.ws_idle_timeout,
        max_duration=config.ws_max_duration,
    )
    routes: list[BaseRoute] = [WebSocketRoute("/ws", websockets.handle)]
    connections_api = ConnectionsApi(dev.registry)
    routes += connections_api.routes()
    routes += DevRoutes(dev).routes()
    # Everything else is the API, as API Gateway would route it: every path, even one whose decoded form
    # no route pattern matches (a %0A in a parameter), reaches the gateway (which answers problem+json).
    app = Starlette(routes=routes)
    app.router.redirect_slashes = False  # API Gateway does not redirect /a/ to /a: the app answers
    app.router.default = _to_gateway(HttpGateway(invoker), app.router.default)
    return connections_api.fast_post(app)


def _to_gateway(gateway: HttpGateway, default: ASGIApp) -> ASGIApp:
    async def unmatched(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await default(scope, receive, send)
            return
        response = await gateway.handle(Request(scope, receive))
        await response(scope, receive, send)

    return unmatched


def build_server(config: StackConfig, app: ASGIApp) -> uvicorn.Server:
    server_config = uvicorn.Config(
        app,
        host=HOST,
        port=config.port,
        ws="websockets-sansio",
        ws_max_size=MAX_MESSAGE_BYTES,  # bigger inbound messages close the socket (1009), as in AWS
        ws_ping_interval=None,  # API Gateway does not ping clients; it only answers their pings
        lifespan="off",
        log_level=config.log_level,
        access_log=config.log_level in ("debug", "info"),
        timeout_graceful_shutdown=5,
        server_header=False,
    )
    return uvicorn.Server(server_config)
