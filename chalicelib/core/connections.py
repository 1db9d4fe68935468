"""Open websocket connections: who is connected where, so any package can push frames to a user.

It lives in core, beside the realtime sender that reads it, because every package pushes (chat,
booking updates, notifications) and none may reach into another's models. Keys:

- connection  PK=WSCONN#<connection_id>  SK=WSCONN                      → one open connection
              GSI1PK=USER#<user_id>#WSCONN  GSI1SK=<connected_at>#<id>  → a user's connections

Items expire through the table's TTL after the gateway's maximum connection duration (2h); the
TTL sweep is lazy, so reads also skip items whose `expires_at` has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.attributes import UnicodeAttribute

from chalicelib.core import clock
from chalicelib.core.settings import get_settings
from chalicelib.core.table import BaseItem

SK = "WSCONN"


def connection_pk(connection_id: str) -> str:
    return f"WSCONN#{connection_id}"


def user_connections_pk(user_id: str) -> str:
    return f"USER#{user_id}#WSCONN"


class ConnectionItem(BaseItem, discriminator="ws_connection"):
    connection_id = UnicodeAttribute()
    user_id = UnicodeAttribute()


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
    """Remember a new connection of `user_id` (one PutItem)."""
    now = clock.now()
    item = ConnectionItem(
        connection_pk(connection_id),
        SK,
        connection_id=connection_id,
        user_id=user_id,
        GSI1PK=user_connections_pk(user_id),
        GSI1SK=f"{clock.to_wire(now)}#{connection_id}",
        created_at=now,
        expires_at=now + timedelta(seconds=get_settings().ws_connection_ttl_seconds),
    )
    item.save()
    return _out(item)


def get(connection_id: str) -> Connection | None:
    """The connection, if it is still registered (one GetItem)."""
    try:
        item = ConnectionItem.get(connection_pk(connection_id), SK, consistent_read=True)
    except ConnectionItem.DoesNotExist:
        return None
    return _out(item) if _alive(item) else None


def drop(connection_id: str) -> None:
    """Forget a connection (disconnect, or the gateway said it is gone). Idempotent: one DeleteItem."""
    ConnectionItem(connection_pk(connection_id), SK).delete()


def of_user(user_id: str) -> list[Connection]:
    """The user's open connections, oldest first (one Query on GSI1; a user has a handful)."""
    items = ConnectionItem.gsi1.query(user_connections_pk(user_id))
    return [_out(item) for item in items if isinstance(item, ConnectionItem) and _alive(item)]
