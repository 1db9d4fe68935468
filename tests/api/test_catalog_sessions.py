"""Sessions: one-off and recurring (in local time across DST), overlaps, edits, cancellation,
reading, and the calendar feed."""

from __future__ import annotations

import pytest

from tests.api.catalog_helpers import add_sessions, create_listing, make_host, published_listing
from tests.api.helpers import assert_problem

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _sessions_path(listing):
    return f"/v1/listings/{listing['id']}/sessions"


def test_one_off_session_in_local_time(api, token_for):
    token, _, listing = published_listing(api, token_for)
    created = add_sessions(api, token, listing["id"], start="2026-02-01T19:00:00", capacity=4)
    assert created["series_id"] is None
    [session] = created["items"]
    assert session["starts_at"] == "2026-02-01T18:00:00Z" and session["ends_at"] == "2026-02-01T21:00:00Z"
    assert session["timezone"] == "Europe/Berlin" and session["local_start"] == "2026-02-01T19:00:00+01:00"
    assert (session["capacity"], session["seats_booked"], session["seats_held"], session["seats_left"]) == (4, 0, 0, 4)
    assert session["price"] == {"amount": 1500, "currency": "usd"} and session["duration_minutes"] == 180


def test_start_with_an_offset_is_converted_to_the_zone(api, token_for):
    token, _, listing = published_listing(api, token_for)
    session = add_sessions(api, token, listing["id"], start="2026-02-01T18:00:00Z", timezone="Asia/Tokyo")["items"][0]
    assert session["local_start"] == "2026-02-02T03:00:00+09:00" and session["starts_at"] == "2026-02-01T18:00:00Z"


def test_weekly_berlin_19h_stays_19h_across_both_dst_changes(api, token_for):
    token, _ = make_host(api, token_for)
    listing = create_listing(api, token)  # a draft: not indexed, which keeps moto's transactions small
    rule = {"frequency": "weekly", "until": "2026-11-05"}
    created = add_sessions(api, token, listing["id"], start="2026-03-19T19:00:00", recurrence=rule)
    items = created["items"]
    assert created["series_id"].startswith("srs_") and len(items) == 34
    assert {i["local_start"][11:19] for i in items} == {"19:00:00"}
    by_day = {i["local_start"][:10]: i["starts_at"] for i in items}
    assert by_day["2026-03-26"] == "2026-03-26T18:00:00Z"  # CET, before the March change (29th)
    assert by_day["2026-04-02"] == "2026-04-02T17:00:00Z"  # CEST
    assert by_day["2026-10-22"] == "2026-10-22T17:00:00Z"  # CEST, before the October change (25th)
    assert by_day["2026-10-29"] == "2026-10-29T18:00:00Z"  # CET again


def test_biweekly_and_monthly_rules(api, token_for):
    token, _, listing = published_listing(api, token_for, duration_minutes=60)
    biweekly = add_sessions(
        api, token, listing["id"], start="2026-02-02T10:00:00", recurrence={"frequency": "biweekly", "count": 3}
    )["items"]
    assert [i["local_start"][:10] for i in biweekly] == ["2026-02-02", "2026-02-16", "2026-03-02"]
    # The 3rd Friday of each month.
    third_friday = add_sessions(
        api,
        token,
        listing["id"],
        start="2026-01-16T20:00:00",
        recurrence={"frequency": "monthly", "count": 3, "monthly_by": "weekday"},
    )["items"]
    assert [i["local_start"][:10] for i in third_friday] == ["2026-01-16", "2026-02-20", "2026-03-20"]
    # On the 31st: months without one are skipped.
    on_31st = add_sessions(
        api, token, listing["id"], start="2026-01-31T08:00:00", recurrence={"frequency": "monthly", "count": 3}
    )["items"]
    assert [i["local_start"][:10] for i in on_31st] == ["2026-01-31", "2026-03-31", "2026-05-31"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recurrence": {"frequency": "weekly", "until": "2031-01-01"}}, "recurrence.until"),
        ({"recurrence": {"frequency": "weekly", "count": 201}}, "recurrence.count"),
        ({"recurrence": {"frequency": "weekly"}}, "recurrence"),
        ({"recurrence": {"frequency": "daily", "count": 2}}, "recurrence.frequency"),
        ({"timezone": "Atlantis/Central"}, "timezone"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 1001}, "capacity"),
        ({"duration_minutes": 5}, "duration_minutes"),
        ({"start": "2026-01-09T19:00:00"}, "start"),
        ({"start": "tomorrow"}, "start"),
    ],
)
def test_session_validation_names_the_field(api, token_for, body, field):
    token, _, listing = published_listing(api, token_for)
    problem = assert_problem(
        api.post(_sessions_path(listing), token=token, json_body={"start": "2026-02-01T19:00:00", **body}), 422
    )
    assert field in [e["field"] for e in problem["errors"]], problem["errors"]


def test_a_hosts_sessions_may_not_overlap(api, token_for):
    token, _, listing = published_listing(api, token_for)
    other_listing = create_listing(api, token, title="A second game")
    first = add_sessions(api, token, listing["id"], start="2026-02-01T19:00:00")["items"][0]
    clash = api.post(_sessions_path(other_listing), token=token, json_body={"start": "2026-02-01T21:30:00"})
    problem = assert_problem(clash, 409, "session_overlap")
    assert first["id"] in problem["detail"] and problem["conflicting_session_id"] == first["id"]
    # Back to back is fine, and so is another host at the same time.
    after = api.post(_sessions_path(other_listing), token=token, json_body={"start": "2026-02-01T22:00:00"})
    assert after.status == 201
    other_token, _, theirs = published_listing(api, token_for)
    same_time = api.post(_sessions_path(theirs), token=other_token, json_body={"start": "2026-02-01T19:00:00"})
    assert same_time.status == 201
    # A series is refused whole when one occurrence overlaps.
    series = api.post(
        _sessions_path(listing),
        token=token,
        json_body={"start": "2026-01-25T20:00:00", "recurrence": {"frequency": "weekly", "count": 3}},
    )
    assert_problem(series, 409, "session_overlap")
    listed = api.get(_sessions_path(listing)).json["items"]
    assert [i["id"] for i in listed] == [first["id"]]


def test_get_session_with_host_seats_and_price(api, token_for):
    token, host_id, listing = published_listing(api, token_for)
    session = add_sessions(api, token, listing["id"])["items"][0]
    response = api.get(f"/v1/sessions/{session['id']}?tz=America/New_York")
    assert response.status == 200
    body = response.json
    assert body["host"]["id"] == host_id and body["host"]["headline"] == "Cosy horror one-shots"
    assert body["listing"]["title"] == listing["title"] and body["seats_left"] == 5
    assert body["price"] == {"amount": 1500, "currency": "usd"}
    assert body["viewer_start"] == "2026-02-01T13:00:00-05:00"
    assert_problem(api.get("/v1/sessions/ses_nope"), 404)
    assert_problem(api.get(f"/v1/sessions/{session['id']}?tz=Nowhere/Land"), 422)


def test_sessions_of_an_unpublished_listing_are_hidden(api, token_for):
    token, _ = make_host(api, token_for)
    draft = create_listing(api, token)
    session = add_sessions(api, token, draft["id"])["items"][0]
    assert_problem(api.get(f"/v1/sessions/{session['id']}"), 404)
    assert api.get(f"/v1/sessions/{session['id']}", token=token).status == 200
    assert_problem(api.get(_sessions_path(draft)), 404)
    assert_problem(api.get(f"/v1/listings/{draft['id']}/calendar.ics"), 404)


def test_edit_one_session(api, token_for):
    token, _, listing = published_listing(api, token_for)
    items = add_sessions(api, token, listing["id"], recurrence={"frequency": "weekly", "count": 3})["items"]
    path = f"/v1/sessions/{items[0]['id']}"
    moved = api.patch(
        path, token=token, json_body={"start": "2026-02-01T20:30:00", "capacity": 3}, headers={"If-Match": "1"}
    )
    assert moved.status == 200, moved.body
    [changed] = moved.json["items"]
    assert changed["local_start"] == "2026-02-01T20:30:00+01:00" and changed["capacity"] == 3
    assert changed["version"] == 2
    assert_problem(api.patch(path, token=token, json_body={"capacity": 2}, headers={"If-Match": "1"}), 412)
    # The others did not move.
    listed = api.get(_sessions_path(listing)).json["items"]
    assert [i["local_start"][11:16] for i in listed] == ["20:30", "19:00", "19:00"]
    # Moving onto the next one overlaps it.
    clash = api.patch(path, token=token, json_body={"start": "2026-02-08T18:00:00"})
    assert assert_problem(clash, 409, "session_overlap")["conflicting_session_id"] == items[1]["id"]
    assert_problem(api.patch(path, token=token, json_body={"start": "2026-01-01T18:00:00"}), 422)
    assert_problem(api.patch(path, token=token, json_body={}), 422)


def test_edit_this_and_following(api, token_for):
    token, _, listing = published_listing(api, token_for)
    items = add_sessions(
        api, token, listing["id"], start="2026-03-19T19:00:00", recurrence={"frequency": "weekly", "count": 4}
    )["items"]
    changed = api.patch(
        f"/v1/sessions/{items[1]['id']}?apply_to=following",
        token=token,
        json_body={"start": "2026-03-26T18:00:00", "duration_minutes": 120},
    )
    assert changed.status == 200, changed.body
    assert [i["id"] for i in changed.json["items"]] == [i["id"] for i in items[1:]]
    listed = api.get(_sessions_path(listing)).json["items"]
    # One hour earlier in local time, on both sides of the DST change of March 29th.
    assert [i["local_start"] for i in listed] == [
        "2026-03-19T19:00:00+01:00",
        "2026-03-26T18:00:00+01:00",
        "2026-04-02T18:00:00+02:00",
        "2026-04-09T18:00:00+02:00",
    ]
    assert [i["duration_minutes"] for i in listed] == [180, 120, 120, 120]
    assert_problem(
        api.patch(f"/v1/sessions/{items[0]['id']}?apply_to=everything", token=token, json_body={"capacity": 2}), 422
    )


def test_capacity_cannot_drop_below_seats_taken(api, token_for):
    from chalicelib.catalog.models import SESSION_SK, SessionItem, session_pk

    token, _, listing = published_listing(api, token_for)
    session = add_sessions(api, token, listing["id"])["items"][0]
    stored = SessionItem.get(session_pk(session["id"]), SESSION_SK)
    stored.update(actions=[SessionItem.seats_booked.set(3), SessionItem.seats_held.set(1)])
    path = f"/v1/sessions/{session['id']}"
    assert_problem(api.patch(path, token=token, json_body={"capacity": 3}), 409, "capacity_below_booked")
    assert api.patch(path, token=token, json_body={"capacity": 4}).json["items"][0]["seats_left"] == 0
    # And a listing with booked sessions cannot be archived.
    problem = assert_problem(api.post(f"/v1/listings/{listing['id']}/archive", token=token), 409)
    assert problem["code"] == "listing_has_bookings"


def test_cancel_one_session(api, token_for):
    token, _, listing = published_listing(api, token_for)
    items = add_sessions(api, token, listing["id"], recurrence={"frequency": "weekly", "count": 2})["items"]
    path = f"/v1/sessions/{items[0]['id']}/cancel"
    assert_problem(api.post(path, token=token, headers={"If-Match": "7"}), 412)
    cancelled = api.post(path, token=token)
    assert cancelled.status == 200 and cancelled.json["state"] == "cancelled" and cancelled.json["cancelled_at"]
    assert_problem(api.post(path, token=token), 409, "session_cancelled")
    assert [i["id"] for i in api.get(_sessions_path(listing)).json["items"]] == [items[1]["id"]]
    assert len(api.get(_sessions_path(listing), token=token).json["items"]) == 2  # its host still sees it
    # Its time is free again.
    assert api.post(_sessions_path(listing), token=token, json_body={"start": "2026-02-01T20:00:00"}).status == 201


def test_sessions_have_not_started_to_change(api, token_for):
    from chalicelib.core import clock

    token, host_id, listing = published_listing(api, token_for)
    session = add_sessions(api, token, listing["id"])["items"][0]
    clock.advance(22 * 24 * 3600 + 6 * 3600 + 60)  # just after it starts
    token = token_for(host_id)
    assert_problem(api.patch(f"/v1/sessions/{session['id']}", token=token, json_body={"capacity": 2}), 409)
    assert_problem(api.post(f"/v1/sessions/{session['id']}/cancel", token=token), 409, "session_started")


def test_strangers_and_players_cannot_schedule_or_edit(api, token_for):
    token, _, listing = published_listing(api, token_for)
    session = add_sessions(api, token, listing["id"])["items"][0]
    other_host, _ = make_host(api, token_for)
    player = token_for()
    for who, status in ((other_host, 403), (player, 403)):
        assert_problem(api.post(_sessions_path(listing), token=who, json_body={"start": "2026-03-01T19:00:00"}), status)
        assert_problem(api.patch(f"/v1/sessions/{session['id']}", token=who, json_body={"capacity": 1}), status)
        assert_problem(api.post(f"/v1/sessions/{session['id']}/cancel", token=who), status)


def test_listing_sessions_pages_and_calendar(api, token_for):
    token, _, listing = published_listing(api, token_for)
    items = add_sessions(
        api, token, listing["id"], start="2026-03-19T19:00:00", recurrence={"frequency": "weekly", "count": 5}
    )["items"]
    api.post(f"/v1/sessions/{items[4]['id']}/cancel", token=token)
    first = api.get(_sessions_path(listing) + "?limit=2&tz=UTC").json
    assert first["items"][0]["viewer_start"] == "2026-03-19T18:00:00+00:00"
    second = api.get(_sessions_path(listing) + f"?limit=2&tz=UTC&cursor={first['next_cursor']}").json
    assert [i["id"] for i in first["items"] + second["items"]] == [i["id"] for i in items[:4]]
    assert_problem(api.get(_sessions_path(listing) + "?cursor=junk"), 400)

    feed = api.get(f"/v1/listings/{listing['id']}/calendar.ics")
    assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")
    from icalendar import Calendar

    calendar = Calendar.from_ical(feed.body)
    events = calendar.walk("VEVENT")
    assert len(events) == 5
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    starts = [e.decoded("DTSTART") for e in events]
    assert {(s.hour, str(s.tzinfo)) for s in starts} == {(19, "Europe/Berlin")}
    assert "DTSTART;TZID=Europe/Berlin:20260326T190000" in feed.body.decode()
    assert "DTSTART;TZID=Europe/Berlin:20260402T190000" in feed.body.decode()
    assert [str(e["STATUS"]) for e in events].count("CANCELLED") == 1
    assert str(events[0]["UID"]) == f"{items[0]['id']}@sesh"


def test_archiving_cancels_upcoming_sessions(api, token_for):
    token, _, listing = published_listing(api, token_for)
    add_sessions(api, token, listing["id"], recurrence={"frequency": "weekly", "count": 3})
    assert api.post(f"/v1/listings/{listing['id']}/archive", token=token).json["status"] == "archived"
    owner_view = api.get(_sessions_path(listing), token=token).json["items"]
    assert {i["state"] for i in owner_view} == {"cancelled"}
    assert_problem(api.post(_sessions_path(listing), token=token, json_body={"start": "2026-03-01T19:00:00"}), 409)
    assert api.get("/v1/sessions").json["items"] == []


def test_create_sessions_is_idempotent(api, token_for):
    token, _, listing = published_listing(api, token_for)
    body = {"start": "2026-02-01T19:00:00"}
    first = api.post(_sessions_path(listing), token=token, json_body=body, headers={"Idempotency-Key": "k1"})
    again = api.post(_sessions_path(listing), token=token, json_body=body, headers={"Idempotency-Key": "k1"})
    assert first.status == again.status == 201 and first.json == again.json
    assert len(api.get(_sessions_path(listing)).json["items"]) == 1
