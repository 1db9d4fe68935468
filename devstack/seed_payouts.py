"""Dev tooling: a seeded or test host onboarded for payouts on the Stripe emulator (paid listings are
published only for hosts whose payouts are enabled). Real code path: the payments service creates the
Express account and its link; the emulator's link page completes onboarding; the account is read back."""

from __future__ import annotations

import urllib.request

from chalicelib.core.auth import Principal


def enable_payouts(principal: Principal) -> str:
    """Onboard the host (idempotent); returns the connected account's id."""
    from chalicelib.payments import payout_accounts

    account, url = payout_accounts.start_onboarding(principal)
    if not account.payouts_enabled:
        with urllib.request.urlopen(url, timeout=10) as page:  # the emulator's onboarding page
            page.read()
        payout_accounts.refresh(account.account_id)
    return account.account_id
