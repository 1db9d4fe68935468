"""The websocket routes: connect (authenticate `?token=`), message (dispatch `action`), disconnect.

app.py declares the three `@app.on_ws_*` handlers (Chalice leaves them unwrapped on a Blueprint),
each delegating here in one line. Client-to-server frames are `{"action": "...", ...}`; answers go
back through the realtime sender as `{"type": "...", "data": {...}}` frames, like every other push.
Capabilities add their actions to `ACTIONS` (the chat issue: send, typing, read).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalice import Response
from chalice.app import WebsocketEvent

from chalicelib.core import auth, clock, connections, realtime
from chalicelib.core.exceptions import ProblemError
from chalicelib.core.observability import logger

MAX_INBOUND_BYTES = 32 * 1024  # one client frame; API Gateway itself refuses messages over 128 KB


@dataclass(frozen=True)
class Inbound:
    """One client frame, with the connection it came from."""

    connection_id: str
    action: str
    body: dict[str, Any]


Action = Callable[[Inbound], None]


def _reply(connection_id: str, type_: str, data: dict[str, Any]) -> None:
    realtime.send_to_connections([connection_id], realtime.frame(type_, data))


def _error(connection_id: str, code: str, message: str) -> None:
    _reply(connection_id, "error", {"code": code, "message": message})


def _ping(inbound: Inbound) -> None:
    data: dict[str, Any] = {"server_time": clock.to_wire(clock.now())}
    if "id" in inbound.body:  # echo the client's correlation id, if any
        data["id"] = inbound.body["id"]
    _reply(inbound.connection_id, "pong", data)


ACTIONS: dict[str, Action] = {"ping": _ping}


def _token(event: WebsocketEvent) -> str | None:
    query = event.to_dict().get("queryStringParameters") or {}
    token = query.get("token")
    return str(token) if token else None


def on_connect(event: WebsocketEvent) -> Response | None:
    """Accept the connection only with a valid `?token=`; remember whose it is."""
    realtime.learn_endpoint(event.domain_name, event.stage)
    token = _token(event)
    if token is None:
        return Response(body={"code": "missing_token"}, status_code=401)
    try:
        principal = auth.principal_from_token(token)
    except ProblemError as error:
        return Response(body={"code": error.code, "detail": error.detail}, status_code=error.status)
    connections.register(event.connection_id, principal.user_id)
    logger.info("websocket connected", extra={"connection_id": event.connection_id, "user_id": principal.user_id})
    return None


def _parse(event: WebsocketEvent) -> Inbound | str:
    """The frame, or the reason it is not one."""
    if len(event.body.encode()) > MAX_INBOUND_BYTES:
        return f"frames are limited to {MAX_INBOUND_BYTES} bytes"
    try:
        body = json.loads(event.body)
    except ValueError:
        return 'frames are JSON objects like {"action": "ping"}'
    if not isinstance(body, dict) or not isinstance(body.get("action"), str):
        return "frames are JSON objects with a string 'action'"
    return Inbound(connection_id=event.connection_id, action=body["action"], body=body)


def on_message(event: WebsocketEvent) -> None:
    realtime.learn_endpoint(event.domain_name, event.stage)
    inbound = _parse(event)
    if isinstance(inbound, str):
        _error(event.connection_id, "malformed_frame", inbound)
        return
    action = ACTIONS.get(inbound.action)
    if action is None:
        known = ", ".join(sorted(ACTIONS))
        _error(event.connection_id, "unknown_action", f"unknown action {inbound.action!r}; use one of: {known}")
        return
    try:
        action(inbound)
    except ProblemError as error:
        _error(event.connection_id, error.code, error.detail)
    except Exception:
        logger.exception("websocket action %s failed", inbound.action)
        _error(event.connection_id, "internal_error", "Something went wrong on our side.")


def on_disconnect(event: WebsocketEvent) -> None:
    connections.drop(event.connection_id)
    logger.info("websocket disconnected", extra={"connection_id": event.connection_id})
