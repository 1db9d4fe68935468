"""Errors of payments. Stripe's answers fall in three kinds, and callers treat each differently:

- transient (network, Stripe 5xx, rate limits, our key refused): `DependencyUnavailable`, a 503 —
  routes ask the client to retry, webhooks ask Stripe to redeliver, outbox and timers retry;
- the object cannot be read with our key (404, or it belongs to another account: 403):
  `StripeObjectMissing` — permanent: a webhook about it is acknowledged, logged and counted;
- Stripe refused the request itself (400: amount above what is left, a disputed charge...):
  `StripeRefused` — permanent for that request: retrying it the same way cannot succeed.

Both permanent kinds are `DependencyUnavailable` too, so a route that meets one still answers 503.
"""

from __future__ import annotations

from chalicelib.core.exceptions import Conflict, DependencyUnavailable


class StripeObjectMissing(DependencyUnavailable):
    """Stripe has no such object for our key (404 `resource_missing`, or 403: another account's)."""


class StripeRefused(DependencyUnavailable):
    """Stripe refused the request as invalid (400); `stripe_code` is Stripe's error code, if any."""

    def __init__(self, detail: str, *, stripe_code: str | None = None) -> None:
        super().__init__(detail)
        self.stripe_code = stripe_code


class PayoutBlocked(Exception):
    """The host's payout is due but cannot be made yet (payouts disabled at Stripe)."""


class NotCharged(Conflict):
    code = "not_charged"


class RefundExceedsRemaining(Conflict):
    code = "refund_exceeds_remaining"


class PaymentDisputed(Conflict):
    code = "payment_disputed"
