"""Pure booking decisions: the state machines of a booking, a waitlist entry and a session.

Each machine is a table `(state, event) -> next state`; a pair missing from the table is a move the
machine does not allow (the service answers 409 `invalid_state` and changes nothing). No AWS, no
clock: values in, values out. docs/STATE_MACHINES.md is this file written as tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

# Booking states. `disputed` is a flag on the booking, not a state.
REQUESTED = "requested"
PENDING_PAYMENT = "pending_payment"
CONFIRMED = "confirmed"
COMPLETED = "completed"
CANCELLED = "cancelled"
DECLINED = "declined"
EXPIRED = "expired"
NO_SHOW = "no_show"
BOOKING_STATES = (REQUESTED, PENDING_PAYMENT, CONFIRMED, COMPLETED, CANCELLED, DECLINED, EXPIRED, NO_SHOW)
ACTIVE = frozenset({REQUESTED, PENDING_PAYMENT, CONFIRMED})  # hold a seat (held or booked)
SEAT_HELD = frozenset({REQUESTED, PENDING_PAYMENT})  # counted in seats_held; CONFIRMED in seats_booked

# Booking events.
PAYMENT_SUCCEEDED = "payment_succeeded"  # payment_intent.succeeded (instant book)
PAYMENT_FAILED = "payment_failed"  # payment_intent.payment_failed: the player may try another card
PAYMENT_AUTHORIZED = "payment_authorized"  # amount_capturable_updated (approval mode)
PAYMENT_CANCELED = "payment_canceled"  # payment_intent.canceled
HOLD_EXPIRED = "hold_expired"
ACCEPT = "accept"
DECLINE = "decline"
REQUEST_EXPIRED = "request_expired"
PLAYER_CANCEL = "player_cancel"
HOST_CANCEL = "host_cancel"
SESSION_CANCELLED = "session_cancelled"  # by the host or the minimum-players check
PLAYER_RESCHEDULE = "player_reschedule"
COMPLETE = "complete"
MARK_NO_SHOW = "mark_no_show"
BOOKING_EVENTS = (
    PAYMENT_SUCCEEDED,
    PAYMENT_FAILED,
    PAYMENT_AUTHORIZED,
    PAYMENT_CANCELED,
    HOLD_EXPIRED,
    ACCEPT,
    DECLINE,
    REQUEST_EXPIRED,
    PLAYER_CANCEL,
    HOST_CANCEL,
    SESSION_CANCELLED,
    PLAYER_RESCHEDULE,
    COMPLETE,
    MARK_NO_SHOW,
)

BOOKING_TRANSITIONS: Mapping[tuple[str, str], str] = {
    (PENDING_PAYMENT, PAYMENT_SUCCEEDED): CONFIRMED,
    (PENDING_PAYMENT, PAYMENT_FAILED): PENDING_PAYMENT,
    (PENDING_PAYMENT, PAYMENT_CANCELED): EXPIRED,
    (PENDING_PAYMENT, HOLD_EXPIRED): EXPIRED,
    (PENDING_PAYMENT, PLAYER_CANCEL): CANCELLED,
    (PENDING_PAYMENT, HOST_CANCEL): CANCELLED,
    (PENDING_PAYMENT, SESSION_CANCELLED): CANCELLED,
    (REQUESTED, PAYMENT_AUTHORIZED): REQUESTED,
    (REQUESTED, PAYMENT_SUCCEEDED): CONFIRMED,  # the authorization was captured: the host accepted
    (REQUESTED, PAYMENT_FAILED): REQUESTED,
    (REQUESTED, PAYMENT_CANCELED): EXPIRED,
    (REQUESTED, ACCEPT): CONFIRMED,
    (REQUESTED, DECLINE): DECLINED,
    (REQUESTED, REQUEST_EXPIRED): EXPIRED,
    (REQUESTED, PLAYER_CANCEL): CANCELLED,
    (REQUESTED, SESSION_CANCELLED): CANCELLED,
    (CONFIRMED, PLAYER_CANCEL): CANCELLED,
    (CONFIRMED, HOST_CANCEL): CANCELLED,
    (CONFIRMED, SESSION_CANCELLED): CANCELLED,
    (CONFIRMED, PLAYER_RESCHEDULE): CONFIRMED,
    (CONFIRMED, COMPLETE): COMPLETED,
    (CONFIRMED, MARK_NO_SHOW): NO_SHOW,
    (COMPLETED, MARK_NO_SHOW): NO_SHOW,
}

# Waitlist entries: waiting in the queue → offered a held seat → claimed (booked), or the offer
# expires (the seat passes to the next), or the player leaves, or the session closes the queue.
WAITING, OFFERED, CLAIMED = "waiting", "offered", "claimed"
OFFER_EXPIRED, LEFT, CLOSED = "offer_expired", "left", "closed"
WAITLIST_STATES = (WAITING, OFFERED, CLAIMED, OFFER_EXPIRED, LEFT, CLOSED)
WL_OFFER, WL_CLAIM, WL_EXPIRE, WL_LEAVE, WL_CLOSE = "offer", "claim", "expire", "leave", "close"
WAITLIST_EVENTS = (WL_OFFER, WL_CLAIM, WL_EXPIRE, WL_LEAVE, WL_CLOSE)
WAITLIST_OPEN = frozenset({WAITING, OFFERED})
WAITLIST_TRANSITIONS: Mapping[tuple[str, str], str] = {
    (WAITING, WL_OFFER): OFFERED,
    (WAITING, WL_LEAVE): LEFT,
    (WAITING, WL_CLOSE): CLOSED,
    (OFFERED, WL_CLAIM): CLAIMED,
    (OFFERED, WL_EXPIRE): OFFER_EXPIRED,
    (OFFERED, WL_LEAVE): LEFT,
    (OFFERED, WL_CLOSE): CLOSED,
}

# Sessions (the catalog owns the item; booking drives these moves).
SCHEDULED, SESSION_CANCELLED_STATE = "scheduled", "cancelled"
SESSION_STATES = (SCHEDULED, SESSION_CANCELLED_STATE)
S_RESCHEDULE, S_HOST_CANCEL, S_MIN_PLAYERS_UNMET = "reschedule", "host_cancel", "min_players_unmet"
SESSION_EVENTS = (S_RESCHEDULE, S_HOST_CANCEL, S_MIN_PLAYERS_UNMET)
SESSION_TRANSITIONS: Mapping[tuple[str, str], str] = {
    (SCHEDULED, S_RESCHEDULE): SCHEDULED,
    (SCHEDULED, S_HOST_CANCEL): SESSION_CANCELLED_STATE,
    (SCHEDULED, S_MIN_PLAYERS_UNMET): SESSION_CANCELLED_STATE,
}

# Durations.
HOLD_MINUTES = 15
REQUEST_HOURS = 48  # a request unanswered this long expires (never after the session starts)
OFFER_HOURS = 2
OFFER_CUTOFF_BEFORE_START = timedelta(hours=1)
MIN_PLAYERS_CHECK_BEFORE_START = timedelta(hours=24)


class InvalidTransition(Exception):
    def __init__(self, machine: str, state: str, event: str) -> None:
        super().__init__(f"a {machine} in state {state!r} does not allow {event!r}")
        self.machine, self.state, self.event = machine, state, event


def _next(table: Mapping[tuple[str, str], str], machine: str, state: str, event: str) -> str:
    found = table.get((state, event))
    if found is None:
        raise InvalidTransition(machine, state, event)
    return found


def booking_next(state: str, event: str) -> str:
    return _next(BOOKING_TRANSITIONS, "booking", state, event)


def waitlist_next(state: str, event: str) -> str:
    return _next(WAITLIST_TRANSITIONS, "waitlist entry", state, event)


def session_next(state: str, event: str) -> str:
    return _next(SESSION_TRANSITIONS, "session", state, event)


def hold_ends(now: datetime, starts_at: datetime) -> datetime:
    """A payment hold lasts HOLD_MINUTES, but never past the session's start."""
    return min(now + timedelta(minutes=HOLD_MINUTES), starts_at)


def request_ends(now: datetime, starts_at: datetime) -> datetime:
    return min(now + timedelta(hours=REQUEST_HOURS), starts_at)


def offer_ends(now: datetime, starts_at: datetime) -> datetime | None:
    """When a waitlist offer made now lapses (2h, never past start - 1h); None: too late to offer."""
    cutoff = starts_at - OFFER_CUTOFF_BEFORE_START
    if now >= cutoff:
        return None
    return min(now + timedelta(hours=OFFER_HOURS), cutoff)


def min_players_check_at(starts_at: datetime) -> datetime:
    return starts_at - MIN_PLAYERS_CHECK_BEFORE_START


# A booking follows its payment (payments converges the money and hands the booking a view of it).

# payment_status before money is received ...
NOT_PAID, AWAITING, AUTHORIZED, FAILED, RELEASED = "none", "awaiting", "authorized", "failed", "released"
# ... and after: what the money amounts to (the money statuses of payments, the same words).
PAID, PARTIALLY_REFUNDED, REFUNDED = "paid", "partially_refunded", "refunded"
DISPUTED, DISPUTE_LOST, DISPUTE_WON = "disputed", "dispute_lost", "dispute_won"
CHARGED = frozenset({PAID, PARTIALLY_REFUNDED, REFUNDED, DISPUTED, DISPUTE_LOST, DISPUTE_WON})
REFUNDABLE = frozenset({PAID, PARTIALLY_REFUNDED, DISPUTE_WON})  # a player's cancellation may refund these
KEEPS_SEAT_AFTER_PAYMENT = frozenset({CONFIRMED, COMPLETED, NO_SHOW})


@dataclass(frozen=True)
class Payment:
    """The payment as the booking sees it (payments' PaymentView, reduced to values)."""

    intent_status: str  # Stripe's PaymentIntent status
    failed: bool
    charged: int  # received and in the books (0: not yet)
    money_status: str | None
    refunded: int
    disputed: bool


@dataclass(frozen=True)
class PaymentStep:
    event: str | None  # PAYMENT_SUCCEEDED, PAYMENT_CANCELED, PAYMENT_FAILED, or None (fields only)
    payment_status: str
    amount_refunded: int
    disputed: bool
    late_refund: int  # money for a booking that closed before it was paid: give it all back
    release: bool  # an authorization of a booking that closed: release it


def payment_step(
    state: str, payment_status: str | None, amount_refunded: int, disputed: bool, pay: Payment
) -> PaymentStep | None:
    """What the booking does about its payment now; None when it already matches."""
    status = payment_status or NOT_PAID
    event, late, release = None, 0, False
    if pay.charged:
        status_after = pay.money_status or PAID
        if status not in CHARGED:  # the money is new to the booking
            if state in SEAT_HELD:
                event = PAYMENT_SUCCEEDED
            elif state not in KEEPS_SEAT_AFTER_PAYMENT:
                late = pay.charged  # expired, cancelled or declined before the money arrived
        status = status_after
    elif status not in CHARGED:
        if pay.intent_status == "canceled":
            if state in SEAT_HELD:
                event = PAYMENT_CANCELED
            status = RELEASED
        elif pay.intent_status == "requires_capture":
            if state == REQUESTED:
                status = AUTHORIZED
            elif state not in ACTIVE:
                release = True  # authorized after its booking closed: nobody will capture it
        elif pay.failed and state in SEAT_HELD and status == AWAITING:
            event, status = PAYMENT_FAILED, FAILED
    refunded = pay.refunded if pay.charged else amount_refunded
    flagged = disputed or pay.disputed
    if (event, late, release) == (None, 0, False) and (status, refunded, flagged) == (
        payment_status or NOT_PAID,
        amount_refunded,
        disputed,
    ):
        return None
    return PaymentStep(event, status, refunded, flagged, late, release)
