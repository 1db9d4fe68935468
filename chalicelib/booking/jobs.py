"""Booking's timer handlers, registered by name. Each handler imports its use case when it runs, so
the use-case modules may import this one (they schedule these timers) without a cycle.

Every handler is idempotent and state-checking: it loads the current state and acts only when the
timer still applies; a stale or repeated timer does nothing.
"""

from __future__ import annotations

from chalicelib.booking import effects  # noqa: F401 (registers the outbox senders this package emits to)
from chalicelib.core import timers

HOLD_EXPIRY = "booking.hold_expiry"
REQUEST_EXPIRY = "booking.request_expiry"
OFFER_EXPIRY = "booking.waitlist_offer_expiry"
MIN_PLAYERS = "booking.min_players_check"
COMPLETION = "booking.session_completion"


@timers.handler(HOLD_EXPIRY)
def _hold_expiry(timer: timers.Timer) -> None:
    from chalicelib.booking import lifecycle

    lifecycle.expire_hold(str(timer.payload["booking_id"]))


@timers.handler(REQUEST_EXPIRY)
def _request_expiry(timer: timers.Timer) -> None:
    from chalicelib.booking import lifecycle

    lifecycle.expire_request(str(timer.payload["booking_id"]))


@timers.handler(OFFER_EXPIRY)
def _offer_expiry(timer: timers.Timer) -> None:
    from chalicelib.booking import waitlist

    waitlist.expire_offer(str(timer.payload["entry_id"]))


@timers.handler(MIN_PLAYERS)
def _min_players(timer: timers.Timer) -> None:
    from chalicelib.booking import sessions

    sessions.check_min_players(str(timer.payload["session_id"]))


@timers.handler(COMPLETION)
def _completion(timer: timers.Timer) -> None:
    from chalicelib.booking import sessions

    sessions.complete_session(str(timer.payload["session_id"]))


def register() -> list[str]:
    """Called by the sweep's entry point so that its Lambda knows these handlers."""
    return [HOLD_EXPIRY, REQUEST_EXPIRY, OFFER_EXPIRY, MIN_PLAYERS, COMPLETION]
