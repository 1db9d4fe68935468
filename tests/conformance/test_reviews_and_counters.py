"""Reviews and analytics counters under real concurrency on DynamoDB Local: both sides of many
bookings reviewing at the same moment all end published, with the listing's and host's sums equal to
what was written; the same event counted from several threads counts once; distinct events racing on
one host's day and totals all count."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from tests.conformance.test_booking_concurrency import NOW, make_session, someone, warm


def _completed_bookings(n: int) -> tuple[str, list[Any], list[str]]:
    from chalicelib.booking import create, schemas, sessions
    from chalicelib.catalog import seats
    from chalicelib.core import clock

    session_id = make_session(capacity=n, max_seats=1)
    players = [someone() for _ in range(n)]
    bookings = [create.book(p, session_id, schemas.BookingIn(seats=1)).id for p in players]
    clock.freeze(NOW + timedelta(days=10, hours=3, minutes=1))
    sessions.complete_session(session_id)
    return seats.session_for_booking(session_id).host_id, players, bookings


def test_both_sides_reviewing_at_once_publish_every_review_and_sum_exactly() -> None:
    from chalicelib.booking import queries
    from chalicelib.core.auth import Principal
    from chalicelib.reviews import schemas, service

    host_id, players, bookings = _completed_bookings(8)
    host = Principal(user_id=host_id, roles=frozenset({"player", "host"}))
    listing_id = queries.booking_facts(bookings[0]).listing_id  # type: ignore[union-attr]
    warm()
    jobs = [(p, b, 1 + i % 5) for i, (p, b) in enumerate(zip(players, bookings, strict=True))]
    jobs += [(host, b, 3) for b in bookings]
    with ThreadPoolExecutor(max_workers=8) as pool:
        written = list(pool.map(lambda j: service.submit(j[0], j[1], schemas.ReviewIn(rating=j[2])), jobs))
    assert {service.get(host, r.id).state for r in written} == {"published"}
    rating = service.rating_of(listing_id)
    assert rating.count == 8 and rating.average == round(sum(1 + i % 5 for i in range(8)) / 8, 2)
    assert service.rating_of(host_id).count == 8


def test_counters_count_a_repeated_event_once_and_racing_events_all() -> None:
    from datetime import UTC, date, datetime

    from chalicelib.analytics import domain
    from chalicelib.analytics import service as analytics

    warm()
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    same = domain.Happening("obx_same", "booking.confirmed", "usr_h1", at, player_id="usr_p", seats=2)
    with ThreadPoolExecutor(max_workers=6) as pool:
        counted = list(pool.map(lambda _: analytics.record(same, "UTC"), range(6)))
    assert counted.count(True) == 1
    assert analytics.host_totals("usr_h1") == {"bookings": 1, "seats_sold": 2, "new_players": 1}

    racing = [
        domain.Happening(f"obx_{i}", "booking.confirmed", "usr_h2", at, player_id=f"usr_p{i % 3}", seats=1)
        for i in range(24)
    ]
    with ThreadPoolExecutor(max_workers=6) as pool:
        assert all(pool.map(lambda h: analytics.record(h, "UTC"), racing))
    totals = analytics.host_totals("usr_h2")
    assert totals == {"bookings": 24, "seats_sold": 24, "new_players": 3, "repeat_bookings": 21}
    assert analytics.day_counters("usr_h2", date(2026, 3, 1), date(2026, 3, 1)) == {date(2026, 3, 1): totals}
