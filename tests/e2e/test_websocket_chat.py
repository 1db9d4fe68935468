"""Chat on the local stack with real websocket clients: direct chats, groups, session chats following
the roster, catching up after a reconnect, dead connections cleaned up, attachments end to end.

The session's stack closes websockets idle for 4 seconds, so each test keeps its sockets busy."""

from __future__ import annotations

import requests

from tests.e2e.chat_client import new_user
from tests.e2e.stack import Stack, wait_for


def _types(frames: list[dict]) -> list[str]:
    return [frame["type"] for frame in frames]


def test_two_users_chat_directly(stack: Stack) -> None:
    ana, ben = new_user(stack, name="Ana"), new_user(stack, name="Ben")
    try:
        ana_phone, ana_laptop, ben_phone = ana.connect(), ana.connect(), ben.connect()
        cid = ana.direct_with(ben)
        ben_phone.expect("member.added", lambda d: d["conversation_id"] == cid)
        ana_phone.send(action="send", conversation_id=cid, client_msg_id="hi-1", body="Session zero on Friday?")
        ack = ana_phone.expect("message.sent")
        assert ack["client_msg_id"] == "hi-1" and ack["status"] == "sent" and ack["duplicate"] is False
        assert ben_phone.expect("message.created")["id"] == ack["id"]
        assert ana_laptop.expect("message.created")["id"] == ack["id"]  # own message, other device
        delivered = ana_phone.expect("delivered")
        assert delivered["message_id"] == ack["id"] and delivered["user_id"] == ben.id

        ben_phone.send(action="typing", conversation_id=cid)
        assert ana_phone.expect("typing") == {"conversation_id": cid, "user_id": ben.id}
        ben_phone.send(action="send", conversation_id=cid, client_msg_id="re-1", body="Yes! 7pm?", reply_to=ack["id"])
        reply = ana_phone.expect("message.created")
        assert reply["reply_to"]["id"] == ack["id"] and reply["reply_to"]["preview"] == "Session zero on Friday?"
        ana_phone.send(action="read", conversation_id=cid, message_id=reply["id"])
        read = ben_phone.expect("read")
        assert read["user_id"] == ana.id and read["message_id"] == reply["id"]

        mine = ana.call("GET", f"/v1/conversations/{cid}/messages")["items"]
        # Ben answered, which reads everything before his answer.
        assert [(m["body"], m["status"]) for m in mine] == [("Yes! 7pm?", None), ("Session zero on Friday?", "read")]
        listed = ben.call("GET", "/v1/conversations")["items"]
        assert listed[0]["id"] == cid and listed[0]["unread_count"] == 0
        assert listed[0]["last_message"]["preview"] == "Yes! 7pm?"
        assert "message.created" not in _types(ana_phone.drain())  # the sender's socket had the ack
    finally:
        ana.close()
        ben.close()


def test_a_group_of_three_with_one_removed_midway(stack: Stack) -> None:
    owner, ana, ben = (new_user(stack) for _ in range(3))
    try:
        sockets = {user.id: user.connect() for user in (owner, ana, ben)}
        cid = owner.group_with(ana, ben, name="Friday one-shot")
        first = owner.post(cid, "Welcome, all three of you")
        for user in (ana, ben):
            assert sockets[user.id].expect("message.created")["id"] == first["id"]
        owner.call("DELETE", f"/v1/conversations/{cid}/members/{ben.id}", expect=204)
        removed = sockets[ben.id].expect("member.removed")
        assert removed == {"conversation_id": cid, "user_id": ben.id, "by": owner.id, "reason": "removed"}
        sockets[ana.id].expect("member.removed")
        second = owner.post(cid, "Just the two of us now")  # returns after its fan-out
        assert sockets[ana.id].expect("message.created")["id"] == second["id"]
        assert "message.created" not in _types(sockets[ben.id].drain())  # ben heard nothing more
        assert ben.stack.get(f"/v1/conversations/{cid}/messages", headers=ben.auth).status_code == 404
        sockets[ben.id].send(action="send", conversation_id=cid, client_msg_id="b-1", body="still here?")
        assert sockets[ben.id].expect("error")["code"] == "not_found"
    finally:
        for user in (owner, ana, ben):
            user.close()


def test_a_session_chat_follows_the_roster(stack: Stack) -> None:
    from chalicelib.core import ids

    host, pat, sam = (new_user(stack) for _ in range(3))
    try:
        host.connect()  # the host is online too (frames to them must not disturb the roster)
        pat_socket, sam_socket = pat.connect(), sam.connect()
        session_id = ids.new_id("ses")

        def roster(**change: list[str]) -> dict:
            body = {"session_id": session_id, "host_id": host.id, "title": "Mothership one-shot", **change}
            response = stack.post("/dev/chat/session-roster", json=body)
            assert response.status_code == 200, response.text
            return dict(response.json())

        cid = roster(confirmed=[pat.id])["conversation_id"]  # the first confirmed booking opens it
        pat_socket.expect("member.added", lambda d: d["conversation_id"] == cid)
        assert roster(confirmed=[pat.id, sam.id])["joined"] == [sam.id]
        sam_socket.expect("member.added", lambda d: sam.id in d["user_ids"])
        hello = host.post(cid, "Welcome aboard")
        for socket in (pat_socket, sam_socket):
            assert socket.expect("message.created")["id"] == hello["id"]
        assert roster(cancelled=[sam.id])["left"] == [sam.id]  # sam cancelled
        assert sam_socket.expect("member.removed")["reason"] == "roster"
        later = host.post(cid, "Sam had to cancel; see you Friday, Pat")
        assert pat_socket.expect("message.created")["id"] == later["id"]
        assert "message.created" not in _types(sam_socket.drain())
        assert [c["id"] for c in sam.call("GET", "/v1/conversations")["items"]] == []
        view = pat.call("GET", f"/v1/conversations/{cid}")
        assert view["type"] == "session" and view["session_id"] == session_id and view["member_count"] == 2
        leave = pat.stack.post(f"/v1/conversations/{cid}/leave", headers=pat.auth)
        assert leave.status_code == 409 and leave.json()["code"] == "roster_managed"
    finally:
        for user in (host, pat, sam):
            user.close()


def test_reconnect_then_fetch_missed_messages_by_cursor(stack: Stack) -> None:
    ana, ben = new_user(stack), new_user(stack)
    try:
        cid = ana.direct_with(ben)
        ben_socket = ben.connect()
        seen = ana.post(cid, "the last one ben sees live")
        assert ben_socket.expect("message.created")["id"] == seen["id"]
        ben_socket.send(action="read", conversation_id=cid, message_id=seen["id"])
        assert ben_socket.expect("read")["message_id"] == seen["id"]
        ben_socket.close()  # ben goes offline
        missed = [ana.post(cid, f"missed {i}")["id"] for i in range(5)]
        ben_socket = ben.connect()
        caught_up, cursor = [], None
        while True:
            query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = ben.call("GET", f"/v1/conversations/{cid}/messages", params=query)
            ids = [m["id"] for m in page["items"]]
            caught_up += [i for i in ids if i != seen["id"]]
            cursor = page["next_cursor"]
            if seen["id"] in ids or cursor is None:
                break
        assert caught_up == list(reversed(missed))
        after = ben.call("GET", f"/v1/conversations/{cid}/messages", params={"after": seen["id"], "limit": 100})
        assert [m["id"] for m in after["items"]] == list(reversed(missed))
        assert ben.call("GET", f"/v1/conversations/{cid}")["unread_count"] == 5
        newest = ana.post(cid, "welcome back")
        assert ben_socket.expect("message.created")["id"] == newest["id"]  # live again
    finally:
        ana.close()
        ben.close()


def test_a_closed_connection_is_cleaned_up_on_the_next_send(stack: Stack) -> None:
    ana, ben = new_user(stack), new_user(stack)
    try:
        cid = ana.direct_with(ben)
        ben_socket = ben.connect()
        # A connection whose $disconnect never reached the app: recorded, but gone at the gateway.
        stale = "St4leC0nnect10n="
        registered = stack.post("/dev/connections", json={"connection_id": stale, "user_id": ben.id})
        assert registered.status_code == 201, registered.text
        assert stack.get(f"/dev/connections/{stale}").status_code == 200
        message = ana.post(cid, "are you there?")
        assert ben_socket.expect("message.created")["id"] == message["id"]  # the live device still hears
        wait_for(lambda: stack.get(f"/dev/connections/{stale}").status_code == 404, 10, "the stale record to go")
        report = stack.post("/dev/realtime/send", json={"user_id": ben.id, "frame": {"type": "ping", "data": {}}})
        assert report.json()["gone"] == []  # out of ben's connection set too: not posted to again
        assert len(report.json()["delivered"]) == 1
    finally:
        ana.close()
        ben.close()


def test_attachments_upload_to_s3_and_members_download(stack: Stack) -> None:
    ana, ben = new_user(stack), new_user(stack)
    try:
        cid = ana.direct_with(ben)
        png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
        upload = ana.call(
            "POST", f"/v1/conversations/{cid}/attachments", expect=201,
            json={"content_type": "image/png", "size_bytes": len(png)},
        )  # fmt: skip
        posted = requests.post(upload["url"], data=upload["fields"], files={"file": ("map.png", png)}, timeout=10)
        assert posted.status_code in (200, 201, 204), posted.text
        body = {"client_msg_id": "att-1", "body": "the map", "attachments": [{"key": upload["key"]}]}
        ana.call("POST", f"/v1/conversations/{cid}/messages", expect=201, json=body)
        [message] = ben.call("GET", f"/v1/conversations/{cid}/messages")["items"]
        [attachment] = message["attachments"]
        assert attachment["kind"] == "image" and attachment["size_bytes"] == len(png)
        downloaded = requests.get(attachment["url"], timeout=10)
        assert downloaded.status_code == 200 and downloaded.content == png
    finally:
        ana.close()
        ben.close()
