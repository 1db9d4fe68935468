"""The websocket routes: connect (authenticate `?token=`), message (dispatch `action`), disconnect.

app.py declares the three `@app.on_ws_*` handlers (Chalice leaves them unwrapped on a Blueprint),
each delegating here in one line. Client-to-server frames are `{"action": "...", ...}`; answers go
back through the realtime sender as `{"type": "...", "data": {...}}` frames, like every other push.
Capabilities add their actions to `ACTIONS`. Chat's:

- `{"action": "send", "conversation_id", "client_msg_id", "body", "reply_to"?, "attachments"?}`: the
  same service as POST /v1/conversations/{id}/messages; this socket gets `message.sent` (the ack,
  naming client_msg_id), every other connection of the members `message.created`.
- `{"action": "typing", "conversation_id"}`: a `typing` frame to the other members; not stored, at
  most one per connection every 3 seconds (more are dropped silently).
- `{"action": "read", "conversation_id", "message_id"}`: as POST .../read; `read` frames follow.

A refused action answers an `error` frame: `{"code", "message"}` plus `errors` (invalid fields),
`retry_after` (rate limited) and the frame's `client_msg_id`, when there are any.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalice import Response
from chalice.app import WebsocketEvent

from chalicelib.core import auth, clock, connections, realtime
from chalicelib.core.exceptions import ProblemError, Unauthorized
from chalicelib.core.lazy import lazy_import
from chalicelib.core.observability import logger

if TYPE_CHECKING:
    from chalicelib.chat import access, domain, fanout, messages, read_state, schemas
    from chalicelib.core import http
else:  # the chat actions' modules load with the first frame that needs them
    access = lazy_import("chalicelib.chat.access")
    domain = lazy_import("chalicelib.chat.domain")
    fanout = lazy_import("chalicelib.chat.fanout")
    messages = lazy_import("chalicelib.chat.messages")
    read_state = lazy_import("chalicelib.chat.read_state")
    schemas = lazy_import("chalicelib.chat.schemas")
    http = lazy_import("chalicelib.core.http")

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


def _error(connection_id: str, code: str, message: str, **extra: Any) -> None:
    _reply(connection_id, "error", {"code": code, "message": message, **extra})


def _problem_details(error: ProblemError, inbound: Inbound) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if error.errors:
        extra["errors"] = [{"field": e.field, "message": e.message} for e in error.errors]
    if "retry_after" in error.extra:
        extra["retry_after"] = error.extra["retry_after"]
    if isinstance(inbound.body.get("client_msg_id"), str):
        extra["client_msg_id"] = inbound.body["client_msg_id"]
    return extra


def _ping(inbound: Inbound) -> None:
    data: dict[str, Any] = {"server_time": clock.to_wire(clock.now())}
    if "id" in inbound.body:  # echo the client's correlation id, if any
        data["id"] = inbound.body["id"]
    _reply(inbound.connection_id, "pong", data)


def _user_of(inbound: Inbound) -> str:
    found = connections.get(inbound.connection_id)
    if found is None:
        raise Unauthorized("This connection is no longer registered; reconnect.", code="connection_unknown")
    return found.user_id


def _send(inbound: Inbound) -> None:
    frame = http.validate(schemas.WsSend, inbound.body)
    request = schemas.SendMessage.model_validate(frame.model_dump(exclude={"action", "conversation_id"}))
    origin = messages.Origin(connection_id=inbound.connection_id)
    messages.send(_user_of(inbound), frame.conversation_id, request, origin)


def _typing(inbound: Inbound) -> None:
    frame = http.validate(schemas.WsConversationAction, inbound.body)
    connection = connections.throttle(inbound.connection_id, domain.TYPING_INTERVAL_SECONDS)
    if connection is None:
        return  # typed again within the interval (or not registered): dropped
    found = access.load(frame.conversation_id, connection.user_id)
    others = [uid for uid in found.member_ids if uid != connection.user_id]
    data = {"conversation_id": frame.conversation_id, "user_id": connection.user_id}
    fanout.to_users(others, "typing", data)


def _read(inbound: Inbound) -> None:
    frame = http.validate(schemas.WsRead, inbound.body)
    read_state.mark_read(_user_of(inbound), frame.conversation_id, frame.message_id)


ACTIONS: dict[str, Action] = {"ping": _ping, "send": _send, "typing": _typing, "read": _read}


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
        _error(event.connection_id, error.code, error.detail, **_problem_details(error, inbound))
    except Exception:
        logger.exception("websocket action %s failed", inbound.action)
        _error(event.connection_id, "internal_error", "Something went wrong on our side.")


def on_disconnect(event: WebsocketEvent) -> None:
    connections.drop(event.connection_id)
    logger.info("websocket disconnected", extra={"connection_id": event.connection_id})
