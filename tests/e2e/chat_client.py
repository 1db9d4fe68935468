"""A chat client for the e2e tests: a real websocket plus the REST calls a chat app makes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from websockets.sync.client import ClientConnection, connect

from tests.e2e.stack import Stack

TIMEOUT = 10.0
_ids = count(1)
Frame = dict[str, Any]


@dataclass
class Socket:
    """One device's connection, keeping frames that arrive while the test waits for another."""

    ws: ClientConnection
    pending: list[Frame] = field(default_factory=list)

    def send(self, **frame: Any) -> None:
        self.ws.send(json.dumps(frame))

    def expect(self, type_: str, where: Callable[[dict[str, Any]], bool] = lambda _: True) -> dict[str, Any]:
        """The data of the next frame of this type that matches (others are kept)."""
        for frame in self.pending:
            if frame["type"] == type_ and where(frame["data"]):
                self.pending.remove(frame)
                return dict(frame["data"])
        deadline = time.monotonic() + TIMEOUT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {type_} frame within {TIMEOUT}s; got {self.pending}")
            frame: Frame = json.loads(self.ws.recv(timeout=left))
            if frame["type"] == type_ and where(frame["data"]):
                return dict(frame["data"])
            self.pending.append(frame)

    def drain(self) -> list[Frame]:
        """Every frame that reached this socket until now: a ping's pong comes after all of them,
        since the gateway handles a connection's frames in order and our sends finished earlier."""
        marker = f"drain-{next(_ids)}"
        self.send(action="ping", id=marker)
        self.expect("pong", lambda data: data.get("id") == marker)
        frames, self.pending = self.pending, []
        return frames

    def close(self) -> None:
        self.ws.close()


@dataclass
class ChatUser:
    stack: Stack
    token: str
    id: str
    sockets: list[Socket] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def connect(self) -> Socket:
        socket = Socket(connect(f"{self.stack.ws_url}?token={self.token}", open_timeout=TIMEOUT))
        self.sockets.append(socket)
        return socket

    def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        response = self.stack.request(method, path, headers=self.auth, **kwargs)
        assert response.status_code == expect, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def direct_with(self, other: ChatUser) -> str:
        body = {"type": "direct", "user_id": other.id}
        return str(self.call("POST", "/v1/conversations", expect=201, json=body)["id"])

    def group_with(self, *others: ChatUser, name: str = "Crew") -> str:
        body = {"type": "group", "name": name, "member_ids": [o.id for o in others]}
        return str(self.call("POST", "/v1/conversations", expect=201, json=body)["id"])

    def post(self, conversation_id: str, body: str) -> dict[str, Any]:
        payload = {"client_msg_id": f"rest-{next(_ids)}", "body": body}
        message: dict[str, Any] = self.call(
            "POST", f"/v1/conversations/{conversation_id}/messages", expect=201, json=payload
        )
        return message

    def close(self) -> None:
        for socket in self.sockets:
            socket.close()


def new_user(stack: Stack, **claims: Any) -> ChatUser:
    """A user who exists (the first authenticated request creates them)."""
    token, user_id = stack.token(**claims)
    user = ChatUser(stack, token, user_id)
    user.call("GET", "/v1/me")
    return user
