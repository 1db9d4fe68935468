"""Notifications on the local stack: the seed user's feed, a booking's email in the mail sink (with
its invitation), and the private calendar feed over HTTP."""

from __future__ import annotations

import uuid

from icalendar import Calendar

from tests.e2e.stack import Stack, wait_for

PAT = "usr_01HSESH0DEM0PAYER000000001"


def _pat_token(stack: Stack) -> str:
    printed = [line.split("TOKEN=", 1)[1].strip() for line in stack.log().splitlines() if "TOKEN=" in line]
    for token in printed:
        me = stack.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
        if me["id"] == PAT:
            return token
    raise AssertionError("Pat's token is not in the log")


def test_the_seed_users_feed_has_notifications_and_a_booking_email_reaches_the_sink(stack: Stack) -> None:
    pat = {"Authorization": f"Bearer {_pat_token(stack)}"}
    page = stack.get("/v1/me/notifications", headers=pat).json()
    kinds = {n["kind"] for n in page["items"]}
    assert {"booking_confirmed", "reminder_24h"} <= kinds and page["unread_count"] >= 2

    session_id = stack.get("/v1/me/bookings", headers=pat).json()["items"][0]["session_id"]
    address = f"notify-{uuid.uuid4().hex[:8]}@sesh.example"
    token, _ = stack.token(email=address, name="Nora")
    auth = {"Authorization": f"Bearer {token}"}
    booked = stack.post(f"/v1/sessions/{session_id}/bookings", json={"seats": 1}, headers=auth)
    assert booked.status_code == 201, booked.text
    [mail] = wait_for(lambda: stack.get("/dev/mail", params={"to": address}).json()["items"], 15, "the email")
    assert mail["subject"].startswith("You're booked:") and "Hi Nora," in mail["text"]
    assert "unsubscribe" in mail["text"].lower()

    feed_url = stack.get("/v1/me/calendar", headers=auth).json()["url"]
    path = "/" + feed_url.split("://", 1)[1].split("/", 1)[1]
    served = stack.get(path)
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(served.content).walk("VEVENT")
    assert str(event["uid"]) == f"{booked.json()['id']}@sesh"
    assert stack.get(path.replace("/calendar-feeds/", "/calendar-feeds/x")).status_code == 404
