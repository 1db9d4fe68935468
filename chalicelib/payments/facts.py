"""What Stripe says of one payment, as plain values: the PaymentIntent, its charge, the charge's
refunds and disputes, and the transfers of its transfer group.

Built from Stripe's objects in the API's own shapes (dicts, as the SDK's `to_dict()` returns them;
`tests/data/stripe/fixtures3.json` holds Stripe's examples). Fields Stripe may leave null or send
as an id or an expanded object (`latest_charge`, `charge`, `payment_intent`) are read either way.
Nothing here does I/O: `stripe_gateway.read_facts` fetches, this module only reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Dispute statuses. An inquiry (`warning_*`) withdraws no money; `prevented` never became a dispute.
DISPUTE_NO_FUNDS = frozenset({"warning_needs_response", "warning_under_review", "warning_closed", "prevented"})
DISPUTE_OUTCOMES = frozenset({"won", "lost"})


def ref(value: Any) -> str | None:
    """An id Stripe sends as a string, or as the expanded object carrying it, or null."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return str(value) if value else None


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | str) and str(value).lstrip("-").isdigit() else 0


@dataclass(frozen=True)
class RefundFact:
    refund_id: str
    amount: int
    status: str  # pending | requires_action | succeeded | failed | canceled
    created: int
    reason: str | None
    key: str | None  # our idempotency key (metadata `sesh_key`) when we made it

    @property
    def counts(self) -> bool:
        """Money that left (or is leaving) the platform: anything but a failed or canceled refund."""
        return self.status not in ("failed", "canceled")


@dataclass(frozen=True)
class DisputeFact:
    dispute_id: str
    amount: int
    status: str
    reason: str
    created: int
    closed_at: int | None  # when the funds came back (a won dispute's reinstatement), if Stripe says

    @property
    def withdrawn(self) -> bool:
        """A real dispute: Stripe took the amount from the platform's balance when it opened."""
        return self.status not in DISPUTE_NO_FUNDS

    @property
    def outcome(self) -> str | None:
        return self.status if self.status in DISPUTE_OUTCOMES else None

    @property
    def open(self) -> bool:
        return self.withdrawn and self.outcome is None


@dataclass(frozen=True)
class ReversalFact:
    reversal_id: str
    amount: int
    created: int


@dataclass(frozen=True)
class TransferFact:
    transfer_id: str
    amount: int
    created: int
    reversals: tuple[ReversalFact, ...]

    @property
    def remaining(self) -> int:
        return self.amount - sum(r.amount for r in self.reversals)


@dataclass(frozen=True)
class PaymentFacts:
    intent_id: str
    status: str  # Stripe's PaymentIntent status
    amount: int
    currency: str
    amount_received: int
    amount_capturable: int
    metadata: Mapping[str, str]
    created: int
    failed: bool  # the last attempt failed (the player may try another card)
    charge_id: str | None
    charge_created: int | None
    refunds: tuple[RefundFact, ...] = ()
    disputes: tuple[DisputeFact, ...] = ()
    transfers: tuple[TransferFact, ...] | None = None  # None: not read this time

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded" and self.amount_received > 0

    @property
    def authorized(self) -> bool:
        return self.status == "requires_capture"

    @property
    def canceled(self) -> bool:
        return self.status == "canceled"

    @property
    def refunded_at_stripe(self) -> int:
        return sum(r.amount for r in self.refunds if r.counts)

    @property
    def refundable_at_stripe(self) -> int:
        """What Stripe would still let us refund: nothing while a dispute is open or after one was lost."""
        if any(d.withdrawn and d.outcome != "won" for d in self.disputes):
            return 0
        return max(0, self.amount_received - self.refunded_at_stripe)

    def refund_made_with(self, key: str) -> RefundFact | None:
        return next((r for r in self.refunds if r.key == key), None)


def refund_fact(obj: Mapping[str, Any]) -> RefundFact:
    metadata = obj.get("metadata") or {}
    return RefundFact(
        refund_id=str(obj["id"]),
        amount=_int(obj.get("amount")),
        status=str(obj.get("status") or "succeeded"),
        created=_int(obj.get("created")),
        reason=str(metadata.get("reason") or obj.get("reason") or "") or None,
        key=str(metadata["sesh_key"]) if metadata.get("sesh_key") else None,
    )


def dispute_fact(obj: Mapping[str, Any]) -> DisputeFact:
    reinstated = [
        _int(t.get("created"))
        for t in obj.get("balance_transactions") or []
        if isinstance(t, Mapping) and _int(t.get("amount")) > 0
    ]
    return DisputeFact(
        dispute_id=str(obj["id"]),
        amount=_int(obj.get("amount")),
        status=str(obj.get("status") or "needs_response"),
        reason=str(obj.get("reason") or "general"),
        created=_int(obj.get("created")),
        closed_at=max(reinstated) if reinstated else None,
    )


def transfer_fact(obj: Mapping[str, Any]) -> TransferFact:
    listed = (obj.get("reversals") or {}).get("data") or []
    return TransferFact(
        transfer_id=str(obj["id"]),
        amount=_int(obj.get("amount")),
        created=_int(obj.get("created")),
        reversals=tuple(
            ReversalFact(str(r["id"]), _int(r.get("amount")), _int(r.get("created")))
            for r in listed
            if isinstance(r, Mapping)
        ),
    )


def payment_facts(
    intent: Mapping[str, Any],
    charge: Mapping[str, Any] | None = None,
    refunds: Sequence[Mapping[str, Any]] = (),
    disputes: Sequence[Mapping[str, Any]] = (),
    transfers: Sequence[Mapping[str, Any]] | None = None,
) -> PaymentFacts:
    """The facts of one PaymentIntent. `charge` defaults to an expanded `latest_charge`."""
    latest = intent.get("latest_charge")
    if charge is None and isinstance(latest, Mapping):
        charge = latest
    status = str(intent.get("status") or "")
    received = _int(intent.get("amount_received"))
    if not received and status == "succeeded" and charge is not None:  # older shapes: the charge says
        received = _int(charge.get("amount_captured")) or _int(charge.get("amount"))
    return PaymentFacts(
        intent_id=str(intent["id"]),
        status=status,
        amount=_int(intent.get("amount")),
        currency=str(intent.get("currency") or "").lower(),
        amount_received=received,
        amount_capturable=_int(intent.get("amount_capturable")),
        metadata={str(k): str(v) for k, v in (intent.get("metadata") or {}).items()},
        created=_int(intent.get("created")),
        failed=status == "requires_payment_method" and bool(intent.get("last_payment_error")),
        charge_id=ref(latest) or (ref(charge) if charge is not None else None),
        charge_created=_int(charge.get("created")) if charge is not None else None,
        refunds=tuple(sorted((refund_fact(r) for r in refunds), key=lambda r: (r.created, r.refund_id))),
        disputes=tuple(sorted((dispute_fact(d) for d in disputes), key=lambda d: (d.created, d.dispute_id))),
        transfers=None
        if transfers is None
        else tuple(sorted((transfer_fact(t) for t in transfers), key=lambda t: (t.created, t.transfer_id))),
    )
