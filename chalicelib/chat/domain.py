"""Pure decisions of chat: roles and permissions, limits, the rate-limit window, search words, and the
read-state arithmetic (unread counts, delivered/read status, archived). No I/O, no clock: callers
pass the time in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from chalicelib.core.windows import fixed_window

MAX_MEMBERS = 500
MAX_BODY_CHARS = 4000
MAX_ADD_PER_REQUEST = 50  # members added by one request (one transaction)
MAX_GROUP_MEMBERS_AT_CREATION = 50
MAX_PINS = 50
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_AUDIO_SECONDS = 3600
EDIT_WINDOW = timedelta(hours=48)
PREVIEW_CHARS = 140
RATE_LIMIT = 20  # messages per user per window, REST and websocket together
RATE_WINDOW_SECONDS = 10
TYPING_INTERVAL_SECONDS = 3.0  # at most one typing frame per connection this often
MIN_WORD_CHARS = 2
MAX_WORD_CHARS = 40
MAX_QUERY_WORDS = 5
# The bounded set of reactions: a client toggles one of these on a message.
REACTIONS = ("👍", "👎", "❤️", "😂", "😮", "😢", "🙏", "🔥", "🎉", "👀", "🎲", "🎸")

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
AUDIO_TYPES = ("audio/mpeg", "audio/mp4", "audio/aac", "audio/ogg", "audio/webm", "audio/wav")
DOCUMENT_TYPES = ("application/pdf",)
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/aac": "aac",
    "audio/ogg": "ogg",
    "audio/webm": "weba",
    "audio/wav": "wav",
    "application/pdf": "pdf",
}


class ConversationType(StrEnum):
    direct = "direct"  # two people; one conversation per pair
    group = "group"  # named, owner/admins/members, up to MAX_MEMBERS
    session = "session"  # a session's host and confirmed players; the roster decides membership


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    member = "member"


RANK = {Role.member: 0, Role.admin: 1, Role.owner: 2}


class Permission(StrEnum):
    manage_members = "manage_members"  # add and remove members
    change_settings = "change_settings"  # name, description, avatar
    change_roles = "change_roles"  # make or unmake admins
    pin = "pin"
    moderate = "moderate"  # delete other members' messages
    leave = "leave"


_GRANTS: dict[ConversationType, dict[Role, frozenset[Permission]]] = {
    # Both people of a direct chat are plain members; either may pin. Nobody leaves: archive it.
    ConversationType.direct: {Role.member: frozenset({Permission.pin})},
    ConversationType.group: {
        Role.owner: frozenset(Permission),
        Role.admin: frozenset(Permission) - {Permission.change_roles},
        Role.member: frozenset({Permission.leave}),
    },
    # The roster (bookings) decides who is in a session chat; the host runs it.
    ConversationType.session: {
        Role.owner: frozenset({Permission.change_settings, Permission.pin, Permission.moderate}),
        Role.admin: frozenset({Permission.pin, Permission.moderate}),
        Role.member: frozenset(),
    },
}


def can(kind: ConversationType, role: Role, permission: Permission) -> bool:
    return permission in _GRANTS[kind].get(role, frozenset())


def removal_refused(kind: ConversationType, actor: Role, target: Role) -> str | None:
    """Why `actor` may not remove a member of role `target` (None: allowed). Leaving is not removal."""
    if not can(kind, actor, Permission.manage_members):
        return "Only the group's admins may remove members."
    if target is Role.owner:
        return "The owner cannot be removed; they may leave instead."
    if RANK[target] >= RANK[actor]:
        return "Only the owner may remove an admin."
    return None


def successor(members: Iterable[tuple[str, Role, datetime]], leaving: str) -> str | None:
    """Who owns a group after its owner leaves: the longest-standing admin, else the longest-standing
    member; None when nobody is left."""
    others = [(RANK[role], joined, user_id) for user_id, role, joined in members if user_id != leaving]
    if not others:
        return None
    best_rank = max(rank for rank, _, _ in others)
    return min((joined, user_id) for rank, joined, user_id in others if rank == best_rank)[1]


def direct_pair(a: str, b: str) -> tuple[str, str]:
    """The pair in a canonical order: (a, b) and (b, a) name the same direct chat."""
    return (a, b) if a <= b else (b, a)


# -- rate limit ----------------------------------------------------------------------------------


def rate_window(now_epoch: float) -> tuple[int, int]:
    """The message-rate window holding `now` and the seconds until it ends."""
    return fixed_window(now_epoch, RATE_WINDOW_SECONDS)


# -- search words --------------------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)


def _fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Café' and 'CAFE' fold alike."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The distinct index words of a text, in order of first appearance. Words are runs of letters
    and digits, folded; shorter than MIN_WORD_CHARS are dropped, longer than MAX_WORD_CHARS cut."""
    seen: dict[str, None] = {}
    for match in _WORD.finditer(_fold(text)):
        word = match.group().strip("_")
        if len(word) >= MIN_WORD_CHARS:
            seen.setdefault(word[:MAX_WORD_CHARS], None)
    return list(seen)


def query_words(q: str) -> list[str]:
    """The words of a search query (at most MAX_QUERY_WORDS); a message matches when it has all."""
    return words(q)[:MAX_QUERY_WORDS]


def driver_word(terms: list[str]) -> str:
    """The word whose index is read first: the longest, as long words are the rarer ones."""
    return max(terms, key=len)


# -- read state ----------------------------------------------------------------------------------


def unread(conversation_seq: int, last_read_seq: int) -> int:
    """Messages after the member's last read one. Sending marks everything before as read."""
    return max(0, conversation_seq - last_read_seq)


def message_status(seq: int, peer_delivered_seq: int, peer_read_seq: int) -> str:
    """Of your message in a direct chat: 'read', 'delivered' (reached one of their devices) or 'sent'."""
    if seq <= peer_read_seq:
        return "read"
    if seq <= max(peer_delivered_seq, peer_read_seq):
        return "delivered"
    return "sent"


def is_archived(archived_seq: int | None, muted: bool, conversation_seq: int) -> bool:
    """Archived stays archived while nothing new arrives; a new message brings it back, unless muted."""
    if archived_seq is None:
        return False
    return muted or conversation_seq <= archived_seq


# -- messages ------------------------------------------------------------------------------------


def attachment_kind(content_type: str) -> str | None:
    if content_type in IMAGE_TYPES:
        return "image"
    if content_type in AUDIO_TYPES:
        return "audio"
    if content_type in DOCUMENT_TYPES:
        return "document"
    return None


def preview(body: str | None, attachment_kinds: list[str]) -> str:
    """A one-line summary for conversation lists: the text, else what is attached."""
    text = " ".join((body or "").split())
    if text:
        return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"
    if attachment_kinds:
        first = attachment_kinds[0]
        more = f" (+{len(attachment_kinds) - 1})" if len(attachment_kinds) > 1 else ""
        return {"image": "📷 Photo", "audio": "🎤 Voice message", "document": "📄 Document"}.get(first, "📎") + more
    return ""


def edit_refused(sender_id: str, editor_id: str, sent_at: datetime, now: datetime, deleted: bool) -> str | None:
    """Why this edit is not allowed (None: allowed). Only the sender edits, within EDIT_WINDOW."""
    if deleted:
        return "A deleted message cannot be edited."
    if sender_id != editor_id:
        return "Only the sender may edit a message."
    if now - sent_at > EDIT_WINDOW:
        return f"Messages can be edited for {int(EDIT_WINDOW.total_seconds() // 3600)} hours after sending."
    return None


def may_delete(sender_id: str, actor_id: str, kind: ConversationType, actor_role: Role) -> bool:
    """The sender deletes their own message; admins (moderate) delete anyone's."""
    return sender_id == actor_id or can(kind, actor_role, Permission.moderate)
