"""Events → notifications: the right message to the right people, in their language and timezone,
on the channels they chose; a repeated event sends nothing twice; SES failing for a while is retried
by the sweep and sends once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from icalendar import Calendar

from chalicelib.core import clock, connections, events, outbox, realtime, sweep
from chalicelib.core.table import write_transaction
from chalicelib.notifications import email as email_adapter
from chalicelib.notifications import subscribers
from tests.api.booking_helpers import FREE, book, deliver, listing_with_sessions, pay, stripe_client
from tests.api.catalog_helpers import NOW
from tests.api.chat_helpers import frames_of
from tests.api.notification_helpers import FlakySes, feed, flaky_ses, sweep_at, user

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def ses() -> Iterator[FlakySes]:
    fake = flaky_ses()
    email_adapter.use_client(fake)
    yield fake
    email_adapter.use_client(None)


def _kinds(api: Any, token: str) -> list[str]:
    return [n["kind"] for n in feed(api, token)["items"]]


def test_a_free_booking_tells_the_player_in_german_and_the_host_in_french(
    api: Any, token_for: Any, ses: FlakySes
) -> None:
    setup = listing_with_sessions(api, token_for, **FREE)
    api.patch("/v1/me", token=setup.host_token, json_body={"locale": "fr-FR", "timezone": "America/New_York"})
    host_mail = api.get("/v1/me", token=setup.host_token).json["email"]
    token, _, address = user(api, token_for, locale="de-DE", timezone="Europe/Berlin")
    connection_id = "notify-player-1="
    realtime.learn_endpoint("sesh-test.execute-api.us-east-1.amazonaws.com", "test")
    player_id = api.get("/v1/me", token=token).json["id"]
    connections.register(connection_id, player_id)

    assert book(api, token, setup.session_id).status == 201

    page = feed(api, token)
    assert [n["kind"] for n in page["items"]] == ["booking_confirmed"] and page["unread_count"] == 1
    assert page["items"][0]["title"].startswith("Gebucht:")
    assert frames_of(connection_id, "notification")[0]["id"] == page["items"][0]["id"]
    [mail] = ses.to(address)
    assert mail.subject == "Gebucht: " + setup.listing["title"]
    assert "Sonntag, 1. Februar 2026, 19:00 (Mitteleuropäische Normalzeit)" in mail.text
    assert "Sonntag, 1. Februar 2026, 19:00" in mail.html and '<html lang="de">' in mail.html
    invite = Calendar.from_ical(mail.attachments["invite.ics"])
    [event] = invite.walk("VEVENT")
    assert event.decoded("dtstart").hour == 19 and str(event.decoded("dtstart").tzinfo) == "Europe/Berlin"
    assert "List-Unsubscribe" in mail.headers and mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    [host] = ses.to(host_mail)
    assert host.subject == "Nouvelle réservation pour " + setup.listing["title"]
    assert "dimanche 1 février 2026, 13:00" in host.text  # 19:00 Berlin is 13:00 in New York
    assert _kinds(api, setup.host_token) == ["booking_new"]


def test_html_is_escaped_and_unknown_languages_fall_back_to_english(api: Any, token_for: Any, ses: FlakySes) -> None:
    setup = listing_with_sessions(api, token_for, title="<b>Bold</b> & Co: a one-shot", **FREE)
    token, _, address = user(api, token_for, locale="ja-JP", timezone="Asia/Tokyo")
    book(api, token, setup.session_id)
    [mail] = ses.to(address)
    assert mail.subject == "You're booked: <b>Bold</b> & Co: a one-shot"
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in mail.html and "<b>Bold</b>" not in mail.html
    assert "<b>Bold</b> & Co" in mail.text
    assert "Monday, February 2, 2026" in mail.text or "2026年2月2日" in mail.text  # 03:00 in Tokyo, Feb 2


def test_a_repeated_event_sends_nothing_twice(api: Any, token_for: Any, ses: FlakySes) -> None:
    setup = listing_with_sessions(api, token_for, **FREE)
    token, _, address = user(api, token_for)
    booking_id = book(api, token, setup.session_id).json["id"]
    [message] = [m for m in outbox.for_subject(booking_id) if m.kind == "booking.confirmed"]
    event = events.Event(message.message_id, message.kind, message.subject, message.payload, message.created_at)
    subscribers.on_event(event)  # delivered again, as at-least-once allows
    subscribers.on_event(event)
    events.dispatch(message)  # and the event itself sent again
    with write_transaction() as tx:  # and published again by a retried change
        events.publish(tx, "booking.confirmed", subject=booking_id, dedupe=booking_id, **message.payload)
    sweep.run(lookback_minutes=30, workers=1)
    assert len(ses.to(address)) == 1
    assert _kinds(api, token) == ["booking_confirmed"]
    assert _kinds(api, setup.host_token) == ["booking_new"]


def test_ses_failing_for_a_while_is_retried_by_the_sweep_and_sends_once(
    api: Any, token_for: Any, ses: FlakySes
) -> None:
    setup = listing_with_sessions(api, token_for, **FREE)
    token, _, address = user(api, token_for)
    ses.failures = 3
    book(api, token, setup.session_id)
    assert ses.to(address) == [] and _kinds(api, token) == ["booking_confirmed"]  # the feed does not wait
    for _ in range(12):
        clock.advance(15 * 60)
        sweep.run(lookback_minutes=60, workers=1)
    assert len(ses.to(address)) == 1
    assert ses.failures == 0 and ses.attempts == 3 + 2  # three refusals, then the player's and the host's


def test_preferences_are_respected_but_receipts_always_go_out(api: Any, token_for: Any, ses: FlakySes) -> None:
    setup = listing_with_sessions(api, token_for, **FREE)
    token, player_id, address = user(api, token_for)
    changed = api.put(
        "/v1/me/notification-preferences",
        token=token,
        json_body={"categories": {"bookings": {"email": False}, "waitlist": {"in_app": False}}},
    )
    assert changed.status == 200, changed.body
    booking_id = book(api, token, setup.session_id).json["id"]
    assert ses.to(address) == []  # booking emails are off...
    assert _kinds(api, token) == ["booking_confirmed"]  # ...in-app is on
    with write_transaction() as tx:  # payments (another package) reports a refund: a receipt
        events.publish(
            tx,
            "payment.refunded",
            subject=booking_id,
            dedupe=f"{booking_id}#re_1",
            booking_id=booking_id,
            player_id=player_id,
            host_id=setup.host_id,
            amount=1500,
            currency="usd",
            reason="x",
            refund_id="re_1",
        )
    sweep.run(lookback_minutes=30, workers=1)
    [receipt] = ses.to(address)
    assert receipt.subject == "Refund of $15.00" and "List-Unsubscribe" not in receipt.headers


def test_waitlist_offer_tells_the_deadline_in_the_players_zone(api: Any, token_for: Any, ses: FlakySes) -> None:
    setup = listing_with_sessions(api, token_for, capacity=1, **FREE)
    holder, _, _ = user(api, token_for)
    booking_id = book(api, holder, setup.session_id).json["id"]
    waiter, _, address = user(api, token_for, locale="fr", timezone="Europe/Paris")
    assert api.post(f"/v1/sessions/{setup.session_id}/waitlist", token=waiter, json_body={}).status == 201
    clock.advance(60)
    assert api.post(f"/v1/bookings/{booking_id}/cancel", token=holder).status == 200
    assert _kinds(api, holder) == ["booking_cancelled", "booking_confirmed"]
    assert _kinds(api, waiter) == ["waitlist_offered", "waitlist_joined"]
    offered = ses.to(address)[-1]
    assert offered.subject == "Une place est libre : " + setup.listing["title"]
    assert "jusqu\u2019au samedi 10 janvier 2026, 15:01" in offered.text  # 12:00 UTC + 2h, in Paris
    sweep_at(NOW + timedelta(hours=2, minutes=2))  # the offer was held for two hours
    assert _kinds(api, waiter)[0] == "waitlist_offer_expired"
    assert "booking_cancelled_host" in _kinds(api, setup.host_token)


def test_approval_requests_accepts_and_declines(api: Any, token_for: Any, ses: FlakySes) -> None:
    setup = listing_with_sessions(api, token_for, booking_mode="approval", **FREE)
    first, _, _ = user(api, token_for)
    second, _, _ = user(api, token_for)
    one = book(api, first, setup.session_id).json["id"]
    two = book(api, second, setup.session_id).json["id"]
    assert _kinds(api, setup.host_token) == ["booking_requested", "booking_requested"]
    clock.advance(60)
    assert api.post(f"/v1/bookings/{one}/accept", token=setup.host_token).status == 200
    assert api.post(f"/v1/bookings/{two}/decline", token=setup.host_token).status == 200
    assert _kinds(api, first) == ["booking_accepted"]
    assert _kinds(api, second) == ["booking_declined"]


def test_paid_booking_cancelled_names_the_refund(api: Any, token_for: Any, ses: FlakySes, stripe_emulator: str) -> None:
    setup = listing_with_sessions(api, token_for)  # moderate policy: 100% until 120h before
    token, _, address = user(api, token_for, locale="de", timezone="Europe/Berlin")
    booking = book(api, token, setup.session_id, seats=2).json
    intent = booking["payment"]["payment_intent_id"]
    deliver(api, "payment_intent.succeeded", pay(stripe_client(stripe_emulator), intent))
    [confirmed] = [m for m in ses.to(address) if m.subject.startswith("Gebucht:")]  # the receipt comes too
    assert "Du hast 30,00\xa0$ bezahlt." in confirmed.text
    assert api.post(f"/v1/bookings/{booking['id']}/cancel", token=token).status == 200
    [cancelled] = [m for m in ses.to(address) if m.subject.startswith("Buchung storniert:")]  # and the refund's
    assert "Wir erstatten 30,00\xa0$." in cancelled.text


def test_payments_events_reach_host_and_player(api: Any, token_for: Any, ses: FlakySes) -> None:
    setup = listing_with_sessions(api, token_for, **FREE)
    token, player_id, _ = user(api, token_for)
    booking_id = book(api, token, setup.session_id).json["id"]
    clock.advance(60)
    api.put(
        "/v1/me/notification-preferences",
        token=setup.host_token,
        json_body={"categories": {"hosting": {"in_app": False, "email": False, "push": False}}},
    )
    common = {"booking_id": booking_id, "host_id": setup.host_id, "amount": 1200, "currency": "eur"}
    with write_transaction() as tx:
        events.publish(tx, "payout.sent", subject=booking_id, dedupe="tr_1", transfer_id="tr_1", **common)
        events.publish(
            tx,
            "dispute.opened",
            subject=booking_id,
            dedupe="dp_1",
            dispute_id="dp_1",
            reason="fraud",
            player_id=player_id,
            **common,
        )
        events.publish(
            tx,
            "payment.charged",
            subject=booking_id,
            dedupe="pi_1",
            payment_intent_id="pi_1",
            player_id=player_id,
            **common,
        )
    sweep.run(lookback_minutes=30, workers=1)
    host_feed = feed(api, setup.host_token)["items"]
    assert {n["kind"] for n in host_feed} == {"payout_sent", "dispute_opened", "booking_new"}
    payout = next(n for n in host_feed if n["kind"] == "payout_sent")
    assert payout["title"] == "Payout of €12.00 sent" and payout["category"] == "receipts"
    assert _kinds(api, token)[0] == "payment_receipt"


def test_session_rescheduled_tells_players_the_new_time(api: Any, token_for: Any, ses: FlakySes) -> None:
    setup = listing_with_sessions(api, token_for, **FREE)
    token, _, address = user(api, token_for, timezone="America/Los_Angeles")
    book(api, token, setup.session_id)
    clock.advance(60)
    moved = api.patch(
        f"/v1/sessions/{setup.session_id}", token=setup.host_token, json_body={"start": "2026-02-03T20:00:00"}
    )
    assert moved.status == 200, moved.body
    assert _kinds(api, token)[0] == "booking_rescheduled"
    mail = ses.to(address)[-1]
    assert "Tuesday, February 3, 2026, 11:00" in mail.text  # 20:00 Berlin = 11:00 Los Angeles
    assert "full refund until" in mail.text
    invite = Calendar.from_ical(mail.attachments["invite.ics"])
    assert int(invite.walk("VEVENT")[0]["sequence"]) == 1


def test_min_players_not_reached_tells_host_and_players(api: Any, token_for: Any, ses: FlakySes) -> None:
    setup = listing_with_sessions(api, token_for, min_players=3, **FREE)
    token, _, _ = user(api, token_for)
    book(api, token, setup.session_id)
    sweep_at(NOW.replace(month=1, day=31, hour=18))  # the cut-off: 24 hours before the start
    assert "session_min_players" in _kinds(api, token)
    assert "session_min_players_host" in _kinds(api, setup.host_token)
