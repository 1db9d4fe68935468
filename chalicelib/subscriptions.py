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
}
