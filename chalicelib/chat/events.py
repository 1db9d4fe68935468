"""The events chat publishes (its face for reacting to chat; any package may import this module)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chalicelib.core.events import Published

UNREACHED_PER_EVENT = 300  # user ids per event: a payload stays far below the outbox's 16 KB


@dataclass(frozen=True)
class MembersUnreached(Published):
    """A new message reached no device of these members (one event per UNREACHED_PER_EVENT of them)."""

    KIND = "chat.members_unreached"

    conversation_id: str
    message_id: str
    user_ids: tuple[str, ...]
    part: int = 0  # which slice of the message's unreached members

    @property
    def subject(self) -> str:
        return self.conversation_id

    @property
    def dedupe(self) -> str:
        return f"{self.message_id}#{self.part}"


def members_unreached(conversation_id: str, message_id: str, user_ids: Iterable[str]) -> list[MembersUnreached]:
    """The events telling that `message_id` reached none of `user_ids`' devices: one per slice."""
    users = sorted(set(user_ids))
    return [
        MembersUnreached(conversation_id, message_id, tuple(users[i : i + UNREACHED_PER_EVENT]), part=n)
        for n, i in enumerate(range(0, len(users), UNREACHED_PER_EVENT))
    ]
