"""New chat messages for members with no open connection: one batched email per user and window,
not one per message; the send costs one write per 300 offline members, not one per member."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.core import clock, connections, outbox, realtime, sweep, timers
from chalicelib.notifications import chat_digest
from chalicelib.notifications import email as email_adapter
from tests.api.catalog_helpers import NOW
from tests.api.chat_helpers import User, group, send
from tests.api.notification_helpers import FlakySes, feed, flaky_ses, sweep_at, user

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def ses() -> Iterator[FlakySes]:
    fake = flaky_ses()
    email_adapter.use_client(fake)
    yield fake
    email_adapter.use_client(None)


def _member(api: Any, token_for: Any, **kw: Any) -> tuple[User, str]:
    token, user_id, address = user(api, token_for, **kw)
    return User(token, user_id), address


def test_offline_members_get_one_digest_online_members_none(api: Any, token_for: Any, ses: FlakySes) -> None:
    owner, _ = _member(api, token_for)
    online, online_mail = _member(api, token_for)
    away, away_mail = _member(api, token_for, locale="de", timezone="Europe/Berlin")
    quiet, quiet_mail = _member(api, token_for)
    api.put(
        "/v1/me/notification-preferences",
        token=quiet.token,
        json_body={"categories": {"chat": {"email": False, "in_app": False, "push": False}}},
    )
    realtime.learn_endpoint("sesh-test.execute-api.us-east-1.amazonaws.com", "test")
    connections.register("digest-online-1=", online.id)
    conversation_id = group(api, owner, online, away, quiet, name="Table talk")
    for text in ("one", "two", "three"):
        send(api, owner, conversation_id, text)
        clock.advance(30)
        sweep.run(lookback_minutes=5, workers=1)
    assert len(timers.for_subject(away.id)) == 1  # one window, not one timer per message
    assert timers.for_subject(online.id) == [] and timers.for_subject(owner.id) == []
    assert ses.to(away_mail) == []  # not before the window ends

    sweep_at(NOW + timedelta(minutes=16))
    [digest] = ses.to(away_mail)
    assert digest.subject == "3 ungelesene Nachricht(en) auf Sesh" and "Table talk" in digest.text
    assert ses.to(online_mail) == [] and ses.to(quiet_mail) == []
    assert [n["kind"] for n in feed(api, away.token)["items"]] == ["chat_digest"]

    send(api, owner, conversation_id, "four")  # a new window starts after the last one
    sweep_at(NOW + timedelta(minutes=17))
    sweep_at(NOW + timedelta(minutes=33))
    assert len(ses.to(away_mail)) == 2
    assert "4 ungelesene" in ses.to(away_mail)[-1].subject


def test_a_500_member_send_writes_two_outbox_messages_not_500_items(api: Any) -> None:
    members = [f"usr_{i:026d}" for i in range(500)]
    assert chat_digest.note_unreached("cnv_big", "msg_1", members) == 2
    written = [m for m in outbox.for_subject("cnv_big") if m.kind == chat_digest.UNREACHED]
    assert sorted(len(m.payload["user_ids"]) for m in written) == [200, 300]
    assert chat_digest.note_unreached("cnv_big", "msg_1", members) == 2  # a retry writes the same two
    assert len(outbox.for_subject("cnv_big")) == 2
