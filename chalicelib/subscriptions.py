"""Who hears of which event: event kind → subscribers ("package.module:function"), read by
`core.events`. Every kind a package publishes is listed here, with or without subscribers, so a
mistyped kind fails at publish time. Each subscriber receives a `core.events.Event` at least once
and must be idempotent (key on `event.event_id`).
"""

SUBSCRIBERS: dict[str, tuple[str, ...]] = {
    # booking (chalicelib/booking/effects.py)
    "booking.requested": (),
    "booking.confirmed": (),
    "booking.payment_failed": (),
    "booking.cancelled": (),
    "booking.declined": (),
    "booking.expired": (),
    "booking.completed": (),
    "booking.no_show": (),
    "booking.rescheduled": (),
    "booking.refunded": (),
    "session.cancelled": (),
    "session.rescheduled": (),
    "waitlist.joined": (),
    "waitlist.offered": (),
    "waitlist.offer_expired": (),
    "waitlist.claimed": (),
    # payments (chalicelib/payments): payload booking_id, host_id, player_id, amount, currency (+ below)
    "payment.charged": (),  # money received for a booking (+ payment_intent_id)
    "payment.refunded": (),  # a refund went through (+ reason, refund_id)
    "payout.sent": (),  # a transfer to the host (+ transfer_id); player_id absent
    "payout.reversed": (),  # part of a transfer taken back after a late refund (+ reversal_id)
    "dispute.opened": (),  # (+ dispute_id, reason)
    "dispute.closed": (),  # (+ dispute_id, outcome: won | lost)
    "payouts.status_changed": (),  # host_id, payouts_enabled only
}

# notifications (chalicelib/notifications/reactions.py): people are told in-app, by email and push.
NOTIFIED = (
    "booking.requested", "booking.confirmed", "booking.payment_failed", "booking.cancelled", "booking.declined",
    "booking.expired", "booking.rescheduled", "session.cancelled", "waitlist.joined", "waitlist.offered",
    "waitlist.offer_expired", "payment.charged", "payment.refunded", "payout.sent", "dispute.opened",
)
for _kind in NOTIFIED:
    SUBSCRIBERS[_kind] = (*SUBSCRIBERS[_kind], "chalicelib.notifications.reactions:on_event")
