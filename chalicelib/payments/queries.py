"""Reading money: a user's transactions (the ledger), a host's earnings, a booking's receipt."""

from __future__ import annotations

from chalicelib.core import clock
from chalicelib.core.auth import Principal
from chalicelib.core.money import Money
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.core.table import BaseItem
from chalicelib.payments import domain, payout_accounts, schemas
from chalicelib.payments.ledger import balance_of
from chalicelib.payments.models import (
    LedgerItem,
    MoneyItem,
    booking_money_pk,
    host_ledger_pk,
    host_money_pk,
    player_ledger_pk,
)


def payout_status(principal: Principal) -> schemas.PayoutStatusOut:
    account = payout_accounts.find(principal.user_id, consistent=False)
    if account is None:
        return schemas.PayoutStatusOut(
            onboarded=False, account_id=None, details_submitted=False, payouts_enabled=False, requirements_due=[]
        )
    return schemas.PayoutStatusOut(
        onboarded=True,
        account_id=account.account_id,
        details_submitted=bool(account.details_submitted),
        payouts_enabled=bool(account.payouts_enabled),
        requirements_due=[str(r) for r in (account.requirements_due or [])],
    )


def _effect(entry: LedgerItem, role: str) -> int:
    amount = int(entry.amount)
    if role == "player":
        return -amount if entry.entry_type == domain.CHARGE else amount
    return domain.signed_for_host(entry.entry_type, amount)


def transaction_out(entry: LedgerItem, role: str) -> schemas.TransactionOut:
    return schemas.TransactionOut(
        id=entry.entry_id,
        type=entry.entry_type,
        booking_id=entry.booking_id,
        amount=Money(amount=int(entry.amount), currency=entry.currency),
        effect=_effect(entry, role),
        reference=entry.reference,
        reason=entry.reason,
        occurred_at=clock.to_wire(entry.occurred_at),
    )


def transactions(principal: Principal, query: schemas.TransactionsQuery) -> Page:
    """The caller's ledger entries, newest first: one Query on GSI1 (player) or GSI2 (host)."""
    scope = f"transactions:{principal.user_id}:{query.role}"
    start = decode_cursor(query.cursor, scope)
    if query.role == "player":
        found = LedgerItem.gsi1.query(
            player_ledger_pk(principal.user_id), scan_index_forward=False, limit=query.limit, last_evaluated_key=start
        )
    else:
        found = LedgerItem.gsi2.query(
            host_ledger_pk(principal.user_id), scan_index_forward=False, limit=query.limit, last_evaluated_key=start
        )
    items = [transaction_out(e, query.role) for e in found if isinstance(e, LedgerItem)]
    return Page(items, encode_cursor(found.last_evaluated_key, scope))


def earnings(principal: Principal) -> schemas.EarningsList:
    """Per currency, from the host's booking money items (GSI2, every page)."""
    sums: dict[str, list[int]] = {}
    now = clock.now()
    for m in MoneyItem.gsi2.query(host_money_pk(principal.user_id)):
        if not isinstance(m, MoneyItem):
            continue
        b = balance_of(m)
        row = sums.setdefault(m.currency, [0, 0, 0])
        held = max(0, b.held)
        due = m.payout_due_at is not None and m.payout_due_at <= now and m.dispute_status != "open"
        row[1 if due else 0] += held
        row[2] += b.paid_out
    return schemas.EarningsList(
        items=[
            schemas.EarningsOut(currency=c, pending=v[0], available=v[1], paid_out=v[2])
            for c, v in sorted(sums.items())
        ]
    )


def receipt(booking_id: str, currency: str) -> schemas.ReceiptOut:
    """The payment's money and its ledger: one Query on the booking's partition, from `LEDGER#` on
    (the entries, then the money item). The caller checked who may read it."""
    money: MoneyItem | None = None
    lines: list[LedgerItem] = []
    for item in BaseItem.query(booking_money_pk(booking_id), BaseItem.SK >= "LEDGER#"):
        if isinstance(item, MoneyItem):
            money = item
        elif isinstance(item, LedgerItem):
            lines.append(item)
    b = balance_of(money)

    def m(amount: int) -> Money:
        return Money(amount=amount, currency=currency)

    # Entries of one change share an instant: list them in the order money moves (charge, then fee, ...).
    lines.sort(key=lambda e: (e.occurred_at, domain.ENTRY_TYPES.index(e.entry_type), e.entry_id))
    return schemas.ReceiptOut(
        booking_id=booking_id,
        currency=currency,
        charged=m(b.charged),
        platform_fee=m(b.fee_kept),
        fee_rule={
            "percent_bps": int(money.fee_percent_bps or 0) if money else 0,
            "fixed": int(money.fee_fixed or 0) if money else 0,
        },
        refunded=m(b.refunded),
        paid=m(b.received),
        host_share=m(b.host_share),
        paid_out=m(b.paid_out),
        dispute=money.dispute_status if money else None,
        lines=[
            schemas.ReceiptLine(
                type=e.entry_type,
                amount=m(int(e.amount)),
                reference=e.reference,
                reason=e.reason,
                occurred_at=clock.to_wire(e.occurred_at),
            )
            for e in lines
        ],
    )
