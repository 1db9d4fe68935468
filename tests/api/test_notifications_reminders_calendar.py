"""Reminders 24h and 1h before (players and hosts), none after a cancellation, moved by a reschedule;
the private iCalendar feed after reschedules and cancellations, with every session a host hosts (booked
or not, each once); token rotation; wrong token → 404."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar

from chalicelib.core import clock
from tests.api.booking_helpers import FREE, book, listing_with_sessions
from tests.api.catalog_helpers import NOW
from tests.api.helpers import assert_problem
from tests.api.notification_helpers import feed, sweep_at, user

pytestmark = pytest.mark.usefixtures("frozen_clock")

START = datetime(2026, 2, 1, 18, 0, tzinfo=NOW.tzinfo)  # 19:00 in Berlin
MOVED = datetime(2026, 2, 3, 19, 0, tzinfo=NOW.tzinfo)  # 20:00 in Berlin


def _reminders(api: Any, token: str) -> list[str]:
    return [n["kind"] for n in feed(api, token)["items"] if "reminder" in n["kind"]]


def test_one_reminder_24h_and_one_1h_before_for_player_and_host(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, min_players=1, **FREE)
    token, _, _ = user(api, token_for, locale="de", timezone="Europe/Berlin")
    book(api, token, setup.session_id)
    sweep_at(START - timedelta(hours=24, minutes=1))
    assert _reminders(api, token) == []
    sweep_at(START - timedelta(hours=24))
    sweep_at(START - timedelta(hours=23))  # a later sweep does not repeat it
    assert _reminders(api, token) == ["reminder_24h"]
    assert _reminders(api, setup.host_token) == ["host_reminder_24h"]
    assert feed(api, token)["items"][0]["title"] == "Morgen: " + setup.listing["title"]
    sweep_at(START - timedelta(hours=1))
    sweep_at(START - timedelta(minutes=30))
    assert _reminders(api, token) == ["reminder_1h", "reminder_24h"]
    assert _reminders(api, setup.host_token) == ["host_reminder_1h", "host_reminder_24h"]


def test_a_cancelled_booking_gets_no_reminder(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, min_players=1, **FREE)
    token, _, _ = user(api, token_for)
    booking_id = book(api, token, setup.session_id).json["id"]
    assert api.post(f"/v1/bookings/{booking_id}/cancel", token=token).status == 200
    sweep_at(START - timedelta(hours=24))
    sweep_at(START - timedelta(hours=1))
    assert _reminders(api, token) == []
    assert _reminders(api, setup.host_token) == ["host_reminder_1h", "host_reminder_24h"]  # still hosting


def test_a_reschedule_moves_the_reminders(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, min_players=1, **FREE)
    token, _, _ = user(api, token_for)
    book(api, token, setup.session_id)
    moved = api.patch(
        f"/v1/sessions/{setup.session_id}", token=setup.host_token, json_body={"start": "2026-02-03T20:00:00"}
    )
    assert moved.status == 200, moved.body
    sweep_at(START - timedelta(hours=24))
    sweep_at(START - timedelta(hours=1))
    assert _reminders(api, token) == []  # not at the old times
    sweep_at(MOVED - timedelta(hours=24))
    assert _reminders(api, token) == ["reminder_24h"]
    sweep_at(MOVED - timedelta(hours=1))
    assert _reminders(api, token) == ["reminder_1h", "reminder_24h"]
    assert _reminders(api, setup.host_token) == ["host_reminder_1h", "host_reminder_24h"]


def _calendar(api: Any, token: str) -> Calendar:
    url = api.get("/v1/me/calendar", token=token).json["url"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = api.get("/" + path)
    assert response.status == 200, response.body
    assert response.headers["content-type"].startswith("text/calendar")
    return Calendar.from_ical(response.body)


def _events(calendar: Calendar) -> dict[str, Any]:
    uids = [str(e["uid"]) for e in calendar.walk("VEVENT")]
    assert len(uids) == len(set(uids)), uids  # one event per UID
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def _shown(event: Any) -> tuple[datetime, str, str, int]:
    """(local start, its zone, status, sequence) of an event."""
    start = event.decoded("dtstart")
    return start.replace(tzinfo=None), str(start.tzinfo), str(event["status"]), int(event["sequence"])


def test_the_calendar_feed_follows_reschedules_and_cancellations(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, count=2, min_players=1, **FREE)
    token, _, _ = user(api, token_for)
    first = book(api, token, setup.sessions[0]["id"]).json["id"]
    second = book(api, token, setup.sessions[1]["id"]).json["id"]
    events = _events(_calendar(api, token))
    assert set(events) == {f"{first}@sesh", f"{second}@sesh"}
    start = events[f"{first}@sesh"].decoded("dtstart")
    assert (start.hour, str(start.tzinfo)) == (19, "Europe/Berlin")
    assert _calendar(api, token).walk("VTIMEZONE")[0]["tzid"] == "Europe/Berlin"

    clock.advance(60)
    api.patch(
        f"/v1/sessions/{setup.sessions[0]['id']}", token=setup.host_token, json_body={"start": "2026-02-03T20:00:00"}
    )
    api.post(f"/v1/bookings/{second}/cancel", token=token)
    events = _events(_calendar(api, token))
    moved = events[f"{first}@sesh"]
    assert moved.decoded("dtstart").replace(tzinfo=None) == datetime(2026, 2, 3, 20, 0)
    assert int(moved["sequence"]) == 1 and str(moved["status"]) == "CONFIRMED"
    assert str(events[f"{second}@sesh"]["status"]) == "CANCELLED" and int(events[f"{second}@sesh"]["sequence"]) == 1

    hosted = _events(_calendar(api, setup.host_token))
    assert set(hosted) == {f"{s['id']}@sesh" for s in setup.sessions}
    assert hosted[f"{setup.sessions[0]['id']}@sesh"].decoded("dtstart").day == 3


def test_rotating_the_token_revokes_the_old_url_and_wrong_tokens_are_404(api: Any, token_for: Any) -> None:
    token, _, _ = user(api, token_for)
    first = api.get("/v1/me/calendar", token=token).json
    assert api.get("/v1/me/calendar", token=token).json == first  # stable until rotated
    assert first["webcal_url"].startswith("webcal://")
    rotated = api.post("/v1/me/calendar/rotate", token=token)
    assert rotated.status == 200 and rotated.json["url"] != first["url"]
    old_path = "/" + first["url"].split("://", 1)[1].split("/", 1)[1]
    assert_problem(api.get(old_path), 404)
    assert_problem(api.get("/v1/calendar-feeds/not-a-real-token-at-all/sesh.ics"), 404)
    assert_problem(api.get("/v1/calendar-feeds/x/sesh.ics"), 404)
    assert_problem(api.get("/v1/me/calendar"), 401)
    assert_problem(api.post("/v1/me/calendar/rotate"), 401)


def test_a_hosted_session_nobody_booked_is_in_the_hosts_feed_and_follows_its_changes(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, min_players=1, **FREE)
    uid = f"{setup.session_id}@sesh"
    hosted = _calendar(api, setup.host_token)
    assert _shown(_events(hosted)[uid]) == (datetime(2026, 2, 1, 19, 0), "Europe/Berlin", "CONFIRMED", 0)
    assert str(_events(hosted)[uid]["summary"]) == setup.listing["title"]
    assert [str(z["tzid"]) for z in hosted.walk("VTIMEZONE")] == ["Europe/Berlin"]
    stranger, _, _ = user(api, token_for)
    assert _events(_calendar(api, stranger)) == {}  # hosts nothing, booked nothing

    clock.advance(60)
    moved = api.patch(
        f"/v1/sessions/{setup.session_id}", token=setup.host_token, json_body={"start": "2026-02-03T20:00:00"}
    )
    assert moved.status == 200, moved.body
    assert set(_events(_calendar(api, setup.host_token))) == {uid}  # the same event, moved
    assert _shown(_events(_calendar(api, setup.host_token))[uid]) == (
        datetime(2026, 2, 3, 20, 0),
        "Europe/Berlin",
        "CONFIRMED",
        1,
    )

    clock.advance(60)
    assert api.post(f"/v1/sessions/{setup.session_id}/cancel", token=setup.host_token).status == 200
    assert _shown(_events(_calendar(api, setup.host_token))[uid]) == (
        datetime(2026, 2, 3, 20, 0),
        "Europe/Berlin",
        "CANCELLED",
        2,
    )

    clock.freeze(MOVED + timedelta(days=31))  # a month after it: out of the feed
    assert _events(_calendar(api, setup.host_token)) == {}


def test_a_booked_hosted_session_shows_once_and_the_players_feed_keeps_their_booking(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, count=2, min_players=1, **FREE)
    booked, free = (f"{s['id']}@sesh" for s in setup.sessions)
    token, _, _ = user(api, token_for)
    booking = f"{book(api, token, setup.session_id).json['id']}@sesh"
    assert set(_events(_calendar(api, setup.host_token))) == {booked, free}
    assert set(_events(_calendar(api, token))) == {booking}

    clock.advance(60)
    moved = api.patch(
        f"/v1/sessions/{setup.session_id}", token=setup.host_token, json_body={"start": "2026-02-03T20:00:00"}
    )
    assert moved.status == 200, moved.body
    hosted = _events(_calendar(api, setup.host_token))
    assert set(hosted) == {booked, free}
    assert _shown(hosted[booked]) == (datetime(2026, 2, 3, 20, 0), "Europe/Berlin", "CONFIRMED", 1)
    assert _shown(hosted[free]) == (datetime(2026, 2, 8, 19, 0), "Europe/Berlin", "CONFIRMED", 0)
    mine = _events(_calendar(api, token))
    assert set(mine) == {booking}
    assert _shown(mine[booking]) == (datetime(2026, 2, 3, 20, 0), "Europe/Berlin", "CONFIRMED", 1)


def test_a_hosts_rotated_feed_url_is_404_and_the_new_one_lists_their_sessions(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, min_players=1, **FREE)
    old = api.get("/v1/me/calendar", token=setup.host_token).json["url"]
    assert api.post("/v1/me/calendar/rotate", token=setup.host_token).status == 200
    assert_problem(api.get("/" + old.split("://", 1)[1].split("/", 1)[1]), 404)
    assert set(_events(_calendar(api, setup.host_token))) == {f"{setup.session_id}@sesh"}
