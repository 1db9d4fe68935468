"""booking capability: bookings, seats, holds, waitlist, cancellation policies, rescheduling.

Modules: `api` (routes), `schemas`, `domain` (state machines, how a booking follows its payment),
`policies` (refund quotes), `models`, `create` (booking), `lifecycle` (expiry, cancel, host answers),
`payment_state` (the owner of bookings' payments: follows what payments converges), `move` (player
reschedule), `waitlist`, `sessions` (session cancelled/moved, minimum players, completion), `queries`,
`store`, `txn`, `effects` (outbox), `jobs` (timer handlers).
"""
