"""Builders shared by the payments API tests: a host's payout onboarding on the Stripe emulator (the
account link's page completes it, `account.updated` tells the API), disputes opened and closed on
the emulator, and the emulator's objects read back with the official SDK."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import stripe

from tests import stripe_support


def emulator() -> str:
    """The emulator the app talks to (not the environment: a second import of tests.api.conftest,
    as tests.api.chat_helpers does, points STRIPE_API_BASE at a port nothing listens on)."""
    from chalicelib.core.settings import get_settings

    base = get_settings().stripe_api_base
    assert base, "the API tier configures the Stripe emulator"
    return base


def client() -> stripe.StripeClient:
    return stripe.StripeClient(stripe_support.SECRET_KEY, base_addresses={"api": emulator()})


def dev_post(path: str, **form: str) -> dict[str, Any]:
    """One of the emulator's dev controls (`/_config/...`)."""
    data = json.dumps(form).encode()
    request = urllib.request.Request(
        emulator() + path, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def onboard(api: Any, token: str, *, deliver_event: bool = True) -> str:
    """The host starts onboarding, completes Stripe's page, and Stripe says so: the account id."""
    from tests.api.booking_helpers import deliver

    started = api.post("/v1/me/payouts/onboarding", token=token)
    assert started.status == 200, started.body
    with urllib.request.urlopen(started.json["url"], timeout=10) as page:  # the account link's page
        assert page.status == 200
    account_id = str(started.json["status"]["account_id"])
    if deliver_event:
        assert deliver(api, "account.updated", client().v1.accounts.retrieve(account_id)).status == 200
    return account_id
