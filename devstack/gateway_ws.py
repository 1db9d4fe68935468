"""The websocket side of the local API Gateway, at /ws.

Connect, each message and disconnect become API Gateway websocket events for the app's `on_ws_*`
handlers, which run in the Lambda worker process (devstack/lambda_worker.py). As in AWS:
- the connection opens only if the $connect handler answers 2xx; otherwise the handshake is refused
  with the handler's status code (a 401 for a missing or bad token), and the client never gets a
  socket;
- messages are routed by `$request.body.action` (Chalice's route selection expression), falling back
  to $default; messages over 128 KB close the connection (1009);
- an idle connection (no message either way) is closed after the idle timeout (10 minutes), any
  connection after 2 hours, both with 1001 "Going away";
- $disconnect runs after the socket closed, whoever closed it; posting to it then answers 410.
Messages of one connection are handled one after the other, in order.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from devstack.gateway_http import API_ID, STAGE
from devstack.ws_registry import LiveConnection, Registry, new_connection_id

log = logging.getLogger("devstack.ws")

CLOSE_GOING_AWAY = 1001
CLOSE_INTERNAL_ERROR = 1011
Invoke = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any] | None]]  # (route key, event) -> result


def _now() -> datetime:
    return datetime.now(UTC)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class WebsocketGateway:
    def __init__(
        self,
        invoke: Invoke,
        route_keys: Collection[str],
        registry: Registry,
        *,
        idle_timeout: float,
        max_duration: float,
    ) -> None:
        self._invoke = invoke
        self.route_keys = route_keys
        self.registry = registry
        self.idle_timeout = idle_timeout
        self.max_duration = max_duration

    # -- events -----------------------------------------------------------------------------------

    def _context(
        self, websocket: WebSocket, connection_id: str, connected_at: datetime, **extra: Any
    ) -> dict[str, Any]:
        now = _now()
        request_id = str(uuid.uuid4())
        return {
            "extendedRequestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "messageDirection": "IN",
            "stage": STAGE,
            "connectedAt": _ms(connected_at),
            "requestTimeEpoch": _ms(now),
            "identity": {
                "sourceIp": websocket.client.host if websocket.client else "127.0.0.1",
                "userAgent": websocket.headers.get("user-agent"),
            },
            "requestId": request_id,
            "domainName": websocket.url.netloc,
            "connectionId": connection_id,
            "apiId": API_ID,
            **extra,
        }

    @staticmethod
    def _headers(websocket: WebSocket) -> tuple[dict[str, str], dict[str, list[str]]]:
        multi: dict[str, list[str]] = {}
        for name, value in websocket.scope["headers"]:
            multi.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
        return {k: v[-1] for k, v in multi.items()}, multi

    def connect_event(self, websocket: WebSocket, connection_id: str, connected_at: datetime) -> dict[str, Any]:
        headers, multi_headers = self._headers(websocket)
        multi_query: dict[str, list[str]] = {}
        for name, value in parse_qsl(
            websocket.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
        ):
            multi_query.setdefault(name, []).append(value)
        context = self._context(websocket, connection_id, connected_at, routeKey="$connect", eventType="CONNECT")
        return {
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "requestContext": context,
            "isBase64Encoded": False,
        }

    def message_event(self, live: LiveConnection, route_key: str, body: str, is_base64: bool) -> dict[str, Any]:
        context = self._context(
            live.websocket,
            live.connection_id,
            live.connected_at,
            routeKey=route_key,
            eventType="MESSAGE",
            messageId=base64.b64encode(uuid.uuid4().bytes[:10]).decode(),
        )
        return {"requestContext": context, "body": body, "isBase64Encoded": is_base64}

    def disconnect_event(self, live: LiveConnection, code: int, reason: str) -> dict[str, Any]:
        headers, multi_headers = self._headers(live.websocket)
        context = self._context(
            live.websocket,
            live.connection_id,
            live.connected_at,
            routeKey="$disconnect",
            eventType="DISCONNECT",
            disconnectStatusCode=code,
            disconnectReason=reason,
        )
        return {
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "requestContext": context,
            "isBase64Encoded": False,
        }

    def _route_key(self, body: str) -> str:
        with contextlib.suppress(ValueError):
            action = json.loads(body).get("action") if body.lstrip().startswith("{") else None
            if isinstance(action, str) and action in self.route_keys:
                return action
        return "$default"

    # -- lifecycle --------------------------------------------------------------------------------

    async def handle(self, websocket: WebSocket) -> None:
        connection_id = new_connection_id()
        connected_at = _now()
        try:
            result = await self._invoke("$connect", self.connect_event(websocket, connection_id, connected_at))
        except Exception:
            log.exception("$connect handler failed")
            result = {"statusCode": 500, "body": json.dumps({"message": "Internal server error"})}
        status = int((result or {}).get("statusCode", 200))
        if not 200 <= status < 300:
            await self._refuse(websocket, status, (result or {}).get("body"))
            return
        live = LiveConnection(
            connection_id=connection_id,
            websocket=websocket,
            source_ip=websocket.client.host if websocket.client else "127.0.0.1",
            user_agent=websocket.headers.get("user-agent"),
            connected_at=connected_at,
        )
        code, reason = 1006, "Client went away during the handshake"
        watchdog: asyncio.Task[None] | None = None
        try:
            await websocket.accept()
            self.registry.add(live)
            watchdog = asyncio.create_task(self._watch(live))
            code, reason = await self._serve(live)
        except (OSError, RuntimeError, WebSocketDisconnect):
            pass  # the client left before the socket opened: $connect ran, so $disconnect runs too
        finally:
            if watchdog is not None:
                watchdog.cancel()
            self.registry.remove(connection_id)
            if live.close_code is not None:  # the server closed it: report why, as API Gateway does
                code, reason = live.close_code, live.close_reason
            try:
                await self._invoke("$disconnect", self.disconnect_event(live, code, reason))
            except Exception:
                log.exception("$disconnect handler failed")

    async def _refuse(self, websocket: WebSocket, status: int, body: Any) -> None:
        """Answer the handshake with the handler's status, as API Gateway does."""
        text = body if isinstance(body, str) else json.dumps(body or {"message": "Forbidden"})
        media = "application/json" if text.lstrip().startswith(("{", "[")) else "text/plain"
        try:
            await websocket.send_denial_response(Response(text, status_code=status, media_type=media))
        except RuntimeError:  # the server lacks the denial extension: refuse with a close instead
            await websocket.close(code=4000 + status if status < 1000 else 1008)

    async def _serve(self, live: LiveConnection) -> tuple[int, str]:
        """Receive until the socket closes; returns the close code and reason."""
        while True:
            try:
                message = await live.websocket.receive()
            except WebSocketDisconnect as exc:
                return exc.code, exc.reason or f"Client-side close frame status code {exc.code}"
            except RuntimeError:  # closed by us meanwhile
                return live.close_code or CLOSE_GOING_AWAY, live.close_reason
            if message["type"] == "websocket.disconnect":
                code = int(message.get("code", 1005))
                return code, message.get("reason") or f"Client-side close frame status code {code}"
            live.touch()
            await self._handle(live, message)

    async def _handle(self, live: LiveConnection, message: Mapping[str, Any]) -> None:
        if message.get("text") is not None:
            body, is_base64 = str(message["text"]), False
        else:
            body, is_base64 = base64.b64encode(message.get("bytes") or b"").decode("ascii"), True
        route_key = "$default" if is_base64 else self._route_key(body)
        try:
            await self._invoke(route_key, self.message_event(live, route_key, body, is_base64))
        except Exception:  # Lambda would log it; the client hears nothing, as in AWS
            log.exception("websocket handler %s failed", route_key)

    async def _watch(self, live: LiveConnection) -> None:
        """Close the connection when idle too long or open too long."""
        while True:
            now = _now()
            idle_left = self.idle_timeout - (now - live.last_active_at).total_seconds()
            age_left = self.max_duration - (now - live.connected_at).total_seconds()
            if idle_left <= 0 or age_left <= 0:
                self.registry.remove(live.connection_id)
                await live.close(CLOSE_GOING_AWAY, "Going away")
                return
            await asyncio.sleep(min(idle_left, age_left, 1.0) + 0.01)
