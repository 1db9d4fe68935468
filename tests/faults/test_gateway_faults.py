"""The websocket gateway (@connections) failing: a chat message is still stored and answered; failed
posts are reported, not raised, and the connection is kept; a connection answering 410 is dropped."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.core import connections, realtime
from tests.fault_proxy import GATEWAY_INTERNAL, HANG, RESET, Fault, FaultProxy, path_contains
from tests.faults.conftest import RecordingGateway

FAULTS = {"5xx": Fault.answer(GATEWAY_INTERNAL), "connection reset": RESET}


def _user(api: Any, token_for: Any) -> tuple[str, str]:
    token = token_for()
    return token, str(api.get("/v1/me", token=token).json["id"])


def _chat_with_bob(api: Any, token_for: Any, gateway: RecordingGateway) -> tuple[str, str, str]:
    """Alice's token, Bob's id and their conversation's path; Bob has three open connections
    (`<bob>-ok`, `-failing`, `-gone`), the last closed on the gateway's side (410 Gone)."""
    (alice, _), (_, bob) = _user(api, token_for), _user(api, token_for)
    for suffix in ("ok", "failing", "gone"):
        connections.register(f"{bob}-{suffix}", bob)
    gateway.closed.add(f"{bob}-gone")
    conversation = api.post("/v1/conversations", token=alice, json_body={"type": "direct", "user_id": bob}).json
    return alice, bob, f"/v1/conversations/{conversation['id']}"


def _send(api: Any, token: str, path: str, body: str) -> dict[str, Any]:
    client_msg_id = body.replace(" ", "-").strip("?")
    sent = api.post(path + "/messages", token=token, json_body={"client_msg_id": client_msg_id, "body": body})
    assert sent.status == 201, sent.body
    found: dict[str, Any] = sent.json
    return found


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_a_message_is_stored_and_answered_while_posts_to_one_connection_fail(
    api: Any, token_for: Any, proxies: dict[str, FaultProxy], gateway: RecordingGateway, fault: Fault
) -> None:
    alice, bob, path = _chat_with_bob(api, token_for, gateway)
    failing = path_contains(f"/@connections/{bob}-failing")

    with proxies["gateway"].failing(fault, when=failing):
        message = _send(api, alice, path, "roll initiative")
        report = realtime.send_to_users([bob], realtime.frame("typing", {"user_id": "x"}))

    assert [m["id"] for m in api.get(path + "/messages", token=alice).json["items"]] == [message["id"]]
    assert [f["data"]["id"] for f in gateway.received(f"{bob}-ok") if f["type"] == "message.created"] == [message["id"]]
    assert [f for f in gateway.received(f"{bob}-failing") if f["type"] in ("message.created", "typing")] == []
    # the failing connection was tried twice per frame (one retry), then reported, and is kept
    assert len(proxies["gateway"].seen(faulted=True, when=failing)) == 4
    assert (report.delivered, report.failed, report.gone) == ([f"{bob}-ok"], [f"{bob}-failing"], [])
    assert connections.get(f"{bob}-failing") is not None
    # the connection that answered 410 was forgotten at its first frame
    assert connections.get(f"{bob}-gone") is None
    assert sorted(c.connection_id for c in connections.of_user(bob)) == [f"{bob}-failing", f"{bob}-ok"]


def test_a_hanging_gateway_does_not_fail_the_message(
    api: Any, token_for: Any, proxies: dict[str, FaultProxy], gateway: RecordingGateway
) -> None:
    alice, bob, path = _chat_with_bob(api, token_for, gateway)

    failing = path_contains(f"/@connections/{bob}-failing")
    with proxies["gateway"].failing(HANG, when=failing):
        message = _send(api, alice, path, "anyone there?")

    # one post, given up at the read timeout and not retried: a timeout is no stale connection
    assert len(proxies["gateway"].seen(faulted=True, when=failing)) == 1
    assert [m["id"] for m in api.get(path + "/messages", token=alice).json["items"]] == [message["id"]]
    assert [f["data"]["id"] for f in gateway.received(f"{bob}-ok") if f["type"] == "message.created"] == [message["id"]]
    assert connections.get(f"{bob}-failing") is not None
