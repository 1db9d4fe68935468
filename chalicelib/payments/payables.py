"""What players pay for, seen from payments: a *payable* is owned by another package (a booking
today) and named in its PaymentIntent's metadata (`booking_id`). Payments converges the money; the
owner says what the payment should be (`Expected`) and follows the money in the same transaction
(`Owner.apply`), so the booking and its books never disagree.

Owners are named by the composition root (`chalicelib/wiring.py`, read on first use: metadata key →
owner), never imported from here: payments does not depend on the packages that use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from pynamodb.transactions import TransactWrite


@dataclass(frozen=True)
class Expected:
    """What the owner asked Stripe for; a payment that differs is not trusted."""

    subject_id: str
    intent_id: str | None
    amount: int
    currency: str
    host_id: str
    player_id: str
    state: Any = None  # the owner's item as it was read, handed back to `apply`


@dataclass(frozen=True)
class PaymentView:
    """The payment as the owner needs it, after this convergence."""

    intent_id: str
    intent_status: str  # Stripe's: requires_payment_method, requires_capture, succeeded, canceled...
    failed: bool  # the last attempt failed; the player may try another card
    charged: bool  # money was received (and is in the books)
    amount_received: int
    money_status: str | None  # paid | partially_refunded | refunded | disputed | dispute_lost | dispute_won
    refunded: int
    disputed: bool  # a dispute took money at some point

    @property
    def authorized(self) -> bool:
        return self.intent_status == "requires_capture"

    @property
    def canceled(self) -> bool:
        return self.intent_status == "canceled"


class Owner(Protocol):
    def expected(self, subject_id: str) -> Expected | None:
        """The payable as it is now (consistent read), or None when there is no such thing."""

    def apply(self, tx: TransactWrite, expected: Expected, view: PaymentView) -> bool:
        """Add the owner's changes for `view` to `tx`, conditional on the state `expected` was read
        in; False when nothing needs to change. Must not write the payment's money item."""


_owners: dict[str, Owner] = {}
WIRING = "chalicelib.wiring:payable_owners"  # the composition root's table, read on first use


def owner_for(metadata: dict[str, str] | Any) -> tuple[Owner, str] | None:
    """The owner of the payable a PaymentIntent's metadata names, and its subject id."""
    if not _owners:
        from chalicelib.core.lazy import resolve

        for key, owner in resolve(WIRING)().items():
            _owners.setdefault(key, owner)
    for key, owner in _owners.items():
        subject = (metadata or {}).get(key)
        if subject:
            return owner, str(subject)
    return None
