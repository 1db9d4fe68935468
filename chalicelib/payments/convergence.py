"""The convergence rule, the one way money facts enter the books.

On any event or timer touching a payment, `converge(intent_id)` reads the PaymentIntent, its charge,
the charge's refunds and disputes and (when a payout may exist) the transfers of its group back from
Stripe, and brings the payment's books and its owner (the booking) to match them in one
transaction, whatever was recorded before:

- nothing in an event's body is trusted but the id of the object it names;
- every movement Stripe shows and the ledger lacks is recorded, in the order it happened, once
  (ledger entries are keyed by the Stripe object); a charge is recorded from the intent whichever
  event arrives first, so a refund or a dispute delivered before `payment_intent.succeeded` is not
  lost, and a duplicate, late or reordered delivery ends in the same books;
- the owner follows in the same transaction (a booking is confirmed, marked refunded, disputed...);
- a payment that is not what its owner asked for (another intent, another amount or currency)
  changes nothing and is reported (log line + metric `PaymentMismatches`).

Then the host's payout is settled (payouts.settle) when a refund or a dispute moved its target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.core import conditional
from chalicelib.core.exceptions import Conflict
from chalicelib.core.observability import logger, metrics
from chalicelib.payments import domain, ledger, payables, stripe_gateway
from chalicelib.payments.facts import PaymentFacts
from chalicelib.payments.models import MoneyItem
from chalicelib.payments.payables import Expected, PaymentView

MAX_ROUNDS = 8


@dataclass(frozen=True)
class Converged:
    subject_id: str | None  # None: the payment is nobody's (not a booking's), nothing was done
    changed: bool
    money: MoneyItem | None
    facts: PaymentFacts | None


NOBODYS = Converged(None, False, None, None)


def report(what: str, **fields: Any) -> None:
    """Something about money we cannot explain or accept: a warning line and a count to alarm on."""
    logger.warning(what, extra={"payment_anomaly": fields})
    metrics.add_metric(name="PaymentMismatches", unit=MetricUnit.Count, value=1)


def _untrusted(expected: Expected | None, facts: PaymentFacts) -> str | None:
    if expected is None:
        return "no such payable"
    if expected.intent_id != facts.intent_id:
        return "the payable's payment is another PaymentIntent"
    if facts.amount != expected.amount or facts.currency != expected.currency.lower():
        return "the PaymentIntent's amount or currency is not the payable's"
    if facts.amount_received and facts.amount_received != expected.amount:
        return "the amount received is not the payable's price"
    return None


def view_of(facts: PaymentFacts, after: domain.Balance, dispute: tuple[str, str, str] | None) -> PaymentView:
    return PaymentView(
        intent_id=facts.intent_id,
        intent_status=facts.status,
        failed=facts.failed,
        charged=after.charged > 0,
        amount_received=facts.amount_received,
        money_status=domain.money_status(after, dispute[1] if dispute else None),
        refunded=after.refunded,
        disputed=dispute is not None,
    )


def converge(intent_id: str, *, transfers: bool = False, settle: bool = True) -> Converged:
    """Bring the payment of `intent_id` and its owner to what Stripe says now (see the module)."""
    intent = stripe_gateway.retrieve_intent(intent_id)
    found = payables.owner_for(intent.get("metadata"))
    if found is None:
        logger.info("payment without a payable", extra={"payment_intent_id": intent_id})
        return NOBODYS
    owner, subject = found
    m = ledger.find(subject)
    if m is not None and m.payment_intent_id != intent_id:
        report(
            "a second payment for one payable",
            subject_id=subject,
            payment_intent_id=intent_id,
            recorded_payment_intent_id=m.payment_intent_id,
        )
        return Converged(subject, False, m, None)
    with_transfers = transfers or (m is not None and (m.payout_due_at is not None or int(m.transferred or 0) > 0))
    facts = stripe_gateway.facts_of(intent, transfers=with_transfers)
    changed = False
    for _ in range(MAX_ROUNDS):
        expected = owner.expected(subject)
        problem = _untrusted(expected, facts)
        if problem or expected is None:
            report(
                problem or "no such payable",
                subject_id=subject,
                payment_intent_id=intent_id,
                amount=facts.amount,
                currency=facts.currency,
                amount_received=facts.amount_received,
            )
            return Converged(subject, changed, m, facts)
        p = domain.plan(
            ledger.balance_of(m), set(m.refs or ()) if m else set(), facts, ledger.rule_of(m, facts.currency)
        )
        for movement, why in p.refused:
            report(
                "a Stripe movement the books cannot take",
                subject_id=subject,
                reference=movement.reference,
                kind=movement.kind,
                amount=movement.amount,
                why=why,
            )
        recorded = (
            (m.dispute_id, m.dispute_status or "open", m.dispute_reason or "general")
            if m is not None and m.dispute_id
            else None
        )
        dispute = domain.merge_dispute(recorded, domain.dispute_state(facts))
        view = view_of(facts, p.after, dispute)

        def build(
            tx: Any,
            e: Expected = expected,
            money: MoneyItem | None = m,
            pl: domain.Plan = p,
            d: tuple[str, str, str] | None = dispute,
            v: PaymentView = view,
        ) -> bool:
            wrote = ledger.changes(money, pl, d)
            if wrote:
                ledger.record(
                    tx,
                    money,
                    pl,
                    booking_id=subject,
                    host_id=e.host_id,
                    player_id=e.player_id,
                    intent_id=facts.intent_id,
                    currency=facts.currency,
                    dispute=d,
                )
            return owner.apply(tx, e, v) or wrote

        try:
            acted = conditional.run(build)
        except conditional.Refused:
            m = ledger.find(subject)  # someone else moved the money or the owner: read again, decide again
            continue
        m = ledger.find(subject) if acted else m
        changed = changed or acted
        if not p.pending:
            break
        # more movements than one transaction takes: the next round records the rest
    else:
        if not changed:
            raise Conflict("The payment changed too often meanwhile; try again.", code="busy")
    if settle and m is not None:
        from chalicelib.payments import payouts

        payouts.settle_quietly(subject, m)
    return Converged(subject, changed, m, facts)
