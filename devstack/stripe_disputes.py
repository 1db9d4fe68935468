"""Disputes for the Stripe emulator (localstripe has none), as Stripe's API has them, dev tooling only.

Installed by `devstack.stripe_emulator.extend()` before localstripe's server registers its routes:

- `GET /v1/disputes` (filters `payment_intent`, `charge`, `created`; newest first), `GET/POST /v1/disputes/{id}`
  (`evidence`, `metadata`, `submit=true` → `under_review`);
- a dispute has Stripe's statuses (`needs_response`, `under_review`, `won`, `lost`), its `charge` and
  `payment_intent` (real Stripe may leave `payment_intent` null), and `balance_transactions`: the amount
  withdrawn when it opens, reinstated when it is won;
- its charge is `disputed` from then on, and cannot be refunded while the dispute is open or once it is lost
  (devstack/stripe_payments.py); a charge has one dispute at most;
- signed events `charge.dispute.created`, `charge.dispute.updated`, `charge.dispute.closed`;
- dev controls, no key needed (under localstripe's unauthenticated `/_config/`):
  `POST /_config/disputes` (`payment_intent`, optional `amount`, `reason`) opens a dispute on the intent's
  latest charge, `POST /_config/disputes/{id}/close` (`outcome` won | lost).
"""

from __future__ import annotations

from typing import Any

from localstripe import resources
from localstripe.errors import UserError

from devstack.stripe_payments import emit, filter_created, newest_first, now, positive_int, stored

OPEN = ("needs_response", "under_review")
_INSTALLED = [False]


class Dispute(resources.StripeObject):  # type: ignore[misc, valid-type]
    object = "dispute"
    _id_prefix = "dp_"
    balance_transactions: Any = ()  # disputes stored before they had any

    def __init__(
        self, payment_intent: str | None = None, amount: Any = None, reason: str = "fraudulent", **kwargs: Any
    ) -> None:
        intent = resources.PaymentIntent._api_retrieve(payment_intent or "")
        charge = intent.latest_charge
        if charge is None or charge.status != "succeeded" or not charge.captured:
            raise UserError(400, "Only a succeeded, captured charge can be disputed")
        if any(d.charge == charge.id for d in stored("dispute")):
            raise UserError(400, f"Charge {charge.id} is already disputed")
        super().__init__()
        self.payment_intent = intent.id
        self.charge = charge.id
        self.amount = positive_int(amount, "amount") if amount is not None else charge.amount - charge.amount_refunded
        self.currency = charge.currency
        self.reason = reason
        self.status = "needs_response"
        self.evidence: dict[str, Any] = {}
        self.metadata: dict[str, Any] = {}
        self.is_charge_refundable = False
        self.balance_transactions = [self._movement(-self.amount, "dispute")]
        charge.disputed = True

    def _movement(self, amount: int, category: str) -> dict[str, Any]:
        """A balance transaction as Stripe embeds them in a dispute (withdrawn: negative; reinstated: positive)."""
        moment = now()
        return {
            "id": "txn_" + resources.random_id(24),
            "object": "balance_transaction",
            "amount": amount,
            "net": amount,
            "fee": 0,
            "currency": self.currency,
            "created": moment,
            "available_on": moment,
            "description": f"Chargeback {'withdrawal' if amount < 0 else 'reversal'} for {self.charge}",
            "reporting_category": category,
            "source": self.id,
            "status": "available",
            "type": "adjustment",
        }


def install() -> None:
    if _INSTALLED[0]:
        return
    _INSTALLED[0] = True

    def list_disputes(
        payment_intent: Any = None,
        charge: Any = None,
        created: Any = None,
        limit: Any = None,
        starting_after: Any = None,
        **data: Any,
    ) -> Any:
        items = stored("dispute")
        if payment_intent:
            items = [d for d in items if d.payment_intent == payment_intent]
        if charge:
            items = [d for d in items if d.charge == charge]
        li = resources.List("/v1/disputes", limit=limit, starting_after=starting_after)
        li._list = newest_first(filter_created(items, created))
        return li

    def retrieve_dispute(id: str, **data: Any) -> Any:
        return Dispute._api_retrieve(id)

    def update_dispute(id: str, evidence: Any = None, metadata: Any = None, submit: Any = None, **data: Any) -> Any:
        dispute = Dispute._api_retrieve(id)
        if dispute.status not in OPEN:
            raise UserError(400, "The dispute is closed")
        dispute.evidence.update(dict(evidence or {}))
        dispute.metadata.update(dict(metadata or {}))
        dispute.status = "under_review" if str(submit).lower() in ("true", "1") else dispute.status
        emit("charge.dispute.updated", dispute)
        return dispute

    def dev_open_dispute(**data: Any) -> Any:
        dispute = Dispute(**data)
        emit("charge.dispute.created", dispute)
        return dispute

    def dev_close_dispute(id: str, outcome: str | None = None, **data: Any) -> Any:
        dispute = Dispute._api_retrieve(id)
        if outcome not in ("won", "lost"):
            raise UserError(400, "outcome is won or lost")
        if dispute.status not in OPEN:
            raise UserError(400, "The dispute is closed")
        dispute.status = outcome
        if outcome == "won":
            reinstated = dispute._movement(dispute.amount, "dispute_reversal")
            dispute.balance_transactions = [*dispute.balance_transactions, reinstated]
        emit("charge.dispute.closed", dispute)
        return dispute

    resources.extra_apis[:0] = [
        ("GET", "/v1/disputes", list_disputes),
        ("GET", "/v1/disputes/{id}", retrieve_dispute),
        ("POST", "/v1/disputes/{id}", update_dispute),
        ("POST", "/_config/disputes", dev_open_dispute),
        ("POST", "/_config/disputes/{id}/close", dev_close_dispute),
    ]
