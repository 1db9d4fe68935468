"""The API Gateway management API (@connections) of the local gateway, for the app's unchanged boto3
`apigatewaymanagementapi` client (endpoint: the API's own address, WEBSOCKET_MANAGEMENT_URL).

POST delivers the body as one frame to the socket, GET describes the connection, DELETE closes it.
Errors are shaped so botocore raises the same exceptions as in AWS: GoneException (410) for a
closed or unknown connection, PayloadTooLargeException (413) over 128 KB. Requests are signed by
boto3; the signature is not checked (local only).
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from devstack.ws_registry import Gone, Registry, TooLarge


def _error(status: int, error_type: str, message: str | None) -> Response:
    return Response(
        json.dumps({"message": message}),
        status_code=status,
        media_type="application/json",
        headers={"x-amzn-ErrorType": error_type},
    )


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ConnectionsApi:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def fast_post(self, app: ASGIApp) -> ASGIApp:
        """`app`, with POST @connections answered before Starlette's routing and request objects:
        a fan-out to 500 connections is 500 such posts, so each should cost the stack little CPU."""

        async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
            path = scope.get("path", "")
            if scope["type"] != "http" or scope["method"] != "POST" or "/@connections/" not in path:
                await app(scope, receive, send)
                return
            connection_id = unquote(path.rsplit("/@connections/", 1)[1])
            body = b""
            more = True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
            try:
                await self.registry.post(connection_id, body)
                status, headers, payload = 200, [], b""
            except Gone:
                status, headers, payload = 410, [(b"x-amzn-errortype", b"GoneException")], b'{"message":null}'
            except TooLarge as exc:
                detail = json.dumps({"message": f"Message too long: {exc}"}).encode()
                status, headers, payload = 413, [(b"x-amzn-errortype", b"PayloadTooLargeException")], detail
            headers += [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": payload})

        return asgi

    def routes(self) -> list[Route]:
        methods = ["POST", "GET", "DELETE"]
        return [
            Route("/@connections/{connection_id}", self.handle, methods=methods),
            # The same with a stage prefix, as the endpoint https://<domain>/<stage> produces.
            Route("/{stage}/@connections/{connection_id}", self.handle, methods=methods),
        ]

    async def handle(self, request: Request) -> Response:
        connection_id = request.path_params["connection_id"]
        try:
            if request.method == "POST":
                await self.registry.post(connection_id, await request.body())
                return Response(status_code=200)
            if request.method == "DELETE":
                await self.registry.delete(connection_id)
                return Response(status_code=204)
            live = self.registry.get(connection_id)
        except Gone:
            return _error(410, "GoneException", None)
        except TooLarge as exc:
            return _error(413, "PayloadTooLargeException", f"Message too long: {exc}")
        info = {  # the wire names of API Gateway's GetConnection output
            "connectedAt": _iso(live.connected_at),
            "identity": {"sourceIp": live.source_ip, "userAgent": live.user_agent},
            "lastActiveAt": _iso(live.last_active_at),
        }
        return Response(json.dumps(info), media_type="application/json")
