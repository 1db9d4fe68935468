"""Helpers of the chat API tests: users, conversations and messages through the routes, and the
frames moto's @connections API received."""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import count
from typing import Any
from urllib.parse import quote

from tests.api.conftest import Api

_client_ids = count(1)


@dataclass(frozen=True)
class User:
    token: str
    id: str


def new_user(api: Api, token_for: Any, **claims: Any) -> User:
    """A user who exists (their first request creates them)."""
    token = token_for(**claims)
    me = api.get("/v1/me", token=token)
    assert me.status == 200, me.body
    return User(token, me.json["id"])


def direct(api: Api, a: User, b: User) -> str:
    response = api.post("/v1/conversations", token=a.token, json_body={"type": "direct", "user_id": b.id})
    assert response.status in (200, 201), response.body
    return str(response.json["id"])


def group(api: Api, owner: User, *members: User, name: str = "Crew") -> str:
    body = {"type": "group", "name": name, "member_ids": [m.id for m in members]}
    response = api.post("/v1/conversations", token=owner.token, json_body=body)
    assert response.status == 201, response.body
    return str(response.json["id"])


def send(api: Api, user: User, conversation_id: str, body: str = "hello", **extra: Any) -> dict[str, Any]:
    payload = {"client_msg_id": f"c-{next(_client_ids)}", "body": body, **extra}
    response = api.post(f"/v1/conversations/{conversation_id}/messages", token=user.token, json_body=payload)
    assert response.status == 201, response.body
    message: dict[str, Any] = response.json
    return message


def conversation(api: Api, user: User, conversation_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/conversations/{conversation_id}", token=user.token)
    assert response.status == 200, response.body
    found: dict[str, Any] = response.json
    return found


def history(api: Api, user: User, conversation_id: str, query: str = "") -> dict[str, Any]:
    response = api.get(f"/v1/conversations/{conversation_id}/messages{query}", token=user.token)
    assert response.status == 200, response.body
    page: dict[str, Any] = response.json
    return page


# -- frames posted through moto's @connections API ------------------------------------------------


def posted_frames(connection_id: str) -> list[dict[str, Any]]:
    """Every frame the app posted to `connection_id` (moto keeps their bytes, concatenated)."""
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    backend = apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    key = quote(connection_id, safe="")  # moto keeps the id as it appears in the URL
    if key not in backend.connections:
        return []
    data = backend.connections[key].data.decode()
    decoder = json.JSONDecoder()
    frames, position = [], 0
    while position < len(data):
        frame, position = decoder.raw_decode(data, position)
        frames.append(frame)
    return frames


def frames_of(connection_id: str, type_: str) -> list[dict[str, Any]]:
    return [f["data"] for f in posted_frames(connection_id) if f["type"] == type_]
