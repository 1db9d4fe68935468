"""Conversations: creating direct chats and groups, reading one, the caller's list, and settings.

The list (`GET /v1/conversations`) is sorted by last activity without any per-member write when a
message arrives: it reads the caller's member items (one Query on GSI1) and their conversations
(BatchGetItem, 100 per call, in parallel), then sorts by the conversations' `last_activity_at`.
Unread counts come from `seq - last_read_seq` of the two items.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action

from chalicelib.chat import access as access_mod
from chalicelib.chat import attachments as attachments_mod
from chalicelib.chat import domain, fanout, members, schemas, views
from chalicelib.chat.models import (
    META_SK,
    ROSTER_SK,
    ConversationItem,
    DirectPairItem,
    MemberItem,
    RosterItem,
    conversation_pk,
    direct_pair_pk,
    user_conversations_pk,
)
from chalicelib.chat.txn import Transaction, failed_on
from chalicelib.core import clock, conditional, ids
from chalicelib.core.exceptions import FieldError, PreconditionFailed, ValidationFailed
from chalicelib.core.http import check_version
from chalicelib.core.pagination import decode_cursor, encode_cursor

BATCH_WORKERS = 8
PAIR_SK = "CHATDIRECT"


def start(
    tx: Transaction,
    kind: domain.ConversationType,
    roles: dict[str, domain.Role],
    *,
    name: str | None = None,
    description: str | None = None,
    session_id: str | None = None,
) -> ConversationItem:
    """Put a new conversation, its roster and its members (`roles`: user id → role) into `tx`."""
    conversation_id = ids.new_id("cnv")
    now = clock.now()
    owner = next((uid for uid, role in roles.items() if role is domain.Role.owner), None)
    conversation = ConversationItem(
        conversation_pk(conversation_id),
        META_SK,
        conversation_id=conversation_id,
        conversation_type=kind.value,
        owner_id=owner,
        pair_ids=set(roles) if kind is domain.ConversationType.direct else None,
        member_count=len(roles),
        seq=0,
        last_activity_at=now,
        settings_version=1,
        created_at=now,
        updated_at=now,
        name=name,
        description=description,
        session_id=session_id,
    )
    tx.put("conversation", conversation)
    tx.put("roster", RosterItem(conversation.PK, ROSTER_SK, member_ids=set(roles)))
    for uid, role in roles.items():
        tx.put("member", members.new_member(conversation_id, conversation.PK, uid, role, 0))
    return conversation


def create(user_id: str, request: schemas.CreateConversation) -> tuple[schemas.Conversation, bool]:
    """The conversation, and whether it was created now (a direct chat may exist already)."""
    if request.type == "direct":
        assert request.user_id is not None
        return _direct(user_id, request.user_id)
    return _group(user_id, request), True


def _direct(user_id: str, other_id: str) -> tuple[schemas.Conversation, bool]:
    if other_id == user_id:
        raise ValidationFailed("A direct chat needs someone else.", errors=[FieldError("user_id", "that is you")])
    a, b = domain.direct_pair(user_id, other_id)
    existing = _direct_conversation(a, b)
    if existing:
        return get(user_id, existing), False
    members.check_users_exist([other_id], "user_id")
    tx = Transaction()
    conversation = start(tx, domain.ConversationType.direct, {a: domain.Role.member, b: domain.Role.member})
    cid = conversation.conversation_id
    pair = DirectPairItem(direct_pair_pk(a, b), PAIR_SK, conversation_id=cid)
    tx.put("pair", pair, condition=DirectPairItem.PK.does_not_exist())
    try:
        tx.commit()
    except TransactWriteError as error:
        if failed_on(tx.reasons(error), "pair"):  # the other person opened it at the same moment
            found = _direct_conversation(a, b)
            assert found is not None
            return get(user_id, found), False
        raise
    fanout.to_users([other_id], "member.added", {"conversation_id": cid, "user_ids": [a, b], "by": user_id})
    return get(user_id, cid), True


def _direct_conversation(a: str, b: str) -> str | None:
    try:
        return DirectPairItem.get(direct_pair_pk(a, b), PAIR_SK, consistent_read=True).conversation_id
    except DirectPairItem.DoesNotExist:
        return None


def _group(user_id: str, request: schemas.CreateConversation) -> schemas.Conversation:
    others = [uid for uid in request.member_ids if uid != user_id]
    members.check_users_exist(others, "member_ids")
    roles = {user_id: domain.Role.owner} | {uid: domain.Role.member for uid in others}
    tx = Transaction()
    conversation = start(tx, domain.ConversationType.group, roles, name=request.name, description=request.description)
    tx.commit()
    cid = conversation.conversation_id
    if others:
        fanout.to_users(others, "member.added", {"conversation_id": cid, "user_ids": others, "by": user_id})
    return get(user_id, cid)


def get(user_id: str, conversation_id: str) -> schemas.Conversation:
    found = access_mod.load(conversation_id, user_id)
    return views.conversation(found.conversation, found.member)


def _memberships(user_id: str) -> list[MemberItem]:
    found = MemberItem.gsi1.query(user_conversations_pk(user_id))
    return [m for m in found if isinstance(m, MemberItem)]


def _conversations(conversation_ids: list[str]) -> dict[str, ConversationItem]:
    def page(chunk: list[str]) -> list[ConversationItem]:
        return list(ConversationItem.batch_get([(conversation_pk(cid), META_SK) for cid in chunk]))

    chunks = [conversation_ids[i : i + 100] for i in range(0, len(conversation_ids), 100)]
    if len(chunks) <= 1:
        found = page(chunks[0]) if chunks else []
    else:
        with ThreadPoolExecutor(max_workers=min(BATCH_WORKERS, len(chunks))) as pool:
            found = [c for part in pool.map(page, chunks) for c in part]
    return {c.conversation_id: c for c in found}


def _position(conversation: ConversationItem) -> str:
    return f"{conversation.last_activity_at.isoformat()}|{conversation.conversation_id}"


def list_for(user_id: str, query: schemas.ConversationsQuery) -> schemas.ConversationPage:
    """The caller's conversations, most recently active first; archived ones only when asked."""
    scope = f"chat.conversations:{user_id}:{query.archived}"
    after = decode_cursor(query.cursor, scope)
    mine = {m.conversation_id: m for m in _memberships(user_id)}
    conversations = _conversations(list(mine))
    rows = []
    for cid, conversation in conversations.items():
        view = views.conversation(conversation, mine[cid])
        if view.archived == query.archived:
            rows.append((_position(conversation), view))
    rows.sort(key=lambda row: row[0], reverse=True)
    if after is not None:
        rows = [row for row in rows if row[0] < str(after.get("p", ""))]
    page = rows[: query.limit]
    cursor = encode_cursor({"p": page[-1][0]}, scope) if len(rows) > query.limit else None
    return schemas.ConversationPage(items=[view for _, view in page], next_cursor=cursor)


def update_settings(
    user_id: str, conversation_id: str, change: schemas.UpdateConversation, expected_version: int | None
) -> schemas.Conversation:
    found = access_mod.load(conversation_id, user_id)
    found.require(domain.Permission.change_settings, "Only the group's admins may change its settings.")
    conversation = found.conversation
    current = int(conversation.settings_version)
    check_version(expected_version, current)
    fields = change.model_dump(exclude_unset=True)
    if fields.get("avatar_key"):
        attachments_mod.check_avatar(conversation_id, user_id, fields["avatar_key"])
    cls = ConversationItem
    actions: list[Action] = [cls.settings_version.set(current + 1), cls.updated_at.set(clock.now())]
    for name, value in fields.items():
        path = getattr(cls, name)
        actions.append(path.set(value) if value not in (None, "") else path.remove())
    if not conditional.write(lambda: conversation.update(actions=actions, condition=cls.settings_version == current)):
        raise PreconditionFailed("The settings changed meanwhile; reload and retry.")
    view = views.conversation(conversation, found.member)
    data = {
        "conversation_id": conversation_id,
        "name": view.name,
        "description": view.description,
        "avatar_url": view.avatar_url,
        "settings_version": view.settings_version,
        "by": user_id,
    }
    fanout.to_members(found, "conversation.updated", data)
    return view
