"""Open websocket connections: who is connected where, so any package can push frames to a user.

It lives in core, beside the realtime sender that reads it, because every package pushes (chat,
booking updates, notifications) and none may reach into another's models. Keys:

- connection  PK=WSCONN#<connection_id>  SK=WSCONN                      → one open connection
              GSI1PK=USER#<user_id>#WSCONN  GSI1SK=<connected_at>#<id>  → a user's connections
- user's set  PK=WSUSER#<user_id>        SK=WSUSER                      → the ids of the user's open
              connections, so a fan-out to N users reads N/100 items with BatchGetItem instead of
              making N Queries

Items expire through the table's TTL after the gateway's maximum connection duration (2h); the
TTL sweep is lazy, so reads also skip items whose `expires_at` has passed. A connection id left in a
user's set by a lost `$disconnect` is removed by the first send that gets 410 Gone for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute, UTCDateTimeAttribute

from chalicelib.core import clock, conditional
from chalicelib.core.settings import get_settings
from chalicelib.core.table import BaseItem, write_transaction

SK = "WSCONN"
USER_SK = "WSUSER"
BATCH_GET_KEYS = 100  # DynamoDB's BatchGetItem limit
BATCH_WORKERS = 8  # parallel BatchGetItem calls of one fan-out
UNPROCESSED_ROUNDS = 5  # BatchGetItem calls for one batch's keys when DynamoDB leaves some unprocessed


def connection_pk(connection_id: str) -> str:
    return f"WSCONN#{connection_id}"


def user_connections_pk(user_id: str) -> str:
    return f"USER#{user_id}#WSCONN"


def user_set_pk(user_id: str) -> str:
    return f"WSUSER#{user_id}"


class ConnectionItem(BaseItem, discriminator="ws_connection"):
    connection_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    throttled_at = UTCDateTimeAttribute(null=True)  # see `throttle`


class UserConnectionsItem(BaseItem, discriminator="ws_user_connections"):
    user_id = UnicodeAttribute()
    connection_ids = UnicodeSetAttribute(null=True)  # absent when the user has none


@dataclass(frozen=True)
class Connection:
    connection_id: str
    user_id: str
    connected_at: datetime
    expires_at: datetime


def _out(item: ConnectionItem) -> Connection:
    return Connection(
        connection_id=item.connection_id,
        user_id=item.user_id,
        connected_at=item.created_at,
        expires_at=item.expires_at,
    )


def _alive(item: ConnectionItem) -> bool:
    return item.expires_at is None or item.expires_at > clock.now()


def register(connection_id: str, user_id: str) -> Connection:
    """Remember a new connection of `user_id`: the connection and the user's set, in one
    TransactWriteItems."""
    now = clock.now()
    expires = now + timedelta(seconds=get_settings().ws_connection_ttl_seconds)
    item = ConnectionItem(
        connection_pk(connection_id),
        SK,
        connection_id=connection_id,
        user_id=user_id,
        GSI1PK=user_connections_pk(user_id),
        GSI1SK=f"{clock.to_wire(now)}#{connection_id}",
        created_at=now,
        expires_at=expires,
    )
    user_set = UserConnectionsItem(user_set_pk(user_id), USER_SK)
    cls = UserConnectionsItem
    with write_transaction() as tx:
        tx.save(item)
        tx.update(
            user_set,
            actions=[
                cls.kind.set(cls.kind | cls),  # an upsert: the discriminator too, on first write
                cls.user_id.set(user_id),
                cls.created_at.set(cls.created_at | now),
                cls.updated_at.set(now),
                cls.connection_ids.add({connection_id}),
                cls.expires_at.set(expires),  # the set outlives its newest connection only
            ],
        )
    return _out(item)


def get(connection_id: str) -> Connection | None:
    """The connection, if it is still registered (one GetItem)."""
    try:
        item = ConnectionItem.get(connection_pk(connection_id), SK, consistent_read=True)
    except ConnectionItem.DoesNotExist:
        return None
    return _out(item) if _alive(item) else None


def drop(connection_id: str, user_id: str | None = None) -> None:
    """Forget a connection (disconnect, or the gateway said it is gone). Idempotent: a DeleteItem
    that returns the old item, then an UpdateItem taking the id out of its user's set. `user_id`
    names the owner when the caller knows it (the record may be gone already)."""
    table = ConnectionItem._get_connection()
    old = table.delete_item(connection_pk(connection_id), SK, return_values="ALL_OLD").get("Attributes") or {}
    owner = user_id or (old.get("user_id") or {}).get("S")
    if not owner:
        return
    cls = UserConnectionsItem
    conditional.write(
        lambda: cls(user_set_pk(owner), USER_SK).update(
            actions=[cls.connection_ids.delete({connection_id})], condition=cls.PK.exists()
        )
    )


def of_user(user_id: str) -> list[Connection]:
    """The user's open connections, oldest first (one Query on GSI1; a user has a handful)."""
    items = ConnectionItem.gsi1.query(user_connections_pk(user_id))
    return [_out(item) for item in items if isinstance(item, ConnectionItem) and _alive(item)]


def _owners(user_ids: list[str]) -> dict[str, str]:
    """{connection_id: user_id} over the open connections of up to 100 users: one BatchGetItem of
    the three attributes a fan-out needs, read straight from DynamoDB's answer (a fan-out reads 5
    of these for 500 members; building model objects would double their CPU)."""
    table = UserConnectionsItem._get_connection()
    pk, sk = UserConnectionsItem.PK.attr_name, UserConnectionsItem.SK.attr_name
    keys: list[Any] = [{pk: {"S": user_set_pk(uid)}, sk: {"S": USER_SK}} for uid in user_ids]
    now = clock.now().timestamp()
    owners: dict[str, str] = {}
    for _ in range(UNPROCESSED_ROUNDS):
        answer = table.batch_get_item(
            keys, consistent_read=True, attributes_to_get=["user_id", "connection_ids", "expires_at"]
        )
        for item in answer["Responses"].get(table.table_name, []):
            expires = item.get("expires_at")  # a TTL attribute: epoch seconds
            if expires is not None and float(expires["N"]) <= now:
                continue
            for connection_id in sorted(item.get("connection_ids", {}).get("SS", ())):
                owners[connection_id] = item["user_id"]["S"]
        keys = answer.get("UnprocessedKeys", {}).get(table.table_name, {}).get("Keys", [])
        if not keys:
            return owners
    raise RuntimeError(f"DynamoDB left {len(keys)} connection sets unread after {UNPROCESSED_ROUNDS} rounds")


def owners_in_batches(user_ids: Iterable[str]) -> Iterator[dict[str, str]]:
    """{connection_id: user_id} over the open connections of these users, 100 users at a time, each
    batch as soon as its BatchGetItem answers (they run in parallel, bounded), so that a fan-out can
    post to the first batch while the others are still being read. 500 members: 5 calls, not 500
    Queries."""
    unique = list(dict.fromkeys(user_ids))
    chunks = [unique[i : i + BATCH_GET_KEYS] for i in range(0, len(unique), BATCH_GET_KEYS)]
    if len(chunks) <= 1:
        yield from map(_owners, chunks)
        return
    with ThreadPoolExecutor(max_workers=min(BATCH_WORKERS, len(chunks)), thread_name_prefix="wsconn") as pool:
        for done in as_completed([pool.submit(_owners, chunk) for chunk in chunks]):
            yield done.result()


def throttle(connection_id: str, interval_seconds: float) -> Connection | None:
    """The connection, if it may act now: at most once per `interval_seconds` (typing indicators).

    One conditional UpdateItem: None when the connection acted too recently or is not registered.
    """
    now = clock.now()
    cls = ConnectionItem
    item = cls(connection_pk(connection_id), SK)
    since = now - timedelta(seconds=interval_seconds)
    written = conditional.write(
        lambda: item.update(
            actions=[cls.throttled_at.set(now)],
            condition=cls.PK.exists() & (cls.throttled_at.does_not_exist() | (cls.throttled_at <= since)),
        )
    )
    if not written:
        return None
    return _out(item) if _alive(item) else None
