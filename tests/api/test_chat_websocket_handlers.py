"""The chat actions of the websocket handlers (send, typing, read), called as the gateway calls them,
with events built from dicts; frames are read from moto's @connections API. Real sockets are the
e2e tier's (tests/e2e/test_websocket_chat.py)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from chalice.app import WebsocketEvent

from tests.api.chat_helpers import User, direct, frames_of, group, new_user, posted_frames, send
from tests.api.helpers import assert_problem

DOMAIN = "sesh-test.execute-api.us-east-1.amazonaws.com"


def _event(connection_id: str, route: str, body: Any = None, query: dict[str, str] | None = None) -> WebsocketEvent:
    event = {
        "requestContext": {
            "routeKey": route,
            "eventType": {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE"),
            "connectionId": connection_id,
            "domainName": DOMAIN,
            "stage": "test",
            "apiId": "sesh-test",
        },
        "queryStringParameters": query,
        "body": body if body is None or isinstance(body, str) else json.dumps(body),
    }
    return WebsocketEvent(event, None)


def _connect(user: User) -> str:
    from chalicelib.chat import websocket

    connection_id = f"{uuid.uuid4().hex[:15]}="
    assert websocket.on_connect(_event(connection_id, "$connect", query={"token": user.token})) is None
    return connection_id


def _say(connection_id: str, body: Any) -> None:
    from chalicelib.chat import websocket

    websocket.on_message(_event(connection_id, "$default", body))


@pytest.fixture
def pair(api, token_for):
    ana, ben = new_user(api, token_for), new_user(api, token_for)
    return ana, ben, direct(api, ana, ben)


def test_send_acks_the_socket_and_reaches_every_other_device(api, pair):
    ana, ben, cid = pair
    ana_phone, ana_laptop, ben_phone = _connect(ana), _connect(ana), _connect(ben)
    _say(ana_phone, {"action": "send", "conversation_id": cid, "client_msg_id": "w-1", "body": "on my way"})
    [ack] = frames_of(ana_phone, "message.sent")
    assert ack["client_msg_id"] == "w-1" and ack["body"] == "on my way" and ack["duplicate"] is False
    assert frames_of(ana_phone, "message.created") == []  # the sending socket has the ack instead
    for device in (ana_laptop, ben_phone):
        [created] = frames_of(device, "message.created")
        assert created["id"] == ack["id"] and created["conversation_id"] == cid
    [delivered] = frames_of(ana_laptop, "delivered")  # ben's phone got it
    assert delivered == {"conversation_id": cid, "user_id": ben.id, "message_id": ack["id"], "seq": 1}
    _say(ana_phone, {"action": "send", "conversation_id": cid, "client_msg_id": "w-1", "body": "on my way"})
    assert frames_of(ana_phone, "message.sent")[1]["duplicate"] is True
    assert len(frames_of(ben_phone, "message.created")) == 1  # a resend notifies nobody again
    # REST sends reach every device of the sender too.
    send(api, ana, cid, "from the web")
    assert [f["body"] for f in frames_of(ana_phone, "message.created")] == ["from the web"]


def test_refused_frames_answer_error_frames(api, token_for, pair):
    from chalicelib.core import ids

    ana, _, cid = pair
    eve = new_user(api, token_for)
    socket, eves = _connect(ana), _connect(eve)
    _say(socket, {"action": "send", "conversation_id": cid, "client_msg_id": "bad-1", "body": ""})
    invalid = frames_of(socket, "error")[-1]
    assert invalid["code"] == "validation_failed" and invalid["client_msg_id"] == "bad-1" and invalid["errors"]
    _say(socket, {"action": "send", "conversation_id": cid, "body": "no client id"})
    assert frames_of(socket, "error")[-1]["errors"][0]["field"] == "client_msg_id"
    _say(eves, {"action": "send", "conversation_id": cid, "client_msg_id": "e-1", "body": "let me in"})
    assert frames_of(eves, "error")[-1]["code"] == "not_found"
    _say(eves, {"action": "read", "conversation_id": cid, "message_id": ids.new_id("msg")})
    assert frames_of(eves, "error")[-1]["code"] == "not_found"
    _say("never-registered=", {"action": "send", "conversation_id": cid, "client_msg_id": "x", "body": "hi"})
    assert frames_of("never-registered=", "error")[-1]["code"] == "connection_unknown"


def test_the_rate_limit_answers_an_error_frame(api, pair):
    from chalicelib.chat import domain
    from chalicelib.core import clock

    clock.freeze()
    ana, _, cid = pair
    socket = _connect(ana)
    for i in range(domain.RATE_LIMIT + 1):
        _say(socket, {"action": "send", "conversation_id": cid, "client_msg_id": f"r-{i}", "body": f"{i}"})
    assert len(frames_of(socket, "message.sent")) == domain.RATE_LIMIT
    [limited] = frames_of(socket, "error")
    assert limited["code"] == "rate_limited" and limited["client_msg_id"] == f"r-{domain.RATE_LIMIT}"
    assert 1 <= limited["retry_after"] <= domain.RATE_WINDOW_SECONDS


def test_typing_reaches_the_others_at_most_every_three_seconds_per_connection(api, token_for):
    from chalicelib.core import clock

    clock.freeze()
    owner, ana, ben = (new_user(api, token_for) for _ in range(3))
    cid = group(api, owner, ana, ben)
    typer, typer_other_device, ana_socket, ben_socket = _connect(owner), _connect(owner), _connect(ana), _connect(ben)
    typing = {"action": "typing", "conversation_id": cid}
    _say(typer, typing)
    _say(typer, typing)  # within 3 seconds: dropped
    clock.advance(1)
    _say(typer_other_device, typing)  # another connection has its own allowance
    assert frames_of(ana_socket, "typing") == [{"conversation_id": cid, "user_id": owner.id}] * 2
    assert frames_of(typer, "typing") == [] and frames_of(typer_other_device, "typing") == []
    clock.advance(3)
    _say(typer, typing)
    assert len(frames_of(ben_socket, "typing")) == 3
    assert frames_of(typer, "error") == []


def test_read_frames_go_to_own_devices_and_the_other_person_in_direct_chats(api, token_for, pair):
    ana, ben, cid = pair
    message = send(api, ana, cid, "read me")
    ana_socket, ben_phone, ben_laptop = _connect(ana), _connect(ben), _connect(ben)
    _say(ben_phone, {"action": "read", "conversation_id": cid, "message_id": message["id"]})
    expected = {"conversation_id": cid, "user_id": ben.id, "message_id": message["id"], "seq": 1}
    assert frames_of(ana_socket, "read") == [expected]
    assert frames_of(ben_laptop, "read") == [expected] and frames_of(ben_phone, "read") == [expected]
    owner, member = new_user(api, token_for), new_user(api, token_for)
    crew = group(api, owner, member)
    note = send(api, owner, crew, "group note")
    owner_socket, member_socket = _connect(owner), _connect(member)
    _say(member_socket, {"action": "read", "conversation_id": crew, "message_id": note["id"]})
    assert frames_of(owner_socket, "read") == []  # no read receipts in groups
    assert frames_of(member_socket, "read")[0]["message_id"] == note["id"]


def test_a_removed_member_stops_receiving_at_once(api, token_for):
    owner, ana, ben = (new_user(api, token_for) for _ in range(3))
    cid = group(api, owner, ana, ben)
    ana_socket, ben_socket = _connect(ana), _connect(ben)
    send(api, owner, cid, "everyone")
    api.delete(f"/v1/conversations/{cid}/members/{ben.id}", token=owner.token)
    send(api, owner, cid, "without ben")
    assert [f["body"] for f in frames_of(ana_socket, "message.created")] == ["everyone", "without ben"]
    assert [f["body"] for f in frames_of(ben_socket, "message.created")] == ["everyone"]
    [removed] = frames_of(ben_socket, "member.removed")
    assert removed == {"conversation_id": cid, "user_id": ben.id, "by": owner.id, "reason": "removed"}
    types = [f["type"] for f in posted_frames(ben_socket)]
    assert types[-1] == "member.removed"


def test_edits_deletes_reactions_and_pins_are_pushed(api, pair):
    ana, ben, cid = pair
    socket = _connect(ben)
    message = send(api, ana, cid, "draft")
    path = f"/v1/conversations/{cid}/messages/{message['id']}"
    api.patch(path, token=ana.token, json_body={"body": "final"})
    api.post(f"{path}/reactions", token=ana.token, json_body={"emoji": "🔥"})
    api.put(f"/v1/conversations/{cid}/pins/{message['id']}", token=ana.token)
    api.delete(path, token=ana.token)
    types = [f["type"] for f in posted_frames(socket)]
    assert types == ["message.created", "message.updated", "message.reaction", "pin", "message.deleted"]
    assert frames_of(socket, "message.updated")[0]["body"] == "final"
    assert frames_of(socket, "message.reaction")[0]["added"] is True
    assert frames_of(socket, "pin")[0] == {
        "conversation_id": cid,
        "message_id": message["id"],
        "pinned": True,
        "by": ana.id,
    }
    assert frames_of(socket, "message.deleted")[0]["body"] is None


def test_settings_and_membership_changes_are_pushed(api, token_for):
    owner, ana, ben = (new_user(api, token_for) for _ in range(3))
    cid = group(api, owner, ana)
    socket = _connect(ana)
    api.patch(f"/v1/conversations/{cid}", token=owner.token, json_body={"name": "New name"})
    api.post(f"/v1/conversations/{cid}/members", token=owner.token, json_body={"user_ids": [ben.id]})
    api.patch(f"/v1/conversations/{cid}/members/{ben.id}", token=owner.token, json_body={"role": "admin"})
    assert [f["type"] for f in posted_frames(socket)] == ["conversation.updated", "member.added", "member.updated"]
    assert frames_of(socket, "conversation.updated")[0]["name"] == "New name"
    assert frames_of(socket, "member.added")[0]["user_ids"] == [ben.id]
    assert_problem(api.get(f"/v1/conversations/{cid}"), 401)
