"""Realtime frames of chat, pushed to a conversation's members through the one realtime sender.

Who receives a frame is read from the conversation's roster (already loaded by the caller,
consistently, with the conversation), so a removed member stops receiving with the very next frame. Their open
connections are read by the realtime sender: one BatchGetItem per 100 members, in parallel.
Frames never fail the change that caused them: a failure is logged, and clients catch up through
the history routes.

Frame types (server → client, `{"type": ..., "data": {...}}`):
message.created, message.sent (the ack to the sending socket), message.updated, message.deleted,
message.reaction, pin, typing, read, delivered, member.added, member.removed, conversation.updated.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.chat.access import Loaded
from chalicelib.core import realtime
from chalicelib.core.observability import logger


def to_users(
    user_ids: Iterable[str], type_: str, data: dict[str, Any], exclude: Iterable[str] = ()
) -> realtime.SendReport:
    """Push one frame to every open connection of these users, but the `exclude` connections."""
    try:
        return realtime.send_to_users(user_ids, realtime.frame(type_, data), exclude)
    except Exception:
        logger.exception("chat fan-out failed", extra={"frame_type": type_})
        return realtime.SendReport()


def to_members(loaded: Loaded, type_: str, data: dict[str, Any], exclude: Iterable[str] = ()) -> realtime.SendReport:
    return to_users(loaded.member_ids, type_, data, exclude)


def to_connection(connection_id: str, type_: str, data: dict[str, Any]) -> None:
    """A reply to the socket a frame came from (the `message.sent` ack, errors)."""
    try:
        realtime.send_to_connections([connection_id], realtime.frame(type_, data))
    except Exception:
        logger.exception("chat reply failed", extra={"frame_type": type_})
