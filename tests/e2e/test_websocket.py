"""The websocket endpoint and the @connections API of the local stack, with a real websocket client."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.config import Config
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import WS_IDLE_TIMEOUT
from tests.e2e.stack import Stack, wait_for

RECV_TIMEOUT = 10


def _frame(ws: ClientConnection) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(ws.recv(timeout=RECV_TIMEOUT))
    return frame


def _management_api(stack: Stack) -> Any:
    """The same boto3 client the app uses, pointed at the stack's @connections endpoint."""
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=stack.url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}),
    )


@contextmanager
def _connected_new_user(stack: Stack) -> Iterator[tuple[ClientConnection, str, str]]:
    """A connected socket of a fresh user, with (user_id, connection_id), learned through the app's
    own sender: a push to the user reports which connection it was delivered to."""
    token, user_id = stack.token()
    with connect(f"{stack.ws_url}?token={token}", open_timeout=RECV_TIMEOUT) as ws:
        sent = stack.post("/dev/realtime/send", json={"user_id": user_id, "frame": {"type": "hello", "data": {}}})
        assert sent.status_code == 200, sent.text
        delivered = sent.json()["delivered"]
        assert len(delivered) == 1, sent.json()
        assert _frame(ws) == {"type": "hello", "data": {}}
        yield ws, user_id, delivered[0]


def _refused_status(url: str) -> int:
    with pytest.raises(InvalidStatus) as refused, connect(url, open_timeout=RECV_TIMEOUT):
        pass
    return refused.value.response.status_code


def test_ping_answers_pong(stack: Stack) -> None:
    token, _ = stack.token(name="Pinger")
    with connect(f"{stack.ws_url}?token={token}", open_timeout=RECV_TIMEOUT) as ws:
        ws.send(json.dumps({"action": "ping", "id": "p-1"}))
        pong = _frame(ws)
    assert pong["type"] == "pong"
    assert pong["data"]["id"] == "p-1"
    assert pong["data"]["server_time"].endswith("Z")


def test_unknown_action_and_malformed_frames_get_error_frames(stack: Stack) -> None:
    token, _ = stack.token()
    with connect(f"{stack.ws_url}?token={token}", open_timeout=RECV_TIMEOUT) as ws:
        ws.send(json.dumps({"action": "dance"}))
        unknown = _frame(ws)
        ws.send("this is not json")
        malformed = _frame(ws)
    assert unknown["type"] == "error" and unknown["data"]["code"] == "unknown_action"
    assert malformed["type"] == "error" and malformed["data"]["code"] == "malformed_frame"


def test_app_sends_to_a_connection_until_it_is_gone(stack: Stack) -> None:
    frame = {"type": "notification", "data": {"text": "Your session starts in an hour"}}
    with _connected_new_user(stack) as (ws, user_id, connection_id):
        record = stack.get(f"/dev/connections/{connection_id}")
        assert record.status_code == 200 and record.json()["user_id"] == user_id
        sent = stack.post("/dev/realtime/send", json={"connection_ids": [connection_id], "frame": frame})
        assert sent.json() == {"delivered": [connection_id], "gone": [], "failed": []}
        assert _frame(ws) == frame
    # The client closed the socket (leaving the block).
    # The $disconnect handler ran: the app forgot the connection.
    wait_for(lambda: stack.get(f"/dev/connections/{connection_id}").status_code == 404, 10, "the disconnect handler")
    sent = stack.post("/dev/realtime/send", json={"connection_ids": [connection_id], "frame": frame})
    assert sent.json() == {"delivered": [], "gone": [connection_id], "failed": []}
    with pytest.raises(_management_api(stack).exceptions.GoneException):
        _management_api(stack).post_to_connection(ConnectionId=connection_id, Data=b"{}")


@pytest.mark.parametrize("query", ["", "?token=", "?token=not-a-jwt", "?other=1"])
def test_connect_without_a_valid_token_is_refused(stack: Stack, query: str) -> None:
    assert _refused_status(f"{stack.ws_url}{query}") == 401


def test_connect_with_an_expired_or_foreign_token_is_refused(stack: Stack) -> None:
    from devstack.issuer import Issuer

    stranger = Issuer(issuer=stack.info["issuer"], audience="sesh")  # same issuer name, other key
    forged = stranger.mint("usr_01HSESH0DEM0PAYER000000001", now=_stack_now(stack))
    assert _refused_status(f"{stack.ws_url}?token={forged}") == 401
    token, _ = stack.token(ttl_seconds=60)
    stack.post("/dev/clock", json={"advance_seconds": 120})
    assert _refused_status(f"{stack.ws_url}?token={token}") == 401


def _stack_now(stack: Stack) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(stack.get("/dev/clock").json()["now"].replace("Z", "+00:00"))


def test_get_and_delete_connection(stack: Stack) -> None:
    api = _management_api(stack)
    with _connected_new_user(stack) as (ws, _, connection_id):
        info = api.get_connection(ConnectionId=connection_id)
        assert info["Identity"]["SourceIp"] == "127.0.0.1"
        assert info["ConnectedAt"] <= info["LastActiveAt"]
        api.delete_connection(ConnectionId=connection_id)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=RECV_TIMEOUT)
    with pytest.raises(api.exceptions.GoneException):
        api.get_connection(ConnectionId=connection_id)
    wait_for(lambda: stack.get(f"/dev/connections/{connection_id}").status_code == 404, 10, "the disconnect handler")


def test_messages_over_128_kb_are_refused(stack: Stack) -> None:
    api = _management_api(stack)
    with _connected_new_user(stack) as (ws, _, connection_id):
        with pytest.raises(api.exceptions.PayloadTooLargeException):
            api.post_to_connection(ConnectionId=connection_id, Data=b"x" * (128 * 1024 + 1))
        api.post_to_connection(ConnectionId=connection_id, Data=b'{"type": "small", "data": {}}')
        assert _frame(ws)["type"] == "small"
        # Inbound, API Gateway closes the connection with 1009 (message too big).
        ws.send("x" * (128 * 1024 + 1))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=RECV_TIMEOUT)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def test_idle_connections_are_closed(stack: Stack) -> None:
    token, _ = stack.token()
    with connect(f"{stack.ws_url}?token={token}", open_timeout=RECV_TIMEOUT) as ws:
        opened = time.monotonic()
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=WS_IDLE_TIMEOUT + RECV_TIMEOUT)
        idle_for = time.monotonic() - opened
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001  # "Going away"
    assert idle_for >= WS_IDLE_TIMEOUT - 0.5
