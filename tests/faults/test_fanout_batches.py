"""A fan-out to more than 100 users reads their connection sets in several BatchGetItem calls and
posts to each batch's connections as soon as that batch is read: every open connection still gets
the frame exactly once, and a read failing part-way fails the send only after what was read before
has been posted."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.core import clock, connections, realtime
from chalicelib.core.management_api import DELIVERED, ConnectionsEndpoint
from chalicelib.core.settings import get_settings
from tests.fault_proxy import FaultProxy, target
from tests.faults.conftest import RecordingGateway

USERS = 230  # three BatchGetItem calls of at most 100 sets


def _frames(gateway: RecordingGateway, connection_id: str, kind: str) -> list[dict[str, Any]]:
    return [f for f in gateway.received(connection_id) if f["type"] == kind]


def _connect_quickly(users: list[str]) -> None:
    """The users' connection sets as `connections.register` leaves them (each with a `-phone`)."""
    cls = connections.UserConnectionsItem
    expires = clock.now() + timedelta(hours=1)
    with cls.batch_write() as batch:
        for user in users:
            batch.save(
                cls(
                    connections.user_set_pk(user),
                    connections.USER_SK,
                    user_id=user,
                    connection_ids={f"{user}-phone"},
                    expires_at=expires,
                )
            )


def test_every_open_connection_of_several_batches_gets_the_frame_once(
    api: Any, proxies: dict[str, FaultProxy], gateway: RecordingGateway
) -> None:
    users = [f"usr_fan{i:03d}" for i in range(USERS)]
    gone_user = users[-1]
    _connect_quickly(users[:-1])  # one BatchWriteItem per 25 users: registering 230 costs a minute on moto
    connections.register(f"{gone_user}-phone", gone_user)
    connections.register(f"{users[7]}-laptop", users[7])  # a user with two devices
    gateway.closed.add(f"{gone_user}-phone")  # in the last batch
    proxies["dynamodb"].forget()

    report = realtime.send_to_users(users, realtime.frame("fanned", {"n": 1}), exclude=[f"{users[0]}-phone"])

    reads = proxies["dynamodb"].seen(when=target("BatchGetItem"))
    assert len(reads) == 3
    open_connections = [f"{u}-phone" for u in users[1:-1]] + [f"{users[7]}-laptop"]
    assert sorted(report.delivered) == sorted(open_connections)
    assert report.gone == [f"{gone_user}-phone"] and report.failed == []
    assert report.reached == set(users[1:-1])
    for connection_id in open_connections:
        assert len(_frames(gateway, connection_id, "fanned")) == 1, connection_id
    assert _frames(gateway, f"{users[0]}-phone", "fanned") == []  # the excluded sender's socket
    assert connections.get(f"{gone_user}-phone") is None


def test_a_failing_read_fails_the_send_after_posting_what_was_read(gateway: RecordingGateway) -> None:
    endpoint = ConnectionsEndpoint(f"http://127.0.0.1:{gateway.port}/test", get_settings().aws_region)
    first = ["read-first-a", "read-first-b"]

    def batches() -> Iterator[list[str]]:
        yield first
        raise ConnectionError("the second batch of connection sets could not be read")

    with pytest.raises(ConnectionError):
        endpoint.post_batches(batches(), b'{"type":"partial","data":{}}')

    for connection_id in first:
        assert _frames(gateway, connection_id, "partial") == [{"type": "partial", "data": {}}]


def test_posts_of_one_batch_are_reported_per_connection(gateway: RecordingGateway) -> None:
    endpoint = ConnectionsEndpoint(f"http://127.0.0.1:{gateway.port}/test", get_settings().aws_region, parallel=4)
    ids = [f"paired-{i}" for i in range(10)]

    outcomes = endpoint.post_batches([ids[:3], [], ids[3:]], b'{"type":"paired","data":{}}')

    assert sorted(cid for cid, _ in outcomes) == ids
    assert {outcome for _, (outcome, _detail) in outcomes} == {DELIVERED}


class _UnreachableGateway:
    """A gateway this container does not know yet: any use of it fails the test."""

    def post_batches(self, batches: Iterable[Sequence[str]], data: bytes) -> list[tuple[str, tuple[str, str]]]:
        raise AssertionError("the gateway was used for a send with no connection to post to")


def test_users_with_no_open_connection_need_no_gateway() -> None:
    realtime.use_poster(_UnreachableGateway())
    try:
        report = realtime.send_to_users(["usr_offline1", "usr_offline2"], realtime.frame("fanned", {"n": 2}))
    finally:
        realtime.use_poster(None)

    assert report.as_dict() == {"delivered": [], "gone": [], "failed": []} and report.reached == set()
