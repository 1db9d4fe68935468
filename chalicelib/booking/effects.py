"""What booking changes cause outside the table, written to the outbox with the change:

- events (`booking.confirmed`, `waitlist.offered`, ...) through `core.events`: every package that
  subscribes in `chalicelib/subscriptions.py` hears of them (notifications, analytics, ...);
- the session chat's roster (a confirmed player joins, leaves when the booking ends);
- freed seats offered to the session's waitlist, right after the change that freed them.
Money steps (refunds, releasing an authorization) are asked of payments' face in the same way.
"""

from __future__ import annotations

from typing import Any

from pynamodb.transactions import TransactWrite

from chalicelib.core import events, outbox

OFFER_SEATS = "booking.offer_seats"  # seats went back to a session: offer them to its waitlist
CHAT_ROSTER = "chat.roster"  # a confirmed player joins the session's chat; leaves when the booking ends


def event(tx: TransactWrite, kind: str, *, subject: str, dedupe: str, **payload: Any) -> None:
    """Tell people about a change (`subject`: the booking, entry or session it is about)."""
    events.publish(tx, kind, subject=subject, dedupe=dedupe, **payload)


def offer_freed_seats(tx: TransactWrite, *, booking_id: str, session_id: str) -> None:
    outbox.emit(
        tx, kind=OFFER_SEATS, subject=booking_id, dedupe_key=f"offer#{booking_id}", payload={"session_id": session_id}
    )


def chat_roster(
    tx: TransactWrite, *, action: str, booking_id: str, session_id: str, host_id: str, player_id: str
) -> None:
    outbox.emit(
        tx,
        kind=CHAT_ROSTER,
        subject=booking_id,
        dedupe_key=f"chat#{action}#{booking_id}#{session_id}",
        payload={"action": action, "session_id": session_id, "host_id": host_id, "player_id": player_id},
    )


def _send_chat_roster(message: outbox.Message) -> None:
    """Through the chat package's service functions: open the session's chat on its first
    confirmed booking, add the player; remove them when their booking ends."""
    from chalicelib.catalog import service as catalog
    from chalicelib.chat import service as chat

    p = message.payload
    session_id, host_id, player_id = str(p["session_id"]), str(p["host_id"]), str(p["player_id"])
    if p["action"] == "join":
        title = catalog.session_for_booking(session_id, consistent=False).listing_title
        chat.open_session_chat(session_id, host_id, title)
        chat.join_session_chat(session_id, player_id)
    elif chat.session_chat_id(session_id) is not None:
        chat.leave_session_chat(session_id, player_id)


def _offer_seats(message: outbox.Message) -> None:
    from chalicelib.booking import waitlist

    waitlist.offer_free_seats(str(message.payload["session_id"]))


outbox.register_sender(OFFER_SEATS, _offer_seats)
outbox.register_sender(CHAT_ROSTER, _send_chat_roster)
