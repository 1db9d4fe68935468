"""Session chats: the service functions the booking engine calls (open, join, leave), and the routes
refusing to change a roster the bookings own."""

from __future__ import annotations

import pytest

from tests.api.chat_helpers import conversation, history, new_user, send
from tests.api.helpers import assert_problem


def test_open_is_idempotent_and_makes_the_host_the_owner(api, token_for):
    from chalicelib.chat import service
    from chalicelib.core import ids

    host = new_user(api, token_for)
    session_id = ids.new_id("ses")
    cid = service.open_session_chat(session_id, host.id, "  Blades in the Dark:   the heist  ")
    assert service.open_session_chat(session_id, host.id, "another title") == cid
    assert service.session_chat_id(session_id) == cid
    view = conversation(api, host, cid)
    assert (
        view["type"] == "session"
        and view["session_id"] == session_id
        and view["name"] == "Blades in the Dark: the heist"
    )
    assert view["my_role"] == "owner" and view["member_count"] == 1
    assert service.session_chat_id(ids.new_id("ses")) is None


def test_membership_follows_the_roster(api, token_for):
    from chalicelib.chat import service
    from chalicelib.core import ids

    host, pat, sam = (new_user(api, token_for) for _ in range(3))
    session_id = ids.new_id("ses")
    cid = service.open_session_chat(session_id, host.id, "Mothership one-shot")
    send(api, host, cid, "Welcome aboard")
    assert service.join_session_chat(session_id, pat.id) is True
    assert service.join_session_chat(session_id, pat.id) is False  # a second booking, a retried event
    assert service.join_session_chat(session_id, sam.id) is True
    assert conversation(api, pat, cid)["unread_count"] == 0  # history before joining is not unread
    assert [m["body"] for m in history(api, sam, cid)["items"]] == ["Welcome aboard"]
    send(api, pat, cid, "Can't wait")
    assert conversation(api, host, cid)["member_count"] == 3
    assert service.leave_session_chat(session_id, sam.id) is True  # sam cancelled
    assert service.leave_session_chat(session_id, sam.id) is False
    assert_problem(api.get(f"/v1/conversations/{cid}", token=sam.token), 404)
    assert [c["id"] for c in api.get("/v1/conversations", token=sam.token).json["items"]] == []
    assert service.join_session_chat(session_id, sam.id) is True  # booked again
    assert conversation(api, sam, cid)["member_count"] == 3


def test_the_contract_refuses_what_the_booking_engine_must_not_ask(api, token_for):
    from chalicelib.chat import service
    from chalicelib.core import ids
    from chalicelib.core.exceptions import NotFound

    host, pat = new_user(api, token_for), new_user(api, token_for)
    session_id = ids.new_id("ses")
    with pytest.raises(NotFound):
        service.join_session_chat(session_id, pat.id)  # opened first, with the first confirmed booking
    with pytest.raises(NotFound):
        service.leave_session_chat(session_id, pat.id)
    service.open_session_chat(session_id, host.id, "Studio time")
    with pytest.raises(ValueError):
        service.leave_session_chat(session_id, host.id)
    with pytest.raises(ValueError):
        service.open_session_chat("lst_1", host.id, "not a session")
    with pytest.raises(ValueError):
        service.join_session_chat(session_id, "someone")


def test_the_routes_leave_the_roster_to_the_bookings(api, token_for):
    from chalicelib.chat import service
    from chalicelib.core import ids

    host, pat, sam = (new_user(api, token_for) for _ in range(3))
    session_id = ids.new_id("ses")
    cid = service.open_session_chat(session_id, host.id, "Session")
    service.join_session_chat(session_id, pat.id)
    base = f"/v1/conversations/{cid}"
    assert_problem(
        api.post(f"{base}/members", token=host.token, json_body={"user_ids": [sam.id]}), 409, "roster_managed"
    )
    assert_problem(api.delete(f"{base}/members/{pat.id}", token=host.token), 409, "roster_managed")
    assert_problem(api.post(f"{base}/leave", token=pat.token), 409, "roster_managed")
    assert_problem(api.patch(f"{base}", token=pat.token, json_body={"name": "mine"}), 403)
    renamed = api.patch(base, token=host.token, json_body={"name": "Session, Friday 7pm"})
    assert renamed.status == 200 and renamed.json["name"] == "Session, Friday 7pm"
    note = send(api, pat, cid, "hello")
    assert api.delete(f"{base}/messages/{note['id']}", token=host.token).status == 200  # the host moderates
    assert api.patch(f"{base}/me", token=pat.token, json_body={"muted": True}).json["muted"] is True
