"""Stripe: a payment on the emulator, made with the official SDK, reaches the API as a signed webhook."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import stripe

from tests.e2e.stack import Stack, wait_for

SECRET_KEY = "sk_test_sesh_local"  # the local stack's emulator key (any sk_ key works there)


@pytest.fixture(scope="module")
def stripe_client(stack: Stack) -> stripe.StripeClient:
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": stack.info["stripe"].split()[0]})


def _event_for(client: stripe.StripeClient, event_type: str, object_id: str) -> Any:
    for event in client.v1.events.list({"limit": 100}).data:
        if event.type == event_type and event.data.object["id"] == object_id:
            return event
    return None


def test_a_confirmed_payment_intent_is_delivered_and_verified(stack: Stack, stripe_client: stripe.StripeClient) -> None:
    intent = stripe_client.v1.payment_intents.create(
        {"amount": 1500, "currency": "usd", "payment_method_types": ["card"], "metadata": {"booking_id": "bkg_e2e"}}
    )
    method = stripe_client.v1.payment_methods.create(
        {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    confirmed = stripe_client.v1.payment_intents.confirm(intent.id, {"payment_method": method.id})
    assert confirmed.status == "succeeded"

    event = wait_for(lambda: _event_for(stripe_client, "payment_intent.succeeded", intent.id), 10, "the Stripe event")
    processed = wait_for(
        lambda: (r := stack.get(f"/dev/stripe/events/{event.id}")).ok and r.json(), 15, "the webhook to be processed"
    )
    assert processed["type"] == "payment_intent.succeeded"
    assert processed["object_id"] == intent.id


def test_a_bad_signature_is_rejected_with_400(stack: Stack) -> None:
    body = json.dumps({"id": "evt_forged", "object": "event", "type": "payment_intent.succeeded", "created": 1})
    forged = stack.post(
        "/v1/webhooks/stripe",
        data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": f"t={int(time.time())},v1={'0' * 64}"},
    )
    assert forged.status_code == 400
    assert forged.headers["content-type"] == "application/problem+json"
    assert forged.json()["code"] == "invalid_signature"
    unsigned = stack.post("/v1/webhooks/stripe", data=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 400
    assert stack.get("/dev/stripe/events/evt_forged").status_code == 404


def test_a_correctly_signed_redelivery_is_acknowledged_once(stack: Stack) -> None:
    """Signed as the emulator signs, with the local stack's webhook secret: processed, then a duplicate."""
    import hashlib
    import hmac

    secret = "whsec_sesh_local_signing_secret"
    event = {"id": "evt_e2e_redelivered", "object": "event", "type": "charge.refunded", "created": int(time.time()),
             "data": {"object": {"id": "ch_e2e", "object": "charge"}}}  # fmt: skip
    payload = json.dumps(event, indent=2).encode()  # raw bytes, spacing and all, must verify
    stamp = int(time.time())
    signature = hmac.new(secret.encode(), b"%d.%s" % (stamp, payload), hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": f"t={stamp},v1={signature}"}
    first = stack.post("/v1/webhooks/stripe", data=payload, headers=headers)
    again = stack.post("/v1/webhooks/stripe", data=payload, headers=headers)
    assert first.status_code == 200 and first.json() == {"received": True, "id": event["id"], "duplicate": False}
    assert again.status_code == 200 and again.json()["duplicate"] is True
