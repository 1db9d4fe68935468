"""The books of one payment: its money item (running totals, `domain.Balance`) and its immutable
ledger entries, written together in the caller's transaction.

- Each movement's entries are conditional puts keyed by the movement's reference (a Stripe id, or
  `<dispute>:debit` / `<dispute>:closed`), so a movement is in the ledger once, whoever records it.
- The money item is written conditional on the revision read (`rev`), so two writers never both
  add to the totals: the second reads again and finds the movement known.
- An entry is dated by Stripe's time for the movement (when the money moved, not when we learned of
  it), and indexed by that UTC day for the daily reconciliation.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.core import clock, events
from chalicelib.core.due_index import instant_key
from chalicelib.core.settings import get_settings
from chalicelib.payments import domain
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

# The event each movement publishes (subscribers in chalicelib/subscriptions.py).
EVENT_OF = {
    domain.CHARGE: "payment.charged",
    domain.REFUND: "payment.refunded",
    domain.DISPUTE_DEBIT: "dispute.opened",
    domain.DISPUTE_CLOSED: "dispute.closed",
    domain.TRANSFER: "payout.sent",
    domain.TRANSFER_REVERSAL: "payout.reversed",
}


def fee_rule(currency: str) -> domain.FeeRule:
    settings = get_settings()
    found = settings.platform_fees.get(currency.lower())
    if found is None:
        return domain.FeeRule(settings.platform_fee_bps, 0)
    return domain.FeeRule(int(found[0]), int(found[1]))


def rule_of(m: MoneyItem | None, currency: str) -> domain.FeeRule:
    """The fee rule stored with the money at its charge; the current setting before that."""
    if m is None:
        return fee_rule(currency)
    return domain.FeeRule(int(m.fee_percent_bps or 0), int(m.fee_fixed or 0))


def balance_of(m: MoneyItem | None) -> domain.Balance:
    if m is None:
        return domain.Balance()
    return domain.Balance(
        charged=int(m.charged or 0),
        fee=int(m.fee or 0),
        refunded=int(m.refunded or 0),
        debited=int(m.debited or 0),
        credited=int(m.credited or 0),
        transferred=int(m.transferred or 0),
        reversed=int(m.reversed or 0),
    )


def find(booking_id: str, *, consistent: bool = True) -> MoneyItem | None:
    try:
        return MoneyItem.get(booking_money_pk(booking_id), MONEY_SK, consistent_read=consistent)
    except MoneyItem.DoesNotExist:
        return None


def entry_id(booking_id: str, entry_type: str, reference: str) -> str:
    return "led_" + hashlib.sha256(f"{booking_id}\n{entry_type}\n{reference}".encode()).hexdigest()[:24]


def _moment(m: domain.Movement) -> datetime:
    return clock.now() if m.at >= domain.UNKNOWN_TIME or m.at <= 0 else datetime.fromtimestamp(m.at, UTC)


def _entries(tx: TransactWrite, owner: MoneyItem, r: domain.Recorded) -> None:
    when = _moment(r.movement)
    for entry in r.entries:
        eid = entry_id(owner.booking_id, entry.entry_type, r.movement.reference)
        item = LedgerItem(
            booking_money_pk(owner.booking_id),
            f"LEDGER#{entry.entry_type}#{r.movement.reference}",
            entry_id=eid,
            entry_type=entry.entry_type,
            booking_id=owner.booking_id,
            host_id=owner.host_id,
            player_id=owner.player_id,
            amount=entry.amount,
            currency=owner.currency,
            reference=r.movement.reference,
            reason=r.movement.reason,
            occurred_at=when,
        )
        order = f"{instant_key(when)}#{eid}"
        if entry.entry_type in domain.PLAYER_TYPES:
            item.GSI1PK, item.GSI1SK = player_ledger_pk(owner.player_id), order
        item.GSI2PK, item.GSI2SK = host_ledger_pk(owner.host_id), order
        item.GSI3PK, item.GSI3SK = ledger_day_pk(when.date().isoformat()), order
        tx.save(item, condition=LedgerItem.PK.does_not_exist())


def _publish(tx: TransactWrite, owner: MoneyItem, r: domain.Recorded) -> None:
    m = r.movement
    payload: dict[str, Any] = {
        "booking_id": owner.booking_id,
        "host_id": owner.host_id,
        "amount": m.amount,
        "currency": owner.currency,
    }
    if m.kind not in (domain.TRANSFER, domain.TRANSFER_REVERSAL):
        payload["player_id"] = owner.player_id
    if m.kind == domain.CHARGE:
        payload["payment_intent_id"] = m.reference
    elif m.kind == domain.REFUND:
        payload.update(refund_id=m.reference, reason=m.reason or "refund")
    elif m.kind == domain.DISPUTE_DEBIT:
        payload.update(dispute_id=m.dispute_id, reason=m.reason)
    elif m.kind == domain.DISPUTE_CLOSED:
        payload.update(dispute_id=m.dispute_id, outcome=m.outcome)
    elif m.kind == domain.TRANSFER:
        payload["transfer_id"] = m.reference
    else:
        payload["reversal_id"] = m.reference
    events.publish(tx, EVENT_OF[m.kind], subject=owner.booking_id, dedupe=m.reference, **payload)


def record(
    tx: TransactWrite,
    m: MoneyItem | None,
    plan: domain.Plan,
    *,
    booking_id: str,
    host_id: str,
    player_id: str,
    intent_id: str,
    currency: str,
    dispute: tuple[str, str, str] | None,
) -> MoneyItem | None:
    """Write what `plan` records into `tx`: the money item (created with the charge, otherwise updated
    conditional on its revision), one ledger entry per entry and one event per movement. Returns the
    money item the transaction writes (None when there is no money to write yet)."""
    a = plan.after
    known = {r.movement.reference for r in plan.recorded}
    if m is None:
        if not a.charged:
            return None
        rule = fee_rule(currency)
        m = MoneyItem(
            booking_money_pk(booking_id),
            MONEY_SK,
            booking_id=booking_id,
            host_id=host_id,
            player_id=player_id,
            currency=currency.lower(),
            payment_intent_id=intent_id,
            fee_percent_bps=rule.percent_bps,
            fee_fixed=rule.fixed,
            refs=known,
            rev=1,
            charged=a.charged,
            fee=a.fee,
            refunded=a.refunded,
            debited=a.debited,
            credited=a.credited,
            transferred=a.transferred,
            reversed=a.reversed,
        )
        if dispute:
            m.dispute_id, m.dispute_status, m.dispute_reason = dispute
        m.GSI2PK, m.GSI2SK = host_money_pk(host_id), f"{m.currency}#{booking_id}"
        tx.save(m, condition=MoneyItem.PK.does_not_exist())
    else:
        actions: list[Action] = [
            MoneyItem.charged.set(a.charged),
            MoneyItem.fee.set(a.fee),
            MoneyItem.refunded.set(a.refunded),
            MoneyItem.debited.set(a.debited),
            MoneyItem.credited.set(a.credited),
            MoneyItem.transferred.set(a.transferred),
            MoneyItem.reversed.set(a.reversed),
            MoneyItem.rev.set(int(m.rev or 0) + 1),
            MoneyItem.updated_at.set(clock.now()),
        ]
        if known:
            actions.append(MoneyItem.refs.add(known))
        if dispute:
            actions += [
                MoneyItem.dispute_id.set(dispute[0]),
                MoneyItem.dispute_status.set(dispute[1]),
                MoneyItem.dispute_reason.set(dispute[2]),
            ]
        tx.update(m, actions=actions, condition=MoneyItem.rev == int(m.rev or 0))
    for r in plan.recorded:
        _entries(tx, m, r)
        _publish(tx, m, r)
    return m


def changes(m: MoneyItem | None, plan: domain.Plan, dispute: tuple[str, str, str] | None) -> bool:
    """Does writing `plan` change anything (a movement, or the dispute's state)?"""
    if plan.recorded:
        return True
    if m is None or dispute is None:
        return False
    return (m.dispute_id, m.dispute_status, m.dispute_reason) != dispute


def set_payout_due(tx: TransactWrite, booking_id: str, due: datetime) -> None:
    """In the caller's transaction: the host's share is due from `due` (earnings and payouts follow).
    Only for a payment whose charge is recorded (the caller knows: its booking says it was paid)."""
    item = MoneyItem(booking_money_pk(booking_id), MONEY_SK)
    tx.update(item, actions=[MoneyItem.payout_due_at.set(due), MoneyItem.rev.add(1)], condition=MoneyItem.PK.exists())
