"""Hosts' payout accounts: Stripe Connect Express, onboarded through an account link.

The connected account is created once per host (Stripe idempotency key + conditional put); what
Stripe says of it (details submitted, payouts enabled, requirements due) is copied on every
`account.updated`, read back from Stripe so that a late or repeated event cannot roll it back.
A paid listing is published, and a paid booking taken, only while the host's payouts are enabled.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PutError
from pynamodb.transactions import TransactWrite

from chalicelib.core import clock, conditional, events
from chalicelib.core.auth import Principal
from chalicelib.core.exceptions import Conflict
from chalicelib.core.settings import get_settings
from chalicelib.payments import stripe_gateway
from chalicelib.payments.models import PAYOUT_ACCOUNT_SK, PayoutAccountItem, customer_pk


def find(user_id: str, *, consistent: bool = True) -> PayoutAccountItem | None:
    try:
        return PayoutAccountItem.get(customer_pk(user_id), PAYOUT_ACCOUNT_SK, consistent_read=consistent)
    except PayoutAccountItem.DoesNotExist:
        return None


def payouts_enabled(user_id: str) -> bool:
    account = find(user_id, consistent=False)
    return bool(account and account.payouts_enabled)


def require_payouts_enabled(host_id: str, amount: int) -> None:
    """409 `payouts_disabled` when money would be taken for a host who cannot be paid."""
    if amount > 0 and not payouts_enabled(host_id):
        raise Conflict("The host cannot receive payouts yet: finish payout onboarding first.", code="payouts_disabled")


def start_onboarding(principal: Principal) -> tuple[PayoutAccountItem, str]:
    """The host's account (created on first call) and a fresh onboarding link."""
    account = find(principal.user_id)
    if account is None:
        created = stripe_gateway.create_account(principal.user_id, principal.email)
        account = PayoutAccountItem(customer_pk(principal.user_id), PAYOUT_ACCOUNT_SK, account_id=str(created["id"]))
        _copy(account, created)
        try:
            account.save(condition=PayoutAccountItem.PK.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            account = find(principal.user_id) or account  # a concurrent first call saved it
    settings = get_settings()
    url = stripe_gateway.create_account_link(
        account.account_id, settings.payouts_return_url, settings.payouts_refresh_url
    )
    return account, url


def _copy(account: PayoutAccountItem, obj: dict[str, Any]) -> None:
    account.details_submitted = bool(obj.get("details_submitted"))
    account.payouts_enabled = bool(obj.get("payouts_enabled"))
    account.charges_enabled = bool(obj.get("charges_enabled"))
    due: Any = [str(r) for r in ((obj.get("requirements") or {}).get("currently_due") or [])]
    account.requirements_due = due


def refresh(account_id: str) -> str | None:
    """Copy what Stripe says of the account now; `payouts.status_changed` when payouts flip.
    Returns the host's user id (None for an account that is not one of our hosts')."""
    obj = stripe_gateway.retrieve_account(account_id)
    user_id = (obj.get("metadata") or {}).get("user_id")
    if not user_id:
        return None
    for _ in range(5):
        account = find(str(user_id))
        if account is None or account.account_id != account_id:
            return None
        before = account.payouts_enabled
        previous_updated = account.updated_at
        _copy(account, obj)
        account.updated_at = clock.now()
        saved = account

        def build(
            tx: TransactWrite, a: PayoutAccountItem = saved, was: bool = bool(before), stamp: Any = previous_updated
        ) -> None:
            tx.save(a, condition=PayoutAccountItem.updated_at == stamp)
            if was != bool(a.payouts_enabled):
                events.publish(
                    tx,
                    "payouts.status_changed",
                    subject=str(user_id),
                    dedupe=f"{user_id}#{a.payouts_enabled}#{clock.to_wire(clock.now())}",
                    host_id=str(user_id),
                    payouts_enabled=bool(a.payouts_enabled),
                )

        try:
            conditional.run(build)
            return str(user_id)
        except conditional.Refused:  # a concurrent refresh: read again
            continue
    return str(user_id)
