"""The host's payout: what the host keeps of a payment is transferred to their Connect account once
due (the session's end plus `PAYOUT_HOLD_DAYS`) and while no dispute is open; a refund or a dispute
after the transfer reverses the part the host no longer earns.

The rule holds for every payment the host keeps a share of, whatever ended the booking: completed,
no-show, or cancelled by the player after the free-cancellation window (the share the policy keeps).
The owner schedules the payout in the transaction that ends the booking (`schedule`).

`settle` moves the payout towards its target (`domain.payout_move`) after recording what Stripe
already has (a transfer made but not yet recorded is never made twice); Stripe calls carry
idempotency keys derived from what is recorded, so a retry repeats, never doubles.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.transactions import TransactWrite

from chalicelib.core import clock, timers
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings
from chalicelib.payments import domain, ledger, payout_accounts, stripe_gateway
from chalicelib.payments.exceptions import PayoutBlocked
from chalicelib.payments.models import MoneyItem, host_money_pk

PAYOUT_TIMER = "payments.payout_release"
MAX_ROUNDS = 4


def due_at(ends_at: datetime) -> datetime:
    return ends_at + timedelta(days=get_settings().payout_hold_days)


def schedule(tx: TransactWrite, *, booking_id: str, ends_at: datetime) -> None:
    """In the caller's transaction: the host's share of this (charged) payment falls due at the
    session's end plus the hold; the payout timer releases it then."""
    from chalicelib.payments import jobs  # noqa: F401 (the timer's handler must be known to schedule it)

    due = due_at(ends_at)
    ledger.set_payout_due(tx, booking_id, due)
    timers.schedule(
        tx,
        handler=PAYOUT_TIMER,
        due_at=due,
        subject=booking_id,
        payload={"booking_id": booking_id},
        timer_id=f"payout#{booking_id}",
    )


def is_due(m: MoneyItem) -> bool:
    return m.payout_due_at is not None and clock.now() >= m.payout_due_at


def _move(m: MoneyItem) -> int:
    return domain.payout_move(ledger.balance_of(m), due=is_due(m), dispute_open=m.dispute_status == "open")


def settle(booking_id: str, m: MoneyItem | None = None) -> int:
    """Move the host's payout to its target; returns the net amount moved (+ transferred, - reversed).
    Raises PayoutBlocked when a due transfer cannot be made (the timer retries later)."""
    from chalicelib.payments import convergence

    moved = 0
    for _ in range(MAX_ROUNDS):
        m = m or ledger.find(booking_id)
        if m is None or _move(m) == 0:
            return moved
        # What Stripe has first: a transfer or reversal made but not yet recorded counts.
        seen = convergence.converge(m.payment_intent_id, transfers=True, settle=False)
        m = seen.money
        if m is None or seen.facts is None:
            return moved
        move = _move(m)
        transfers = seen.facts.transfers or ()
        if move > 0:
            account = payout_accounts.find(m.host_id)
            if account is None or not account.payouts_enabled:
                raise PayoutBlocked(f"payouts of host {m.host_id} are not enabled")
            stripe_gateway.create_transfer(
                amount=move,
                currency=m.currency,
                destination=account.account_id,
                source_transaction=seen.facts.charge_id,
                transfer_group=booking_id,
                booking_id=booking_id,
                key=f"transfer-{booking_id}-{len(transfers)}",
            )
        elif move < 0:
            t = next((t for t in reversed(transfers) if t.remaining > 0), None)
            if t is None:
                return moved
            stripe_gateway.create_reversal(
                t.transfer_id, min(t.remaining, -move), key=f"reversal-{t.transfer_id}-{len(t.reversals)}"
            )
        else:
            return moved
        moved += move
        m = None  # read again: the next round records what was just made
    logger.warning("settle did not converge", extra={"booking_id": booking_id})
    return moved


def settle_quietly(booking_id: str, m: MoneyItem | None = None) -> None:
    """Settle after a refund or a dispute: a payout that must wait for the host is the payout
    timer's (or the next account.updated's) business, not a reason to fail the caller."""
    try:
        settle(booking_id, m)
    except PayoutBlocked:
        logger.info("payout waits for the host's payouts", extra={"booking_id": booking_id})


def due_and_unpaid(host_id: str) -> list[str]:
    """The host's payments whose payout is due and not (fully) made: one Query on GSI2."""
    found = []
    for m in MoneyItem.gsi2.query(host_money_pk(host_id)):
        if isinstance(m, MoneyItem) and m.payout_due_at is not None and ledger.balance_of(m).held > 0:
            found.append(m.booking_id)
    return found
