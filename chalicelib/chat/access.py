"""Who may see a conversation: loading it together with the caller's membership.

Only members read, send or even learn that a conversation exists: for anyone else every route
answers 404, exactly as for an id that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.chat import domain
from chalicelib.chat.models import (
    META_SK,
    ROSTER_SK,
    ConversationItem,
    MemberItem,
    RosterItem,
    conversation_pk,
    member_sk,
)
from chalicelib.core import ids
from chalicelib.core.exceptions import Conflict, Forbidden, NotFound
from chalicelib.core.table import BaseItem

NOT_FOUND = "No such conversation."


@dataclass
class Loaded:
    """A conversation and its roster (who the fan-out reaches)."""

    conversation: ConversationItem
    member_ids: set[str]

    @property
    def conversation_id(self) -> str:
        return self.conversation.conversation_id

    @property
    def kind(self) -> domain.ConversationType:
        return domain.ConversationType(self.conversation.conversation_type)


@dataclass
class Access(Loaded):
    """... and the caller's membership."""

    member: MemberItem

    @property
    def role(self) -> domain.Role:
        return domain.Role(self.member.role)

    @property
    def user_id(self) -> str:
        return self.member.user_id

    def can(self, permission: domain.Permission) -> bool:
        return domain.can(self.kind, self.role, permission)

    def require(self, permission: domain.Permission, why: str) -> None:
        if self.can(permission):
            return
        if self.kind is domain.ConversationType.session and permission in (
            domain.Permission.manage_members,
            domain.Permission.leave,
        ):
            raise Conflict("A session chat's members follow the session's bookings.", code="roster_managed")
        if self.kind is domain.ConversationType.direct and permission is not domain.Permission.pin:
            raise Conflict(
                "Direct chats have no settings or members to manage; archive it instead.", code="direct_chat"
            )
        raise Forbidden(why, code="not_allowed")


def _batch(conversation_id: str, member_id: str | None) -> tuple[ConversationItem | None, set[str], MemberItem | None]:
    pk = conversation_pk(conversation_id)
    keys = [(pk, META_SK), (pk, ROSTER_SK)] + ([(pk, member_sk(member_id))] if member_id else [])
    conversation: ConversationItem | None = None
    roster: set[str] = set()
    member: MemberItem | None = None
    for item in BaseItem.batch_get(keys, consistent_read=True):
        if isinstance(item, ConversationItem):
            conversation = item
        elif isinstance(item, RosterItem):
            roster = set(item.member_ids or ())
        elif isinstance(item, MemberItem):
            member = item
    return conversation, roster, member


def load(conversation_id: str, user_id: str) -> Access:
    """The conversation, its roster and the caller's membership: one consistent BatchGetItem; 404
    for strangers."""
    if not ids.is_id(conversation_id, "cnv"):
        raise NotFound(NOT_FOUND)
    conversation, roster, member = _batch(conversation_id, user_id)
    if conversation is None or member is None:
        raise NotFound(NOT_FOUND)
    return Access(conversation, roster, member)


def load_any(conversation_id: str) -> Loaded:
    """Without a membership check: for the service functions other packages call."""
    conversation, roster, _ = _batch(conversation_id, None)
    if conversation is None:
        raise NotFound(NOT_FOUND)
    return Loaded(conversation, roster)
