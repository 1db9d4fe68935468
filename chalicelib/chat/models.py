"""Persistence shape of chat (see docs/ACCESS_PATTERNS.md, "Chat"). One partition per conversation:

- conversation  PK=CNV#<cnv>  SK=META                     the settings, `seq` (messages so far), the
                                                          last message, pins: small, rewritten by each
                                                          message
- roster        PK=CNV#<cnv>  SK=ROSTER                   the member id set the fan-out reads (up to
                                                          ~16 KB): written only when members change
- member        PK=CNV#<cnv>  SK=MEMBER#<usr>             role and the member's own read state
                GSI1PK=USER#<usr>#CNV  GSI1SK=<cnv>       → a user's conversations
- message       PK=CNV#<cnv>  SK=MSG#<msg>                sorted by ULID: history is one Query
- resend guard  PK=CNV#<cnv>  SK=CMID#<usr>#<client_msg_id>  → the message a client id made (7 days)
- search word   PK=CNV#<cnv>#W#<word>  SK=MSG#<msg>       one per distinct word of a message
- direct pair   PK=CHATDIRECT#<usr a>#<usr b>  SK=CHATDIRECT   → the pair's conversation (a < b)
- session link  PK=CHATSESSION#<ses>  SK=CHATSESSION      → a session's conversation
- rate window   PK=CHATRATE#<usr>  SK=<window start>      messages sent in the window (TTL)
- report        PK=CHATREPORT#<msg>  SK=REPORT            GSI1PK=CHATREPORTS#<status> GSI1SK=<at>#<msg>
- report totals PK=CHATSTATS  SK=CHATSTATS                reports filed so far (the admin overview)
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.core.table import BaseItem

META_SK = "META"
ROSTER_SK = "ROSTER"
MEMBER_PREFIX = "MEMBER#"
MESSAGE_PREFIX = "MSG#"
STATS_KEY = "CHATSTATS"


def conversation_pk(conversation_id: str) -> str:
    return f"CNV#{conversation_id}"


def member_sk(user_id: str) -> str:
    return f"{MEMBER_PREFIX}{user_id}"


def message_sk(message_id: str) -> str:
    return f"{MESSAGE_PREFIX}{message_id}"


def user_conversations_pk(user_id: str) -> str:
    return f"USER#{user_id}#CNV"


def client_msg_sk(user_id: str, client_msg_id: str) -> str:
    return f"CMID#{user_id}#{client_msg_id}"


def word_pk(conversation_id: str, word: str) -> str:
    return f"CNV#{conversation_id}#W#{word}"


def direct_pair_pk(a: str, b: str) -> str:
    return f"CHATDIRECT#{a}#{b}"


def session_link_pk(session_id: str) -> str:
    return f"CHATSESSION#{session_id}"


def rate_pk(user_id: str) -> str:
    return f"CHATRATE#{user_id}"


def report_pk(message_id: str) -> str:
    return f"CHATREPORT#{message_id}"


def reports_index_pk(status: str) -> str:
    return f"CHATREPORTS#{status}"


class LastMessage(MapAttribute[str, object]):
    message_id = UnicodeAttribute()
    sender_id = UnicodeAttribute()
    preview = UnicodeAttribute()
    sent_at = UTCDateTimeAttribute()
    deleted = BooleanAttribute(default=False)


def new_last_message(
    message_id: str, sender_id: str, preview: str, sent_at: datetime, deleted: bool = False
) -> LastMessage:
    return LastMessage(  # type: ignore[no-untyped-call]  # PynamoDB's MapAttribute init is untyped
        message_id=message_id, sender_id=sender_id, preview=preview, sent_at=sent_at, deleted=deleted
    )


class ConversationItem(BaseItem, discriminator="chat_conversation"):
    conversation_id = UnicodeAttribute()
    conversation_type = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    avatar_key = UnicodeAttribute(null=True)
    owner_id = UnicodeAttribute(null=True)
    session_id = UnicodeAttribute(null=True)
    pair_ids = UnicodeSetAttribute(null=True)  # direct chats: the two people
    member_count = NumberAttribute(default=0)
    seq = NumberAttribute(default=0)  # messages sent so far: the unread arithmetic's clock
    last_message = LastMessage(null=True)  # type: ignore[no-untyped-call]
    last_activity_at = UTCDateTimeAttribute()
    pins = UnicodeSetAttribute(null=True)  # pinned message ids
    settings_version = NumberAttribute(default=1)  # If-Match of PATCH; messages do not change it


class RosterItem(BaseItem, discriminator="chat_roster"):
    member_ids = UnicodeSetAttribute(null=True)  # who the fan-out reaches; absent when empty


class MemberItem(BaseItem, discriminator="chat_member"):
    conversation_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    last_read_seq = NumberAttribute(default=0)
    last_read_message_id = UnicodeAttribute(null=True)
    last_delivered_seq = NumberAttribute(default=0)
    archived_seq = NumberAttribute(null=True)  # the conversation's seq when archived
    muted = BooleanAttribute(default=False)


class AttachmentMap(MapAttribute[str, object]):
    key = UnicodeAttribute()
    kind = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size_bytes = NumberAttribute()
    filename = UnicodeAttribute(null=True)
    duration_seconds = NumberAttribute(null=True)


def new_attachment(
    key: str, kind: str, content_type: str, size_bytes: int, filename: str | None, duration_seconds: float | None
) -> AttachmentMap:
    return AttachmentMap(  # type: ignore[no-untyped-call]
        key=key,
        kind=kind,
        content_type=content_type,
        size_bytes=size_bytes,
        filename=filename,
        duration_seconds=duration_seconds,
    )


class MessageItem(BaseItem, discriminator="chat_message"):
    message_id = UnicodeAttribute()
    conversation_id = UnicodeAttribute()
    seq = NumberAttribute()
    sender_id = UnicodeAttribute()
    client_msg_id = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)  # gone once deleted
    reply_to_id = UnicodeAttribute(null=True)
    attachments = ListAttribute[AttachmentMap](of=AttachmentMap, null=True)
    reactions = UnicodeSetAttribute(null=True)  # "<emoji> <user_id>" elements
    words = UnicodeSetAttribute(null=True)  # its search words, to unindex on edit and delete
    edited_at = UTCDateTimeAttribute(null=True)
    deleted_at = UTCDateTimeAttribute(null=True)
    deleted_by = UnicodeAttribute(null=True)
    pinned_at = UTCDateTimeAttribute(null=True)
    pinned_by = UnicodeAttribute(null=True)


class ClientMessageItem(BaseItem, discriminator="chat_client_msg"):
    message_id = UnicodeAttribute()


class WordItem(BaseItem, discriminator="chat_word"):
    message_id = UnicodeAttribute()


class DirectPairItem(BaseItem, discriminator="chat_direct_pair"):
    conversation_id = UnicodeAttribute()


class SessionLinkItem(BaseItem, discriminator="chat_session_link"):
    conversation_id = UnicodeAttribute()
    host_id = UnicodeAttribute()


class RateItem(BaseItem, discriminator="chat_rate"):
    sent = NumberAttribute(default=0)


class ReportDetail(MapAttribute[str, object]):
    reporter_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    detail = UnicodeAttribute(null=True)
    reported_at = UTCDateTimeAttribute()


class ReportItem(BaseItem, discriminator="chat_report"):
    message_id = UnicodeAttribute()
    conversation_id = UnicodeAttribute()
    sender_id = UnicodeAttribute()
    body_snapshot = UnicodeAttribute(null=True)  # what was reported, kept for the moderator
    reporter_ids = UnicodeSetAttribute(null=True)
    details = ListAttribute[ReportDetail](of=ReportDetail, null=True)
    status = UnicodeAttribute(default="open")
    resolved_by = UnicodeAttribute(null=True)
    resolution_note = UnicodeAttribute(null=True)


class ChatStatsItem(BaseItem, discriminator="chat_stats"):
    reports = NumberAttribute(default=0)  # one per member and message
