"""Every package's timer handlers and outbox senders, registered in one call: what a process that
runs the sweep (the `sweep_timers` schedule, the local stack's sweeper) must know. Add a package's
`jobs.register` here when it schedules timers or emits outbox kinds of its own."""

from __future__ import annotations


def register_all() -> None:
    from chalicelib.booking import jobs as booking_jobs
    from chalicelib.notifications import jobs as notifications_jobs
    from chalicelib.payments import jobs as payments_jobs
    from chalicelib.reviews import jobs as review_jobs

    booking_jobs.register()  # holds, requests, waitlist offers, minimum players, completion
    notifications_jobs.register()  # reminders, chat digests, the email and push senders
    review_jobs.register()  # the review window's end
    payments_jobs.register()  # payout release
