"""Builders shared by the booking API tests: a published listing with sessions, players, signed
Stripe webhook deliveries (the SDK's scheme: HMAC-SHA256 of "<t>.<body>" with the endpoint secret),
and a card payment on the Stripe emulator."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

import stripe

from tests import stripe_support
from tests.api.catalog_helpers import add_sessions, create_listing, make_host, publish
from tests.stripe_support import WEBHOOK_SECRET as STRIPE_WEBHOOK_SECRET

FREE = {"price": {"amount": 0, "currency": "usd"}, "regional_prices": []}


@dataclass
class Setup:
    host_token: str
    host_id: str
    listing: dict[str, Any]
    sessions: list[dict[str, Any]]

    @property
    def session_id(self) -> str:
        return str(self.sessions[0]["id"])


def listing_with_sessions(
    api: Any, token_for: Any, *, count: int = 1, capacity: int | None = None, **overrides: Any
) -> Setup:
    host_token, host_id = make_host(api, token_for)
    listing = create_listing(api, host_token, **overrides)
    publish(api, host_token, listing["id"])
    body: dict[str, Any] = {}
    if count > 1:
        body["recurrence"] = {"frequency": "weekly", "count": count}
    if capacity is not None:
        body["capacity"] = capacity
    created = add_sessions(api, host_token, listing["id"], **body)
    return Setup(host_token, host_id, listing, list(created["items"]))


def player(api: Any, token_for: Any) -> tuple[str, str]:
    token = token_for()
    me = api.get("/v1/me", token=token)
    assert me.status == 200, me.body
    return token, str(me.json["id"])


def book(api: Any, token: str, session_id: str, **body: Any) -> Any:
    return api.post(f"/v1/sessions/{session_id}/bookings", token=token, json_body=body or {"seats": 1})


def stripe_client(stripe_emulator: str) -> stripe.StripeClient:
    return stripe.StripeClient(stripe_support.SECRET_KEY, base_addresses={"api": stripe_emulator})


def pay(client: stripe.StripeClient, intent_id: str, card: str = "4242424242424242") -> Any:
    method = client.v1.payment_methods.create(
        {"type": "card", "card": {"number": card, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    return client.v1.payment_intents.confirm(intent_id, {"payment_method": method.id})


_counter = [0]


def deliver(api: Any, event_type: str, obj: Any, event_id: str | None = None) -> Any:
    """POST a signed Stripe event about `obj` to the webhook, as Stripe would."""
    _counter[0] += 1
    data = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
    event = {
        "id": event_id or f"evt_test_{time.time_ns()}_{_counter[0]}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "data": {"object": data},
        "api_version": "2024-06-20",
    }
    body = json.dumps(event)
    stamp = int(time.time())
    signature = hmac.new(STRIPE_WEBHOOK_SECRET.encode(), f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return api.post(
        "/v1/webhooks/stripe",
        body=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": f"t={stamp},v1={signature}"},
    )
