"""Unread chat messages of people who were offline, batched into one email per user and window.

The chat fan-out already knows whose devices a new message reached. It tells of the others with
chat's `chat.members_unreached` event (`on_members_unreached` hears it), which costs the send one
write per 300 offline members, not one per member (`note_unreached` writes the same for a caller
of this package). The subscriber then reads which of them already have a digest pending (one
BatchGetItem per 100 users) and starts a window only for the rest: a marker item and a digest timer,
`chat_digest_delay_minutes` later, in one transaction. Further messages in the window cost no write
for that user. When the timer fires, the digest reads the user's unread counts from chat and, if
anything is still unread, sends one notification (email, push, in-app per the user's choices).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from pynamodb.exceptions import TransactWriteError

from chalicelib.chat.events import MembersUnreached
from chalicelib.core import clock, outbox, timers
from chalicelib.core.events import Event
from chalicelib.core.table import write_transaction
from chalicelib.notifications import domain, jobs
from chalicelib.notifications.models import DIGEST_SK, ChatDigestItem, inbox_pk

UNREACHED = "notifications.chat_unreached"
CHUNK = 300  # user ids per outbox message (the payload limit is 16 KB)
MAX_CONVERSATIONS_NAMED = 3


def note_unreached(conversation_id: str, message_id: str, user_ids: Iterable[str]) -> int:
    """For the chat fan-out: these members had no device reached by `message_id`. One write per
    CHUNK members; the rest happens in the outbox sender. Returns how many messages were written."""
    users = sorted(set(user_ids))
    if not users:
        return 0
    chunks = [users[i : i + CHUNK] for i in range(0, len(users), CHUNK)]
    with write_transaction() as tx:  # not flushed here: the sweep sends it, off the sender's request
        for n, chunk in enumerate(chunks):
            outbox.emit(
                tx,
                kind=UNREACHED,
                subject=conversation_id,
                dedupe_key=f"unreached#{message_id}#{n}",
                payload={"conversation_id": conversation_id, "user_ids": chunk},
            )
    return len(chunks)


def _pending(user_ids: list[str]) -> set[str]:
    keys = [(inbox_pk(u), DIGEST_SK) for u in user_ids]
    return {item.user_id for item in ChatDigestItem.batch_get(keys) if isinstance(item, ChatDigestItem)}


def on_members_unreached(event: Event) -> None:
    """Subscriber of chat's `chat.members_unreached` (chalicelib/subscriptions.py): what the outbox
    sender of `note_unreached` does, for the members one event names."""
    unreached = MembersUnreached.of(event)
    _start_windows_for([str(u) for u in unreached.user_ids])


def _start_windows(message: outbox.Message) -> None:
    _start_windows_for([str(u) for u in message.payload["user_ids"]])


def _start_windows_for(users: list[str]) -> None:
    """A window (marker + digest timer) for each of `users` with none pending; idempotent."""
    pending = _pending(users)
    now = clock.now()
    due = now + timedelta(minutes=_delay_minutes())
    for user_id in users:
        if user_id in pending:
            continue
        try:
            with write_transaction() as tx:
                tx.save(
                    ChatDigestItem(inbox_pk(user_id), DIGEST_SK, user_id=user_id, started_at=now),
                    condition=ChatDigestItem.PK.does_not_exist(),
                )
                timers.schedule(
                    tx,
                    handler=jobs.CHAT_DIGEST,
                    due_at=due,
                    subject=user_id,
                    timer_id=f"chatdigest#{user_id}",
                    payload={"user_id": user_id},
                )
        except TransactWriteError:
            continue  # a window was started meanwhile


def _delay_minutes() -> int:
    from chalicelib.core.settings import get_settings

    return get_settings().chat_digest_delay_minutes


def send_digest(user_id: str) -> None:
    """The digest timer fired: one notice of what is still unread, then the window closes."""
    from chalicelib.chat import service as chat
    from chalicelib.notifications import service

    try:
        marker = ChatDigestItem.get(inbox_pk(user_id), DIGEST_SK, consistent_read=True)
    except ChatDigestItem.DoesNotExist:
        return  # sent already
    page = chat.list_for(user_id, chat.ConversationsQuery(limit=100, archived=False))
    unread = [c for c in page.items if c.unread_count and not c.muted]
    if unread:
        names = [c.name for c in unread if c.name][:MAX_CONVERSATIONS_NAMED]
        facts = {"count": sum(c.unread_count for c in unread), "conversations": names}
        service.notify(
            domain.Notice(user_id, "chat_digest", domain.CHAT),
            facts,
            dedupe=f"chatdigest#{clock.to_wire(marker.started_at)}",
            occurred_at=marker.started_at,
        )
    marker.delete(condition=ChatDigestItem.started_at == marker.started_at)


outbox.register_sender(UNREACHED, _start_windows)
