"""Host analytics and the admin overview: counters equal a recount of the same events (property test,
duplicates included), days in the host's timezone across a DST change and in two timezones, weeks and
months, the CSV export, events flowing from bookings and payments into the counters, and strangers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.analytics import domain
from chalicelib.analytics import service as analytics
from chalicelib.core import events, ids, outbox
from tests.api.catalog_helpers import make_host
from tests.api.helpers import assert_problem
from tests.api.review_helpers import completed_bookings

pytestmark = pytest.mark.usefixtures("frozen_clock")

DST_DAY = datetime(2026, 3, 29, tzinfo=UTC)  # Europe: clocks go forward at 01:00 UTC; US changed on March 8
KINDS = [*domain.COUNTED_KINDS, "payout.sent"]


happening = st.builds(
    lambda kind, minutes, player, session, listing, seats, amount, currency, reason, response: dict(
        kind=kind,
        at=DST_DAY + timedelta(minutes=minutes),
        player_id=f"usr_p{player}",
        session_id=f"ses_{session}",
        listing_id=f"lst_{listing}",
        seats=seats,
        capacity=6,
        amount=amount,
        currency=currency,
        reason=reason,
        response_seconds=response,
    ),
    st.sampled_from(KINDS),
    st.integers(-3 * 24 * 60, 3 * 24 * 60),
    st.integers(0, 3),
    st.integers(0, 2),
    st.integers(0, 2),
    st.integers(1, 3),
    st.integers(0, 5000),
    st.sampled_from(["usd", "eur"]),
    st.sampled_from([None, "player_cancelled", "host_cancelled", "hold_expired"]),
    st.sampled_from([None, 90, 7200]),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    specs=st.lists(happening, min_size=1, max_size=14),
    picks=st.lists(st.integers(0, 13), min_size=1, max_size=24),
    tz=st.sampled_from(["Europe/Berlin", "America/New_York"]),
)
def test_counters_equal_a_recount_of_the_same_events_with_duplicates(
    specs: list[dict[str, Any]], picks: list[int], tz: str
) -> None:
    host_id = ids.new_id("usr")  # a host of its own per example: the table is shared by the examples
    pool = [domain.Happening(event_id=f"obx_{host_id}_{i}", host_id=host_id, **s) for i, s in enumerate(specs)]
    sequence = [pool[i % len(pool)] for i in picks]  # repeats: the same event delivered again
    counted = [analytics.record(h, tz) for h in sequence]
    assert sum(counted) == len({h.event_id for h in sequence})
    expected = domain.recount(sequence, tz)
    assert analytics.day_counters(host_id, date(2026, 3, 20), date(2026, 4, 5)) == expected
    totals: dict[str, int] = {}
    for c in expected.values():
        domain.add(totals, c)
    assert analytics.host_totals(host_id) == totals


def _host_in(api: Any, token_for: Any, tz: str) -> tuple[str, str]:
    token, host_id = make_host(api, token_for)
    changed = api.patch("/v1/me", token=token, json_body={"timezone": tz})
    assert changed.status == 200, changed.body
    return token, host_id


def _booked(host_id: str, event_id: str, at: datetime, **kw: Any) -> domain.Happening:
    return domain.Happening(event_id=event_id, kind="booking.confirmed", host_id=host_id, at=at, seats=1, **kw)


def test_days_weeks_and_months_in_two_host_timezones_across_dst(api: Any, token_for: Any) -> None:
    berlin, berlin_id = _host_in(api, token_for, "Europe/Berlin")
    york, york_id = _host_in(api, token_for, "America/New_York")
    # The same four instants for both hosts, around Berlin's change to summer time.
    instants = [
        datetime(2026, 3, 28, 22, 30, tzinfo=UTC),  # Berlin: 23:30 on the 28th; New York: 18:30 on the 28th
        datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # Berlin: 00:30 on the 29th (still winter time)
        datetime(2026, 3, 29, 21, 30, tzinfo=UTC),  # Berlin: 23:30 on the 29th (summer time)
        datetime(2026, 3, 30, 3, 30, tzinfo=UTC),
    ]  # Berlin: 05:30 on the 30th; New York: 23:30 on the 29th
    for host_id in (berlin_id, york_id):
        for i, at in enumerate(instants):
            assert analytics.record(_booked(host_id, f"obx_{host_id}_{i}", at, player_id=f"usr_{i}"))
    query = "/v1/me/host/analytics?from=2026-03-28&to=2026-03-31"
    by_day = {p["start"]: p["bookings"] for p in api.get(query, token=berlin).json["periods"]}
    assert by_day == {"2026-03-28": 1, "2026-03-29": 2, "2026-03-30": 1, "2026-03-31": 0}  # every day, empty too
    ny = api.get(query, token=york).json
    assert ny["timezone"] == "America/New_York"
    assert {p["start"]: p["bookings"] for p in ny["periods"]} == {
        "2026-03-28": 2,
        "2026-03-29": 2,
        "2026-03-30": 0,
        "2026-03-31": 0,
    }
    weeks = api.get(query + "&granularity=week", token=berlin).json
    assert {p["start"]: p["bookings"] for p in weeks["periods"]} == {"2026-03-23": 3, "2026-03-30": 1}
    months = api.get(query + "&granularity=month", token=york).json
    assert [(p["start"], p["bookings"]) for p in months["periods"]] == [("2026-03-01", 4)]
    assert months["totals"]["new_players"] == 4


def test_the_figures_and_the_csv_export(api: Any, token_for: Any) -> None:
    token, host_id = _host_in(api, token_for, "Europe/Berlin")
    at = datetime(2026, 1, 5, 12, tzinfo=UTC)
    happenings = [
        _booked(host_id, "obx_a", at, player_id="usr_a", listing_id="lst_a", session_id="ses_1"),
        _booked(host_id, "obx_b", at, player_id="usr_a", listing_id="lst_b", session_id="ses_1"),
        domain.Happening("obx_c", "payment.charged", host_id, at, amount=1500, currency="usd"),
        domain.Happening("obx_d", "payment.charged", host_id, at, amount=900, currency="eur"),
        domain.Happening("obx_e", "payment.refunded", host_id, at, amount=500, currency="usd"),
        domain.Happening("obx_f", "booking.cancelled", host_id, at, seats=1, reason="player_cancelled"),
        domain.Happening("obx_g", "booking.completed", host_id, at, session_id="ses_1", seats=1, capacity=4),
        domain.Happening("obx_h", "booking.no_show", host_id, at, session_id="ses_1"),
        domain.Happening("obx_i", "waitlist.claimed", host_id, at),
    ]
    for h in happenings:
        analytics.record(h)
    out = api.get("/v1/me/host/analytics?from=2026-01-01&to=2026-01-31&granularity=month", token=token).json
    t = out["totals"]
    assert (t["bookings"], t["new_players"], t["repeat_bookings"]) == (2, 1, 1)
    assert t["revenue"] == [{"amount": 900, "currency": "eur"}, {"amount": 1500, "currency": "usd"}]
    assert t["refunds"] == [{"amount": 500, "currency": "usd"}]
    assert t["cancellations"] == {"by_player": 1, "by_host": 0, "by_system": 0}
    assert (t["no_shows"], t["sessions_run"], t["fill_rate"], t["waitlist_conversions"]) == (1, 1, 0.25, 1)
    assert [x["listing_id"] for x in out["top_listings"]] == ["lst_a", "lst_b"]
    assert out["from"] == "2026-01-01"
    exported = api.get("/v1/me/host/analytics.csv?from=2026-01-01&to=2026-01-31&granularity=month", token=token)
    assert exported.status == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.body.decode())))
    assert rows == [
        {
            **rows[0],
            "period_start": "2026-01-01",
            "bookings": "2",
            "revenue_usd": "1500",
            "revenue_eur": "900",
            "refunds_usd": "500",
            "fill_rate": "0.25",
        }
    ]


def test_analytics_refuses_strangers_and_bad_input(api: Any, token_for: Any) -> None:
    token, _ = _host_in(api, token_for, "UTC")
    assert_problem(api.get("/v1/me/host/analytics"), 401)
    assert_problem(api.get("/v1/me/host/analytics", token=token_for()), 403, "host_only")
    assert_problem(api.get("/v1/me/host/analytics.csv", token=token_for()), 403, "host_only")
    assert_problem(api.get("/v1/me/host/analytics?granularity=year", token=token), 422)
    assert_problem(api.get("/v1/me/host/analytics?from=2026-13-01", token=token), 422)
    assert_problem(api.get("/v1/me/host/analytics?from=2026-03-02&to=2026-03-01", token=token), 422)
    assert_problem(api.get("/v1/me/host/analytics?from=2024-01-01&to=2026-03-01", token=token), 422)
    empty = api.get("/v1/me/host/analytics", token=token).json
    assert len(empty["periods"]) == 30 and {p["bookings"] for p in empty["periods"]} == {0}
    assert_problem(api.get("/v1/admin/metrics", token=token), 403, "admin_only")
    assert_problem(api.get("/v1/admin/metrics"), 401)
    assert_problem(api.get("/v1/admin/metrics?days=0", token=token_for(roles=("admin",))), 422)


def test_events_from_bookings_and_payments_reach_the_counters_once(api: Any, token_for: Any) -> None:
    done = completed_bookings(api, token_for, players=2)
    (_, pid), booking = done.players[0], done.bookings[0]

    def charge(tx: Any) -> None:
        events.publish(
            tx,
            "payment.charged",
            subject=booking,
            dedupe=f"pi_1#{booking}",
            booking_id=booking,
            host_id=done.host_id,
            player_id=pid,
            amount=1500,
            currency="usd",
            payment_intent_id="pi_1",
        )
        events.publish(
            tx,
            "payment.refunded",
            subject=booking,
            dedupe=f"re_1#{booking}",
            booking_id=booking,
            host_id=done.host_id,
            player_id=pid,
            amount=400,
            currency="usd",
            reason="requested",
            refund_id="re_1",
        )
        events.publish(
            tx,
            "dispute.opened",
            subject=booking,
            dedupe=f"dp_1#{booking}",
            booking_id=booking,
            host_id=done.host_id,
            player_id=pid,
            amount=1100,
            currency="usd",
            dispute_id="dp_1",
            reason="fraudulent",
        )

    with outbox.transaction() as tx:
        charge(tx)
    # A duplicate delivery of the completion event (at least once) changes nothing.
    message = next(m for m in outbox.for_subject(booking) if m.kind == "booking.completed")
    duplicate = events.Event(
        event_id=message.message_id,
        kind=message.kind,
        subject=booking,
        payload=message.payload,
        occurred_at=message.created_at,
    )
    analytics.on_event(duplicate)
    analytics.on_event(duplicate)
    out = api.get("/v1/me/host/analytics?from=2026-01-01&to=2026-02-28&granularity=month", token=done.host_token).json
    t = out["totals"]
    assert (t["bookings"], t["seats_sold"], t["completed"], t["sessions_run"]) == (2, 2, 2, 1)
    assert t["fill_rate"] == round(2 / 5, 4)  # two of the session's five seats
    assert t["revenue"] == [{"amount": 1500, "currency": "usd"}]
    assert t["refunds"] == [{"amount": 400, "currency": "usd"}]
    admin = api.get("/v1/admin/metrics?days=60", token=token_for(roles=("admin",))).json
    assert admin["bookings"] == 2 and admin["disputes"] == 1 and admin["active_hosts_this_month"] == 0
    assert admin["revenue"] == [{"amount": 1500, "currency": "usd"}]
