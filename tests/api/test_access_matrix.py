"""Who may call what: every route of the OpenAPI document, called as anonymous, as a stranger, as the
owner of what it names, as the host of another listing and as an admin, with ids that exist.

A caller in a row's `allowed` set must get past authorization (any answer but 401/403/404: a 409 or
422 from the state or the body is fine); every other caller gets 401 (anonymous), 403 or 404, as a
problem, never a 2xx. A route missing from ROWS fails `test_every_route_is_in_the_matrix`, so a new
route cannot ship without saying who may call it.

Each row that acts gets a world of its own, on a fresh table (rows that only read share one per kind of
world): host H publishes listing L with session S; host O has a listing of their own; player P; and, as the
row needs them, P's booking of S, a full session F whose waitlist P is on, P's saved search, phone and
calendar feed, P's group chat with H holding P's message M (which H reported), and P's paid seat of a priced
listing. Rows marked `reviewed` get a world where the session ran and P and H reviewed each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.core.settings import get_settings
from tests.api.booking_helpers import FREE, book, deliver, pay, player, stripe_client
from tests.api.catalog_helpers import LISTING, NOW, add_sessions, create_listing, make_host, publish
from tests.api.notification_helpers import push_platforms
from tests.api.review_helpers import completed_bookings

ANON, STRANGER, OWNER, OTHER_HOST, ADMIN = "anonymous", "stranger", "owner", "other_host", "admin"
CALLERS = (ANON, STRANGER, OTHER_HOST, ADMIN, OWNER)  # the owner last: their call may change the world
EVERYONE = frozenset(CALLERS)
SIGNED_IN = EVERYONE - {ANON}
OWNER_ADMIN = frozenset({OWNER, ADMIN})
ONLY_OWNER = frozenset({OWNER})
NOBODY: frozenset[str] = frozenset()


@dataclass
class World:
    ids: dict[str, str]
    tokens: dict[str, dict[str, str | None]]  # owner kind ("player" | "host") -> caller -> token

    def token(self, owner: str, caller: str) -> str | None:
        return self.tokens[owner][caller]


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    allowed: frozenset[str]
    owner: str = "player"  # whose resource the ids name: "player" (P) or "host" (H)
    body: dict[str, Any] | Callable[[World], dict[str, Any]] | None = None
    denied: frozenset[int] = field(default_factory=lambda: frozenset({401, 403, 404}))
    needs: frozenset[str] = frozenset()  # parts of the world beyond those the path names (see _needs)
    reviewed: bool = False  # the row needs a completed session with reviews: a world of its own, later in time


@pytest.fixture(autouse=True)
def _push_platforms() -> Iterator[None]:
    with push_platforms():
        yield


def _world(api: Any, token_for: Any, needs: frozenset[str]) -> World:
    """The world, with only the parts the row names (each part costs requests, and every row builds
    its own world on a fresh table)."""
    host_token, host_id = make_host(api, token_for, payouts="paid" in needs)  # onboarding costs Stripe calls
    listing = create_listing(api, host_token, **FREE)
    publish(api, host_token, listing["id"])
    session_id = add_sessions(api, host_token, listing["id"], capacity=5)["items"][0]["id"]
    p_token, p_id = player(api, token_for)
    other_token, _ = make_host(api, token_for, payouts=False)
    create_listing(api, other_token, **FREE)
    stranger_token, stranger_id = player(api, token_for)
    ids = {
        "listing_id": listing["id"],
        "session_id": session_id,
        "player_id": p_id,
        "host_id": host_id,
        "stranger_id": stranger_id,
    }
    if "booking" in needs:  # P booked S
        booking = book(api, p_token, session_id)
        assert booking.status == 201, booking.body
        ids["booking_id"] = booking.json["id"]
    if "waitlist" in needs:  # F, full; P waits on it
        full = add_sessions(api, host_token, listing["id"], start="2026-02-08T19:00:00", capacity=1)["items"][0]
        q_token, _ = player(api, token_for)
        assert book(api, q_token, full["id"]).status == 201
        entry = api.post(f"/v1/sessions/{full['id']}/waitlist", token=p_token, json_body={"seats": 1})
        assert entry.status == 201, entry.body
        ids.update(full_session_id=full["id"], entry_id=entry.json["id"])
    if "search" in needs:
        search = api.post("/v1/me/saved-searches", token=p_token, json_body={"name": "Horror", "filters": {"q": "x"}})
        assert search.status == 201, search.body
        ids["search_id"] = search.json["id"]
    if "device" in needs:
        ids["device_token"] = f"device-{p_id.lower()}"
        device = api.post("/v1/me/devices", token=p_token, json_body={"platform": "ios", "token": ids["device_token"]})
        assert device.status in (200, 201), device.body
    if "feed" in needs:
        feed = api.get("/v1/me/calendar", token=p_token)
        assert feed.status == 200, feed.body
        ids["feed_token"] = feed.json["url"].split("/calendar-feeds/")[1].split("/")[0]
    if "chat" in needs:  # P's group with H, P's message M, reported by H
        conversation = api.post(
            "/v1/conversations", token=p_token, json_body={"type": "group", "name": "Table", "member_ids": [host_id]}
        )
        assert conversation.status == 201, conversation.body
        cid = conversation.json["id"]
        message = api.post(f"/v1/conversations/{cid}/messages", token=p_token, json_body={"body": "Hello"})
        assert message.status == 201, message.body
        report = api.post(
            f"/v1/conversations/{cid}/messages/{message.json['id']}/reports",
            token=host_token,
            json_body={"reason": "spam"},
        )
        assert report.status in (200, 201, 204), report.body
        ids.update(conversation_id=cid, message_id=message.json["id"])
    if "paid" in needs:  # P paid for a seat of a priced listing, on the Stripe emulator
        paid_listing = create_listing(api, host_token)
        publish(api, host_token, paid_listing["id"])
        paid_session = add_sessions(api, host_token, paid_listing["id"], start="2026-02-15T19:00:00")["items"][0]
        paid = book(api, p_token, paid_session["id"])
        assert paid.status == 201, paid.body
        succeeded = pay(stripe_client(str(get_settings().stripe_api_base)), paid.json["payment"]["payment_intent_id"])
        assert deliver(api, "payment_intent.succeeded", succeeded).status == 200
        ids["paid_booking_id"] = paid.json["id"]
    admin_token = token_for(roles=("player", "admin"))
    callers = {ANON: None, STRANGER: stranger_token, OTHER_HOST: other_token, ADMIN: admin_token}
    return World(ids, {"player": {**callers, OWNER: p_token}, "host": {**callers, OWNER: host_token}})


def _reviewed_world(api: Any, token_for: Any) -> World:
    """A session that ran: P's booking completed, P and H reviewed each other (so both are published)."""
    done = completed_bookings(api, token_for)
    (p_token, p_id), booking_id = done.players[0], done.bookings[0]
    review = api.post(f"/v1/bookings/{booking_id}/review", token=p_token, json_body={"rating": 5, "text": "Great"})
    assert review.status == 201, review.body
    host_side = api.post(f"/v1/bookings/{booking_id}/review", token=done.host_token, json_body={"rating": 4})
    assert host_side.status == 201, host_side.body
    other_token, _ = make_host(api, token_for)
    stranger_token, _ = player(api, token_for)
    callers = {
        ANON: None,
        STRANGER: stranger_token,
        OTHER_HOST: other_token,
        ADMIN: token_for(roles=("player", "admin")),
    }
    ids = {
        "booking_id": booking_id,
        "review_id": review.json["id"],
        "session_id": done.session_id,
        "listing_id": done.listing_id,
        "host_id": done.host_id,
        "player_id": p_id,
    }
    return World(ids, {"player": {**callers, OWNER: p_token}, "host": {**callers, OWNER: done.host_token}})


C = "/v1/conversations/{conversation_id}"
M = C + "/messages/{message_id}"
ROWS: list[Row] = [
    # meta and public reads
    Row("GET", "/v1/openapi.json", EVERYONE),
    Row("GET", "/v1/docs", EVERYONE),
    Row("GET", "/v1/categories", EVERYONE),
    Row("GET", "/v1/sessions", EVERYONE),
    Row("GET", "/v1/listings", EVERYONE),
    Row("GET", "/v1/listings/{listing_id}", EVERYONE, owner="host"),
    Row("GET", "/v1/listings/{listing_id}/sessions", EVERYONE, owner="host"),
    Row("GET", "/v1/listings/{listing_id}/calendar.ics", EVERYONE, owner="host"),
    Row("GET", "/v1/sessions/{session_id}", EVERYONE, owner="host"),
    Row("GET", "/v1/users/{host_id}", EVERYONE, owner="host"),
    Row("GET", "/v1/users/{host_id}/listings", EVERYONE, owner="host"),
    # the caller's own things: anyone signed in has a "me"
    Row("GET", "/v1/me", SIGNED_IN),
    Row("PATCH", "/v1/me", SIGNED_IN, body={"display_name": "Someone"}),
    Row("POST", "/v1/me/avatar", SIGNED_IN, body={"content_type": "image/png"}),
    Row("PUT", "/v1/me/host", SIGNED_IN, body={"kinds": ["game_master"], "headline": "Hi"}),
    Row("GET", "/v1/me/bookings", SIGNED_IN),
    Row("GET", "/v1/me/waitlist", SIGNED_IN),
    Row("GET", "/v1/me/favorites", SIGNED_IN),
    Row("PUT", "/v1/me/favorites/{listing_id}", SIGNED_IN),
    Row("DELETE", "/v1/me/favorites/{listing_id}", SIGNED_IN),
    Row("GET", "/v1/me/saved-searches", SIGNED_IN),
    Row("POST", "/v1/me/saved-searches", SIGNED_IN, body={"name": "Jazz", "filters": {"q": "jazz"}}),
    Row("DELETE", "/v1/me/saved-searches/{search_id}", ONLY_OWNER),
    Row("GET", "/v1/me/listings", frozenset({OTHER_HOST, ADMIN, OWNER}), owner="host"),  # hosts only
    Row("GET", "/v1/conversations", SIGNED_IN),
    Row("POST", "/v1/conversations", SIGNED_IN, body=lambda w: {"type": "direct", "user_id": w.ids["host_id"]}),
    Row("GET", "/v1/chat/reports", frozenset({ADMIN})),
    # listings and sessions: their host (admins read drafts and rosters)
    Row("POST", "/v1/listings", frozenset({OTHER_HOST, ADMIN, OWNER}), owner="host", body=LISTING),
    Row("PATCH", "/v1/listings/{listing_id}", OWNER_ADMIN, owner="host", body={"title": "A new title for it"}),
    Row("POST", "/v1/listings/{listing_id}/publish", OWNER_ADMIN, owner="host"),
    Row("POST", "/v1/listings/{listing_id}/unpublish", OWNER_ADMIN, owner="host"),
    Row("POST", "/v1/listings/{listing_id}/archive", OWNER_ADMIN, owner="host"),
    Row("POST", "/v1/listings/{listing_id}/images", OWNER_ADMIN, owner="host", body={"content_type": "image/png"}),
    Row("POST", "/v1/listings/{listing_id}/sessions", OWNER_ADMIN, owner="host", body={"start": "2026-03-01T19:00:00"}),
    Row("PATCH", "/v1/sessions/{session_id}", OWNER_ADMIN, owner="host", body={"capacity": 4}),
    Row("POST", "/v1/sessions/{session_id}/cancel", OWNER_ADMIN, owner="host", body={"reason": "ill"}),
    Row("GET", "/v1/sessions/{session_id}/roster", OWNER_ADMIN, owner="host"),
    # booking: anyone signed in may book or wait; a booking is its player's (its host acts on requests)
    Row("POST", "/v1/sessions/{session_id}/bookings", SIGNED_IN, body={"seats": 1}),
    Row("POST", "/v1/sessions/{full_session_id}/waitlist", SIGNED_IN, body={"seats": 1}),
    Row("DELETE", "/v1/sessions/{full_session_id}/waitlist", ONLY_OWNER),  # others: not on it
    Row("GET", "/v1/bookings/{booking_id}", OWNER_ADMIN),
    Row("GET", "/v1/bookings/{booking_id}/cancellation-quote", OWNER_ADMIN),
    Row("POST", "/v1/bookings/{booking_id}/cancel", OWNER_ADMIN, body={}),
    Row(
        "POST",
        "/v1/bookings/{booking_id}/reschedule",
        OWNER_ADMIN,
        body=lambda w: {"session_id": w.ids["full_session_id"]},
        needs=frozenset({"waitlist"}),
    ),
    Row("POST", "/v1/bookings/{booking_id}/accept", frozenset({ADMIN})),  # the host's (and admins'), not the player's
    Row("POST", "/v1/bookings/{booking_id}/decline", frozenset({ADMIN}), body={}),
    Row("POST", "/v1/bookings/{booking_id}/no-show", frozenset({ADMIN})),
    Row("POST", "/v1/waitlist/{entry_id}/claim", OWNER_ADMIN),
    # chat: members only (admins moderate)
    Row("GET", C, ONLY_OWNER),
    Row("PATCH", C, ONLY_OWNER, body={"name": "Renamed"}),
    Row("PATCH", C + "/me", ONLY_OWNER, body={"muted": True}),
    Row("POST", C + "/leave", ONLY_OWNER),
    Row("GET", C + "/members", ONLY_OWNER),
    Row("POST", C + "/members", ONLY_OWNER, body=lambda w: {"user_ids": [w.ids["stranger_id"]]}),
    Row("PATCH", C + "/members/{host_id}", ONLY_OWNER, body={"role": "admin"}),
    Row("DELETE", C + "/members/{host_id}", ONLY_OWNER),
    Row("GET", C + "/messages", ONLY_OWNER),
    Row("POST", C + "/messages", ONLY_OWNER, body={"body": "Hi again"}),
    Row("POST", C + "/attachments", ONLY_OWNER, body={"content_type": "image/png", "size_bytes": 1000}),
    Row("POST", C + "/read", ONLY_OWNER, body=lambda w: {"message_id": w.ids["message_id"]}),
    Row("GET", C + "/pins", ONLY_OWNER),
    Row("GET", M, ONLY_OWNER),
    Row("PATCH", M, ONLY_OWNER, body={"body": "Edited"}),
    Row("DELETE", M, ONLY_OWNER),  # admins remove through the reports route
    Row("POST", M + "/reactions", ONLY_OWNER, body={"emoji": "👍"}),
    Row("POST", M + "/reports", ONLY_OWNER, body={"reason": "spam"}),
    Row("PUT", C + "/pins/{message_id}", ONLY_OWNER),
    Row("DELETE", C + "/pins/{message_id}", ONLY_OWNER),
    Row("POST", "/v1/chat/reports/{message_id}", frozenset({ADMIN}), body={"action": "dismiss"}),
    # notifications: the caller's own; feeds and unsubscribe links carry their own secret
    Row("GET", "/v1/me/notifications", SIGNED_IN),
    Row("POST", "/v1/me/notifications/read", SIGNED_IN, body={"all": True}),
    Row("GET", "/v1/me/notification-preferences", SIGNED_IN),
    Row("PUT", "/v1/me/notification-preferences", SIGNED_IN, body={"categories": {"marketing": {"email": False}}}),
    Row("POST", "/v1/me/devices", SIGNED_IN, body={"platform": "ios", "token": "device-token-2"}),
    Row(
        "DELETE",
        "/v1/me/devices",
        ONLY_OWNER,
        body=lambda w: {"platform": "ios", "token": w.ids["device_token"]},
        needs=frozenset({"device"}),
    ),
    Row("GET", "/v1/me/calendar", SIGNED_IN),
    Row("GET", "/v1/calendar-feeds/{feed_token}/sesh.ics", EVERYONE),  # the token is the key
    Row("POST", "/v1/me/calendar/rotate", SIGNED_IN),
    Row("GET", "/v1/notifications/unsubscribe", NOBODY, denied=frozenset({403, 404, 422})),  # no valid signature
    Row("POST", "/v1/notifications/unsubscribe", NOBODY, denied=frozenset({403, 404, 422})),
    # dashboards and analytics: the caller's own; hosts' for hosts
    Row("GET", "/v1/me/dashboard", SIGNED_IN),
    Row("GET", "/v1/me/host/dashboard", frozenset({OTHER_HOST, ADMIN, OWNER}), owner="host"),
    Row("GET", "/v1/me/host/analytics", frozenset({OTHER_HOST, ADMIN, OWNER}), owner="host"),
    Row("GET", "/v1/me/host/analytics.csv", frozenset({OTHER_HOST, ADMIN, OWNER}), owner="host"),
    Row("GET", "/v1/admin/metrics", frozenset({ADMIN})),
    # reviews: public once published; written by the booking's two sides
    Row("GET", "/v1/listings/{listing_id}/reviews", EVERYONE, owner="host", reviewed=True),
    Row("GET", "/v1/users/{host_id}/reviews", EVERYONE, owner="host", reviewed=True),
    Row("GET", "/v1/users/{host_id}/reputation", EVERYONE, owner="host", reviewed=True),
    Row("GET", "/v1/reviews/{review_id}", EVERYONE, reviewed=True),
    Row("PATCH", "/v1/reviews/{review_id}", ONLY_OWNER, body={"rating": 4}, reviewed=True),
    Row("POST", "/v1/bookings/{booking_id}/review", ONLY_OWNER, body={"rating": 5}, reviewed=True),
    Row("POST", "/v1/reviews/{review_id}/reply", ONLY_OWNER, owner="host", body={"text": "Thanks!"}, reviewed=True),
    Row("POST", "/v1/reviews/{review_id}/report", SIGNED_IN, body={"reason": "rude"}, reviewed=True),
    Row("POST", "/v1/admin/reviews/{review_id}/hide", frozenset({ADMIN}), body={"reason": "abuse"}, reviewed=True),
    Row("GET", "/v1/sessions/{session_id}/feedback", ONLY_OWNER, owner="host", reviewed=True),
    Row(
        "PUT",
        "/v1/sessions/{session_id}/feedback",
        ONLY_OWNER,
        owner="host",
        body={"went_well": "Pacing"},
        reviewed=True,
    ),
    # payments: payout accounts and money views are the caller's own; receipts the booking's player's
    Row("POST", "/v1/me/payouts/onboarding", frozenset({OTHER_HOST, ADMIN, OWNER}), owner="host"),  # hosts only
    Row("GET", "/v1/me/payouts", SIGNED_IN),
    Row("GET", "/v1/me/transactions", SIGNED_IN),
    Row("GET", "/v1/me/earnings", SIGNED_IN),
    Row("GET", "/v1/bookings/{paid_booking_id}/receipt", OWNER_ADMIN),
    Row(
        "POST",
        "/v1/admin/bookings/{paid_booking_id}/refund",
        frozenset({ADMIN}),
        body={"amount": 100, "reason": "goodwill"},
    ),
    # Stripe signs its webhooks; nobody else gets in
    Row("POST", "/v1/webhooks/stripe", NOBODY, body={"id": "evt_1"}, denied=frozenset({400})),
]


PLACEHOLDERS = {
    "{full_session_id}": "{session_id}",
    "{paid_booking_id}": "{booking_id}",
    "{host_id}": "{user_id}",
    "{feed_token}": "{token}",
}


def _route_key(method: str, path: str) -> tuple[str, str]:
    """The route a row calls, with its placeholders named as in the OpenAPI document."""
    for ours, documented in PLACEHOLDERS.items():
        path = path.replace(ours, documented)
    return method, path


def test_every_route_is_in_the_matrix(api: Any) -> None:
    document = api.get("/v1/openapi.json").json
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    in_matrix = {_route_key(row.method, row.path) for row in ROWS}
    assert documented - in_matrix == set(), "routes nobody said who may call"
    assert in_matrix - documented == set(), "rows for routes that do not exist"


def _needs(row: Row) -> frozenset[str]:
    by_placeholder = {
        "{booking_id}": "booking",
        "{full_session_id}": "waitlist",
        "{entry_id}": "waitlist",
        "{search_id}": "search",
        "{feed_token}": "feed",
        "{conversation_id}": "chat",
        "{message_id}": "chat",
        "{paid_booking_id}": "paid",
    }
    return row.needs | {part for placeholder, part in by_placeholder.items() if placeholder in row.path}


def _wrong_answers(api: Any, world: World, row: Row) -> list[tuple[str, int, bytes]]:
    """The callers of `row` whose answer is not what the matrix says."""
    path = row.path.format(**world.ids)
    body = row.body(world) if callable(row.body) else row.body
    wrong = []
    for caller in CALLERS:
        response = api.request(row.method, path, token=world.token(row.owner, caller), json_body=body)
        if caller in row.allowed:
            ok = response.status not in (401, 403, 404) and response.status < 500
        else:
            ok = response.status in row.denied and response.headers["content-type"] == "application/problem+json"
            if caller == ANON and row.denied == frozenset({401, 403, 404}):
                ok = ok and response.status == 401
        if not ok:
            wrong.append((caller, response.status, response.body[:200]))
    return wrong


def _build(api: Any, token_for: Any, needs: frozenset[str], reviewed: bool) -> World:
    clock.freeze(NOW)
    return _reviewed_world(api, token_for) if reviewed else _world(api, token_for, needs)


# A world costs dozens of requests. Rows that read (GET, but for the unsubscribe link, which acts)
# cannot change the world, so the rows of one kind of world share one; every other row gets its own.
def _reads_only(row: Row) -> bool:
    return row.method == "GET" and "unsubscribe" not in row.path


READ_GROUPS: dict[tuple[frozenset[str], bool], list[Row]] = {}
for _row in ROWS:
    if _reads_only(_row):
        READ_GROUPS.setdefault((_needs(_row), _row.reviewed), []).append(_row)
ACTING_ROWS = [r for r in ROWS if not _reads_only(r)]


def _group_id(key: tuple[frozenset[str], bool]) -> str:
    needs, reviewed = key
    return "+".join(sorted(needs) + (["reviewed"] if reviewed else [])) or "base"


@pytest.mark.parametrize("key", READ_GROUPS, ids=[_group_id(k) for k in READ_GROUPS])
def test_only_the_allowed_callers_read(api: Any, token_for: Any, key: tuple[frozenset[str], bool]) -> None:
    world = _build(api, token_for, *key)
    answers = {f"{row.method} {row.path}": _wrong_answers(api, world, row) for row in READ_GROUPS[key]}
    wrong = {route: found for route, found in answers.items() if found}
    assert wrong == {}


@pytest.mark.parametrize("row", ACTING_ROWS, ids=[f"{r.method} {r.path}" for r in ACTING_ROWS])
def test_only_the_allowed_callers_get_through(api: Any, token_for: Any, row: Row) -> None:
    world = _build(api, token_for, _needs(row), row.reviewed)
    wrong = _wrong_answers(api, world, row)
    assert wrong == [], f"{row.method} {row.path}: {wrong}"
