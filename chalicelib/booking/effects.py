"""What booking changes cause outside the table, written to the outbox with the change:

- events (`booking.confirmed`, `waitlist.offered`, ...) through `core.events`: every package that
  subscribes in `chalicelib/subscriptions.py` hears of them (notifications, analytics, ...);
- money steps (`payments.refund`, `payments.release`): Stripe calls with idempotency keys derived
  from the booking, retried by the sweep until they succeed.
"""

from __future__ import annotations

from typing import Any

from pynamodb.transactions import TransactWrite

from chalicelib.core import events, outbox
from chalicelib.payments import service as payments

REFUND, RELEASE = "payments.refund", "payments.release"
CHAT_ROSTER = "chat.roster"  # a confirmed player joins the session's chat; leaves when the booking ends


def event(tx: TransactWrite, kind: str, *, subject: str, dedupe: str, **payload: Any) -> None:
    """Tell people about a change (`subject`: the booking, entry or session it is about)."""
    events.publish(tx, kind, subject=subject, dedupe=dedupe, **payload)


def refund(tx: TransactWrite, *, booking_id: str, payment_intent_id: str, amount: int, reason: str) -> None:
    outbox.emit(
        tx, kind=REFUND, subject=booking_id, dedupe_key=f"refund#{booking_id}#{reason}",
        payload={"booking_id": booking_id, "payment_intent_id": payment_intent_id, "amount": amount, "reason": reason},
    )


def release(tx: TransactWrite, *, booking_id: str, payment_intent_id: str) -> None:
    outbox.emit(
        tx, kind=RELEASE, subject=booking_id, dedupe_key=f"release#{booking_id}",
        payload={"booking_id": booking_id, "payment_intent_id": payment_intent_id},
    )


def chat_roster(tx: TransactWrite, *, action: str, booking_id: str, session_id: str, host_id: str,
                player_id: str) -> None:
    outbox.emit(
        tx, kind=CHAT_ROSTER, subject=booking_id, dedupe_key=f"chat#{action}#{booking_id}#{session_id}",
        payload={"action": action, "session_id": session_id, "host_id": host_id, "player_id": player_id},
    )


def _send_chat_roster(message: outbox.Message) -> None:
    """Through the chat package's service functions: open the session's chat on its first
    confirmed booking, add the player; remove them when their booking ends."""
    from chalicelib.catalog import seats
    from chalicelib.chat import service as chat

    p = message.payload
    session_id, host_id, player_id = str(p["session_id"]), str(p["host_id"]), str(p["player_id"])
    if p["action"] == "join":
        title = seats.session_for_booking(session_id, consistent=False).listing_title
        chat.open_session_chat(session_id, host_id, title)
        chat.join_session_chat(session_id, player_id)
    elif chat.session_chat_id(session_id) is not None:
        chat.leave_session_chat(session_id, player_id)


def _send_refund(message: outbox.Message) -> None:
    p = message.payload
    payments.refund(str(p["payment_intent_id"]), int(p["amount"]), reason_key=f"{p['booking_id']}-{p['reason']}")


def _send_release(message: outbox.Message) -> None:
    p = message.payload
    payments.cancel_authorization(str(p["payment_intent_id"]), str(p["booking_id"]))


outbox.register_sender(REFUND, _send_refund, max_attempts=10)
outbox.register_sender(RELEASE, _send_release, max_attempts=10)
outbox.register_sender(CHAT_ROSTER, _send_chat_roster)
