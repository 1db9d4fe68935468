"""Daily reconciliation: yesterday's ledger against Stripe's charges, refunds, transfers and disputes,
healing what it can.

The ledger side is one Query per day (GSI3 `LEDGERDAY#<yyyy-mm-dd>`, entries dated by Stripe's time
for the movement); the Stripe side lists the objects created that day. Every difference that belongs
to a payment of ours (a refund made in the Stripe dashboard, a dispute whose webhook never came, a
transfer recorded nowhere) is healed through the convergence rule — the payment is read back from
Stripe and its books and booking brought to match — then the day is compared again. Only what is
still different is reported: a log line ("reconciliation difference": kind, what, reference,
amounts) and a count in the metric `ReconciliationDifferences` (dimension-free, plus one metric per
kind: `ReconciliationDifferences.charge` ...), so an alarm on the sum catches any of them.

Differences it reports:
- `missing_in_ledger`: Stripe has it, our ledger does not, and converging did not record it (a
  charge on a PaymentIntent that is no booking's, or a movement the books cannot take);
- `missing_at_stripe`: our ledger has it, Stripe does not (never happened at Stripe);
- `amount_mismatch`: both have it with different amounts (a dispute may be recorded for less than
  Stripe's amount: only the part of the charge not already refunded is withheld).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.core import clock
from chalicelib.core.exceptions import ProblemError
from chalicelib.core.observability import logger, metrics
from chalicelib.payments import convergence, domain, ledger, stripe_gateway
from chalicelib.payments.facts import dispute_fact, ref
from chalicelib.payments.models import LedgerItem, ledger_day_pk

KINDS = ("charge", "refund", "transfer", "dispute")


@dataclass(frozen=True)
class Difference:
    kind: str  # charge | refund | transfer | dispute
    what: str  # missing_in_ledger | missing_at_stripe | amount_mismatch
    reference: str
    ledger_amount: int | None
    stripe_amount: int | None


@dataclass
class Report:
    day: str
    compared: dict[str, int] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)
    healed: int = 0  # payments whose books a difference made converge (they now match Stripe)


def _ledger(day: date) -> dict[str, dict[str, int]]:
    """kind → reference → amount, from the day's ledger entries."""
    out: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
    wanted = {
        domain.CHARGE: "charge",
        domain.REFUND: "refund",
        domain.TRANSFER: "transfer",
        domain.DISPUTE_DEBIT: "dispute",
    }
    for entry in LedgerItem.gsi3.query(ledger_day_pk(day.isoformat())):
        if isinstance(entry, LedgerItem) and entry.entry_type in wanted:
            kind = wanted[entry.entry_type]
            reference = entry.reference.removesuffix(":debit")
            out[kind][reference] = out[kind].get(reference, 0) + int(entry.amount)
    return out


@dataclass
class _StripeDay:
    sides: dict[str, dict[str, int]]
    intents: dict[tuple[str, str], str]  # (kind, reference) → the PaymentIntent it belongs to


def _intent_of_charge(charge_id: str | None, cache: dict[str, str | None]) -> str | None:
    if not charge_id:
        return None
    if charge_id not in cache:
        cache[charge_id] = ref(stripe_gateway.retrieve_charge(charge_id).get("payment_intent"))
    return cache[charge_id]


def _stripe(day: date) -> _StripeDay:
    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    end = start + 24 * 3600
    found = _StripeDay({kind: {} for kind in KINDS}, {})
    charges: dict[str, str | None] = {}
    for c in stripe_gateway.list_created_between("charges", start, end):
        intent = ref(c.get("payment_intent"))
        charges[str(c["id"])] = intent
        if c.get("status") == "succeeded" and c.get("captured", True) and intent:
            # our ledger names a charge by its PaymentIntent
            found.sides["charge"][intent] = int(c.get("amount_captured") or c["amount"])
            found.intents[("charge", intent)] = intent
    for r in stripe_gateway.list_created_between("refunds", start, end):
        if r.get("status") == "succeeded":
            found.sides["refund"][str(r["id"])] = int(r["amount"])
            intent = ref(r.get("payment_intent")) or _intent_of_charge(ref(r.get("charge")), charges)
            if intent:
                found.intents[("refund", str(r["id"]))] = intent
    for t in stripe_gateway.list_created_between("transfers", start, end):
        found.sides["transfer"][str(t["id"])] = int(t["amount"])
        group = t.get("transfer_group") or (t.get("metadata") or {}).get("booking_id")
        m = ledger.find(str(group), consistent=False) if group else None
        if m is not None:
            found.intents[("transfer", str(t["id"]))] = m.payment_intent_id
    for raw in stripe_gateway.list_created_between("disputes", start, end):
        d = dispute_fact(raw)
        if d.withdrawn:
            found.sides["dispute"][d.dispute_id] = d.amount
            intent = ref(raw.get("payment_intent")) or _intent_of_charge(ref(raw.get("charge")), charges)
            if intent:
                found.intents[("dispute", d.dispute_id)] = intent
    return found


def compare(ledger_side: dict[str, dict[str, int]], stripe: dict[str, dict[str, int]]) -> list[Difference]:
    """Pure: every difference between the two sides, per kind and reference. A dispute recorded for
    less than Stripe's amount is no difference (only what was not refunded yet is withheld)."""
    found: list[Difference] = []
    for kind in KINDS:
        ours, theirs = ledger_side.get(kind, {}), stripe.get(kind, {})
        for reference in sorted(set(ours) | set(theirs)):
            mine, other = ours.get(reference), theirs.get(reference)
            if mine is None:
                found.append(Difference(kind, "missing_in_ledger", reference, None, other))
            elif other is None:
                found.append(Difference(kind, "missing_at_stripe", reference, mine, None))
            elif mine != other and not (kind == "dispute" and mine < other):
                found.append(Difference(kind, "amount_mismatch", reference, mine, other))
    return found


def _heal(differences: list[Difference], intents: dict[tuple[str, str], str]) -> int:
    """Converge every payment a difference belongs to; returns how many it changed."""
    healed = 0
    for intent_id in sorted(
        {
            intents[(d.kind, d.reference)]
            for d in differences
            if d.what != "missing_at_stripe" and (d.kind, d.reference) in intents
        }
    ):
        try:
            healed += convergence.converge(intent_id, transfers=True).changed
        except ProblemError as exc:  # Stripe or DynamoDB unavailable: tomorrow's run tries again
            logger.warning(
                "reconciliation could not converge a payment", extra={"payment_intent_id": intent_id, "error": str(exc)}
            )
    return healed


def run(day: date | None = None) -> Report:
    """Reconcile `day` (default: yesterday, UTC, on the movable clock): heal, then report what is left."""
    day = day or (clock.now() - timedelta(days=1)).date()
    stripe = _stripe(day)
    report = Report(day=day.isoformat(), compared={k: len(v) for k, v in stripe.sides.items()})
    differences = compare(_ledger(day), stripe.sides)
    if differences:
        report.healed = _heal(differences, stripe.intents)
        differences = compare(_ledger(day), stripe.sides) if report.healed else differences
    report.differences = differences
    for d in report.differences:
        logger.warning("reconciliation difference", extra={"reconciliation": _fields(d, report.day)})
        metrics.add_metric(name=f"ReconciliationDifferences.{d.kind}", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ReconciliationDifferences", unit=MetricUnit.Count, value=len(report.differences))
    metrics.flush_metrics()
    logger.info(
        "reconciliation done",
        extra={
            "reconciliation": {
                "day": report.day,
                "compared": report.compared,
                "healed": report.healed,
                "differences": len(report.differences),
            }
        },
    )
    return report


def _fields(d: Difference, day: str) -> dict[str, Any]:
    return {
        "day": day,
        "kind": d.kind,
        "what": d.what,
        "reference": d.reference,
        "ledger_amount": d.ledger_amount,
        "stripe_amount": d.stripe_amount,
    }
