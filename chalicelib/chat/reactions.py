"""Reactions (a toggle from a bounded set of emoji) and pins (admins; a list per conversation).

A message's reactions are one string set of `"<emoji> <user_id>"` elements, so a toggle is a single
ADD or DELETE, conditional on the element's absence or presence. Pins are a set of message ids on
the conversation (bounded by MAX_PINS), marked on the message too, changed together.
"""

from __future__ import annotations

from functools import partial

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import size

from chalicelib.chat import access as access_mod
from chalicelib.chat import domain, fanout, schemas, views
from chalicelib.chat.messages import get_item
from chalicelib.chat.models import META_SK, ConversationItem, MessageItem, conversation_pk, message_sk
from chalicelib.chat.txn import Transaction, failed_on
from chalicelib.core import clock, conditional
from chalicelib.core.exceptions import Conflict


def _live(conversation_id: str, message_id: str) -> MessageItem:
    item = get_item(conversation_id, message_id)
    if item.deleted_at is not None:
        raise Conflict("The message was deleted.", code="message_deleted")
    return item


def toggle(
    user_id: str, conversation_id: str, message_id: str, request: schemas.ToggleReaction
) -> schemas.ReactionResult:
    access = access_mod.load(conversation_id, user_id)
    emoji = str(request.emoji)
    element = f"{emoji} {user_id}"
    item = _live(conversation_id, message_id)
    for _ in range(3):
        added = element not in (item.reactions or ())
        cls = MessageItem
        action = cls.reactions.add({element}) if added else cls.reactions.delete({element})
        present = cls.reactions.contains(element)
        condition = cls.deleted_at.does_not_exist() & (~present if added else present)
        if conditional.write(partial(item.update, actions=[action], condition=condition)):
            break
        item = _live(conversation_id, message_id)  # a second tap raced this one: decide again
    else:
        raise Conflict("The reactions changed meanwhile; try again.", code="busy")
    reactions = views.reactions(item.reactions)
    data = {
        "conversation_id": conversation_id,
        "message_id": message_id,
        "emoji": emoji,
        "user_id": user_id,
        "added": added,
        "reactions": [r.model_dump() for r in reactions],
    }
    fanout.to_members(access, "message.reaction", data)
    return schemas.ReactionResult(message_id=message_id, emoji=emoji, added=added, reactions=reactions)


def pin(user_id: str, conversation_id: str, message_id: str, pinned: bool) -> schemas.Message:
    access = access_mod.load(conversation_id, user_id)
    access.require(domain.Permission.pin, "Only the conversation's admins may pin messages.")
    item = _live(conversation_id, message_id)
    if (item.pinned_at is not None) == pinned:
        return views.message(item, user_id)
    now = clock.now()
    cls, conv = MessageItem, ConversationItem
    tx = Transaction()
    if pinned:
        room = size(conv.pins) < domain.MAX_PINS  # type: ignore[no-untyped-call]
        tx.update(
            "message",
            item,
            [cls.pinned_at.set(now), cls.pinned_by.set(user_id)],
            condition=cls.deleted_at.does_not_exist(),
        )
        tx.update(
            "conversation",
            conv(access.conversation.PK, META_SK),
            [conv.pins.add({message_id})],
            condition=conv.pins.does_not_exist() | room,
        )
    else:
        tx.update("message", item, [cls.pinned_at.remove(), cls.pinned_by.remove()])
        tx.update("conversation", conv(access.conversation.PK, META_SK), [conv.pins.delete({message_id})])
    try:
        tx.commit()
    except TransactWriteError as error:
        reasons = tx.reasons(error)
        if failed_on(reasons, "conversation"):
            raise Conflict(f"A conversation keeps at most {domain.MAX_PINS} pins.", code="too_many_pins") from None
        if failed_on(reasons, "message"):
            raise Conflict("The message was deleted.", code="message_deleted") from None
        raise
    item.pinned_at, item.pinned_by = (now, user_id) if pinned else (None, None)
    data = {"conversation_id": conversation_id, "message_id": message_id, "pinned": pinned, "by": user_id}
    fanout.to_members(access, "pin", data)
    return views.message(item, user_id)


def pins(user_id: str, conversation_id: str) -> schemas.PinList:
    """The pinned messages, most recently pinned first (one BatchGetItem)."""
    access = access_mod.load(conversation_id, user_id)
    wanted = sorted(access.conversation.pins or ())
    pk = conversation_pk(conversation_id)
    found = [m for m in MessageItem.batch_get([(pk, message_sk(mid)) for mid in wanted]) if m.pinned_at is not None]
    found.sort(key=lambda m: (m.pinned_at, m.message_id), reverse=True)
    return schemas.PinList(items=[views.message(m, user_id) for m in found])
