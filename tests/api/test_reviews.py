"""Reviews through the API: double-blind publishing (both sides wrote; the window closed; never
before), one review per booking and side, only completed bookings, the edit window, the host's one
reply, reports and admins hiding, reputation sums, lists, session feedback, and strangers per route."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.core import clock
from tests.api.booking_helpers import FREE, book, listing_with_sessions, player
from tests.api.helpers import assert_problem, run_timers_at
from tests.api.review_helpers import END, completed_bookings

pytestmark = pytest.mark.usefixtures("frozen_clock")

GOOD = {"rating": 5, "preparation": 5, "communication": 4, "atmosphere": 5, "value": 4, "text": "Great night!"}
HOST_SIDE = {"rating": 4, "communication": 5, "text": "Lovely player"}


def _review(api: Any, token: str, booking_id: str, body: dict[str, Any] | None = None) -> Any:
    return api.post(f"/v1/bookings/{booking_id}/review", token=token, json_body=body or GOOD)


def test_published_when_both_sides_wrote_never_before(api: Any, token_for: Any) -> None:
    done = completed_bookings(api, token_for)
    (ptoken, pid), booking = done.players[0], done.bookings[0]
    mine = _review(api, ptoken, booking)
    assert mine.status == 201, mine.body
    assert mine.json["state"] == "pending" and mine.json["published_at"] is None
    # Double-blind: nobody else sees it, not in lists, not in the rating, not even the host.
    assert_problem(api.get(f"/v1/reviews/{mine.json['id']}", token=done.host_token), 404)
    assert api.get(f"/v1/reviews/{mine.json['id']}").status == 404
    assert api.get(f"/v1/listings/{done.listing_id}/reviews").json["items"] == []
    assert api.get(f"/v1/users/{done.host_id}/reputation").json["rating"]["count"] == 0
    assert api.get(f"/v1/reviews/{mine.json['id']}", token=ptoken).json["state"] == "pending"

    theirs = _review(api, done.host_token, booking, HOST_SIDE)
    assert theirs.status == 201 and theirs.json["state"] == "published"
    assert api.get(f"/v1/reviews/{mine.json['id']}").json["state"] == "published"
    listed = api.get(f"/v1/listings/{done.listing_id}/reviews").json
    assert [r["id"] for r in listed["items"]] == [mine.json["id"]]
    assert listed["rating"]["average"] == 5.0 and listed["rating"]["count"] == 1
    reputation = api.get(f"/v1/users/{done.host_id}/reputation").json
    assert reputation["rating"]["count"] == 1 and reputation["rating"]["sub_averages"]["communication"] == 4.0
    about_host = api.get(f"/v1/users/{done.host_id}/reviews").json["items"]
    assert [r["id"] for r in about_host] == [mine.json["id"]]
    # The host's review of the player is for hosts only.
    assert_problem(api.get(f"/v1/users/{pid}/reviews?about=player", token=ptoken), 403, "hosts_only")
    assert_problem(api.get(f"/v1/users/{pid}/reviews?about=player"), 403, "hosts_only")
    for_hosts = api.get(f"/v1/users/{pid}/reviews?about=player", token=done.host_token).json["items"]
    assert [r["id"] for r in for_hosts] == [theirs.json["id"]]
    assert api.get(f"/v1/reviews/{theirs.json['id']}", token=ptoken).status == 404


def test_published_when_the_window_closes(api: Any, token_for: Any) -> None:
    done = completed_bookings(api, token_for)
    (ptoken, _), booking = done.players[0], done.bookings[0]
    mine = _review(api, ptoken, booking).json
    run_timers_at(END + timedelta(days=13, hours=23))
    assert api.get(f"/v1/reviews/{mine['id']}").status == 404  # not yet
    run_timers_at(END + timedelta(days=14, seconds=30))
    assert api.get(f"/v1/reviews/{mine['id']}").json["state"] == "published"
    assert api.get(f"/v1/listings/{done.listing_id}/reviews").json["rating"]["count"] == 1
    # The window is closed for the other side now; running the timer again changes nothing.
    assert_problem(_review(api, done.host_token, booking, HOST_SIDE), 409, "review_window_closed")
    run_timers_at(END + timedelta(days=14, minutes=5))
    assert api.get(f"/v1/listings/{done.listing_id}/reviews").json["rating"]["count"] == 1


def test_one_review_per_booking_and_side(api: Any, token_for: Any) -> None:
    done = completed_bookings(api, token_for)
    (ptoken, _), booking = done.players[0], done.bookings[0]
    key = {"Idempotency-Key": "review-1"}
    first = api.post(f"/v1/bookings/{booking}/review", token=ptoken, json_body=GOOD, headers=key)
    assert first.status == 201
    replay = api.post(f"/v1/bookings/{booking}/review", token=ptoken, json_body=GOOD, headers=key)
    assert replay.status == 201 and replay.json["id"] == first.json["id"]  # the same key replays the first answer
    assert_problem(_review(api, ptoken, booking), 409, "already_reviewed")
    assert _review(api, done.host_token, booking, HOST_SIDE).status == 201
    assert_problem(_review(api, done.host_token, booking, HOST_SIDE), 409, "already_reviewed")
    assert api.get(f"/v1/listings/{done.listing_id}/reviews").json["rating"]["count"] == 1


def test_only_completed_bookings_of_your_own_can_be_reviewed(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, **FREE)
    token, _ = player(api, token_for)
    booking = book(api, token, setup.session_id).json["id"]
    assert_problem(_review(api, token, booking), 409, "booking_not_completed")
    assert_problem(_review(api, setup.host_token, booking, HOST_SIDE), 409, "booking_not_completed")
    stranger = token_for()
    assert_problem(_review(api, stranger, booking), 404)
    assert_problem(_review(api, token, "bkg_nope"), 404)
    assert_problem(api.post(f"/v1/bookings/{booking}/review", json_body=GOOD), 401)
    assert_problem(api.post(f"/v1/bookings/{booking}/review", token=token, json_body={"rating": 6}), 422)
    assert_problem(
        api.post(f"/v1/bookings/{booking}/review", token=token, body="{", headers={"Content-Type": "application/json"}),
        400,
    )


def test_validation_of_sides_and_texts(api: Any, token_for: Any) -> None:
    done = completed_bookings(api, token_for)
    (ptoken, _), booking = done.players[0], done.bookings[0]
    assert_problem(_review(api, done.host_token, booking, {"rating": 4, "value": 3}), 400, "invalid_sub_rating")
    assert_problem(_review(api, ptoken, booking, {"rating": 4, "text": "x" * 2001}), 422)
    assert_problem(_review(api, ptoken, booking, {"rating": 4, "stars": 3}), 422)


def test_edit_within_48_hours_and_the_sums_follow(api: Any, token_for: Any) -> None:
    done = completed_bookings(api, token_for)
    (ptoken, _), booking = done.players[0], done.bookings[0]
    mine = _review(api, ptoken, booking).json
    _review(api, done.host_token, booking, HOST_SIDE)  # both wrote: published
    clock.freeze(clock.now() + timedelta(hours=47))
    edited = api.patch(f"/v1/reviews/{mine['id']}", token=ptoken, json_body={"rating": 3, "value": None})
    assert edited.status == 200, edited.body
    assert edited.json["rating"] == 3 and edited.json["sub_ratings"]["value"] is None
    rating = api.get(f"/v1/listings/{done.listing_id}/reviews").json["rating"]
    assert rating["average"] == 3.0 and rating["count"] == 1 and rating["sub_averages"]["value"] is None
    assert_problem(
        api.patch(f"/v1/reviews/{mine['id']}", token=done.host_token, json_body={"rating": 1}), 403, "not_your_review"
    )
    assert_problem(
        api.patch(f"/v1/reviews/{mine['id']}", token=token_for(), json_body={"rating": 1}), 403, "not_your_review"
    )  # a stranger sees the published review, may not edit it
    assert_problem(api.patch(f"/v1/reviews/{mine['id']}", token=ptoken, json_body={"rating": None}), 400)
    clock.freeze(clock.now() + timedelta(hours=2))
    assert_problem(
        api.patch(f"/v1/reviews/{mine['id']}", token=ptoken, json_body={"rating": 1}), 409, "edit_window_closed"
    )


def test_the_host_replies_once(api: Any, token_for: Any) -> None:
    done = completed_bookings(api, token_for)
    (ptoken, _), booking = done.players[0], done.bookings[0]
    mine = _review(api, ptoken, booking).json
    reply = {"text": "Thank you for coming!"}
    assert_problem(api.post(f"/v1/reviews/{mine['id']}/reply", token=done.host_token, json_body=reply), 404)
    theirs = _review(api, done.host_token, booking, HOST_SIDE).json
    answered = api.post(f"/v1/reviews/{mine['id']}/reply", token=done.host_token, json_body=reply)
    assert answered.status == 200 and answered.json["reply"]["text"] == reply["text"]
    assert api.get(f"/v1/reviews/{mine['id']}").json["reply"]["text"] == reply["text"]
    assert_problem(
        api.post(f"/v1/reviews/{mine['id']}/reply", token=done.host_token, json_body=reply), 409, "already_replied"
    )
    assert_problem(api.post(f"/v1/reviews/{mine['id']}/reply", token=ptoken, json_body=reply), 403)
    assert_problem(api.post(f"/v1/reviews/{mine['id']}/reply", token=token_for(), json_body=reply), 403)
    assert_problem(api.post(f"/v1/reviews/{theirs['id']}/reply", token=done.host_token, json_body=reply), 403)
    assert_problem(api.post(f"/v1/reviews/{mine['id']}/reply", json_body=reply), 401)


def test_report_and_admins_hide_keeping_it_for_audit(api: Any, token_for: Any) -> None:
    done = completed_bookings(api, token_for, players=2)
    (p1, _), (p2, _) = done.players
    first = _review(api, p1, done.bookings[0], GOOD).json
    _review(api, p2, done.bookings[1], {"rating": 1, "text": "rude words"})
    second = _review(api, p2, done.bookings[1], {"rating": 1})
    assert second.status == 409
    _review(api, done.host_token, done.bookings[0], HOST_SIDE)
    _review(api, done.host_token, done.bookings[1], HOST_SIDE)
    listed = api.get(f"/v1/listings/{done.listing_id}/reviews").json
    assert listed["rating"] == {**listed["rating"], "average": 3.0, "count": 2}
    bad = next(r for r in listed["items"] if r["rating"] == 1)

    reporter = token_for()
    reported = api.post(f"/v1/reviews/{bad['id']}/report", token=reporter, json_body={"reason": "insults"})
    assert reported.status == 202 and reported.json == {"review_id": bad["id"], "reported": True}
    assert_problem(
        api.post(f"/v1/reviews/{bad['id']}/report", token=reporter, json_body={"reason": "again"}),
        409,
        "already_reported",
    )
    assert_problem(api.post(f"/v1/reviews/{bad['id']}/report", json_body={"reason": "x"}), 401)
    assert_problem(api.post(f"/v1/reviews/{bad['id']}/report", token=reporter, json_body={}), 422)

    admin = token_for(roles=("admin",))
    assert_problem(
        api.post(f"/v1/admin/reviews/{bad['id']}/hide", token=reporter, json_body={"reason": "abuse"}),
        403,
        "admin_only",
    )
    hidden = api.post(f"/v1/admin/reviews/{bad['id']}/hide", token=admin, json_body={"reason": "abuse"})
    assert hidden.status == 200 and hidden.json["hidden"] is True and hidden.json["hidden_reason"] == "abuse"
    listed = api.get(f"/v1/listings/{done.listing_id}/reviews").json
    assert [r["id"] for r in listed["items"]] == [first["id"]]
    assert listed["rating"]["average"] == 5.0 and listed["rating"]["count"] == 1
    assert api.get(f"/v1/reviews/{bad['id']}").status == 404
    assert api.get(f"/v1/reviews/{bad['id']}", token=admin).json["hidden"] is True  # kept for audit
    again = api.post(f"/v1/admin/reviews/{bad['id']}/hide", token=admin, json_body={"reason": "abuse"})
    assert again.status == 200
    assert api.get(f"/v1/listings/{done.listing_id}/reviews").json["rating"]["count"] == 1
    metrics = api.get("/v1/admin/metrics", token=admin).json
    assert metrics["reported_reviews"] == 1 and metrics["hidden_reviews"] == 1 and metrics["reviews_written"] == 4


def test_lists_page_with_cursors_bound_to_their_query(api: Any, token_for: Any) -> None:
    done = completed_bookings(api, token_for, players=3)
    for (token, _), booking in zip(done.players, done.bookings, strict=True):
        _review(api, token, booking)
        _review(api, done.host_token, booking, HOST_SIDE)
        clock.freeze(clock.now() + timedelta(minutes=1))
    first = api.get(f"/v1/listings/{done.listing_id}/reviews?limit=2").json
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.get(f"/v1/listings/{done.listing_id}/reviews?limit=2&cursor={first['next_cursor']}").json
    assert len(rest["items"]) == 1
    assert_problem(api.get(f"/v1/users/{done.host_id}/reviews?cursor={first['next_cursor']}"), 400, "invalid_cursor")
    assert_problem(api.get(f"/v1/listings/{done.listing_id}/reviews?limit=0"), 422)
    assert_problem(api.get("/v1/listings/junk/reviews"), 404)
    assert_problem(api.get("/v1/users/junk/reviews"), 404)
    assert_problem(api.get("/v1/users/junk/reputation"), 404)


def test_private_session_feedback_only_for_its_host(api: Any, token_for: Any) -> None:
    done = completed_bookings(api, token_for)
    path = f"/v1/sessions/{done.session_id}/feedback"
    saved = api.put(path, token=done.host_token, json_body={"went_well": "Pacing", "to_improve": "Handouts"})
    assert saved.status == 200 and saved.json["to_improve"] == "Handouts"
    assert api.get(path, token=done.host_token).json["went_well"] == "Pacing"
    assert_problem(api.get(path, token=done.players[0][0]), 404)
    assert_problem(api.put(path, token=token_for(), json_body={"went_well": "x"}), 404)
    assert_problem(api.get(path, token=token_for(roles=("player", "admin"))), 404)  # private even from admins
    assert_problem(api.get(path), 401)
    assert_problem(api.put(path, token=done.host_token, json_body={"secret": 1}), 422)


def test_the_window_timer_is_scheduled_by_the_completed_event(api: Any, token_for: Any) -> None:
    from chalicelib.core import timers

    done = completed_bookings(api, token_for)
    found = timers.get(f"revwin#{done.bookings[0]}")
    assert found is not None and found.due_at == END + timedelta(days=14)


def test_ratings_show_on_listings_profiles_and_search_which_sorts_and_filters_by_them(api: Any, token_for: Any) -> None:
    setups = [listing_with_sessions(api, token_for, count=2, min_players=1, **FREE) for _ in range(3)]
    players = [player(api, token_for) for _ in setups]
    bookings = [book(api, token, s.session_id).json["id"] for (token, _), s in zip(players, setups, strict=True)]
    run_timers_at(END + timedelta(seconds=30))
    for stars, (token, _), s, booking in zip((3, 5), players, setups, bookings, strict=False):
        assert _review(api, token, booking, {"rating": stars}).status == 201
        assert _review(api, s.host_token, booking, HOST_SIDE).status == 201
    low, high, unrated = (s.listing["id"] for s in setups)

    response = api.get("/v1/listings?sort=rating")
    assert response.status == 200, response.body
    ranked = response.json
    assert [r["listing"]["id"] for r in ranked["items"]] == [high, low]
    assert ranked["items"][0]["listing"]["rating"] == {"average": 5.0, "count": 1}
    assert ranked["items"][0]["next_session"]["id"] == setups[1].sessions[1]["id"]
    first = api.get("/v1/listings?sort=rating&limit=1").json
    rest = api.get(f"/v1/listings?sort=rating&limit=1&cursor={first['next_cursor']}").json
    assert [r["listing"]["id"] for r in first["items"] + rest["items"]] == [high, low]
    sessions = api.get("/v1/sessions?sort=rating").json["items"]
    assert [s["listing"]["id"] for s in sessions] == [high, low]
    assert {r["listing"]["id"] for r in api.get("/v1/listings?min_rating=4").json["items"]} == {high}
    assert {r["listing"]["id"] for r in api.get("/v1/listings?min_rating=3").json["items"]} == {high, low}
    assert [s["listing"]["id"] for s in api.get("/v1/sessions?min_rating=4.5").json["items"]] == [high]
    everything = api.get("/v1/listings").json["items"]
    assert {r["listing"]["id"] for r in everything} == {high, low, unrated}
    assert next(r for r in everything if r["listing"]["id"] == unrated)["listing"]["rating"] == {
        "average": None,
        "count": 0,
    }
    assert_problem(api.get("/v1/listings?min_rating=6"), 422)
    assert_problem(api.get("/v1/listings?sort=stars"), 422)

    assert api.get(f"/v1/listings/{high}").json["rating"] == {"average": 5.0, "count": 1}
    assert api.get(f"/v1/users/{setups[0].host_id}").json["rating"] == {"average": 3.0, "count": 1}
    assert api.get(f"/v1/users/{players[0][1]}").json["rating"] is None  # not a host
