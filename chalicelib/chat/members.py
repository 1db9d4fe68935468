"""Members: adding and removing them, leaving, roles, the member list, and each member's own
settings (archive, mute).

A membership change is one transaction: the member items and the conversation's member set (which
the fan-out reads) change together, so a removed member stops receiving with the very next frame.
The set also guards the 500-member limit (a condition on `member_count`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action

from chalicelib.accounts import service as accounts
from chalicelib.chat import access as access_mod
from chalicelib.chat import domain, fanout, schemas, views
from chalicelib.chat.access import Loaded
from chalicelib.chat.models import (
    MEMBER_PREFIX,
    META_SK,
    ROSTER_SK,
    ConversationItem,
    MemberItem,
    RosterItem,
    member_sk,
    user_conversations_pk,
)
from chalicelib.chat.txn import Transaction, conflicted, failed_on
from chalicelib.core import clock, conditional
from chalicelib.core.exceptions import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from chalicelib.core.pagination import PageQuery, decode_cursor, encode_cursor

LOOKUP_WORKERS = 8
PER_TRANSACTION = 98  # member puts + the conversation and roster updates: DynamoDB's 100 items


def new_member(conversation_id: str, pk: str, user_id: str, role: domain.Role, seq: int) -> MemberItem:
    """A member item; history before joining counts as read."""
    return MemberItem(
        pk,
        member_sk(user_id),
        conversation_id=conversation_id,
        user_id=user_id,
        role=role.value,
        last_read_seq=seq,
        last_delivered_seq=seq,
        GSI1PK=user_conversations_pk(user_id),
        GSI1SK=conversation_id,
    )


def check_users_exist(user_ids: list[str], field: str) -> None:
    """422 naming the first unknown user (public profile lookups, in parallel)."""

    def exists(user_id: str) -> bool:
        try:
            accounts.public_profile(user_id)
        except NotFound:
            return False
        return True

    if not user_ids:
        return
    with ThreadPoolExecutor(max_workers=min(LOOKUP_WORKERS, len(user_ids))) as pool:
        found = list(pool.map(exists, user_ids))
    missing = [uid for uid, ok in zip(user_ids, found, strict=True) if not ok]
    if missing:
        raise ValidationFailed(f"No such user: {missing[0]}.", errors=[FieldError(field, f"unknown user {missing[0]}")])


def add(loaded: Loaded, user_ids: list[str], by: str | None) -> list[str]:
    """Add who is not a member yet; returns who was added. Conflict when it would pass 500.

    One transaction per PER_TRANSACTION users (routes add at most 50, so one); a `member.added`
    frame to all members after each. `loaded` is kept up to date."""
    added: list[str] = []
    wanted = list(dict.fromkeys(user_ids))
    for start in range(0, len(wanted), PER_TRANSACTION):
        added += _add_some(loaded, wanted[start : start + PER_TRANSACTION], by)
    return added


def _add_some(loaded: Loaded, user_ids: list[str], by: str | None) -> list[str]:
    for _ in range(3):
        conversation = loaded.conversation
        new = [uid for uid in user_ids if uid not in loaded.member_ids]
        if not new:
            return []
        if int(conversation.member_count) + len(new) > domain.MAX_MEMBERS:
            raise Conflict(f"A conversation has at most {domain.MAX_MEMBERS} members.", code="conversation_full")
        tx = Transaction()
        seq = int(conversation.seq)
        for uid in new:
            tx.put(
                "member",
                new_member(conversation.conversation_id, conversation.PK, uid, domain.Role.member, seq),
                condition=MemberItem.PK.does_not_exist(),
            )
        tx.update(
            "conversation",
            ConversationItem(conversation.PK, META_SK),
            actions=[ConversationItem.member_count.add(len(new))],
            condition=ConversationItem.member_count <= domain.MAX_MEMBERS - len(new),
        )
        tx.update("roster", RosterItem(conversation.PK, ROSTER_SK), [RosterItem.member_ids.add(set(new))])
        try:
            tx.commit()
        except TransactWriteError as error:
            reasons = tx.reasons(error)
            if failed_on(reasons, "member") or failed_on(reasons, "conversation") or conflicted(error, reasons):
                _reload(loaded)
                continue
            raise
        loaded.member_ids |= set(new)
        conversation.member_count = int(conversation.member_count) + len(new)
        data = {"conversation_id": conversation.conversation_id, "user_ids": new, "by": by}
        fanout.to_members(loaded, "member.added", data)
        return new
    raise Conflict("The member list changed meanwhile; try again.", code="busy")


def _reload(loaded: Loaded) -> None:
    """Refresh in place: a concurrent change beat us."""
    fresh = access_mod.load_any(loaded.conversation_id)
    loaded.conversation, loaded.member_ids = fresh.conversation, fresh.member_ids


def remove(loaded: Loaded, user_id: str, by: str | None, reason: str) -> bool:
    """Take a member out (one transaction); False if they were not one. An owner who leaves a group
    hands it to `domain.successor` in the same transaction."""
    conversation = loaded.conversation
    if user_id not in loaded.member_ids:
        return False
    tx = Transaction()
    tx.delete("member", MemberItem(conversation.PK, member_sk(user_id)), condition=MemberItem.PK.exists())
    actions: list[Action] = [ConversationItem.member_count.add(-1)]
    if conversation.owner_id == user_id and loaded.kind is domain.ConversationType.group:
        heir = domain.successor(
            [(m.user_id, domain.Role(m.role), m.created_at) for m in _all_members(conversation)], user_id
        )
        actions.append(ConversationItem.owner_id.set(heir) if heir else ConversationItem.owner_id.remove())
        if heir:
            tx.update(
                "heir",
                MemberItem(conversation.PK, member_sk(heir)),
                [MemberItem.role.set(domain.Role.owner.value)],
                condition=MemberItem.PK.exists(),
            )
    tx.update("conversation", ConversationItem(conversation.PK, META_SK), actions)
    tx.update("roster", RosterItem(conversation.PK, ROSTER_SK), [RosterItem.member_ids.delete({user_id})])
    try:
        tx.commit()
    except TransactWriteError as error:
        if failed_on(tx.reasons(error), "member"):
            return False
        raise
    data = {"conversation_id": conversation.conversation_id, "user_id": user_id, "by": by, "reason": reason}
    fanout.to_members(loaded, "member.removed", data)  # still holds them: they hear it too
    loaded.member_ids = loaded.member_ids - {user_id}
    conversation.member_count = int(conversation.member_count) - 1
    return True


def _all_members(conversation: ConversationItem) -> list[MemberItem]:
    found = MemberItem.query(conversation.PK, MemberItem.SK.startswith(MEMBER_PREFIX), consistent_read=True)
    return [m for m in found if isinstance(m, MemberItem)]


# -- routes' use cases ---------------------------------------------------------------------------


def add_members(user_id: str, conversation_id: str, request: schemas.AddMembers) -> schemas.MemberPage:
    access = access_mod.load(conversation_id, user_id)
    access.require(domain.Permission.manage_members, "Only the group's admins may add members.")
    check_users_exist(request.user_ids, "user_ids")
    added = add(access, request.user_ids, by=user_id)
    items = MemberItem.batch_get([(access.conversation.PK, member_sk(uid)) for uid in added], consistent_read=True)
    return schemas.MemberPage(items=[views.member(m) for m in sorted(items, key=lambda m: m.user_id)], next_cursor=None)


def remove_member(user_id: str, conversation_id: str, member_id: str) -> None:
    access = access_mod.load(conversation_id, user_id)
    if member_id == user_id:
        leave(user_id, conversation_id)
        return
    if member_id not in access.member_ids:
        raise NotFound("No such member.")
    access.require(domain.Permission.manage_members, "Only the group's admins may remove members.")
    target = MemberItem.get(access.conversation.PK, member_sk(member_id), consistent_read=True)
    refused = domain.removal_refused(access.kind, access.role, domain.Role(target.role))
    if refused:
        raise Forbidden(refused, code="not_allowed")
    remove(access, member_id, by=user_id, reason="removed")


def leave(user_id: str, conversation_id: str) -> None:
    access = access_mod.load(conversation_id, user_id)
    access.require(domain.Permission.leave, "You cannot leave this conversation.")
    remove(access, user_id, by=user_id, reason="left")


def change_role(user_id: str, conversation_id: str, member_id: str, request: schemas.ChangeRole) -> schemas.Member:
    access = access_mod.load(conversation_id, user_id)
    access.require(domain.Permission.change_roles, "Only the owner may make or unmake admins.")
    if member_id == user_id:
        raise Conflict("The owner keeps their role; leave the group to hand it over.", code="owner_role")
    target = MemberItem(access.conversation.PK, member_sk(member_id))
    if not conditional.write(
        lambda: target.update(actions=[MemberItem.role.set(request.role)], condition=MemberItem.PK.exists())
    ):
        raise NotFound("No such member.")
    data = {"conversation_id": conversation_id, "user_id": member_id, "role": request.role, "by": user_id}
    fanout.to_members(access, "member.updated", data)
    return views.member(target)


def list_members(user_id: str, conversation_id: str, query: PageQuery) -> schemas.MemberPage:
    access = access_mod.load(conversation_id, user_id)
    scope = f"chat.members:{conversation_id}"
    found = MemberItem.query(
        access.conversation.PK,
        MemberItem.SK.startswith(MEMBER_PREFIX),
        limit=query.limit,
        page_size=query.limit,
        last_evaluated_key=decode_cursor(query.cursor, scope),
    )
    items = [views.member(m) for m in found if isinstance(m, MemberItem)]
    return schemas.MemberPage(items=items, next_cursor=encode_cursor(found.last_evaluated_key, scope))


def my_settings(user_id: str, conversation_id: str, request: schemas.MySettings) -> schemas.Conversation:
    """Archive and mute are the member's own: one UpdateItem on their member item."""
    access = access_mod.load(conversation_id, user_id)
    member = access.member
    actions: list[Action] = [MemberItem.updated_at.set(clock.now())]
    if request.archived is not None:
        seq = int(access.conversation.seq)
        actions.append(MemberItem.archived_seq.set(seq) if request.archived else MemberItem.archived_seq.remove())
    if request.muted is not None:
        actions.append(MemberItem.muted.set(request.muted))
    if not conditional.write(lambda: member.update(actions=actions, condition=MemberItem.PK.exists())):
        raise NotFound(access_mod.NOT_FOUND)
    return views.conversation(access.conversation, member)
