"""What other packages call in chat: session chats, whose membership follows a session's roster,
and the number of reported messages (the admin overview).

The contract with the booking engine (which calls these; chat never reads bookings):

- `open_session_chat(session_id, host_id, title)` when a session's FIRST booking is confirmed
  (before the matching `join_session_chat`). Creates the session's conversation, owned by the host,
  named `title`; returns its id. Idempotent: a second call returns the same conversation and
  changes nothing (the title and host of the first call stay).
- `join_session_chat(session_id, user_id)` each time a booking is confirmed (also the first one,
  and a player taken from the waitlist). Adds the player; True when added, False when they were
  already in it (a player with two bookings, a retried event). History before joining is there to
  read but does not count as unread. Raises NotFound when the chat was never opened, and Conflict
  (`conversation_full`) past 500 members.
- `leave_session_chat(session_id, user_id)` when a booking is cancelled, declined, expired or moved
  to another session, and the player holds no other confirmed booking of this session (the booking
  engine knows; chat does not count bookings). Removes the player at once: from the next frame on
  they receive nothing and the conversation answers them 404. True when removed, False when they
  were not in it. The host is never removed (ValueError). Raises NotFound when never opened.

All three are safe to call again (at least once delivery from timers and the outbox), push
`member.added` / `member.removed` frames to the members, and cost a few DynamoDB calls each (see
docs/ACCESS_PATTERNS.md). The REST routes refuse to add, remove or let members leave a session
chat (409 `roster_managed`): the roster is the only way in or out.

Also read here: a user's conversations (`list_for`, `ConversationsQuery`), for the digest of what
is unread.
"""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from chalicelib.chat import access as access_mod
from chalicelib.chat import conversations, domain, fanout, members
from chalicelib.chat.access import Loaded
from chalicelib.chat.conversations import list_for as list_for
from chalicelib.chat.models import STATS_KEY, ChatStatsItem, SessionLinkItem, session_link_pk
from chalicelib.chat.schemas import ConversationsQuery as ConversationsQuery
from chalicelib.chat.txn import Transaction, failed_on
from chalicelib.core import ids
from chalicelib.core.exceptions import NotFound

LINK_SK = "CHATSESSION"
MAX_TITLE_CHARS = 100


def _link(session_id: str) -> SessionLinkItem | None:
    try:
        return SessionLinkItem.get(session_link_pk(session_id), LINK_SK, consistent_read=True)
    except SessionLinkItem.DoesNotExist:
        return None


def _check(session_id: str, user_id: str) -> None:
    if not ids.is_id(session_id, "ses"):
        raise ValueError(f"not a session id: {session_id!r}")
    if not ids.is_id(user_id, "usr"):
        raise ValueError(f"not a user id: {user_id!r}")


def open_session_chat(session_id: str, host_id: str, title: str) -> str:
    """The session's conversation id, created on the first call (the host as owner)."""
    _check(session_id, host_id)
    existing = _link(session_id)
    if existing is not None:
        return existing.conversation_id
    name = " ".join(title.split())[:MAX_TITLE_CHARS] or "Session chat"
    tx = Transaction()
    roles = {host_id: domain.Role.owner}
    conversation = conversations.start(tx, domain.ConversationType.session, roles, name=name, session_id=session_id)
    cid = conversation.conversation_id
    link = SessionLinkItem(session_link_pk(session_id), LINK_SK, conversation_id=cid, host_id=host_id)
    tx.put("link", link, condition=SessionLinkItem.PK.does_not_exist())
    try:
        tx.commit()
    except TransactWriteError as error:
        if failed_on(tx.reasons(error), "link"):  # opened by a concurrent call
            found = _link(session_id)
            assert found is not None
            return found.conversation_id
        raise
    fanout.to_users([host_id], "member.added", {"conversation_id": cid, "user_ids": [host_id], "by": None})
    return cid


def _conversation(session_id: str) -> Loaded:
    link = _link(session_id)
    if link is None:
        raise NotFound(f"No chat was opened for session {session_id}.")
    return access_mod.load_any(link.conversation_id)


def join_session_chat(session_id: str, user_id: str) -> bool:
    """Add a confirmed player; False if already in."""
    _check(session_id, user_id)
    return bool(members.add(_conversation(session_id), [user_id], by=None))


def leave_session_chat(session_id: str, user_id: str) -> bool:
    """Remove a player whose booking ended; False if not in."""
    _check(session_id, user_id)
    loaded = _conversation(session_id)
    if user_id == loaded.conversation.owner_id:
        raise ValueError("the host stays in their session's chat")
    return members.remove(loaded, user_id, by=None, reason="roster")


def session_chat_id(session_id: str) -> str | None:
    """The session's conversation, if one was opened."""
    link = _link(session_id)
    return link.conversation_id if link else None


def reported_messages() -> int:
    """Reports of messages filed so far, one per member and message (one GetItem of the total the
    reports' own transactions keep)."""
    try:
        return int(ChatStatsItem.get(STATS_KEY, STATS_KEY).reports or 0)
    except ChatStatsItem.DoesNotExist:
        return 0
