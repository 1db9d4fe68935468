"""Messages: sending (one function behind the REST route and the websocket `send` action), reading
one, the history, editing and deleting.

Sending is one TransactWriteItems whatever the conversation's size: the sender's rate window (ADD,
conditional on the limit), the resend guard of `client_msg_id` (conditional put), the message, the
conversation's `seq` and last message (conditional on the `seq` read, so two senders never get the
same number: the loser re-reads and retries), the sender's own read state (which also proves they
are still a member), and the message's search words. No other member's item is written: unread
counts are `conversation.seq - member.last_read_seq`, computed when read.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path

from chalicelib.chat import access as access_mod
from chalicelib.chat import attachments as attachments_mod
from chalicelib.chat import domain, fanout, read_state, schemas, search, views
from chalicelib.chat import events as chat_events
from chalicelib.chat.access import Access, Loaded
from chalicelib.chat.models import (
    MESSAGE_PREFIX,
    META_SK,
    ClientMessageItem,
    ConversationItem,
    MemberItem,
    MessageItem,
    RateItem,
    client_msg_sk,
    conversation_pk,
    member_sk,
    message_sk,
    new_last_message,
    rate_pk,
)
from chalicelib.chat.txn import Transaction, conflicted, failed_on
from chalicelib.core import clock, conditional, events, ids
from chalicelib.core.exceptions import Conflict, FieldError, Forbidden, NotFound, RateLimited, ValidationFailed
from chalicelib.core.observability import logger
from chalicelib.core.pagination import decode_cursor, encode_cursor
from chalicelib.core.table import write_transaction

MAX_ATTEMPTS = 20  # a busy conversation: senders racing for the next seq retry, with backoff
RESEND_GUARD = timedelta(days=7)  # how long a client_msg_id keeps a resend harmless


@dataclass(frozen=True)
class Origin:
    """Where a send came from: the websocket it arrived on gets the ack, not the created frame."""

    connection_id: str | None = None


def get_item(conversation_id: str, message_id: str) -> MessageItem:
    if not ids.is_id(message_id, "msg"):
        raise NotFound("No such message.")
    try:
        return MessageItem.get(conversation_pk(conversation_id), message_sk(message_id), consistent_read=True)
    except MessageItem.DoesNotExist:
        raise NotFound("No such message.") from None


# -- send ----------------------------------------------------------------------------------------


def send(
    user_id: str, conversation_id: str, request: schemas.SendMessage, origin: Origin = Origin()
) -> schemas.SentMessage:
    access = access_mod.load(conversation_id, user_id)
    attachments = attachments_mod.checked(conversation_id, user_id, request.attachments) if request.attachments else []
    original = _reply_target(conversation_id, request.reply_to) if request.reply_to else None
    words = domain.words(request.body)
    conversation = access.conversation
    for attempt in range(MAX_ATTEMPTS):
        item = _new_message(conversation, user_id, request, attachments, words)
        tx = _send_transaction(conversation, item, request.client_msg_id)
        rest = search.add_to(tx, conversation_id, item.message_id, words)
        try:
            tx.commit()
        except TransactWriteError as error:
            reasons = tx.reasons(error)
            if request.client_msg_id and failed_on(reasons, "resend"):
                return _resent(access, user_id, request.client_msg_id, origin)
            if failed_on(reasons, "member"):
                raise NotFound(access_mod.NOT_FOUND) from None
            if failed_on(reasons, "rate"):
                _, retry_after = domain.rate_window(clock.now().timestamp())
                raise RateLimited(
                    f"You can send {domain.RATE_LIMIT} messages per {domain.RATE_WINDOW_SECONDS} seconds.",
                    headers={"Retry-After": str(retry_after)},
                    extra={"retry_after": retry_after},
                ) from None
            if failed_on(reasons, "conversation") or conflicted(error, reasons):
                time.sleep(random.uniform(0.002, 0.01) * min(attempt + 1, 8))  # jittered backoff
                conversation = _fresh(conversation)
                continue
            raise
        if rest:
            search.index(conversation_id, item.message_id, rest)
        access.conversation = conversation
        return _after_send(access, item, original, origin)
    raise Conflict("The conversation is very busy; send again.", code="busy")


def _new_message(
    conversation: ConversationItem,
    user_id: str,
    request: schemas.SendMessage,
    attachments: list[Any],
    words: list[str],
) -> MessageItem:
    message_id = ids.new_id("msg")  # new on each attempt: ULID order follows seq order
    now = clock.now()
    return MessageItem(
        conversation_pk(conversation.conversation_id),
        message_sk(message_id),
        message_id=message_id,
        conversation_id=conversation.conversation_id,
        seq=int(conversation.seq) + 1,
        sender_id=user_id,
        client_msg_id=request.client_msg_id,
        body=request.body or None,
        reply_to_id=request.reply_to,
        attachments=attachments or None,
        words=set(words) or None,
        created_at=now,
        updated_at=now,
    )


def _send_transaction(conversation: ConversationItem, item: MessageItem, client_msg_id: str | None) -> Transaction:
    now = item.created_at
    pk = conversation_pk(conversation.conversation_id)
    window, _ = domain.rate_window(now.timestamp())
    tx = Transaction()
    tx.update(
        "rate",
        RateItem(rate_pk(item.sender_id), str(window)),
        actions=[
            RateItem.kind.set(RateItem.kind | RateItem),
            RateItem.sent.add(1),
            RateItem.expires_at.set(now + timedelta(seconds=domain.RATE_WINDOW_SECONDS * 6)),
        ],
        condition=RateItem.sent.does_not_exist() | (RateItem.sent < domain.RATE_LIMIT),
    )
    if client_msg_id:
        guard = ClientMessageItem(
            pk, client_msg_sk(item.sender_id, client_msg_id), message_id=item.message_id, expires_at=now + RESEND_GUARD
        )
        tx.put("resend", guard, condition=ClientMessageItem.PK.does_not_exist())
    tx.put("message", item)
    last = new_last_message(
        message_id=item.message_id,
        sender_id=item.sender_id,
        preview=domain.preview(item.body, [str(a.kind) for a in item.attachments or ()]),
        sent_at=now,
        deleted=False,
    )
    tx.update(
        "conversation",
        ConversationItem(pk, META_SK),
        actions=[
            ConversationItem.seq.set(item.seq),
            ConversationItem.last_message.set(last),
            ConversationItem.last_activity_at.set(now),
        ],
        condition=ConversationItem.seq == conversation.seq,
    )
    tx.update(  # sending marks everything before as read; the condition proves membership
        "member",
        MemberItem(pk, member_sk(item.sender_id)),
        actions=[MemberItem.last_read_seq.set(item.seq), MemberItem.last_read_message_id.set(item.message_id)],
        condition=MemberItem.PK.exists(),
    )
    return tx


def _resent(access: Access, user_id: str, client_msg_id: str, origin: Origin) -> schemas.SentMessage:
    """The message a client id already made: returned again, nobody notified twice."""
    pk = conversation_pk(access.conversation.conversation_id)
    guard = ClientMessageItem.get(pk, client_msg_sk(user_id, client_msg_id), consistent_read=True)
    item = get_item(access.conversation.conversation_id, guard.message_id)
    originals = _originals([item])
    sent = schemas.SentMessage(**views.message(item, user_id, originals=originals).model_dump(), duplicate=True)
    if origin.connection_id:
        fanout.to_connection(origin.connection_id, "message.sent", sent.model_dump(mode="json"))
    return sent


def _after_send(access: Access, item: MessageItem, original: MessageItem | None, origin: Origin) -> schemas.SentMessage:
    originals = {original.message_id: original} if original else {}
    own = views.message(item, item.sender_id, originals=originals)
    if access.kind is domain.ConversationType.direct:
        own.status = "sent"
    sent = schemas.SentMessage(**own.model_dump(), duplicate=False)
    if origin.connection_id:  # the sender's answer first: no member can delay it
        fanout.to_connection(origin.connection_id, "message.sent", sent.model_dump(mode="json"))
    shared = views.message(item, "", originals=originals).model_dump(mode="json")
    exclude = [origin.connection_id] if origin.connection_id else []
    delivery = fanout.to_members(access, "message.created", shared, exclude)
    if access.kind is domain.ConversationType.direct:
        for peer in delivery.reached - {item.sender_id}:
            read_state.delivered(access, peer, int(item.seq), item.message_id)
    _tell_offline(access, item, delivery.reached)
    return sent


def _tell_offline(access: Access, item: MessageItem, reached: set[str]) -> None:
    """Tells who no device of whom the message reached (notifications batch it into a digest): one
    event per 300 of them, not flushed here — the sweep sends it, off the sender's request."""
    offline = access.member_ids - reached - {item.sender_id}
    if not offline:
        return
    try:
        with write_transaction() as tx:
            for event in chat_events.members_unreached(access.conversation_id, item.message_id, offline):
                events.publish_event(tx, event)
    except Exception:  # never fail a send that committed: the digest is a courtesy
        logger.exception("offline members not noted", extra={"conversation_id": access.conversation_id})


def _fresh(conversation: ConversationItem) -> ConversationItem:
    """The conversation item again, after another sender took the seq we read."""
    return ConversationItem.get(conversation.PK, META_SK, consistent_read=True)


def _reply_target(conversation_id: str, message_id: str) -> MessageItem:
    try:
        original = get_item(conversation_id, message_id)
    except NotFound:
        raise ValidationFailed("No such message to reply to.", errors=[FieldError("reply_to", "not found")]) from None
    if original.deleted_at is not None:
        raise ValidationFailed("That message was deleted.", errors=[FieldError("reply_to", "deleted")])
    return original


def _originals(items: list[MessageItem]) -> dict[str, MessageItem]:
    """The messages these reply to (one BatchGetItem), for their previews."""
    have = {i.message_id: i for i in items}
    wanted = {i.reply_to_id for i in items if i.reply_to_id and i.reply_to_id not in have}
    if wanted:
        pk = conversation_pk(items[0].conversation_id)
        have.update({m.message_id: m for m in MessageItem.batch_get([(pk, message_sk(mid)) for mid in wanted])})
    return have


# -- read ----------------------------------------------------------------------------------------


def _peer(access: Access) -> MemberItem | None:
    if access.kind is not domain.ConversationType.direct:
        return None
    others = [uid for uid in access.member_ids if uid != access.user_id]
    if not others:
        return None
    try:
        return MemberItem.get(conversation_pk(access.conversation.conversation_id), member_sk(others[0]))
    except MemberItem.DoesNotExist:
        return None


def get(user_id: str, conversation_id: str, message_id: str) -> schemas.Message:
    access = access_mod.load(conversation_id, user_id)
    item = get_item(conversation_id, message_id)
    return views.message(item, user_id, originals=_originals([item]), peer=_peer(access))


def history(user_id: str, conversation_id: str, query: schemas.MessagesQuery) -> schemas.MessagePage:
    """Newest first, by cursor; `q` searches, `after` stops at a message the client has."""
    access = access_mod.load(conversation_id, user_id)
    if query.q:
        items, cursor = search.find(conversation_id, query.q, query.limit, query.cursor)
    else:
        items, cursor = _page(conversation_id, query)
    peer = _peer(access)
    if peer is not None and items and query.cursor is None and query.q is None:
        newest = max(items, key=lambda i: int(i.seq))
        read_state.delivered(access, user_id, int(newest.seq), newest.message_id)
    originals = _originals(items) if items else {}
    out = [views.message(i, user_id, originals=originals, peer=peer) for i in items]
    return schemas.MessagePage(items=out, next_cursor=cursor)


def _page(conversation_id: str, query: schemas.MessagesQuery) -> tuple[list[MessageItem], str | None]:
    scope = f"chat.messages:{conversation_id}:{query.after or ''}"
    condition: Condition
    if query.after:
        condition = MessageItem.SK.between(message_sk(query.after) + "0", MESSAGE_PREFIX + "~")
    else:
        condition = MessageItem.SK.startswith(MESSAGE_PREFIX)
    results = MessageItem.query(
        conversation_pk(conversation_id),
        condition,
        scan_index_forward=False,
        limit=query.limit,
        page_size=query.limit,
        last_evaluated_key=decode_cursor(query.cursor, scope),
    )
    items = [i for i in results if isinstance(i, MessageItem)]
    return items, encode_cursor(results.last_evaluated_key, scope)


# -- edit and delete -----------------------------------------------------------------------------


def edit(user_id: str, conversation_id: str, message_id: str, request: schemas.EditMessage) -> schemas.Message:
    access = access_mod.load(conversation_id, user_id)
    item = get_item(conversation_id, message_id)
    refused = domain.edit_refused(item.sender_id, user_id, item.created_at, clock.now(), item.deleted_at is not None)
    if refused:
        raise (Conflict(refused, code="message_deleted") if item.deleted_at else Forbidden(refused, code="not_allowed"))
    old_words = set(item.words or ())
    new_words = domain.words(request.body)
    now = clock.now()
    words_action = MessageItem.words.set(set(new_words)) if new_words else MessageItem.words.remove()
    edited = conditional.write(
        lambda: item.update(
            actions=[MessageItem.body.set(request.body), MessageItem.edited_at.set(now), words_action],
            condition=MessageItem.deleted_at.does_not_exist(),
        )
    )
    if not edited:
        raise Conflict("The message was deleted meanwhile.", code="message_deleted")
    search.unindex(conversation_id, message_id, old_words - set(new_words))
    search.index(conversation_id, message_id, [w for w in new_words if w not in old_words])
    _refresh_last(access.conversation, item)
    out = views.message(item, user_id, originals=_originals([item]))
    fanout.to_members(access, "message.updated", views.message(item, "").model_dump(mode="json"))
    return out


def delete(user_id: str, conversation_id: str, message_id: str) -> schemas.Message:
    """The sender, or an admin of the conversation: the content goes, a tombstone stays."""
    access = access_mod.load(conversation_id, user_id)
    item = get_item(conversation_id, message_id)
    if item.deleted_at is None:
        if not domain.may_delete(item.sender_id, user_id, access.kind, access.role):
            raise Forbidden("Only the sender or an admin may delete this message.", code="not_allowed")
        tombstone(access, item, user_id)
    return views.message(item, user_id)


def tombstone(loaded: Loaded, item: MessageItem, by: str) -> None:
    """Delete a message's content (also the moderators' removal); idempotent."""
    conversation = loaded.conversation
    words = set(item.words or ())
    now = clock.now()
    cls = MessageItem
    tx = Transaction()
    tx.update(
        "message",
        item,
        actions=[
            cls.body.remove(),
            cls.attachments.remove(),
            cls.reactions.remove(),
            cls.words.remove(),
            cls.pinned_at.remove(),
            cls.pinned_by.remove(),
            cls.deleted_at.set(now),
            cls.deleted_by.set(by),
        ],
        condition=cls.deleted_at.does_not_exist(),
    )
    if item.pinned_at is not None:
        tx.update("pins", ConversationItem(conversation.PK, META_SK), [ConversationItem.pins.delete({item.message_id})])
    try:
        tx.commit()
    except TransactWriteError as error:
        if failed_on(tx.reasons(error), "message"):
            return  # deleted meanwhile
        raise
    for name in ("body", "attachments", "reactions", "words", "pinned_at", "pinned_by"):
        setattr(item, name, None)
    item.deleted_at, item.deleted_by = now, by
    search.unindex(item.conversation_id, item.message_id, words)
    _refresh_last(conversation, item)
    fanout.to_members(loaded, "message.deleted", views.message(item, "").model_dump(mode="json"))


def _refresh_last(conversation: ConversationItem, item: MessageItem) -> None:
    """Keep the conversation list's preview true to an edited or deleted last message."""
    last = new_last_message(
        message_id=item.message_id,
        sender_id=item.sender_id,
        preview=domain.preview(item.body, [str(a.kind) for a in item.attachments or ()]),
        sent_at=item.created_at,
        deleted=item.deleted_at is not None,
    )
    conditional.write(
        lambda: ConversationItem(conversation.PK, META_SK).update(
            actions=[ConversationItem.last_message.set(last)],
            condition=Path(["last_message", "message_id"]) == item.message_id,
        )
    )
