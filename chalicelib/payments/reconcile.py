"""Daily reconciliation: yesterday's ledger against Stripe's charges, refunds and transfers.

The ledger side is one Query per day (GSI3 `LEDGERDAY#<yyyy-mm-dd>`); the Stripe side lists the
objects created that day. Each difference is a log line ("reconciliation difference": kind, what,
reference, amounts) and a count in the metric `ReconciliationDifferences` (dimension-free, plus one
metric per kind: `ReconciliationDifferences.charge` ...), so an alarm on the sum catches any of them.

Differences it reports:
- `missing_in_ledger`: Stripe has it, our ledger does not (a webhook lost for good, a bug);
- `missing_at_stripe`: our ledger has it, Stripe does not (never happened at Stripe);
- `amount_mismatch`: both have it with different amounts.

A Stripe object recorded on the day after it was created (a late webhook around midnight) appears
as a pair of differences on two days; the operator's runbook (docs/PAYMENTS.md) says how to read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.core import clock
from chalicelib.core.observability import logger, metrics
from chalicelib.payments import domain, stripe_gateway
from chalicelib.payments.models import LedgerItem, ledger_day_pk


@dataclass(frozen=True)
class Difference:
    kind: str  # charge | refund | transfer
    what: str  # missing_in_ledger | missing_at_stripe | amount_mismatch
    reference: str
    ledger_amount: int | None
    stripe_amount: int | None


@dataclass
class Report:
    day: str
    compared: dict[str, int] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)


def _ledger(day: date) -> dict[str, dict[str, int]]:
    """kind → reference → amount, from the day's ledger entries."""
    out: dict[str, dict[str, int]] = {"charge": {}, "refund": {}, "transfer": {}}
    wanted = {domain.CHARGE: "charge", domain.REFUND: "refund", domain.TRANSFER: "transfer"}
    for entry in LedgerItem.gsi3.query(ledger_day_pk(day.isoformat())):
        if isinstance(entry, LedgerItem) and entry.entry_type in wanted:
            kind = wanted[entry.entry_type]
            out[kind][entry.reference] = out[kind].get(entry.reference, 0) + int(entry.amount)
    return out


def _stripe(day: date) -> dict[str, dict[str, int]]:
    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    end = start + 24 * 3600
    charges: dict[str, int] = {}
    for c in stripe_gateway.list_created_between("charges", start, end):
        if c.get("status") == "succeeded" and c.get("captured", True) and c.get("payment_intent"):
            # our ledger names a charge by its PaymentIntent
            charges[str(c["payment_intent"])] = int(c["amount"])
    refunds = {str(r["id"]): int(r["amount"]) for r in stripe_gateway.list_created_between("refunds", start, end)
               if r.get("status") == "succeeded"}
    transfers = {str(t["id"]): int(t["amount"]) for t in stripe_gateway.list_created_between("transfers", start, end)}
    return {"charge": charges, "refund": refunds, "transfer": transfers}


def compare(ledger: dict[str, dict[str, int]], stripe: dict[str, dict[str, int]]) -> list[Difference]:
    """Pure: every difference between the two sides, per kind and reference."""
    found: list[Difference] = []
    for kind in ("charge", "refund", "transfer"):
        ours, theirs = ledger.get(kind, {}), stripe.get(kind, {})
        for ref in sorted(set(ours) | set(theirs)):
            mine, other = ours.get(ref), theirs.get(ref)
            if mine is None:
                found.append(Difference(kind, "missing_in_ledger", ref, None, other))
            elif other is None:
                found.append(Difference(kind, "missing_at_stripe", ref, mine, None))
            elif mine != other:
                found.append(Difference(kind, "amount_mismatch", ref, mine, other))
    return found


def run(day: date | None = None) -> Report:
    """Reconcile `day` (default: yesterday, UTC, on the movable clock)."""
    day = day or (clock.now() - timedelta(days=1)).date()
    ledger, stripe = _ledger(day), _stripe(day)
    report = Report(day=day.isoformat(), compared={k: len(v) for k, v in stripe.items()})
    report.differences = compare(ledger, stripe)
    for d in report.differences:
        logger.warning("reconciliation difference", extra={"reconciliation": _fields(d, report.day)})
        metrics.add_metric(name=f"ReconciliationDifferences.{d.kind}", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ReconciliationDifferences", unit=MetricUnit.Count, value=len(report.differences))
    metrics.flush_metrics()
    logger.info("reconciliation done", extra={"reconciliation": {"day": report.day, "compared": report.compared,
                                                                  "differences": len(report.differences)}})
    return report


def _fields(d: Difference, day: str) -> dict[str, Any]:
    return {"day": day, "kind": d.kind, "what": d.what, "reference": d.reference,
            "ledger_amount": d.ledger_amount, "stripe_amount": d.stripe_amount}
