"""Demo chats for the local stack: a direct chat between Mira (game master) and Pat (player), and a
session chat (Mira hosting, Pat and the studio in it), each with a few messages.

Goes through chat's own services and is idempotent: the direct chat of a pair is one conversation,
the session chat is opened once per session, and each message carries a fixed `client_msg_id`, so
a restart resends nothing. When the booking seed already opened a chat for a session Pat booked,
that one is used; otherwise a session chat is opened for a demo session id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.core.auth import Principal

DEMO_SESSION_ID = "ses_01HSESH0DEM0SESS10NCHAT001"

DIRECT = [
    ("game_master", "Hi Pat! Glad you found the table. Any lines or veils I should know about before Friday?"),
    ("player", "Thanks Mira! No spiders, please. Otherwise I'm up for anything."),
    ("game_master", "Noted: no spiders. I'll send the character sheets tomorrow."),
]
SESSION = [
    ("game_master", "Welcome aboard, everyone! We start at 7pm sharp; the VTT link goes out an hour before."),
    ("player", "Can't wait. Should I bring my own dice?"),
    ("studio", "We can record the session audio if you like: the room is free that evening."),
    ("game_master", "Digital dice are fine. And a recording would be lovely, thanks!"),
]


def _say(conversation_id: str, script: list[tuple[str, str]], principals: dict[str, Principal], tag: str) -> None:
    from chalicelib.chat import messages, schemas

    for number, (who, text) in enumerate(script, start=1):
        request = schemas.SendMessage(client_msg_id=f"seed-{tag}-{number}", body=text)
        messages.send(principals[who].user_id, conversation_id, request)


def _session_chat(principals: dict[str, Principal]) -> str:
    """A session chat Pat is in (the booking seed may have opened one), or the demo session's."""
    from chalicelib.chat import conversations, schemas
    from chalicelib.chat import service as chat

    pat, mira = principals["player"].user_id, principals["game_master"].user_id
    mine = conversations.list_for(pat, schemas.ConversationsQuery(limit=100)).items
    found = next((c.id for c in mine if c.type == "session" and c.owner_id == mira), None)
    if found is not None:
        return found
    chat.open_session_chat(DEMO_SESSION_ID, mira, "Mothership: a free intro one-shot")
    chat.join_session_chat(DEMO_SESSION_ID, pat)
    chat.join_session_chat(DEMO_SESSION_ID, principals["studio"].user_id)
    conversation_id = chat.session_chat_id(DEMO_SESSION_ID)
    assert conversation_id is not None
    return conversation_id


def seed_chats(principals: dict[str, Principal]) -> dict[str, str]:
    """The demo conversations' ids, by name ("direct", "session")."""
    from chalicelib.chat import conversations, schemas

    mira, pat = principals["game_master"].user_id, principals["player"].user_id
    direct, _ = conversations.create(mira, schemas.CreateConversation(type="direct", user_id=pat))
    _say(direct.id, DIRECT, principals, "direct")
    session = _session_chat(principals)
    if principals["studio"].user_id in _members(session, mira):
        _say(session, SESSION, principals, "session")
    else:
        _say(session, [line for line in SESSION if line[0] != "studio"], principals, "session")
    return {"direct": direct.id, "session": session}


def _members(conversation_id: str, user_id: str) -> set[str]:
    from chalicelib.chat import access

    return access.load(conversation_id, user_id).member_ids
