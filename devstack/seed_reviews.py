"""Demo reviews and a month of host history for the local stack, so the dashboards, ratings and
analytics show something. Through the app's own services:

- a past one-shot of Mira's, played by Pat and Wren 1: the clock is moved back 12 days to create and
  book it, forward past its end to complete it (booking's completion use case), then both sides
  review (double-blind: published at once since both wrote) and Mira replies; the clock comes back;
- thirty days of events for Mira and the studio (bookings, payments, refunds, cancellations,
  completions, no-shows, waitlist conversions), recounted in memory by analytics' own arithmetic and
  written as one batch per host (`analytics.service.record_history`: a transaction per day), once.

The reviews are skipped when Mira already has some (a restart); the history batch is marked once made.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.core.auth import Principal

PAST_DAYS = 12
HISTORY_DAYS = 30


def _past_session(mira: Principal, players: list[Principal]) -> list[str]:
    """Create, book and complete a session 12 days ago; returns the booking ids."""
    from chalicelib.booking import create
    from chalicelib.booking import schemas as booking_schemas
    from chalicelib.booking import sessions as booking_sessions
    from chalicelib.catalog import schemas as catalog_schemas
    from chalicelib.catalog import service as catalog
    from chalicelib.catalog import session_schemas, sessions_service
    from chalicelib.core import clock

    back = timedelta(days=PAST_DAYS)
    clock.advance(-back.total_seconds())
    try:
        listing = catalog.create_listing(
            mira,
            catalog_schemas.ListingIn.model_validate(
                {
                    "title": "Alien: Chariot of the Gods (played last week)",
                    "category": "one_shot",
                    "max_seats": 4,
                    "min_players": 1,
                    "price": {"amount": 0, "currency": "usd"},
                    "timezone": "Europe/Berlin",
                    "duration_minutes": 180,
                }
            ),
        )
        catalog.change_status(mira, listing.id, "publish", None)
        start = (clock.now() + timedelta(days=1)).replace(hour=18, minute=0, second=0, microsecond=0, tzinfo=None)
        session_id = (
            sessions_service.create_sessions(mira, listing.id, session_schemas.SessionsIn(start=start, capacity=4))
            .items[0]
            .id
        )
        bookings = [create.book(p, session_id, booking_schemas.BookingIn(seats=1)).id for p in players]
        clock.advance(timedelta(days=2).total_seconds())  # past the end: confirmed bookings complete
        booking_sessions.complete_session(session_id)
        return bookings
    finally:
        clock.advance((back - timedelta(days=2)).total_seconds())


def _reviews(mira: Principal, players: list[Principal], bookings: list[str]) -> None:
    from chalicelib.reviews import schemas, service

    texts = [
        (5, "Mira's pacing was perfect and the ship felt alive. Terrifying in the best way."),
        (4, "Great atmosphere and clear safety tools; the ending ran a little long."),
    ]
    for (stars, text), player, booking_id in zip(texts, players, bookings, strict=True):
        mine = service.submit(
            player,
            booking_id,
            schemas.ReviewIn(rating=stars, preparation=5, communication=stars, atmosphere=5, value=stars, text=text),
        )
        service.submit(mira, booking_id, schemas.ReviewIn(rating=5, communication=5, text="Engaged, kind player."))
        if stars == 5:
            service.reply(mira, mine.id, schemas.ReplyIn(text="Thank you! See you on the next run."))


def _history(host: Principal, seed: int, days: int) -> bool:
    """Thirty days of events for a host's listings, counted as one batch (once: a restart skips it)."""
    from chalicelib.accounts import service as accounts
    from chalicelib.analytics import domain
    from chalicelib.analytics import service as analytics
    from chalicelib.catalog import service as catalog
    from chalicelib.core import clock

    listings = [item.id for item in catalog.my_listings(host, 10, None).items] or [f"lst_demo{seed}"]
    tz = accounts.timezone_of(host.user_id)
    rng = random.Random(seed)
    today = clock.now()
    happenings: list[domain.Happening] = []
    for day in range(days, 0, -1):
        for n in range(rng.randint(1, 5)):
            at = today - timedelta(days=day, hours=rng.randint(0, 20))
            base: dict[str, Any] = {
                "host_id": host.user_id,
                "at": at,
                "listing_id": rng.choice(listings),
                "player_id": f"usr_demoplayer{rng.randint(1, 12)}",
                "session_id": f"ses_demo{seed}_{day}",
            }
            seats, eid = rng.randint(1, 3), f"obx_seed_{host.user_id}_{day}_{n}"
            facts = [
                domain.Happening(f"{eid}_c", "booking.confirmed", seats=seats, **base),
                domain.Happening(f"{eid}_p", "payment.charged", amount=1500 * seats, currency="usd", **base),
            ]
            roll = rng.random()
            if roll < 0.1:
                facts.append(
                    domain.Happening(
                        f"{eid}_x",
                        "booking.cancelled",
                        seats=seats,
                        reason=rng.choice(["player_cancelled", "host_cancelled"]),
                        **base,
                    )
                )
                facts.append(
                    domain.Happening(f"{eid}_r", "payment.refunded", amount=1500 * seats, currency="usd", **base)
                )
            elif roll < 0.15:
                facts.append(domain.Happening(f"{eid}_n", "booking.no_show", capacity=5, **base))
            else:
                facts.append(domain.Happening(f"{eid}_d", "booking.completed", seats=seats, capacity=5, **base))
            if roll > 0.9:
                facts.append(domain.Happening(f"{eid}_w", "waitlist.claimed", **base))
            happenings += facts
    return analytics.record_history(host.user_id, happenings, tz, batch_id=f"demo-{days}")


def seed_reviews_and_history(
    mira: Principal, studio: Principal, players: list[Principal], history_days: int = HISTORY_DAYS
) -> None:
    from chalicelib.reviews import service as reviews

    if reviews.rating_of(mira.user_id).count == 0:
        bookings = _past_session(mira, players)
        _reviews(mira, players, bookings)
    _history(mira, seed=7, days=history_days)
    _history(studio, seed=8, days=history_days)
