"""Payments' timer handlers, registered by name (the sweep's Lambda calls `register`), and the
outbox senders payments owns (refunds and releases: refunds.py; accepted Stripe events: webhooks.py)."""

from __future__ import annotations

from chalicelib.core import timers
from chalicelib.payments import refunds, webhooks  # noqa: F401 (register their outbox senders)

PAYOUT_RELEASE = "payments.payout_release"


@timers.handler(PAYOUT_RELEASE, max_attempts=30)
def _payout_release(timer: timers.Timer) -> None:
    """Idempotent: settle moves the payout to its target, recorded once; a host whose payouts are
    disabled makes it raise, and the timer is tried again with backoff."""
    from chalicelib.payments import payouts

    payouts.settle(str(timer.payload["booking_id"]))


def register() -> list[str]:
    return [PAYOUT_RELEASE]
