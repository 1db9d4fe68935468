"""Read state: each member's last read message (unread counts) and, in direct chats, how far the
other person's messages got (delivered to a device, read).

Both are one member's own item, moved forward only (a conditional UpdateItem on the sequence
number), so a late or repeated receipt never moves it back. Receipts are realtime frames: `read`
to the reader's other devices (and, in a direct chat, to the other person), `delivered` to the
sender of a direct message once it reached one of the recipient's devices.
"""

from __future__ import annotations

from chalicelib.chat import access as access_mod
from chalicelib.chat import domain, fanout, schemas
from chalicelib.chat.access import Loaded
from chalicelib.chat.models import MemberItem, MessageItem, conversation_pk, member_sk, message_sk
from chalicelib.core import conditional, ids
from chalicelib.core.exceptions import NotFound


def _forward(item: MemberItem, actions: list[object], seq_attribute: object, seq: int) -> bool:
    condition = MemberItem.PK.exists() & (seq_attribute < seq)  # type: ignore[operator]
    # False: already further on, or no longer a member
    return conditional.write(lambda: item.update(actions=actions, condition=condition))  # type: ignore[arg-type]


def mark_read(user_id: str, conversation_id: str, message_id: str) -> schemas.ReadState:
    """Everything up to `message_id` is read (never moves back)."""
    access = access_mod.load(conversation_id, user_id)
    if not ids.is_id(message_id, "msg"):
        raise NotFound("No such message.")
    try:
        message = MessageItem.get(conversation_pk(conversation_id), message_sk(message_id), consistent_read=True)
    except MessageItem.DoesNotExist:
        raise NotFound("No such message.") from None
    seq = int(message.seq)
    member = MemberItem(conversation_pk(conversation_id), member_sk(user_id))
    moved = _forward(
        member,
        [MemberItem.last_read_seq.set(seq), MemberItem.last_read_message_id.set(message_id)],
        MemberItem.last_read_seq,
        seq,
    )
    conversation = access.conversation
    if moved:
        data = {"conversation_id": conversation_id, "user_id": user_id, "message_id": message_id, "seq": seq}
        readers = [user_id]
        if access.kind is domain.ConversationType.direct:
            readers = sorted(access.member_ids)
        fanout.to_users(readers, "read", data)  # the reader's own devices too: their unread counts
        last_read_seq, last_read_id = seq, message_id
    else:  # already read further (as loaded with the access check)
        last_read_seq, last_read_id = int(access.member.last_read_seq), access.member.last_read_message_id
    return schemas.ReadState(
        conversation_id=conversation_id,
        last_read_message_id=last_read_id,
        unread_count=domain.unread(int(conversation.seq), last_read_seq),
    )


def delivered(loaded: Loaded, receiver_id: str, seq: int, message_id: str) -> None:
    """Direct chats: a message up to `seq` reached one of the receiver's devices; the other person
    hears of it (a `delivered` frame) the first time only."""
    conversation = loaded.conversation
    member = MemberItem(conversation.PK, member_sk(receiver_id))
    if _forward(member, [MemberItem.last_delivered_seq.set(seq)], MemberItem.last_delivered_seq, seq):
        others = [uid for uid in loaded.member_ids if uid != receiver_id]
        data = {
            "conversation_id": conversation.conversation_id,
            "user_id": receiver_id,
            "message_id": message_id,
            "seq": seq,
        }
        fanout.to_users(others, "delivered", data)
