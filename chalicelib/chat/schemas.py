"""The chat contract: request and response bodies of /v1/conversations and /v1/chat, and the
websocket frames' payloads (a `send` frame is a `SendMessage` plus `conversation_id`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.chat import domain
from chalicelib.core.pagination import PageQuery

UserId = Annotated[str, StringConstraints(pattern=r"^usr_[0-9A-HJKMNP-TV-Z]{26}$")]
MessageId = Annotated[str, StringConstraints(pattern=r"^msg_[0-9A-HJKMNP-TV-Z]{26}$")]
ConversationId = Annotated[str, StringConstraints(pattern=r"^cnv_[0-9A-HJKMNP-TV-Z]{26}$")]
ClientMsgId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
UploadKey = Annotated[str, StringConstraints(min_length=1, max_length=300)]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- conversations -------------------------------------------------------------------------------


class CreateConversation(_Strict):
    """A direct chat with `user_id` (the existing one if the pair has one), or a new group."""

    type: Literal["direct", "group"]
    user_id: UserId | None = Field(None, description="direct: the other person")
    name: Name | None = Field(None, description="group: its name")
    description: Description | None = None
    member_ids: Annotated[list[UserId], AfterValidator(_unique)] = Field(
        default_factory=list, max_length=domain.MAX_GROUP_MEMBERS_AT_CREATION, description="group: who else is in it"
    )

    @model_validator(mode="after")
    def _fits_type(self) -> CreateConversation:
        if self.type == "direct":
            if self.user_id is None:
                raise ValueError("a direct chat needs user_id")
            if self.name or self.description or self.member_ids:
                raise ValueError("a direct chat takes only user_id")
        elif self.name is None:
            raise ValueError("a group needs a name")
        elif self.user_id is not None:
            raise ValueError("a group takes member_ids, not user_id")
        return self


class UpdateConversation(_Strict):
    name: Name | None = None
    description: Description | None = None
    avatar_key: UploadKey | None = Field(None, description="an image uploaded with POST .../attachments; null removes")

    @model_validator(mode="after")
    def _something(self) -> UpdateConversation:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("name cannot be removed")
        return self


class MessagePreview(BaseModel):
    id: str
    sender_id: str
    preview: str
    sent_at: str
    deleted: bool


class Conversation(BaseModel):
    id: str
    type: domain.ConversationType
    name: str | None
    description: str | None
    avatar_url: str | None
    session_id: str | None
    owner_id: str | None
    peer_id: str | None = Field(description="direct chats: the other person")
    member_count: int
    my_role: domain.Role
    created_at: str
    last_activity_at: str
    last_message: MessagePreview | None
    unread_count: int
    last_read_message_id: str | None
    archived: bool
    muted: bool
    pinned_count: int
    settings_version: int = Field(description="send it as If-Match when changing the settings")


class ConversationPage(BaseModel):
    items: list[Conversation]
    next_cursor: str | None


class ConversationsQuery(PageQuery):
    archived: bool = Field(False, description="list the archived conversations instead")


class MySettings(_Strict):
    archived: bool | None = None
    muted: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> MySettings:
        if self.archived is None and self.muted is None:
            raise ValueError("send archived, muted or both")
        return self


# -- members -------------------------------------------------------------------------------------


class AddMembers(_Strict):
    user_ids: Annotated[list[UserId], AfterValidator(_unique)] = Field(
        min_length=1, max_length=domain.MAX_ADD_PER_REQUEST
    )


class ChangeRole(_Strict):
    role: Literal["admin", "member"]


class Member(BaseModel):
    user_id: str
    role: domain.Role
    joined_at: str
    last_read_message_id: str | None


class MemberPage(BaseModel):
    items: list[Member]
    next_cursor: str | None


# -- messages ------------------------------------------------------------------------------------


class AttachmentRef(_Strict):
    key: UploadKey
    filename: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    duration_seconds: float | None = Field(None, gt=0, le=domain.MAX_AUDIO_SECONDS, description="audio: required")


class SendMessage(_Strict):
    client_msg_id: ClientMsgId | None = Field(
        None, description="your id for this message: sending it again returns the first message (7 days)"
    )
    body: str = Field("", max_length=domain.MAX_BODY_CHARS)
    reply_to: MessageId | None = None
    attachments: list[AttachmentRef] = Field(default_factory=list, max_length=domain.MAX_ATTACHMENTS)

    @model_validator(mode="after")
    def _has_content(self) -> SendMessage:
        if not self.body.strip() and not self.attachments:
            raise ValueError("a message needs a body or an attachment")
        return self


class WsSend(SendMessage):
    """The `send` websocket frame: {"action": "send", "conversation_id": ..., "client_msg_id": ..., ...}."""

    action: Literal["send"]
    conversation_id: ConversationId
    client_msg_id: ClientMsgId  # required on the socket: the `message.sent` ack names it


class WsConversationAction(BaseModel):
    model_config = ConfigDict(extra="ignore")
    conversation_id: ConversationId


class WsRead(WsConversationAction):
    message_id: MessageId


class EditMessage(_Strict):
    body: Annotated[str, StringConstraints(min_length=1, max_length=domain.MAX_BODY_CHARS)]


class Attachment(BaseModel):
    key: str
    kind: Literal["image", "audio", "document"]
    content_type: str
    size_bytes: int
    filename: str | None
    duration_seconds: float | None
    url: str = Field(description="a presigned GET, valid for an hour")


class Reaction(BaseModel):
    emoji: str
    count: int
    user_ids: list[str]


class ReplyPreview(BaseModel):
    id: str
    sender_id: str | None
    preview: str | None
    deleted: bool


class Message(BaseModel):
    id: str
    conversation_id: str
    seq: int
    sender_id: str
    client_msg_id: str | None
    body: str | None = Field(description="null once deleted")
    reply_to: ReplyPreview | None
    attachments: list[Attachment]
    reactions: list[Reaction]
    created_at: str
    edited: bool
    edited_at: str | None
    deleted: bool
    deleted_at: str | None
    pinned: bool
    status: Literal["sent", "delivered", "read"] | None = Field(
        description="direct chats, your own messages: how far it got"
    )


class SentMessage(Message):
    duplicate: bool = Field(description="true when client_msg_id named a message sent before")


class MessagePage(BaseModel):
    items: list[Message]
    next_cursor: str | None


class MessagesQuery(PageQuery):
    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = Field(
        None, description="search: messages containing every word (case- and accent-insensitive)"
    )
    after: MessageId | None = Field(None, description="only messages newer than this one (catching up)")


class ToggleReaction(_Strict):
    emoji: Literal[domain.REACTIONS]  # type: ignore[valid-type]


class ReactionResult(BaseModel):
    message_id: str
    emoji: str
    added: bool
    reactions: list[Reaction]


class PinList(BaseModel):
    items: list[Message]


class MarkRead(_Strict):
    message_id: MessageId


class ReadState(BaseModel):
    conversation_id: str
    last_read_message_id: str | None
    unread_count: int


# -- attachments ---------------------------------------------------------------------------------


class AttachmentUploadIn(_Strict):
    content_type: Literal[domain.IMAGE_TYPES + domain.AUDIO_TYPES + domain.DOCUMENT_TYPES]  # type: ignore[valid-type]
    size_bytes: int = Field(gt=0, le=domain.MAX_ATTACHMENT_BYTES)


class AttachmentUploadOut(BaseModel):
    url: str
    fields: dict[str, str]
    key: str = Field(description="name it in a message's attachments once uploaded")
    max_bytes: int
    expires_in: int


# -- moderation ----------------------------------------------------------------------------------

ReportReason = Literal["spam", "harassment", "hate", "sexual", "violence", "self_harm", "other"]


class ReportIn(_Strict):
    reason: ReportReason
    detail: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class ReportReceived(BaseModel):
    message_id: str
    status: str


class ReportDetail(BaseModel):
    reporter_id: str
    reason: str
    detail: str | None
    reported_at: str


class Report(BaseModel):
    message_id: str
    conversation_id: str
    sender_id: str
    body_snapshot: str | None
    report_count: int
    details: list[ReportDetail]
    status: Literal["open", "removed", "dismissed"]
    first_reported_at: str
    resolved_by: str | None
    resolution_note: str | None


class ReportPage(BaseModel):
    items: list[Report]
    next_cursor: str | None


class ReportsQuery(PageQuery):
    status: Literal["open", "removed", "dismissed"] = "open"


class ResolveReport(_Strict):
    action: Literal["remove_message", "dismiss"]
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None
