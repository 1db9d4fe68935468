"""booking capability: bookings, seats, holds, waitlist, cancellation policies, rescheduling.

Modules: `api` (routes), `schemas`, `domain` (state machines), `policies` (refund quotes), `models`,
`create` (booking), `lifecycle` (payments, expiry, cancel, host answers), `move` (player reschedule),
`waitlist`, `sessions` (session cancelled/moved, minimum players, completion), `queries`, `store`,
`txn`, `effects` (outbox), `jobs` (timer handlers), `payment_events` (Stripe webhooks).
"""
