"""Messages over REST: sending (resends, limits, replies, the rate limit), history and search, edits,
deletes, reactions, pins, read state and the delivered/read status of direct messages."""

from __future__ import annotations

from tests.api.chat_helpers import conversation, direct, group, history, new_user, send
from tests.api.helpers import assert_problem


def _post(api, user, cid, body, headers=None):
    return api.post(f"/v1/conversations/{cid}/messages", token=user.token, json_body=body, headers=headers)


def test_send_and_a_harmless_resend(api, token_for):
    ana, ben = new_user(api, token_for), new_user(api, token_for)
    cid = direct(api, ana, ben)
    first = _post(api, ana, cid, {"client_msg_id": "m-1", "body": "Session zero on Friday?"})
    assert first.status == 201, first.body
    message = first.json
    assert message["sender_id"] == ana.id and message["seq"] == 1 and message["duplicate"] is False
    assert message["body"] == "Session zero on Friday?" and message["status"] == "sent"
    assert message["id"].startswith("msg_") and message["created_at"].endswith("Z")
    again = _post(api, ana, cid, {"client_msg_id": "m-1", "body": "Session zero on Friday?"})
    assert again.status == 200 and again.json["id"] == message["id"] and again.json["duplicate"] is True
    assert [m["id"] for m in history(api, ben, cid)["items"]] == [message["id"]]
    # The Idempotency-Key header serves as a client_msg_id when the body has none.
    keyed = _post(api, ana, cid, {"body": "keyed"}, headers={"Idempotency-Key": "k-1/!"})
    replay = _post(api, ana, cid, {"body": "keyed"}, headers={"Idempotency-Key": "k-1/!"})
    assert keyed.status == 201 and replay.status == 200 and replay.json["id"] == keyed.json["id"]
    assert conversation(api, ben, cid)["unread_count"] == 2


def test_send_errors(api, token_for):
    from chalicelib.core import ids

    ana, ben, eve = (new_user(api, token_for) for _ in range(3))
    cid = direct(api, ana, ben)
    assert _post(api, ana, cid, {"body": "x" * 4000}).status == 201
    for bad in (
        {"body": "x" * 4001},
        {"body": "   "},
        {},
        {"body": "hi", "client_msg_id": "has space"},
        {"body": "hi", "client_msg_id": "x" * 65},
        {"body": "hi", "reply_to": "msg_nope"},
        {"body": "hi", "reply_to": ids.new_id("msg")},
        {"body": "hi", "attachments": [{"key": "k"}] * 11},
        {"body": "hi", "extra": True},
    ):
        assert_problem(_post(api, ana, cid, bad), 422)
    assert_problem(_post(api, eve, cid, {"body": "hi"}), 404, "not_found")
    assert_problem(_post(api, eve, ids.new_id("cnv"), {"body": "hi"}), 404)
    assert_problem(_post(api, ana, "cnv_junk", {"body": "hi"}), 404)
    assert_problem(api.post(f"/v1/conversations/{cid}/messages", json_body={"body": "hi"}), 401)
    not_json = api.post(
        f"/v1/conversations/{cid}/messages", token=ana.token, body="hi", headers={"Content-Type": "text/plain"}
    )
    assert_problem(not_json, 415)


def test_the_rate_limit_answers_429_with_retry_after(api, token_for):
    from chalicelib.chat import domain
    from chalicelib.core import clock

    clock.freeze()
    ana, ben = new_user(api, token_for), new_user(api, token_for)
    cid = direct(api, ana, ben)
    other = group(api, ana, ben)
    for i in range(domain.RATE_LIMIT - 1):
        send(api, ana, cid, f"spam {i}")
    send(api, ana, other, "the limit is per user, across conversations")
    limited = _post(api, ana, cid, {"client_msg_id": "late", "body": "one too many"})
    problem = assert_problem(limited, 429, "rate_limited")
    retry_after = int(limited.headers["retry-after"])
    assert 1 <= retry_after <= domain.RATE_WINDOW_SECONDS and problem["retry_after"] == retry_after
    assert _post(api, ben, cid, {"body": "ben is not limited"}).status == 201
    clock.advance(retry_after)
    assert _post(api, ana, cid, {"client_msg_id": "late", "body": "one too many"}).status == 201


def test_replies_carry_a_preview_that_follows_the_original(api, token_for):
    ana, ben = new_user(api, token_for), new_user(api, token_for)
    cid = direct(api, ana, ben)
    original = send(api, ana, cid, "Bring dice")
    reply = send(api, ben, cid, "Which ones?", reply_to=original["id"])
    assert reply["reply_to"] == {"id": original["id"], "sender_id": ana.id, "preview": "Bring dice", "deleted": False}
    api.delete(f"/v1/conversations/{cid}/messages/{original['id']}", token=ana.token)
    listed = history(api, ben, cid)["items"][0]
    assert (
        listed["id"] == reply["id"] and listed["reply_to"]["deleted"] is True and listed["reply_to"]["preview"] is None
    )
    assert_problem(_post(api, ben, cid, {"body": "to a deleted one", "reply_to": original["id"]}), 422)


def test_history_is_newest_first_by_cursor_and_after(api, token_for):
    from chalicelib.core import clock

    ana, ben, eve = (new_user(api, token_for) for _ in range(3))
    cid = direct(api, ana, ben)
    sent = []
    for i in range(5):
        sent.append(send(api, ana if i % 2 else ben, cid, f"message {i}")["id"])
        clock.advance(0.01)
    first = history(api, ana, cid, "?limit=2")
    second = history(api, ana, cid, f"?limit=2&cursor={first['next_cursor']}")
    third = history(api, ana, cid, f"?limit=2&cursor={second['next_cursor']}")
    pages = [m["id"] for page in (first, second, third) for m in page["items"]]
    assert pages == list(reversed(sent)) and third["next_cursor"] is None
    assert [m["seq"] for m in first["items"]] == [5, 4]
    newer = history(api, ana, cid, f"?after={sent[2]}")
    assert [m["id"] for m in newer["items"]] == [sent[4], sent[3]]
    assert history(api, ana, cid, f"?after={sent[4]}")["items"] == []
    path = f"/v1/conversations/{cid}/messages"
    assert_problem(api.get(f"{path}?cursor=nope", token=ana.token), 400, "invalid_cursor")
    assert_problem(api.get(f"{path}?after={sent[0]}&cursor={first['next_cursor']}", token=ana.token), 400)
    assert_problem(api.get(f"{path}?after=msg_bad", token=ana.token), 422)
    assert_problem(api.get(f"{path}?limit=500", token=ana.token), 422)
    assert_problem(api.get(path, token=eve.token), 404)
    assert_problem(api.get(path), 401)
    one = api.get(f"{path}/{sent[1]}", token=ben.token)
    assert one.status == 200 and one.json["body"] == "message 1"
    assert_problem(api.get(f"{path}/{sent[1]}", token=eve.token), 404)
    assert_problem(api.get(f"{path}/msg_nope", token=ana.token), 404)
    assert_problem(api.get(f"{path}/{sent[1]}"), 401)


def test_search_finds_words_case_and_accent_insensitively_through_the_index(api, token_for):
    ana, ben, eve = (new_user(api, token_for) for _ in range(3))
    cid = direct(api, ana, ben)
    elsewhere = direct(api, ana, eve)
    cafe = send(api, ana, cid, "Meet at the Café before the one-shot")
    send(api, ben, cid, "I prefer the library")
    late = send(api, ben, cid, "cafe it is, the ONE-SHOT starts at 7")
    send(api, ana, elsewhere, "cafe with eve")
    found = history(api, ben, cid, "?q=CAFE")
    assert [m["id"] for m in found["items"]] == [late["id"], cafe["id"]]
    both = history(api, ben, cid, "?q=one-shot%20caf%C3%A9")
    assert [m["id"] for m in both["items"]] == [late["id"], cafe["id"]]
    assert [m["id"] for m in history(api, ben, cid, "?q=starts%20cafe")["items"]] == [late["id"]]
    assert history(api, ben, cid, "?q=cafeteria")["items"] == []
    paged = history(api, ben, cid, "?q=cafe&limit=1")
    assert [m["id"] for m in paged["items"]] == [late["id"]]
    rest = history(api, ben, cid, f"?q=cafe&limit=1&cursor={paged['next_cursor']}")
    assert [m["id"] for m in rest["items"]] == [cafe["id"]] and rest["next_cursor"] is None
    assert_problem(
        api.get(f"/v1/conversations/{cid}/messages?q=cafe&cursor={paged['next_cursor']}x", token=ben.token), 400
    )
    assert_problem(api.get(f"/v1/conversations/{cid}/messages?q=!", token=ben.token), 422)
    # Edits re-index, deletes un-index.
    api.patch(f"/v1/conversations/{cid}/messages/{cafe['id']}", token=ana.token, json_body={"body": "Meet at the pub"})
    assert [m["id"] for m in history(api, ben, cid, "?q=cafe")["items"]] == [late["id"]]
    assert [m["id"] for m in history(api, ben, cid, "?q=pub")["items"]] == [cafe["id"]]
    api.delete(f"/v1/conversations/{cid}/messages/{late['id']}", token=ben.token)
    assert history(api, ben, cid, "?q=cafe")["items"] == []


def test_edit_is_the_senders_within_48_hours(api, token_for):
    from chalicelib.core import clock

    ana, ben, eve = (new_user(api, token_for, ttl_seconds=3 * 24 * 3600) for _ in range(3))
    cid = direct(api, ana, ben)
    message = send(api, ana, cid, "Sesion at 7")
    path = f"/v1/conversations/{cid}/messages/{message['id']}"
    edited = api.patch(path, token=ana.token, json_body={"body": "Session at 7"})
    assert edited.status == 200 and edited.json["edited"] is True and edited.json["body"] == "Session at 7"
    assert history(api, ben, cid)["items"][0]["edited_at"]
    assert conversation(api, ben, cid)["last_message"]["preview"] == "Session at 7"
    assert_problem(api.patch(path, token=ben.token, json_body={"body": "mine now"}), 403, "not_allowed")
    assert_problem(api.patch(path, token=eve.token, json_body={"body": "x"}), 404)
    assert_problem(api.patch(path, json_body={"body": "x"}), 401)
    assert_problem(api.patch(path, token=ana.token, json_body={"body": ""}), 422)
    assert_problem(api.patch(path, token=ana.token, json_body={"body": "x" * 4001}), 422)
    assert_problem(api.patch(f"/v1/conversations/{cid}/messages/msg_x", token=ana.token, json_body={"body": "x"}), 404)
    clock.advance(48 * 3600 + 1)
    assert_problem(api.patch(path, token=ana.token, json_body={"body": "too late"}), 403)


def test_delete_leaves_a_tombstone(api, token_for):
    owner, admin, member, eve = (new_user(api, token_for) for _ in range(4))
    cid = group(api, owner, admin, member)
    api.patch(f"/v1/conversations/{cid}/members/{admin.id}", token=owner.token, json_body={"role": "admin"})
    mine = send(api, member, cid, "oops, wrong chat")
    theirs = send(api, owner, cid, "owner's note")
    path = f"/v1/conversations/{cid}/messages/"
    assert_problem(api.delete(path + theirs["id"], token=member.token), 403, "not_allowed")
    assert_problem(api.delete(path + mine["id"], token=eve.token), 404)
    assert_problem(api.delete(path + mine["id"]), 401)
    assert_problem(api.delete(path + "msg_x", token=member.token), 404)
    gone = api.delete(path + mine["id"], token=member.token)
    assert gone.status == 200 and gone.json["deleted"] is True and gone.json["body"] is None
    assert api.delete(path + mine["id"], token=member.token).status == 200  # again: the same tombstone
    assert api.delete(path + theirs["id"], token=admin.token).json["deleted"] is True  # admins moderate
    listed = history(api, owner, cid)["items"]
    assert [(m["deleted"], m["body"], m["attachments"], m["reactions"]) for m in listed] == [(True, None, [], [])] * 2
    last = conversation(api, owner, cid)["last_message"]
    assert last["id"] == theirs["id"] and last["deleted"] is True and last["preview"] == ""
    assert_problem(api.patch(path + mine["id"], token=member.token, json_body={"body": "back"}), 409)


def test_reactions_toggle_from_a_bounded_set(api, token_for):
    ana, ben, eve = (new_user(api, token_for) for _ in range(3))
    cid = direct(api, ana, ben)
    message = send(api, ana, cid, "Session confirmed")
    path = f"/v1/conversations/{cid}/messages/{message['id']}/reactions"
    first = api.post(path, token=ben.token, json_body={"emoji": "🎲"})
    assert first.status == 200 and first.json["added"] is True
    api.post(path, token=ana.token, json_body={"emoji": "🎲"})
    both = api.post(path, token=ana.token, json_body={"emoji": "👍"}).json["reactions"]
    assert both == [
        {"emoji": "👍", "count": 1, "user_ids": [ana.id]},
        {"emoji": "🎲", "count": 2, "user_ids": sorted([ana.id, ben.id])},
    ]
    off = api.post(path, token=ben.token, json_body={"emoji": "🎲"})
    assert off.json["added"] is False and off.json["reactions"][1]["user_ids"] == [ana.id]
    assert history(api, ben, cid)["items"][0]["reactions"] == off.json["reactions"]
    assert_problem(api.post(path, token=ben.token, json_body={"emoji": "🦄"}), 422)
    assert_problem(api.post(path, token=eve.token, json_body={"emoji": "👍"}), 404)
    assert_problem(api.post(path, json_body={"emoji": "👍"}), 401)
    api.delete(f"/v1/conversations/{cid}/messages/{message['id']}", token=ana.token)
    assert_problem(api.post(path, token=ben.token, json_body={"emoji": "👍"}), 409, "message_deleted")


def test_pins_are_for_admins(api, token_for):
    from chalicelib.core import clock

    owner, member, eve = (new_user(api, token_for) for _ in range(3))
    cid = group(api, owner, member)
    first = send(api, member, cid, "House rules: lines and veils")
    second = send(api, owner, cid, "Map link")
    pins = f"/v1/conversations/{cid}/pins"
    assert_problem(api.put(f"{pins}/{first['id']}", token=member.token), 403, "not_allowed")
    pinned = api.put(f"{pins}/{first['id']}", token=owner.token)
    assert pinned.status == 200 and pinned.json["pinned"] is True
    clock.advance(1)
    api.put(f"{pins}/{second['id']}", token=owner.token)
    assert api.put(f"{pins}/{second['id']}", token=owner.token).status == 200  # pinning twice is a no-op
    listed = api.get(pins, token=member.token).json["items"]
    assert [m["id"] for m in listed] == [second["id"], first["id"]]
    assert conversation(api, member, cid)["pinned_count"] == 2
    assert api.delete(f"{pins}/{first['id']}", token=owner.token).json["pinned"] is False
    assert [m["id"] for m in api.get(pins, token=owner.token).json["items"]] == [second["id"]]
    api.delete(f"/v1/conversations/{cid}/messages/{second['id']}", token=owner.token)  # deleting unpins
    assert api.get(pins, token=owner.token).json["items"] == []
    assert_problem(api.put(f"{pins}/{second['id']}", token=owner.token), 409, "message_deleted")
    assert_problem(api.put(f"{pins}/msg_x", token=owner.token), 404)
    assert_problem(api.get(pins, token=eve.token), 404)
    assert_problem(api.put(f"{pins}/{first['id']}", token=eve.token), 404)
    assert_problem(api.delete(f"{pins}/{first['id']}", token=eve.token), 404)
    assert_problem(api.get(pins), 401)
    assert_problem(api.put(f"{pins}/{first['id']}"), 401)
    assert_problem(api.delete(f"{pins}/{first['id']}"), 401)
    # At most 50 pins: tests/conformance/test_chat_limits.py (51 messages are slow on moto).
    # In a direct chat both people may pin.
    pair = direct(api, owner, member)
    note = send(api, owner, pair, "address")
    assert api.put(f"/v1/conversations/{pair}/pins/{note['id']}", token=member.token).status == 200


def test_read_state_and_direct_message_status(api, token_for):
    ana, ben, eve = (new_user(api, token_for) for _ in range(3))
    cid = direct(api, ana, ben)
    one = send(api, ana, cid, "one")
    two = send(api, ana, cid, "two")
    assert [m["status"] for m in history(api, ana, cid)["items"]] == ["sent", "sent"]
    assert [m["status"] for m in history(api, ben, cid)["items"]] == [None, None]  # not ben's messages
    # Ben fetched them: delivered.
    assert [m["status"] for m in history(api, ana, cid)["items"]] == ["delivered", "delivered"]
    read = api.post(f"/v1/conversations/{cid}/read", token=ben.token, json_body={"message_id": one["id"]})
    assert read.status == 200 and read.json == {
        "conversation_id": cid,
        "last_read_message_id": one["id"],
        "unread_count": 1,
    }
    assert [m["status"] for m in history(api, ana, cid)["items"]] == ["delivered", "read"]
    api.post(f"/v1/conversations/{cid}/read", token=ben.token, json_body={"message_id": two["id"]})
    back = api.post(f"/v1/conversations/{cid}/read", token=ben.token, json_body={"message_id": one["id"]})
    assert back.json["last_read_message_id"] == two["id"] and back.json["unread_count"] == 0  # never moves back
    assert conversation(api, ben, cid)["unread_count"] == 0
    path = f"/v1/conversations/{cid}/read"
    assert_problem(api.post(path, token=ben.token, json_body={"message_id": "msg_x"}), 422)
    from chalicelib.core import ids

    assert_problem(api.post(path, token=ben.token, json_body={"message_id": ids.new_id("msg")}), 404)
    assert_problem(api.post(path, token=eve.token, json_body={"message_id": one["id"]}), 404)
    assert_problem(api.post(path, json_body={"message_id": one["id"]}), 401)
