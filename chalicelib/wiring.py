"""Wires between packages that the packages themselves must not know: who owns what players pay
for. Read once per process, on first use, so importing the app loads none of it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.payments.payables import Owner


def payable_owners() -> dict[str, Owner]:
    """PaymentIntent metadata key → the package that owns the payable (payments converges the money,
    the owner follows it in the same transaction)."""
    from chalicelib.booking import payment_state

    return {"booking_id": payment_state.OWNER}
