"""Who hears of which event: event kind → subscribers ("package.module:function"), read by
`core.events`. Every kind a package publishes is listed here, with or without subscribers, so a
mistyped kind fails at publish time. Each subscriber receives a `core.events.Event` at least once
and must be idempotent (key on `event.event_id`).
"""

NOTIFY = "chalicelib.notifications.subscribers:on_event"  # in-app, email and push notices; calendars, reminders
ANALYTICS = "chalicelib.analytics.service:on_event"  # per-day counters of hosts and the platform
REVIEW_WINDOW = "chalicelib.reviews.service:on_booking_finished"  # schedules the review window's end
FOLLOW_SESSION = "chalicelib.wiring:booking_follows_session"  # bookings follow their session's changes

SUBSCRIBERS: dict[str, tuple[str, ...]] = {
    # booking (chalicelib/booking/effects.py)
    "booking.requested": (NOTIFY,),
    "booking.confirmed": (NOTIFY, ANALYTICS),
    "booking.payment_failed": (NOTIFY,),
    "booking.cancelled": (NOTIFY, ANALYTICS),
    "booking.declined": (NOTIFY, ANALYTICS),
    "booking.expired": (NOTIFY,),
    "booking.completed": (ANALYTICS, REVIEW_WINDOW),
    "booking.no_show": (ANALYTICS, REVIEW_WINDOW),
    "booking.rescheduled": (NOTIFY,),
    "session.cancelled": (NOTIFY,),
    "waitlist.joined": (NOTIFY,),
    "waitlist.offered": (NOTIFY,),
    "waitlist.offer_expired": (NOTIFY,),
    "waitlist.claimed": (ANALYTICS,),
    # payments (chalicelib/payments): payload booking_id, host_id, player_id, amount, currency (+ below)
    "payment.charged": (NOTIFY, ANALYTICS),  # money received for a booking (+ payment_intent_id)
    "payment.refunded": (NOTIFY, ANALYTICS),  # a refund went through (+ reason, refund_id)
    "payout.sent": (NOTIFY,),  # a transfer to the host (+ transfer_id); player_id absent
    "payout.reversed": (),  # part of a transfer taken back after a late refund (+ reversal_id)
    "dispute.opened": (NOTIFY, ANALYTICS),  # (+ dispute_id, reason)
    "dispute.closed": (),  # (+ dispute_id, outcome: won | lost)
    "payouts.status_changed": (),  # host_id, payouts_enabled only
    # catalog (chalicelib/catalog/events.py): subject and listing_id, session_id (+ change_id)
    "catalog.session_scheduled": (FOLLOW_SESSION,),
    "catalog.session_rescheduled": (FOLLOW_SESSION,),
    "catalog.session_cancelled": (FOLLOW_SESSION,),
    # chat (chalicelib/chat/events.py)
    "chat.members_unreached": ("chalicelib.notifications.chat_digest:on_members_unreached",),  # digest windows
    # reviews (chalicelib/reviews/service.py)
    "review.submitted": (),  # review_id, booking_id, side, host_id, player_id
    "review.published": (),  # review_id, booking_id, side, author_id, subject_id, listing_id, rating
}
