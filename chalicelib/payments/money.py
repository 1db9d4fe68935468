"""A booking's money after the charge: the ledger entries and running totals of every movement
(charge + fee, refunds, dispute debits/credits, transfers to the host and their reversals).

Rules:
- Every movement is recorded in one transaction with the totals it changes (`MoneyItem`, conditional
  on the revision read) and the events it publishes; its ledger entries are conditional puts keyed by
  the Stripe object, so a movement is in the ledger once, whoever records it first.
- Stripe is the source of truth for refunds, transfers, reversals and disputes: webhooks and timers
  do not trust the event body, they read the objects back and record what the ledger lacks, so events
  arriving late, twice or out of order all end in the same books.
- `settle` moves the host's payout towards its target (domain.payout_move): a Transfer once due and
  no dispute is open; a reversal when a refund or a dispute lowered the host's share. Stripe calls
  carry idempotency keys derived from what is already recorded, so a retry repeats, never doubles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.core import clock, events, outbox, timers
from chalicelib.core.due_index import instant_key
from chalicelib.core.exceptions import Conflict
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings
from chalicelib.payments import domain, stripe_gateway
from chalicelib.payments.models import (
    MONEY_SK,
    LedgerItem,
    MoneyItem,
    booking_money_pk,
    host_ledger_pk,
    host_money_pk,
    ledger_day_pk,
    player_ledger_pk,
)

PAYOUT_TIMER = "payments.payout_release"
MAX_ROUNDS = 6
COMPLETED_STATES = ("completed", "no_show")


class PayoutBlocked(Exception):
    """The host's payout is due but cannot be made yet (payouts disabled at Stripe)."""


def fee_rule(currency: str) -> domain.FeeRule:
    settings = get_settings()
    found = settings.platform_fees.get(currency.lower())
    if found is None:
        return domain.FeeRule(settings.platform_fee_bps, 0)
    return domain.FeeRule(int(found[0]), int(found[1]))


def balance_of(m: MoneyItem) -> domain.Balance:
    return domain.Balance(
        charged=int(m.charged or 0), fee=int(m.fee or 0), refunded=int(m.refunded or 0),
        debited=int(m.debited or 0), credited=int(m.credited or 0),
        transferred=int(m.transferred or 0), reversed=int(m.reversed or 0),
    )


def _totals(after: domain.Balance) -> list[Action]:
    return [
        MoneyItem.charged.set(after.charged), MoneyItem.fee.set(after.fee), MoneyItem.refunded.set(after.refunded),
        MoneyItem.debited.set(after.debited), MoneyItem.credited.set(after.credited),
        MoneyItem.transferred.set(after.transferred), MoneyItem.reversed.set(after.reversed),
    ]


def entry_id(booking_id: str, entry_type: str, reference: str) -> str:
    return "led_" + hashlib.sha256(f"{booking_id}\n{entry_type}\n{reference}".encode()).hexdigest()[:24]


def _write_entries(tx: TransactWrite, m: MoneyItem, entries: Iterable[domain.Entry], reference: str,
                   reason: str | None = None) -> None:
    now = clock.now()
    for entry in entries:
        eid = entry_id(m.booking_id, entry.entry_type, reference)
        item = LedgerItem(
            booking_money_pk(m.booking_id), f"LEDGER#{entry.entry_type}#{reference}",
            entry_id=eid, entry_type=entry.entry_type, booking_id=m.booking_id, host_id=m.host_id,
            player_id=m.player_id, amount=entry.amount, currency=m.currency, reference=reference, reason=reason,
            occurred_at=now,
        )
        order = f"{instant_key(now)}#{eid}"
        if entry.entry_type in domain.PLAYER_TYPES:
            item.GSI1PK, item.GSI1SK = player_ledger_pk(m.player_id), order
        item.GSI2PK, item.GSI2SK = host_ledger_pk(m.host_id), order
        item.GSI3PK, item.GSI3SK = ledger_day_pk(now.date().isoformat()), order
        tx.save(item, condition=LedgerItem.PK.does_not_exist())


def _payload(m: MoneyItem, amount: int, **extra: Any) -> dict[str, Any]:
    return {"booking_id": m.booking_id, "host_id": m.host_id, "player_id": m.player_id, "amount": amount,
            "currency": m.currency, **extra}


# The charge: written by booking's own transaction (payment succeeded, request accepted).


def record_charge(tx: TransactWrite, *, booking_id: str, host_id: str, player_id: str, payment_intent_id: str,
                  amount: int, currency: str) -> None:
    """In the caller's transaction: the booking's money (charge and platform fee in the ledger) and the
    `payment.charged` event. The caller's own condition makes it happen once per booking."""
    if amount <= 0:
        return
    rule = fee_rule(currency)
    after, entries = domain.charge(domain.Balance(), amount, domain.fee_for(amount, rule))
    m = MoneyItem(
        booking_money_pk(booking_id), MONEY_SK, booking_id=booking_id, host_id=host_id, player_id=player_id,
        currency=currency.lower(), payment_intent_id=payment_intent_id, charged=after.charged, fee=after.fee,
        fee_percent_bps=rule.percent_bps, fee_fixed=rule.fixed, refs={payment_intent_id}, rev=1,
    )
    m.GSI2PK, m.GSI2SK = host_money_pk(host_id), f"{m.currency}#{booking_id}"
    tx.save(m, condition=MoneyItem.PK.does_not_exist())
    _write_entries(tx, m, entries, payment_intent_id)
    events.publish(tx, "payment.charged", subject=booking_id, dedupe=booking_id,
                   **_payload(m, amount, payment_intent_id=payment_intent_id))


def schedule_payout(tx: TransactWrite, *, booking_id: str, ends_at: Any) -> None:
    """In the completion's transaction: release the host's payout `payout_hold_days` after the end."""
    from chalicelib.payments import jobs  # noqa: F401 (the timer's handler must be known to schedule it)

    due = max(ends_at, clock.now()) + timedelta(days=get_settings().payout_hold_days)
    timers.schedule(tx, handler=PAYOUT_TIMER, due_at=due, subject=booking_id, payload={"booking_id": booking_id},
                    timer_id=f"payout#{booking_id}")


# Reading


def find(booking_id: str) -> MoneyItem | None:
    try:
        return MoneyItem.get(booking_money_pk(booking_id), MONEY_SK, consistent_read=True)
    except MoneyItem.DoesNotExist:
        return None


# Recording a movement


def _commit(m: MoneyItem, after: domain.Balance, entries: list[domain.Entry], reference: str, *,
            reason: str | None = None, extra: list[Action] | None = None,
            publish: list[tuple[str, str, dict[str, Any]]] | None = None,
            also: Any = None) -> bool:
    """Record one movement (conditional on the revision read); False when someone else changed the
    money meanwhile (the caller reads again and decides again)."""
    try:
        with outbox.transaction() as tx:
            tx.update(m, actions=[*_totals(after), MoneyItem.rev.set(int(m.rev or 0) + 1),
                                  MoneyItem.refs.add({reference}), MoneyItem.updated_at.set(clock.now()),
                                  *(extra or [])],
                      condition=MoneyItem.rev == int(m.rev or 0))
            _write_entries(tx, m, entries, reference, reason)
            for kind, dedupe, payload in publish or []:
                events.publish(tx, kind, subject=m.booking_id, dedupe=dedupe, **payload)
            if also is not None:
                also(tx)
    except TransactWriteError as exc:
        if conditional_failed(exc):
            return False
        raise
    return True


def conditional_failed(exc: TransactWriteError) -> bool:
    """A condition failed or a concurrent transaction got there first: read again, decide again."""
    codes = [getattr(r, "code", None) for r in (exc.cancellation_reasons or []) if r is not None]
    return "ConditionalCheckFailed" in codes or "TransactionConflict" in codes


# Refunds


def sync_refunds(booking_id: str) -> int:
    """Record every succeeded Stripe refund of the booking's charge the ledger lacks; then settle the
    payout (a refund after the transfer reverses the host's part). Returns how many were recorded."""
    recorded = 0
    for _ in range(MAX_ROUNDS):
        m = find(booking_id)
        if m is None:
            return recorded
        known = set(m.refs or ())
        missing = [r for r in stripe_gateway.list_refunds(m.payment_intent_id)
                   if r.get("status") == "succeeded" and r["id"] not in known]
        if not missing:
            break
        refund = sorted(missing, key=lambda r: (int(r.get("created") or 0), str(r["id"])))[0]
        amount = int(refund["amount"])
        try:
            after, entries = domain.refund(balance_of(m), amount)
        except domain.MoneyError:
            logger.error("refund beyond the charge", extra={"booking_id": booking_id, "refund_id": refund["id"]})
            return recorded
        reason = str((refund.get("metadata") or {}).get("reason") or refund.get("reason") or "refund")
        if _commit(m, after, entries, str(refund["id"]), reason=reason, publish=[(
                "payment.refunded", str(refund["id"]), _payload(m, amount, reason=reason, refund_id=refund["id"]))]):
            recorded += 1
    settle_quietly(booking_id)
    return recorded


def refund(booking_id: str, amount: int, *, reason: str, key: str) -> MoneyItem:
    """Refund `amount` (at most what remains) of the booking's charge at Stripe, then record it."""
    m = find(booking_id)
    if m is None or not m.charged:
        raise Conflict("The booking has no charge to refund.", code="not_charged")
    remaining = balance_of(m).refundable
    if amount > remaining:
        raise Conflict(f"At most {remaining} can be refunded.", code="refund_exceeds_remaining",
                       extra={"refundable": remaining})
    stripe_gateway.refund_with_reason(m.payment_intent_id, amount, reason=reason, key=key)
    sync_refunds(booking_id)
    return find(booking_id) or m


# Disputes


def sync_dispute(dispute_id: str) -> str | None:
    """Record what Stripe says of the dispute now: its debit when first seen (the booking flagged,
    `dispute.opened`), its outcome once closed (a credit when won, `dispute.closed`); then settle.
    Returns the booking's id (None for a dispute about a charge that is not a booking's)."""
    from chalicelib.booking.models import BookingItem, booking_pk

    dispute = stripe_gateway.retrieve_dispute(dispute_id)
    intent_id = dispute.get("payment_intent")
    if not intent_id and dispute.get("charge"):
        intent_id = stripe_gateway.retrieve_charge(str(dispute["charge"])).get("payment_intent")
    if not intent_id:
        return None
    booking_id = stripe_gateway.retrieve_payment_intent(str(intent_id)).metadata.get("booking_id")
    if not booking_id:
        return None
    amount, status = int(dispute["amount"]), str(dispute["status"])
    reason = str(dispute.get("reason") or "general")
    outcome = status if status in ("won", "lost") else None
    for _ in range(MAX_ROUNDS):
        m = find(booking_id)
        if m is None:
            return booking_id
        known = set(m.refs or ())
        opened, closed = f"{dispute_id}:debit" in known, f"{dispute_id}:closed" in known
        if not opened:
            after, entries = domain.dispute_debit(balance_of(m), min(amount, balance_of(m).received) or amount)
            flag = BookingItem(booking_pk(booking_id), "BOOKING")

            def flag_booking(tx: TransactWrite, item: BookingItem = flag) -> None:
                tx.update(item, actions=[BookingItem.disputed.set(True)])

            done = _commit(
                m, after, entries, f"{dispute_id}:debit", reason=reason,
                extra=[MoneyItem.dispute_id.set(dispute_id), MoneyItem.dispute_status.set("open"),
                       MoneyItem.dispute_reason.set(reason)],
                publish=[("dispute.opened", dispute_id, _payload(m, amount, dispute_id=dispute_id, reason=reason))],
                also=flag_booking,
            )
        elif outcome and not closed:
            b = balance_of(m)
            credit: list[domain.Entry] = []
            if outcome == "won" and b.withheld:
                b, credit = domain.dispute_credit(b, min(amount, b.withheld))
            done = _commit(
                m, b, credit, f"{dispute_id}:closed", reason=outcome,
                extra=[MoneyItem.dispute_status.set(outcome)],
                publish=[("dispute.closed", dispute_id, _payload(m, amount, dispute_id=dispute_id, outcome=outcome))],
            )
        else:
            break
        if not done:
            continue
    settle_quietly(booking_id)
    return booking_id


# Payouts


def _due(booking_id: str, m: MoneyItem) -> bool:
    from chalicelib.booking.models import BookingItem, booking_pk

    if m.payout_due_at is None or clock.now() < m.payout_due_at:
        return False
    try:
        booking = BookingItem.get(booking_pk(booking_id), "BOOKING", consistent_read=True)
    except BookingItem.DoesNotExist:
        return False
    return booking.state in COMPLETED_STATES


def mark_due(booking_id: str) -> None:
    """The payout timer fired: the host's payout is due from now on (kept for earnings and settle)."""
    for _ in range(MAX_ROUNDS):
        m = find(booking_id)
        if m is None or m.payout_due_at is not None:
            return
        try:
            m.update(actions=[MoneyItem.payout_due_at.set(clock.now()), MoneyItem.rev.set(int(m.rev or 0) + 1)],
                     condition=MoneyItem.rev == int(m.rev or 0))
            return
        except UpdateError as exc:  # a concurrent movement: read again
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise


def _sync_transfers(m: MoneyItem) -> tuple[bool, list[dict[str, Any]]]:
    """Record the first transfer or reversal Stripe has that the ledger lacks. (recorded?, transfers)"""
    known = set(m.refs or ())
    transfers = sorted(stripe_gateway.list_transfers(m.booking_id),
                       key=lambda t: (int(t.get("created") or 0), str(t["id"])))
    for t in transfers:
        if t["id"] not in known:
            after, entries = domain.transfer(balance_of(m), int(t["amount"]))
            sent = _payload(m, int(t["amount"]), transfer_id=t["id"])
            sent.pop("player_id")
            _commit(m, after, entries, str(t["id"]), publish=[("payout.sent", str(t["id"]), sent)])
            return True, transfers
        for r in (t.get("reversals") or {}).get("data") or []:
            if r["id"] not in known:
                after, entries = domain.reversal(balance_of(m), int(r["amount"]))
                _commit(m, after, entries, str(r["id"]), publish=[(
                    "payout.reversed", str(r["id"]),
                    _payload(m, int(r["amount"]), transfer_id=t["id"], reversal_id=r["id"]))])
                return True, transfers
    return False, transfers


def settle(booking_id: str) -> int:
    """Move the host's payout to its target; returns the net amount moved (+ transferred, - reversed).
    Raises PayoutBlocked when a due transfer cannot be made (the timer retries later)."""
    from chalicelib.payments import accounts

    moved = 0
    for _ in range(MAX_ROUNDS * 2):
        m = find(booking_id)
        if m is None:
            return moved
        recorded, transfers = _sync_transfers(m)
        if recorded:
            continue
        b = balance_of(m)
        move = domain.payout_move(b, due=_due(booking_id, m), dispute_open=m.dispute_status == "open")
        if move > 0:
            account = accounts.find(m.host_id)
            if account is None or not account.payouts_enabled:
                raise PayoutBlocked(f"payouts of host {m.host_id} are not enabled")
            stripe_gateway.create_transfer(
                amount=move, currency=m.currency, destination=account.account_id,
                source_transaction=stripe_gateway.latest_charge_id(m.payment_intent_id), transfer_group=booking_id,
                booking_id=booking_id, key=f"transfer-{booking_id}-{len(transfers)}",
            )
        elif move < 0:
            remaining = -move
            for t in reversed(transfers):
                left = int(t["amount"]) - int(t.get("amount_reversed") or 0)
                if left <= 0:
                    continue
                take = min(left, remaining)
                count = len((t.get("reversals") or {}).get("data") or [])
                stripe_gateway.create_reversal(str(t["id"]), take, key=f"reversal-{t['id']}-{count}")
                break
        else:
            return moved
        moved += move
    logger.warning("settle did not converge", extra={"booking_id": booking_id})
    return moved


def settle_quietly(booking_id: str) -> None:
    """Settle after a refund or a dispute: a payout that must wait for the host is the payout
    timer's (or the next account.updated's) business, not a reason to fail the caller."""
    try:
        settle(booking_id)
    except PayoutBlocked:
        logger.info("payout waits for the host's payouts", extra={"booking_id": booking_id})


def release_payout(booking_id: str) -> None:
    """The payout timer: due from now on; transfer (or wait for a dispute)."""
    mark_due(booking_id)
    settle(booking_id)


def due_and_unpaid(host_id: str) -> list[str]:
    """The host's bookings whose payout is due and not (fully) made: one Query on GSI2."""
    found = []
    for m in MoneyItem.gsi2.query(host_money_pk(host_id)):
        if isinstance(m, MoneyItem) and m.payout_due_at is not None and balance_of(m).held > 0:
            found.append(m.booking_id)
    return found
