"""Realtime frames of chat, pushed to a conversation's members through the one realtime sender.

Who receives a frame is read from the conversation's roster (already loaded by the caller,
consistently, with the conversation), so a removed member stops receiving with the very next frame. Their open
connections come from `connections.owners_of`: one BatchGetItem per 100 members, in parallel.
Frames never fail the change that caused them: a failure is logged, and clients catch up through
the history routes.

Frame types (server → client, `{"type": ..., "data": {...}}`):
message.created, message.sent (the ack to the sending socket), message.updated, message.deleted,
message.reaction, pin, typing, read, delivered, member.added, member.removed, conversation.updated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.chat.access import Loaded
from chalicelib.core import connections, realtime
from chalicelib.core.observability import logger


@dataclass
class Delivery:
    """Which users had a frame reach at least one of their devices."""

    reached: set[str] = field(default_factory=set)
    report: realtime.SendReport = field(default_factory=realtime.SendReport)


def to_users(user_ids: Iterable[str], type_: str, data: dict[str, Any], exclude: Iterable[str] = ()) -> Delivery:
    """Push one frame to every open connection of these users, but the `exclude` connections."""
    delivery = Delivery()
    try:
        owners = connections.owners_of(user_ids)
        skipped = set(exclude)
        targets = [cid for cid in owners if cid not in skipped]
        delivery.report = realtime.send_to_connections(targets, realtime.frame(type_, data), owners)
        delivery.reached = {owners[cid] for cid in delivery.report.delivered}
    except Exception:
        logger.exception("chat fan-out failed", extra={"frame_type": type_})
    return delivery


def to_members(loaded: Loaded, type_: str, data: dict[str, Any], exclude: Iterable[str] = ()) -> Delivery:
    return to_users(loaded.member_ids, type_, data, exclude)


def to_connection(connection_id: str, type_: str, data: dict[str, Any]) -> None:
    """A reply to the socket a frame came from (the `message.sent` ack, errors)."""
    try:
        realtime.send_to_connections([connection_id], realtime.frame(type_, data))
    except Exception:
        logger.exception("chat reply failed", extra={"frame_type": type_})
