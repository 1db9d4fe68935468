"""Helpers of the chat API tests: users, conversations and messages through the routes, and the
frames the (fake) websocket gateway received."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from typing import Any

from tests import fake_gateway
from tests.app_client import Api

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


# -- frames posted to the fake gateway (tests/fake_gateway.py) -----------------------------------


def posted_frames(connection_id: str) -> list[dict[str, Any]]:
    """Every frame the app posted to `connection_id`, in order."""
    return fake_gateway.installed().frames(connection_id)


def frames_of(connection_id: str, type_: str) -> list[dict[str, Any]]:
    return [f["data"] for f in posted_frames(connection_id) if f["type"] == type_]
