"""Builders shared by the review, analytics and dashboard API tests: completed bookings, the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tests.api.booking_helpers import FREE, book, listing_with_sessions, player
from tests.api.catalog_helpers import NOW
from tests.api.helpers import run_timers_at

START = NOW.replace(month=2, day=1, hour=18)  # the helpers' first session: 19:00 in Berlin, 3 hours
END = START + timedelta(hours=3)


@dataclass
class Completed:
    host_token: str
    host_id: str
    listing_id: str
    session_id: str
    players: list[tuple[str, str]]  # (token, user id)
    bookings: list[str]


def completed_bookings(api: Any, token_for: Any, players: int = 1, **overrides: Any) -> Completed:
    """A free session with `players` bookings that the completion timer made `completed`."""
    setup = listing_with_sessions(api, token_for, min_players=1, **{**FREE, **overrides})
    who = [player(api, token_for) for _ in range(players)]
    bookings = []
    for token, _ in who:
        made = book(api, token, setup.session_id)
        assert made.status == 201, made.body
        bookings.append(made.json["id"])
    run_timers_at(END + timedelta(seconds=30))
    for (token, _), booking_id in zip(who, bookings, strict=True):
        assert api.get(f"/v1/bookings/{booking_id}", token=token).json["state"] == "completed"
    return Completed(setup.host_token, setup.host_id, setup.listing["id"], setup.session_id, who, bookings)
