"""Chat's pure decisions: roles and permissions, the rate-limit window, search words, read state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.chat import domain
from chalicelib.chat.domain import ConversationType as T
from chalicelib.chat.domain import Permission as P
from chalicelib.chat.domain import Role as R

T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


# -- roles and permissions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "role", "granted"),
    [
        (T.group, R.owner, set(P)),
        (T.group, R.admin, set(P) - {P.change_roles}),
        (T.group, R.member, {P.leave}),
        (T.direct, R.member, {P.pin}),
        (T.session, R.owner, {P.change_settings, P.pin, P.moderate}),
        (T.session, R.admin, {P.pin, P.moderate}),
        (T.session, R.member, set()),
    ],
)
def test_permissions(kind, role, granted):
    assert {p for p in P if domain.can(kind, role, p)} == granted


def test_direct_chats_have_no_owner_or_admins():
    assert not any(domain.can(T.direct, role, p) for role in (R.owner, R.admin) for p in P)


@pytest.mark.parametrize(
    ("actor", "target", "allowed"),
    [
        (R.owner, R.admin, True),
        (R.owner, R.member, True),
        (R.admin, R.member, True),
        (R.admin, R.admin, False),
        (R.admin, R.owner, False),
        (R.owner, R.owner, False),
        (R.member, R.member, False),
    ],
)
def test_who_removes_whom_in_a_group(actor, target, allowed):
    assert (domain.removal_refused(T.group, actor, target) is None) is allowed


def test_nobody_removes_members_of_direct_or_session_chats_by_hand():
    assert domain.removal_refused(T.direct, R.member, R.member)
    assert domain.removal_refused(T.session, R.owner, R.member)


def test_successor_is_the_longest_standing_admin_else_member():
    members = [
        ("usr_owner", R.owner, T0),
        ("usr_m1", R.member, T0 + timedelta(minutes=1)),
        ("usr_a2", R.admin, T0 + timedelta(minutes=3)),
        ("usr_a1", R.admin, T0 + timedelta(minutes=2)),
    ]
    assert domain.successor(members, "usr_owner") == "usr_a1"
    assert domain.successor([m for m in members if m[1] is not R.admin], "usr_owner") == "usr_m1"
    assert domain.successor(members[:1], "usr_owner") is None


def test_direct_pair_is_order_free():
    assert domain.direct_pair("usr_b", "usr_a") == domain.direct_pair("usr_a", "usr_b") == ("usr_a", "usr_b")


def test_edits_are_the_senders_within_the_window():
    assert domain.edit_refused("u1", "u1", T0, T0 + domain.EDIT_WINDOW, False) is None
    assert domain.edit_refused("u1", "u1", T0, T0 + domain.EDIT_WINDOW + timedelta(seconds=1), False)
    assert domain.edit_refused("u1", "u2", T0, T0, False)
    assert domain.edit_refused("u1", "u1", T0, T0, True)


def test_deletes_are_the_senders_or_moderators():
    assert domain.may_delete("u1", "u1", T.group, R.member)
    assert not domain.may_delete("u1", "u2", T.group, R.member)
    assert domain.may_delete("u1", "u2", T.group, R.admin)
    assert domain.may_delete("u1", "u2", T.session, R.owner)
    assert not domain.may_delete("u1", "u2", T.direct, R.member)


# -- search words --------------------------------------------------------------------------------


def test_words_are_folded_distinct_and_ordered():
    assert domain.words("Meet at the CAFÉ, the café! Straße 12 x") == ["meet", "at", "the", "cafe", "strasse", "12"]
    assert domain.words("one-shot_night") == ["one", "shot_night"]
    assert domain.words("naïve résumé ÅNGSTRÖM") == ["naive", "resume", "angstrom"]
    assert domain.words("🎲🎲 !!") == []
    assert domain.words("a" * 100) == ["a" * domain.MAX_WORD_CHARS]
    assert domain.words("日本語 テキスト") == ["日本語", "テキスト"]


@given(st.text(max_size=300))
def test_words_of_words_are_stable(text):
    found = domain.words(text)
    assert len(found) == len(set(found))
    assert domain.words(" ".join(found)) == found
    assert all(domain.MIN_WORD_CHARS <= len(w) <= domain.MAX_WORD_CHARS for w in found)


def test_query_words_and_the_driver():
    assert domain.query_words("The Cafe the") == ["the", "cafe"]
    assert len(domain.query_words("a1 b2 c3 d4 e5 f6 g7")) == domain.MAX_QUERY_WORDS
    assert domain.driver_word(["at", "cafe", "the"]) == "cafe"


# -- read state ----------------------------------------------------------------------------------


def test_unread_counts():
    assert domain.unread(10, 7) == 3
    assert domain.unread(7, 7) == 0
    assert domain.unread(3, 5) == 0


@pytest.mark.parametrize(
    ("seq", "delivered", "read", "status"),
    [(5, 4, 3, "sent"), (5, 5, 3, "delivered"), (5, 9, 5, "read"), (5, 0, 7, "read"), (5, 0, 0, "sent")],
)
def test_message_status(seq, delivered, read, status):
    assert domain.message_status(seq, delivered, read) == status


def test_archived_until_something_new_unless_muted():
    assert domain.is_archived(None, False, 3) is False
    assert domain.is_archived(3, False, 3) is True
    assert domain.is_archived(3, False, 4) is False
    assert domain.is_archived(3, True, 40) is True


def test_previews():
    assert domain.preview("  hello\n  world ", []) == "hello world"
    long = domain.preview("x" * 500, [])
    assert len(long) == domain.PREVIEW_CHARS and long.endswith("…")
    assert domain.preview(None, ["audio"]) == "🎤 Voice message"
    assert domain.preview("", ["image", "document"]) == "📷 Photo (+1)"
    assert domain.preview(None, []) == ""


def test_attachment_kinds():
    assert domain.attachment_kind("image/webp") == "image"
    assert domain.attachment_kind("audio/ogg") == "audio"
    assert domain.attachment_kind("application/pdf") == "document"
    assert domain.attachment_kind("video/mp4") is None
    assert set(domain.EXTENSIONS) == set(domain.IMAGE_TYPES + domain.AUDIO_TYPES + domain.DOCUMENT_TYPES)
