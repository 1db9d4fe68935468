"""Members of a group: admins add and remove, anyone leaves, the owner hands over roles, at most 500."""

from __future__ import annotations

from tests.api.chat_helpers import conversation, direct, group, history, new_user, send
from tests.api.helpers import assert_problem


def _members(api, user, cid, query=""):
    response = api.get(f"/v1/conversations/{cid}/members{query}", token=user.token)
    assert response.status == 200, response.body
    return response.json


def test_admins_add_members_who_then_see_the_history(api, token_for):
    owner, ana, ben = (new_user(api, token_for) for _ in range(3))
    cid = group(api, owner, ana)
    send(api, owner, cid, "before ben")
    added = api.post(f"/v1/conversations/{cid}/members", token=owner.token, json_body={"user_ids": [ben.id, ana.id]})
    assert added.status == 200, added.body
    assert [m["user_id"] for m in added.json["items"]] == [ben.id]  # ana was in already
    view = conversation(api, ben, cid)
    assert view["member_count"] == 3 and view["unread_count"] == 0  # history before joining is not unread
    assert [m["body"] for m in history(api, ben, cid)["items"]] == ["before ben"]
    roles = {m["user_id"]: m["role"] for m in _members(api, owner, cid)["items"]}
    assert roles == {owner.id: "owner", ana.id: "member", ben.id: "member"}
    page = _members(api, owner, cid, "?limit=2")
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = _members(api, owner, cid, f"?limit=2&cursor={page['next_cursor']}")
    assert len(rest["items"]) == 1


def test_adding_needs_an_admin_known_users_and_a_group(api, token_for):
    from chalicelib.core import ids

    owner, ana, ben, eve = (new_user(api, token_for) for _ in range(4))
    cid = group(api, owner, ana)
    path = f"/v1/conversations/{cid}/members"
    assert_problem(api.post(path, token=ana.token, json_body={"user_ids": [ben.id]}), 403, "not_allowed")
    assert_problem(api.post(path, token=eve.token, json_body={"user_ids": [ben.id]}), 404)
    assert_problem(api.post(path, json_body={"user_ids": [ben.id]}), 401)
    assert_problem(api.post(path, token=owner.token, json_body={"user_ids": [ids.new_id("usr")]}), 422)
    assert_problem(api.post(path, token=owner.token, json_body={"user_ids": []}), 422)
    assert_problem(api.post(path, token=owner.token, json_body={"user_ids": ["x"] * 51}), 422)
    assert_problem(api.get(path, token=eve.token), 404)
    assert_problem(api.get(path), 401)
    pair = direct(api, ana, ben)
    assert_problem(api.post(f"/v1/conversations/{pair}/members", token=ana.token, json_body={"user_ids": [eve.id]}),
                   409, "direct_chat")  # fmt: skip


def test_a_removed_member_loses_access_at_once(api, token_for):
    owner, ana, ben = (new_user(api, token_for) for _ in range(3))
    cid = group(api, owner, ana, ben)
    send(api, owner, cid, "all of us")
    removed = api.delete(f"/v1/conversations/{cid}/members/{ben.id}", token=owner.token)
    assert removed.status == 204, removed.body
    assert_problem(api.get(f"/v1/conversations/{cid}", token=ben.token), 404)
    assert_problem(api.get(f"/v1/conversations/{cid}/messages", token=ben.token), 404)
    ben_send = api.post(f"/v1/conversations/{cid}/messages", token=ben.token, json_body={"body": "let me in"})
    assert_problem(ben_send, 404)
    assert conversation(api, owner, cid)["member_count"] == 2
    assert_problem(api.delete(f"/v1/conversations/{cid}/members/{ben.id}", token=owner.token), 404)


def test_who_may_remove_whom(api, token_for):
    owner, admin, other_admin, member, eve = (new_user(api, token_for) for _ in range(5))
    cid = group(api, owner, admin, other_admin, member)
    for user in (admin, other_admin):
        made = api.patch(f"/v1/conversations/{cid}/members/{user.id}", token=owner.token, json_body={"role": "admin"})
        assert made.status == 200 and made.json["role"] == "admin"
    path = f"/v1/conversations/{cid}/members/"
    assert_problem(api.delete(path + owner.id, token=admin.token), 403)  # nobody removes the owner
    assert_problem(api.delete(path + other_admin.id, token=admin.token), 403)  # only the owner removes admins
    assert_problem(api.delete(path + admin.id, token=member.token), 403)
    assert_problem(api.delete(path + member.id, token=eve.token), 404)
    assert_problem(api.delete(path + member.id), 401)
    assert api.delete(path + member.id, token=admin.token).status == 204  # an admin removes a member
    assert api.delete(path + other_admin.id, token=owner.token).status == 204


def test_roles_are_the_owners_to_give(api, token_for):
    from chalicelib.core import ids

    owner, admin, member, eve = (new_user(api, token_for) for _ in range(4))
    cid = group(api, owner, admin, member)
    path = f"/v1/conversations/{cid}/members/"
    api.patch(path + admin.id, token=owner.token, json_body={"role": "admin"})
    assert_problem(api.patch(path + member.id, token=admin.token, json_body={"role": "admin"}), 403)
    assert_problem(api.patch(path + owner.id, token=owner.token, json_body={"role": "member"}), 409, "owner_role")
    assert_problem(api.patch(path + ids.new_id("usr"), token=owner.token, json_body={"role": "admin"}), 404)
    assert_problem(api.patch(path + member.id, token=owner.token, json_body={"role": "owner"}), 422)
    assert_problem(api.patch(path + member.id, token=eve.token, json_body={"role": "admin"}), 404)
    assert_problem(api.patch(path + member.id, json_body={"role": "admin"}), 401)
    back = api.patch(path + admin.id, token=owner.token, json_body={"role": "member"})
    assert back.status == 200 and back.json["role"] == "member"


def test_anyone_leaves_a_group_and_an_owner_hands_it_on(api, token_for):
    owner, admin, member, eve = (new_user(api, token_for) for _ in range(4))
    cid = group(api, owner, member, admin)
    api.patch(f"/v1/conversations/{cid}/members/{admin.id}", token=owner.token, json_body={"role": "admin"})
    assert api.post(f"/v1/conversations/{cid}/leave", token=member.token).status == 204
    assert_problem(api.get(f"/v1/conversations/{cid}", token=member.token), 404)
    assert api.delete(f"/v1/conversations/{cid}/members/{owner.id}", token=owner.token).status == 204  # = leave
    view = conversation(api, admin, cid)
    assert view["owner_id"] == admin.id and view["my_role"] == "owner" and view["member_count"] == 1
    assert_problem(api.post(f"/v1/conversations/{cid}/leave", token=eve.token), 404)
    assert_problem(api.post(f"/v1/conversations/{cid}/leave"), 401)
    pair = direct(api, admin, eve)
    assert_problem(api.post(f"/v1/conversations/{pair}/leave", token=eve.token), 409, "direct_chat")


# The 500-member limit is tested on DynamoDB Local (tests/conformance/test_chat_limits.py): moto copies
# its whole table for every transaction, which makes a 500-member group take minutes here.
