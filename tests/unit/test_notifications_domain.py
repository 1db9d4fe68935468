"""Pure decisions of notifications: who hears what, preferences, languages, reminder times, signed
unsubscribe links, deterministic notification ids; and that `import app` loads none of the heavy
libraries notifications use (cold start)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.notifications import domain

ROOT = Path(__file__).resolve().parents[2]
BOOKING = {"booking_id": "bkg_1", "session_id": "ses_1", "player_id": "usr_p", "host_id": "usr_h"}


def _who(kind: str, mode: str | None = None, **payload: str) -> list[tuple[str, str, str]]:
    plan = domain.plan(kind, {**BOOKING, **payload}, mode=mode)
    return [(n.recipient, n.template, n.category) for n in plan.notices]


@pytest.mark.parametrize(
    ("kind", "payload", "expected"),
    [
        ("booking.requested", {}, [("usr_h", "booking_requested", "hosting")]),
        ("booking.confirmed", {}, [("usr_p", "booking_confirmed", "bookings"), ("usr_h", "booking_new", "hosting")]),
        ("booking.declined", {}, [("usr_p", "booking_declined", "bookings")]),
        (
            "booking.cancelled",
            {"reason": "player_cancelled"},
            [("usr_p", "booking_cancelled", "bookings"), ("usr_h", "booking_cancelled_host", "hosting")],
        ),
        ("booking.cancelled", {"reason": "session_cancelled"}, [("usr_p", "session_cancelled", "bookings")]),
        ("booking.cancelled", {"reason": "min_players_not_reached"}, [("usr_p", "session_min_players", "bookings")]),
        ("booking.expired", {"reason": "hold_expired"}, [("usr_p", "booking_expired", "bookings")]),
        ("booking.expired", {"reason": "request_expired"}, [("usr_p", "request_expired", "bookings")]),
        ("booking.payment_failed", {}, [("usr_p", "payment_failed", "receipts")]),
        ("booking.rescheduled", {}, [("usr_p", "booking_rescheduled", "bookings")]),
        (
            "session.cancelled",
            {"reason": "min_players_not_reached"},
            [("usr_h", "session_min_players_host", "hosting")],
        ),
        ("session.cancelled", {"reason": "session_cancelled"}, []),  # the host did it
        ("waitlist.offered", {}, [("usr_p", "waitlist_offered", "waitlist")]),
        ("waitlist.offer_expired", {}, [("usr_p", "waitlist_offer_expired", "waitlist")]),
        ("payment.refunded", {}, [("usr_p", "payment_refunded", "receipts")]),
        ("payout.sent", {}, [("usr_h", "payout_sent", "receipts")]),
        ("dispute.opened", {}, [("usr_h", "dispute_opened", "security")]),
        ("booking.completed", {}, []),
    ],
)
def test_who_hears_of_each_event(kind: str, payload: dict[str, str], expected: list[tuple[str, str, str]]) -> None:
    assert _who(kind, **payload) == expected


def test_an_approval_booking_is_accepted_and_confirmations_carry_the_invitation() -> None:
    assert _who("booking.confirmed", mode="approval")[0][1] == "booking_accepted"
    assert domain.plan("booking.confirmed", BOOKING).notices[0].ics is True


def test_preferences_merge_over_defaults_and_receipts_stay_on() -> None:
    prefs = domain.merged_preferences(
        {"chat": {"email": False, "sms": True}, "receipts": {"email": False}, "nonsense": {"email": True}}
    )
    assert prefs["chat"] == {"in_app": True, "email": False, "push": True}
    assert prefs["receipts"]["email"] is True and "nonsense" not in prefs
    assert domain.channels_for({"bookings": {"push": False}}, "bookings") == ("in_app", "email")
    assert domain.channels_for({"security": {"in_app": False, "email": False}}, "security")[:2] == ("in_app", "email")


@pytest.mark.parametrize(
    ("locale", "lang"), [("de-AT", "de"), ("fr_CA", "fr"), ("en-GB", "en"), ("ja", "en"), (None, "en"), ("", "en")]
)
def test_languages_fall_back_to_english(locale: str | None, lang: str) -> None:
    assert domain.language_of(locale) == lang


def test_reminders_only_ahead() -> None:
    start = datetime(2026, 2, 1, 18, tzinfo=UTC)
    assert domain.reminder_times(start, start - timedelta(days=3)) == {
        "24h": start - timedelta(hours=24),
        "1h": start - timedelta(hours=1),
    }
    assert domain.reminder_times(start, start - timedelta(hours=5)) == {"1h": start - timedelta(hours=1)}
    assert domain.reminder_times(start, start - timedelta(minutes=30)) == {}


def test_unsubscribe_signatures() -> None:
    sig = domain.unsubscribe_signature("s3cret", "usr_a", "chat")
    assert domain.valid_unsubscribe("s3cret", "usr_a", "chat", sig)
    assert not domain.valid_unsubscribe("s3cret", "usr_b", "chat", sig)
    assert not domain.valid_unsubscribe("other", "usr_a", "chat", sig)
    receipts = domain.unsubscribe_signature("s3cret", "usr_a", "receipts")
    assert not domain.valid_unsubscribe("s3cret", "usr_a", "receipts", receipts)  # never off


def test_notification_ids_are_deterministic_ulids_in_time_order() -> None:
    at = datetime(2026, 1, 10, 12, tzinfo=UTC)
    one = domain.notification_id("obx_1#usr_a#booking_confirmed", at)
    assert one == domain.notification_id("obx_1#usr_a#booking_confirmed", at)
    assert one != domain.notification_id("obx_1#usr_b#booking_confirmed", at)
    later = domain.notification_id("obx_0#usr_a#x", at + timedelta(milliseconds=1))
    assert one.startswith("ntf_") and len(one) == 30 and later > one


def test_importing_the_app_loads_no_notification_libraries() -> None:
    code = (
        "import json, sys, app; print(json.dumps([m for m in ('jinja2', 'babel', 'icalendar', "
        "'chalicelib.notifications.schemas', 'chalicelib.notifications.service', "
        "'chalicelib.notifications.render') if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
