"""Chat's conditions on DynamoDB Local: racing senders get distinct sequence numbers, racing resends
make one message, racing adds never pass 500 members; and the limits through the routes (500
members, 50 pins), which moto's copy-the-table transactions make too slow for the API tier."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.conftest import TEST_ISSUER


def _group(owner: str, members: list[str]) -> str:
    from chalicelib.chat import conversations, domain
    from chalicelib.chat.txn import Transaction

    tx = Transaction()
    roles = {owner: domain.Role.owner} | {uid: domain.Role.member for uid in members}
    conversation = conversations.start(tx, domain.ConversationType.group, roles, name="Race")
    tx.commit()
    return conversation.conversation_id


def _users(count: int) -> list[str]:
    from chalicelib.core import ids

    return [ids.new_id("usr") for _ in range(count)]


def test_racing_senders_get_distinct_sequence_numbers_and_exact_unread_counts() -> None:
    from chalicelib.chat import access, messages, schemas

    owner, silent, *senders = _users(8)
    cid = _group(owner, [silent, *senders])

    def burst(sender: str) -> list[int]:
        return [
            messages.send(sender, cid, schemas.SendMessage(client_msg_id=f"{sender}-{i}", body=f"{i}")).seq
            for i in range(5)
        ]

    with ThreadPoolExecutor(max_workers=len(senders)) as pool:
        seqs = [seq for part in pool.map(burst, senders) for seq in part]
    assert sorted(seqs) == list(range(1, 31))
    found = access.load(cid, silent)
    assert int(found.conversation.seq) == 30
    page = messages.history(silent, cid, schemas.MessagesQuery(limit=100))
    assert [m.seq for m in page.items] == list(range(30, 0, -1))  # ULID order is seq order
    from chalicelib.chat import views

    assert views.conversation(found.conversation, found.member).unread_count == 30


def test_racing_resends_of_one_client_msg_id_make_one_message() -> None:
    from chalicelib.chat import messages, schemas

    owner, ana = _users(2)
    cid = _group(owner, [ana])
    request = schemas.SendMessage(client_msg_id="same", body="only once")
    with ThreadPoolExecutor(max_workers=6) as pool:
        sent = list(pool.map(lambda _: messages.send(ana, cid, request), range(6)))
    assert len({m.id for m in sent}) == 1
    assert sorted(m.duplicate for m in sent) == [False] + [True] * 5
    assert len(messages.history(owner, cid, schemas.MessagesQuery()).items) == 1


def test_racing_adds_never_pass_500_members() -> None:
    from chalicelib.chat import access, members
    from chalicelib.core.exceptions import Conflict

    owner, *crowd = _users(490)
    cid = _group(owner, [])
    members.add(access.load_any(cid), crowd, by=owner)  # 490 in all, in 5 transactions
    batches = [_users(5) for _ in range(4)]

    def add(batch: list[str]) -> str:
        try:
            members.add(access.load_any(cid), batch, by=owner)
        except Conflict as refused:
            return refused.code
        return "added"

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = sorted(pool.map(add, batches))
    assert outcomes == ["added", "added", "conversation_full", "conversation_full"]
    loaded = access.load_any(cid)
    assert int(loaded.conversation.member_count) == len(loaded.member_ids) == 500


# -- the limits through the routes (Chalice's test client on DynamoDB Local) ----------------------


@pytest.fixture
def api() -> Iterator[Any]:
    from chalice.test import Client

    import app
    from tests.app_client import Api

    with Client(app.app, stage_name="test") as client:
        yield Api(client)


def _token(user_id: str) -> str:
    from chalicelib.core import clock

    return TEST_ISSUER.mint(user_id, now=clock.now(), ttl_seconds=24 * 3600)


def test_a_group_holds_at_most_500_members_through_the_routes(api: Any) -> None:
    from chalicelib.chat import access, members

    owner, late, *crowd = _users(501)
    owner_token, late_token = _token(owner), _token(late)
    assert api.get("/v1/me", token=late_token).status == 200  # late exists
    created = api.post("/v1/conversations", token=owner_token, json_body={"type": "group", "name": "Big"})
    cid = created.json["id"]
    members.add(access.load_any(cid), crowd[:499], by=owner)
    path = f"/v1/conversations/{cid}/members"
    full = api.post(path, token=owner_token, json_body={"user_ids": [late]})
    assert full.status == 409 and json.loads(full.body)["code"] == "conversation_full"
    assert api.delete(f"{path}/{crowd[0]}", token=owner_token).status == 204
    assert api.post(path, token=owner_token, json_body={"user_ids": [late]}).status == 200
    assert api.get(f"/v1/conversations/{cid}", token=late_token).json["member_count"] == 500


def test_a_conversation_keeps_at_most_50_pins(api: Any) -> None:
    from chalicelib.chat import domain, messages, schemas
    from chalicelib.core import clock

    [owner] = _users(1)
    token = _token(owner)
    cid = api.post("/v1/conversations", token=token, json_body={"type": "group", "name": "Pins"}).json["id"]
    for i in range(domain.MAX_PINS + 1):
        if i % domain.RATE_LIMIT == 0:
            clock.advance(domain.RATE_WINDOW_SECONDS)
        message = messages.send(owner, cid, schemas.SendMessage(body=f"pin me {i}"))
        response = api.put(f"/v1/conversations/{cid}/pins/{message.id}", token=token)
    assert response.status == 409 and json.loads(response.body)["code"] == "too_many_pins"
    assert len(api.get(f"/v1/conversations/{cid}/pins", token=token).json["items"]) == domain.MAX_PINS
