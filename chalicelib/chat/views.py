"""Items → the contract's shapes (chalicelib.chat.schemas), with the read-state arithmetic applied."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from chalicelib.chat import domain, schemas
from chalicelib.chat.models import AttachmentMap, ConversationItem, MemberItem, MessageItem
from chalicelib.core import clock, storage

DOWNLOAD_SECONDS = 3600


def conversation(item: ConversationItem, member: MemberItem) -> schemas.Conversation:
    kind = domain.ConversationType(item.conversation_type)
    seq = int(item.seq)
    peer = None
    if kind is domain.ConversationType.direct:
        peer = next((uid for uid in sorted(item.pair_ids or ()) if uid != member.user_id), None)
    last = item.last_message
    return schemas.Conversation(
        id=item.conversation_id,
        type=kind,
        name=item.name,
        description=item.description,
        avatar_url=storage.presigned_download(item.avatar_key, DOWNLOAD_SECONDS) if item.avatar_key else None,
        session_id=item.session_id,
        owner_id=item.owner_id,
        peer_id=peer,
        member_count=int(item.member_count),
        my_role=domain.Role(member.role),
        created_at=clock.to_wire(item.created_at),
        last_activity_at=clock.to_wire(item.last_activity_at),
        last_message=None
        if last is None
        else schemas.MessagePreview(
            id=last.message_id,
            sender_id=last.sender_id,
            preview=last.preview,
            sent_at=clock.to_wire(last.sent_at),
            deleted=bool(last.deleted),
        ),
        unread_count=domain.unread(seq, int(member.last_read_seq)),
        last_read_message_id=member.last_read_message_id,
        archived=domain.is_archived(
            None if member.archived_seq is None else int(member.archived_seq), bool(member.muted), seq
        ),
        muted=bool(member.muted),
        pinned_count=len(item.pins or ()),
        settings_version=int(item.settings_version),
    )


def member(item: MemberItem) -> schemas.Member:
    return schemas.Member(
        user_id=item.user_id,
        role=domain.Role(item.role),
        joined_at=clock.to_wire(item.created_at),
        last_read_message_id=item.last_read_message_id,
    )


def reactions(elements: set[str] | None) -> list[schemas.Reaction]:
    by_emoji: dict[str, list[str]] = defaultdict(list)
    for element in elements or ():
        emoji, _, user_id = element.rpartition(" ")
        by_emoji[emoji].append(user_id)
    order = {emoji: i for i, emoji in enumerate(domain.REACTIONS)}
    return [
        schemas.Reaction(emoji=emoji, count=len(users), user_ids=sorted(users))
        for emoji, users in sorted(by_emoji.items(), key=lambda pair: order.get(pair[0], len(order)))
    ]


def reply(original: MessageItem | None, reply_to_id: str | None) -> schemas.ReplyPreview | None:
    if reply_to_id is None:
        return None
    if original is None or original.deleted_at is not None:
        return schemas.ReplyPreview(
            id=reply_to_id, sender_id=original.sender_id if original else None, preview=None, deleted=True
        )
    kinds = [str(a.kind) for a in original.attachments or ()]
    return schemas.ReplyPreview(
        id=original.message_id,
        sender_id=original.sender_id,
        preview=domain.preview(original.body, kinds),
        deleted=False,
    )


def message(
    item: MessageItem,
    viewer_id: str,
    *,
    originals: Mapping[str, MessageItem] | None = None,
    peer: MemberItem | None = None,
) -> schemas.Message:
    """`originals`: the messages replied to, by id; `peer`: the other member of a direct chat (for
    the delivered/read status of the viewer's own messages)."""
    deleted = item.deleted_at is not None
    status = None
    if peer is not None and item.sender_id == viewer_id:
        status = domain.message_status(int(item.seq), int(peer.last_delivered_seq), int(peer.last_read_seq))
    return schemas.Message(
        id=item.message_id,
        conversation_id=item.conversation_id,
        seq=int(item.seq),
        sender_id=item.sender_id,
        client_msg_id=item.client_msg_id,
        body=None if deleted else item.body,
        reply_to=reply((originals or {}).get(item.reply_to_id or ""), item.reply_to_id),
        attachments=[] if deleted else [attachment(a) for a in item.attachments or ()],
        reactions=[] if deleted else reactions(item.reactions),
        created_at=clock.to_wire(item.created_at),
        edited=item.edited_at is not None,
        edited_at=clock.to_wire(item.edited_at) if item.edited_at else None,
        deleted=deleted,
        deleted_at=clock.to_wire(item.deleted_at) if item.deleted_at else None,
        pinned=item.pinned_at is not None,
        status=status,  # type: ignore[arg-type]
    )


def attachment(item: AttachmentMap) -> schemas.Attachment:
    return schemas.Attachment(
        key=item.key,
        kind=item.kind,  # type: ignore[arg-type]
        content_type=item.content_type,
        size_bytes=int(item.size_bytes),
        filename=item.filename,
        duration_seconds=float(item.duration_seconds) if item.duration_seconds is not None else None,
        url=storage.presigned_download(item.key, DOWNLOAD_SECONDS),
    )
