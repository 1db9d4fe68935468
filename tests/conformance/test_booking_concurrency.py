"""Seats under real concurrency on DynamoDB Local: the invariant `seats_booked + seats_held <=
capacity` holds whatever the interleaving, every refusal is a clean 409, nothing is half-written."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

# The app's modules are imported inside the tests, as in the other conformance files: importing
# them at collection would read the settings before every test module has set its environment.
if TYPE_CHECKING:
    from chalicelib.core.auth import Principal

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def make_session(capacity: int, *, price: int = 0, max_seats: int = 5) -> str:
    from chalicelib.catalog.models import LISTING_SK, SESSION_SK, ListingItem, SessionItem, listing_pk, session_pk
    from chalicelib.core import clock, ids

    clock.freeze(NOW)
    listing_id, session_id, host_id = ids.new_id("lst"), ids.new_id("ses"), ids.new_id("usr")
    ListingItem(
        listing_pk(listing_id),
        LISTING_SK,
        listing_id=listing_id,
        host_id=host_id,
        status="published",
        title="T",
        category="one_shot",
        experience_level="any",
        age_rating="all_ages",
        format="group",
        location={"mode": "online"},
        min_players=1,
        max_seats=max_seats,
        price_amount=price,
        price_currency="usd",
        cancellation_policy={"preset": "flexible"},
        booking_mode="instant",
        timezone="UTC",
        duration_minutes=180,
    ).save()
    if price:  # paid bookings are taken for hosts whose payouts are enabled
        from chalicelib.payments.models import PAYOUT_ACCOUNT_SK, PayoutAccountItem, customer_pk

        PayoutAccountItem(
            customer_pk(host_id),
            PAYOUT_ACCOUNT_SK,
            account_id=f"acct_{host_id}",
            details_submitted=True,
            payouts_enabled=True,
            charges_enabled=True,
        ).save()
    start = NOW + timedelta(days=10)
    SessionItem(
        session_pk(session_id),
        SESSION_SK,
        session_id=session_id,
        listing_id=listing_id,
        host_id=host_id,
        state="scheduled",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        timezone="UTC",
        capacity=capacity,
        seats_booked=0,
        seats_held=0,
    ).save()
    return session_id


def someone() -> Principal:
    from chalicelib.core import ids
    from chalicelib.core.auth import Principal

    return Principal(user_id=ids.new_id("usr"), roles=frozenset({"player"}), email="p@example.test")


def check_invariant(session_id: str) -> tuple[int, int, int, int]:
    from chalicelib.catalog import seats

    capacity, booked, held, taken = seats.seats_of(session_id)
    assert booked + held == taken and taken <= capacity and booked >= 0 and held >= 0
    return capacity, booked, held, taken


def warm() -> None:
    """Open the connection pool before the threads start (one shared botocore client)."""
    from chalicelib.core.table import BaseItem

    list(BaseItem.query("WARM", limit=1))


def test_200_concurrent_attempts_for_10_seats() -> None:
    from chalicelib.booking import create, schemas
    from chalicelib.booking.models import BookingItem, PlayerGuardItem
    from chalicelib.core.exceptions import Conflict
    from chalicelib.core.table import BaseItem

    session_id = make_session(10)
    warm()
    start = threading.Barrier(50)

    def attempt(i: int) -> str:
        if i < 50:
            start.wait()
        try:
            create.book(someone(), session_id, schemas.BookingIn(seats=1))
            return "booked"
        except Conflict as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = Counter(pool.map(attempt, range(200)))
    assert outcomes == {"booked": 10, "session_full": 190}
    assert check_invariant(session_id) == (10, 10, 0, 10)
    bookings = [b for b in BookingItem.gsi2.query(f"SESBKG#{session_id}") if isinstance(b, BookingItem)]
    assert len(bookings) == 10 and all(b.state == "confirmed" for b in bookings)
    guards = [g for g in BaseItem.query(f"SESSION#{session_id}", BaseItem.SK.startswith("PLAYER#"))]
    assert {g.booking_id for g in guards if isinstance(g, PlayerGuardItem)} == {b.booking_id for b in bookings}


def test_one_player_racing_themselves_gets_one_booking() -> None:
    from chalicelib.booking import create, schemas
    from chalicelib.core.exceptions import Conflict

    session_id = make_session(10)
    warm()
    me = someone()
    barrier = threading.Barrier(20)

    def attempt(_: int) -> str:
        barrier.wait()
        try:
            create.book(me, session_id, schemas.BookingIn(seats=1))
            return "booked"
        except Conflict as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = Counter(pool.map(attempt, range(20)))
    assert outcomes == {"booked": 1, "already_booked": 19}
    assert check_invariant(session_id) == (10, 1, 0, 1)


def test_cancellations_racing_waitlist_claims_keep_the_invariant() -> None:
    from chalicelib.booking import create, lifecycle, schemas, waitlist
    from chalicelib.booking.models import WaitlistEntryItem
    from chalicelib.catalog import seats
    from chalicelib.core.exceptions import Conflict

    session_id = make_session(4)
    warm()
    holders = [someone() for _ in range(4)]
    bookings = [create.book(p, session_id, schemas.BookingIn(seats=1)).id for p in holders]
    waiters = [someone() for _ in range(8)]
    for w in waiters:
        waitlist.join(w, session_id, schemas.WaitlistIn(seats=1))
    stop = threading.Event()
    violations: list[Any] = []

    def watch() -> None:
        while not stop.is_set():
            capacity, booked, held, taken = seats.seats_of(session_id)
            if booked + held > capacity or booked + held != taken:
                violations.append((capacity, booked, held, taken))

    def cancel(i: int) -> None:
        lifecycle.cancel(holders[i], bookings[i])

    def claim_any(w: Principal) -> str:
        for _ in range(200):
            entries = [
                e for e in WaitlistEntryItem.gsi1.query(f"PLAYERWL#{w.user_id}") if isinstance(e, WaitlistEntryItem)
            ]
            if entries and entries[0].state == "offered":
                try:
                    waitlist.claim(w, entries[0].entry_id)
                    return "claimed"
                except Conflict as exc:
                    return exc.code
            if stop.is_set():
                break
        return "never_offered"

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            claims = [pool.submit(claim_any, w) for w in waiters[:4]]
            list(pool.map(cancel, range(4)))
            results = Counter(f.result() for f in claims)
    finally:
        stop.set()
        watcher.join()
    assert not violations
    _, booked, held, _ = check_invariant(session_id)
    assert results["claimed"] == booked  # every claim that succeeded holds a booked seat
    assert booked + held == 4  # the 4 freed seats are claimed or still offered, none lost


@pytest.mark.usefixtures("stripe_emulator")
def test_the_same_idempotency_key_twice_makes_one_booking_and_one_payment_intent() -> None:
    import stripe

    from chalicelib.booking import create, schemas
    from chalicelib.booking.models import BookingItem
    from chalicelib.core import idempotency
    from chalicelib.core.exceptions import Conflict
    from tests import stripe_support

    session_id = make_session(10, price=1500)
    warm()
    me = someone()
    body = schemas.BookingIn(seats=1)
    barrier = threading.Barrier(8)

    def attempt(_: int) -> dict[str, Any] | str:
        barrier.wait()
        try:
            return idempotency.run_once(
                scope=f"{me.user_id}:create_booking:{session_id}",
                key="same-key",
                payload=body.model_dump(),
                action=lambda: {"status": 201, "body": create.book(me, session_id, body).model_dump(mode="json")},
            )
        except Conflict as exc:
            return exc.code  # the first request is still running: "request_in_progress"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    replays = [o for o in outcomes if isinstance(o, dict)]
    assert replays and all(o == "request_in_progress" for o in outcomes if not isinstance(o, dict))
    again = idempotency.run_once(
        scope=f"{me.user_id}:create_booking:{session_id}",
        key="same-key",
        payload=body.model_dump(),
        action=lambda: {"status": 500, "body": {}},
    )
    assert all(r == again for r in replays)
    bookings = [b for b in BookingItem.gsi2.query(f"SESBKG#{session_id}") if isinstance(b, BookingItem)]
    assert len(bookings) == 1
    client = stripe.StripeClient(stripe_support.SECRET_KEY, base_addresses={"api": stripe_support.configure_base()})
    intents = [
        i
        for i in client.v1.payment_intents.list({"limit": 100}).data
        if i.to_dict()["metadata"].get("session_id") == session_id
    ]
    assert len(intents) == 1 and intents[0].id == again["body"]["payment"]["payment_intent_id"]
    assert check_invariant(session_id) == (10, 0, 1, 1)
