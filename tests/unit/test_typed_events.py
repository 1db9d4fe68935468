"""Typed events: a frozen dataclass per kind, carried as the same outbox payload as the string form."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from chalicelib.chat import events as chat_events
from chalicelib.chat.events import MembersUnreached
from chalicelib.core.events import Event


def test_unreached_members_are_told_in_slices_of_300_each_with_its_own_dedupe() -> None:
    users = [f"usr_{i:026d}" for i in range(500)]
    told = chat_events.members_unreached("cnv_1", "msg_1", reversed(users))
    assert [len(e.user_ids) for e in told] == [300, 200]
    assert [e.dedupe for e in told] == ["msg_1#0", "msg_1#1"] and {e.subject for e in told} == {"cnv_1"}
    assert sorted(u for e in told for u in e.user_ids) == users
    assert chat_events.members_unreached("cnv_1", "msg_1", []) == []


def test_a_subscriber_reads_back_what_was_published() -> None:
    sent = MembersUnreached("cnv_1", "msg_1", ("usr_a", "usr_b"), part=1)
    payload = json.loads(json.dumps(dataclasses.asdict(sent)))  # what the outbox stores
    event = Event("out_1", MembersUnreached.KIND, "cnv_1", {**payload, "later": "field"}, datetime.now(UTC))
    assert MembersUnreached.of(event) == sent
    with pytest.raises(ValueError):
        MembersUnreached.of(dataclasses.replace(event, kind="chat.other"))
