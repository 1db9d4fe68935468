"""Reviews' timer handler: the review window of a booking closes and what was written is published.
Idempotent and state-checking (`service.close_window` publishes only pending reviews, conditionally)."""

from __future__ import annotations

from chalicelib.core import timers

WINDOW_CLOSE = "reviews.window_close"


@timers.handler(WINDOW_CLOSE)
def _window_close(timer: timers.Timer) -> None:
    from chalicelib.reviews import service

    service.close_window(str(timer.payload["booking_id"]))


def register() -> list[str]:
    """Called by the sweep's entry point so that its Lambda knows this handler."""
    return [WINDOW_CLOSE]
