"""Conversations: direct chats and groups, the conversation list (activity order, unread counts, last
message, archive and mute), settings, and what strangers and anonymous callers get."""

from __future__ import annotations

import boto3

from tests.api.chat_helpers import User, conversation, direct, group, new_user, send
from tests.api.helpers import assert_problem


def _list(api, user: User, query: str = "") -> dict:
    response = api.get(f"/v1/conversations{query}", token=user.token)
    assert response.status == 200, response.body
    return response.json


def test_direct_chat_is_one_per_pair_whoever_asks(api, token_for):
    ana, ben = new_user(api, token_for), new_user(api, token_for)
    first = api.post("/v1/conversations", token=ana.token, json_body={"type": "direct", "user_id": ben.id})
    assert first.status == 201, first.body
    body = first.json
    assert body["type"] == "direct" and body["peer_id"] == ben.id and body["member_count"] == 2
    assert body["my_role"] == "member" and body["unread_count"] == 0 and body["last_message"] is None
    again = api.post("/v1/conversations", token=ben.token, json_body={"type": "direct", "user_id": ana.id})
    assert again.status == 200 and again.json["id"] == body["id"] and again.json["peer_id"] == ana.id


def test_direct_chat_needs_someone_else_who_exists(api, token_for):
    from chalicelib.core import ids

    ana = new_user(api, token_for)
    own = api.post("/v1/conversations", token=ana.token, json_body={"type": "direct", "user_id": ana.id})
    assert assert_problem(own, 422)["errors"][0]["field"] == "user_id"
    ghost = {"type": "direct", "user_id": ids.new_id("usr")}
    assert assert_problem(api.post("/v1/conversations", token=ana.token, json_body=ghost), 422)["errors"]
    for bad in (
        {"type": "direct"},
        {"type": "direct", "user_id": "usr_nope"},
        {"type": "direct", "user_id": ana.id, "name": "x"},
        {"type": "group"},
        {"type": "group", "name": "  "},
        {"type": "group", "name": "G", "user_id": ana.id},
        {"type": "channel", "name": "G"},
        {"type": "group", "name": "G", "member_ids": ["usr_x"]},
        {"type": "group", "name": "G", "surprise": 1},
    ):
        assert_problem(api.post("/v1/conversations", token=ana.token, json_body=bad), 422)
    assert_problem(
        api.post("/v1/conversations", token=ana.token, body="{", headers={"Content-Type": "application/json"}), 400
    )
    assert_problem(api.post("/v1/conversations", json_body={"type": "group", "name": "G"}), 401)


def test_group_creation_checks_members_and_replays_with_an_idempotency_key(api, token_for):
    from chalicelib.core import ids

    owner, a, b = (new_user(api, token_for) for _ in range(3))
    body = {"type": "group", "name": "Friday one-shot", "description": "Mothership", "member_ids": [a.id, b.id, a.id]}
    headers = {"Idempotency-Key": "grp-1"}
    created = api.post("/v1/conversations", token=owner.token, json_body=body, headers=headers)
    assert created.status == 201, created.body
    group_view = created.json
    assert group_view["member_count"] == 3 and group_view["my_role"] == "owner" and group_view["owner_id"] == owner.id
    assert group_view["name"] == "Friday one-shot" and group_view["description"] == "Mothership"
    replay = api.post("/v1/conversations", token=owner.token, json_body=body, headers=headers)
    assert replay.status == 201 and replay.json["id"] == group_view["id"]
    other = api.post("/v1/conversations", token=owner.token, json_body={**body, "name": "Other"}, headers=headers)
    assert_problem(other, 422, "idempotency_key_reused")
    unknown = {"type": "group", "name": "G", "member_ids": [ids.new_id("usr")]}
    assert (
        assert_problem(api.post("/v1/conversations", token=owner.token, json_body=unknown), 422)["errors"][0]["field"]
        == "member_ids"
    )
    assert conversation(api, a, group_view["id"])["my_role"] == "member"


def test_strangers_and_anonymous_callers_never_see_a_conversation(api, token_for):
    from chalicelib.core import ids

    ana, ben, eve = (new_user(api, token_for) for _ in range(3))
    cid = direct(api, ana, ben)
    for path in (f"/v1/conversations/{cid}", f"/v1/conversations/{ids.new_id('cnv')}", "/v1/conversations/junk"):
        assert_problem(api.get(path, token=eve.token), 404, "not_found")
    assert_problem(api.get(f"/v1/conversations/{cid}"), 401)
    assert_problem(api.get("/v1/conversations"), 401)
    assert_problem(api.get("/v1/conversations", headers={"Authorization": "Bearer junk"}), 401)
    assert _list(api, eve)["items"] == []
    assert_problem(api.patch(f"/v1/conversations/{cid}/me", token=eve.token, json_body={"muted": True}), 404)
    assert_problem(api.patch(f"/v1/conversations/{cid}/me", json_body={"muted": True}), 401)
    assert_problem(api.patch(f"/v1/conversations/{cid}", token=eve.token, json_body={"name": "x"}), 404)
    assert_problem(api.patch(f"/v1/conversations/{cid}", json_body={"name": "x"}), 401)


def test_list_is_sorted_by_last_activity_with_unread_counts_and_last_message(api, token_for):
    from chalicelib.core import clock

    me, ana, ben = (new_user(api, token_for) for _ in range(3))
    with_ana = direct(api, me, ana)
    clock.advance(1)
    with_ben = direct(api, me, ben)
    clock.advance(1)
    crew = group(api, me, ana, ben)
    assert [c["id"] for c in _list(api, me)["items"]] == [crew, with_ben, with_ana]
    clock.advance(1)
    send(api, ana, with_ana, "first")
    send(api, ana, with_ana, "second one, a bit longer")
    items = _list(api, me)["items"]
    assert [c["id"] for c in items] == [with_ana, crew, with_ben]
    assert items[0]["unread_count"] == 2 and items[1]["unread_count"] == 0
    assert items[0]["last_message"]["preview"] == "second one, a bit longer"
    assert items[0]["last_message"]["sender_id"] == ana.id
    assert conversation(api, ana, with_ana)["unread_count"] == 0  # own messages are read


def test_list_pages_with_a_cursor_bound_to_the_list(api, token_for):
    from chalicelib.core import clock

    me = new_user(api, token_for)
    others = [new_user(api, token_for) for _ in range(5)]
    made = []
    for other in others:
        made.append(direct(api, me, other))
        clock.advance(1)
    first = _list(api, me, "?limit=2")
    second = _list(api, me, f"?limit=2&cursor={first['next_cursor']}")
    third = _list(api, me, f"?limit=2&cursor={second['next_cursor']}")
    seen = [c["id"] for page in (first, second, third) for c in page["items"]]
    assert seen == list(reversed(made)) and third["next_cursor"] is None
    assert_problem(api.get("/v1/conversations?cursor=forged", token=me.token), 400, "invalid_cursor")
    other_list = f"/v1/conversations?archived=true&cursor={first['next_cursor']}"
    assert_problem(api.get(other_list, token=me.token), 400, "invalid_cursor")
    assert_problem(api.get("/v1/conversations?limit=0", token=me.token), 422)
    assert_problem(api.get("/v1/conversations?limit=101", token=me.token), 422)


def test_archive_hides_until_something_new_arrives_unless_muted(api, token_for):
    me, ana = new_user(api, token_for), new_user(api, token_for)
    cid = direct(api, me, ana)
    send(api, ana, cid, "hi")
    archived = api.patch(f"/v1/conversations/{cid}/me", token=me.token, json_body={"archived": True})
    assert archived.status == 200 and archived.json["archived"] is True
    assert _list(api, me)["items"] == []
    assert [c["id"] for c in _list(api, me, "?archived=true")["items"]] == [cid]
    assert _list(api, ana)["items"][0]["archived"] is False  # archive is per member
    send(api, ana, cid, "are you there?")
    assert [c["id"] for c in _list(api, me)["items"]] == [cid]  # back, with the news
    api.patch(f"/v1/conversations/{cid}/me", token=me.token, json_body={"archived": True, "muted": True})
    send(api, ana, cid, "hello??")
    view = conversation(api, me, cid)
    assert view["archived"] is True and view["muted"] is True and view["unread_count"] == 3
    unarchived = api.patch(f"/v1/conversations/{cid}/me", token=me.token, json_body={"archived": False})
    assert unarchived.json["archived"] is False and unarchived.json["muted"] is True
    assert_problem(api.patch(f"/v1/conversations/{cid}/me", token=me.token, json_body={}), 422)
    assert_problem(api.patch(f"/v1/conversations/{cid}/me", token=me.token, json_body={"muted": "loud"}), 422)


def _upload(key: str, content_type: str, data: bytes = b"x" * 10) -> None:
    from chalicelib.core.settings import get_settings

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_object(Bucket=get_settings().uploads_bucket, Key=key, Body=data, ContentType=content_type)


def test_group_settings_are_for_admins_with_if_match(api, token_for):
    owner, member = new_user(api, token_for), new_user(api, token_for)
    cid = group(api, owner, member)
    path = f"/v1/conversations/{cid}"
    changed = api.patch(path, token=owner.token, json_body={"name": "Renamed", "description": None},
                        headers={"If-Match": '"1"'})  # fmt: skip
    assert changed.status == 200, changed.body
    assert changed.json["name"] == "Renamed" and changed.json["description"] is None
    assert changed.json["settings_version"] == 2
    assert_problem(api.patch(path, token=owner.token, json_body={"name": "X"}, headers={"If-Match": "1"}), 412)
    assert_problem(api.patch(path, token=owner.token, json_body={"name": "X"}, headers={"If-Match": "abc"}), 412)
    assert_problem(api.patch(path, token=member.token, json_body={"name": "Mine now"}), 403, "not_allowed")
    assert_problem(api.patch(path, token=owner.token, json_body={}), 422)
    assert_problem(api.patch(path, token=owner.token, json_body={"name": None}), 422)
    # An avatar: an image the admin uploaded to this conversation, proven by S3.
    upload = api.post(
        f"{path}/attachments", token=owner.token, json_body={"content_type": "image/png", "size_bytes": 10}
    )
    assert upload.status == 201, upload.body
    key = upload.json["key"]
    assert_problem(api.patch(path, token=owner.token, json_body={"avatar_key": key}), 422)  # not uploaded yet
    _upload(key, "image/png")
    with_avatar = api.patch(path, token=owner.token, json_body={"avatar_key": key})
    assert with_avatar.status == 200 and with_avatar.json["avatar_url"].startswith("http")
    foreign = f"chat/{cid}/{member.id}/x.png"
    _upload(foreign, "image/png")
    assert_problem(api.patch(path, token=owner.token, json_body={"avatar_key": foreign}), 422)


def test_direct_chats_have_no_settings(api, token_for):
    ana, ben = new_user(api, token_for), new_user(api, token_for)
    cid = direct(api, ana, ben)
    assert_problem(api.patch(f"/v1/conversations/{cid}", token=ana.token, json_body={"name": "Us"}), 409, "direct_chat")
