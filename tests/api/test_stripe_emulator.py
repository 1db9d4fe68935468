"""The Stripe emulator behaves like Stripe where the payment code looks, through the official SDK over
HTTP: manual capture and its events, the shapes of the objects read back (against Stripe's own fixtures),
refund limits, disputes by PaymentIntent, and webhook delivery held, then released reversed and twice,
each delivery signed when it is sent."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import stripe

from tests.api.booking_helpers import pay
from tests.api.payments_helpers import client, dev_post, emulator

FIXTURES = json.loads((Path(__file__).parents[1] / "data/stripe/fixtures3.json").read_text())["resources"]
SECRET = "whsec_emulator_tests"
ENDPOINT = "emulator-tests"


@dataclass
class Delivery:
    event: dict[str, Any]
    payload: bytes
    signature: str


class Receiver(ThreadingHTTPServer):
    """A webhook endpoint: records each delivery, in the order they arrive, before answering 200."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.changed = threading.Condition()
        self.deliveries: list[Delivery] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/webhook"

    def wait(self, done: Callable[[list[Delivery]], bool], what: str) -> list[Delivery]:
        with self.changed:
            assert self.changed.wait_for(lambda: done(self.deliveries), timeout=15), f"never received {what}"
            return list(self.deliveries)

    def of(self, event_ids: set[str]) -> list[Delivery]:
        with self.changed:
            return [d for d in self.deliveries if d.event["id"] in event_ids]

    def about(self, object_id: str) -> list[str]:
        """The types of the events received about one object, in arrival order."""
        with self.changed:
            return [d.event["type"] for d in self.deliveries if d.event["data"]["object"]["id"] == object_id]


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        payload = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.changed:
            self.server.deliveries.append(Delivery(json.loads(payload), payload, self.headers["Stripe-Signature"]))
            self.server.changed.notify_all()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _control(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One of the emulator's dev controls (`/_config/...`), its JSON answer."""
    request = urllib.request.Request(
        emulator() + path,
        data=json.dumps(body or {}).encode() if method != "GET" else None,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _control("POST", f"/_config/webhooks/{ENDPOINT}", {"url": server.url, "secret": SECRET})
    try:
        yield server
    finally:
        _control("POST", "/_config/webhooks/release")  # never leave the emulator holding
        _control("DELETE", f"/_config/webhooks/{ENDPOINT}")
        server.shutdown()
        server.server_close()


@contextmanager
def held() -> Iterator[list[dict[str, str]]]:
    """Events made inside are queued; on leaving, released in the order they were made: the
    list then holds what was delivered (and the receiver has all of it)."""
    delivered: list[dict[str, str]] = []
    _control("POST", "/_config/webhooks/hold")
    yield delivered
    delivered.extend(_control("POST", "/_config/webhooks/release", {"order": "sent"}))


def _raw(obj: Any) -> dict[str, Any]:
    """The JSON the emulator answered for an SDK object."""
    result: dict[str, Any] = json.loads(obj.last_response.body)
    return result


def _intent(capture_method: str = "automatic", amount: int = 1500, **extra: Any) -> Any:
    params = {"amount": amount, "currency": "usd", "payment_method_types": ["card"], "capture_method": capture_method}
    return client().v1.payment_intents.create({**params, **extra})


def _paid(amount: int = 1500, **extra: Any) -> Any:
    return pay(client(), _intent(amount=amount, **extra).id)


def test_a_manual_capture_intent_is_authorized_then_captured_or_canceled_with_stripes_events(
    receiver: Receiver,
) -> None:
    with held() as delivered:
        authorized = pay(client(), _intent("manual", 2500).id)
    assert (authorized.status, authorized.amount_capturable, authorized.amount_received) == (
        "requires_capture",
        2500,
        0,
    )
    assert [e["type"] for e in delivered] == ["payment_intent.amount_capturable_updated"]
    assert receiver.about(authorized.id) == ["payment_intent.amount_capturable_updated"]  # no succeeded yet

    with held() as delivered:
        captured = client().v1.payment_intents.capture(authorized.id)
    assert (captured.status, captured.amount_received, captured.amount_capturable) == ("succeeded", 2500, 0)
    assert [e["type"] for e in delivered] == ["payment_intent.succeeded"]
    assert receiver.about(authorized.id)[-1] == "payment_intent.succeeded"
    with pytest.raises(stripe.InvalidRequestError) as again:
        client().v1.payment_intents.capture(authorized.id)
    assert again.value.code == "payment_intent_unexpected_state"

    with held() as delivered:
        other = pay(client(), _intent("manual", 900).id)
        canceled = client().v1.payment_intents.cancel(other.id, {"cancellation_reason": "abandoned"})
    assert (canceled.status, canceled.amount_capturable, canceled.amount_received) == ("canceled", 0, 0)
    assert canceled.cancellation_reason == "abandoned" and canceled.canceled_at >= canceled.created
    assert [e["type"] for e in delivered] == [
        "payment_intent.amount_capturable_updated",
        "charge.refunded",  # the authorization given back
        "payment_intent.canceled",
    ]
    assert receiver.about(other.id) == ["payment_intent.amount_capturable_updated", "payment_intent.canceled"]
    released = client().v1.charges.retrieve(canceled.latest_charge)
    assert (released.captured, released.amount_captured, released.refunded) == (False, 0, True)

    never_confirmed = client().v1.payment_intents.cancel(_intent("manual").id)
    assert never_confirmed.status == "canceled" and never_confirmed.cancellation_reason is None


def test_latest_charge_is_an_id_unless_expanded() -> None:
    intent = _paid()
    assert isinstance(_raw(client().v1.payment_intents.retrieve(intent.id))["latest_charge"], str)
    expanded = _raw(client().v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge"]}))
    assert expanded["latest_charge"]["object"] == "charge"
    assert expanded["latest_charge"]["payment_intent"] == intent.id


def _json_type(value: Any) -> str:
    kinds = {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string"}
    return kinds.get(type(value)) or {list: "array", dict: "object"}[type(value)]


# Keys Stripe's fixtures leave null that the API documents as "string or null" (an id, possibly
# expandable, or an enum); the emulator's objects below all have them, so they must be strings.
NULLABLE_STRINGS = {"latest_charge", "transfer_group", "payment_intent", "reason"}


def _assert_shaped_like_stripe(kind: str, obj: dict[str, Any], keys: str) -> None:
    fixture = FIXTURES[kind]
    for key in keys.split():
        assert key in obj, f"the emulator's {kind} has no {key}"
        expected = _json_type(fixture[key])
        if expected == "null":
            assert key in NULLABLE_STRINGS, f"{kind}.{key}: the fixture says only null"
            expected = "string"
        assert _json_type(obj[key]) == expected, f"{kind}.{key} is {obj[key]!r}, Stripe's is a {expected}"


def test_objects_carry_the_keys_the_app_reads_with_stripes_json_types() -> None:
    sdk = client()
    intent = _paid(3000, transfer_group="bkg_shape", metadata={"booking_id": "bkg_shape"})
    refund = sdk.v1.refunds.create({"payment_intent": intent.id, "amount": 500, "reason": "requested_by_customer"})
    dispute_id = dev_post("/_config/disputes", payment_intent=intent.id)["id"]
    account = sdk.v1.accounts.create({"type": "express"})
    dev_post(f"/_config/connect/accounts/{account.id}/onboard")
    transfer = sdk.v1.transfers.create(
        {"amount": 2000, "currency": "usd", "destination": account.id, "transfer_group": "bkg_shape"}
    )

    _assert_shaped_like_stripe(
        "payment_intent",
        _raw(sdk.v1.payment_intents.retrieve(intent.id)),
        "id object amount amount_received amount_capturable currency status metadata latest_charge capture_method "
        "transfer_group",
    )
    charge = _raw(sdk.v1.charges.retrieve(intent.latest_charge))
    _assert_shaped_like_stripe(
        "charge",
        charge,
        "id object amount amount_captured amount_refunded refunded captured disputed payment_intent status currency "
        "refunds",
    )
    assert {k: charge["refunds"][k] for k in ("object", "has_more")} == {"object": "list", "has_more": False}
    assert [r["id"] for r in charge["refunds"]["data"]] == [refund.id]
    _assert_shaped_like_stripe(
        "refund",
        _raw(sdk.v1.refunds.retrieve(refund.id)),
        "id object amount charge payment_intent status created metadata reason",
    )
    _assert_shaped_like_stripe(
        "dispute",
        _raw(sdk.v1.disputes.retrieve(dispute_id)),
        "id object amount charge payment_intent status reason created",
    )
    _assert_shaped_like_stripe(
        "transfer",
        _raw(sdk.v1.transfers.retrieve(transfer.id)),
        "id object amount amount_reversed reversals transfer_group created currency destination",
    )


def test_a_refund_beyond_the_unrefunded_amount_is_refused_and_changes_nothing() -> None:
    sdk = client()
    intent = _paid(1500)
    sdk.v1.refunds.create({"payment_intent": intent.id, "amount": 1000})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.refunds.create({"payment_intent": intent.id, "amount": 501})
    assert (refused.value.http_status, refused.value.code) == (400, "amount_too_large")
    assert refused.value.json_body["error"]["type"] == "invalid_request_error"
    charge = sdk.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded, len(charge.refunds.data)) == (1000, False, 1)
    assert len(sdk.v1.refunds.list({"payment_intent": intent.id}).data) == 1

    rest = sdk.v1.refunds.create({"payment_intent": intent.id})  # no amount: what is left
    assert rest.amount == 500 and sdk.v1.charges.retrieve(intent.latest_charge).refunded is True


def test_a_refund_while_a_dispute_is_open_is_refused() -> None:
    sdk = client()
    intent = _paid(1500)
    dev_post("/_config/disputes", payment_intent=intent.id)
    assert sdk.v1.charges.retrieve(intent.latest_charge).disputed is True
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.refunds.create({"payment_intent": intent.id, "amount": 100})
    assert (refused.value.http_status, refused.value.code) == (400, "charge_disputed")
    assert sdk.v1.refunds.list({"payment_intent": intent.id}).data == []


def test_disputes_are_listed_by_payment_intent_newest_first() -> None:
    sdk = client()
    first, second = _paid(), _paid()
    opened = [dev_post("/_config/disputes", payment_intent=i.id)["id"] for i in (first, second)]
    (of_first,) = sdk.v1.disputes.list({"payment_intent": first.id}).data
    assert (of_first.id, of_first.payment_intent, of_first.charge) == (opened[0], first.id, first.latest_charge)
    assert of_first.status == "needs_response"
    assert [d.id for d in sdk.v1.disputes.list({"charge": second.latest_charge}).data] == [opened[1]]
    listed = [d.id for d in sdk.v1.disputes.list({"limit": 100}).data]
    assert listed.index(opened[1]) < listed.index(opened[0])  # newest first, also within one second


def test_refunds_made_in_the_same_second_list_newest_first() -> None:
    sdk = client()
    intent = _paid(1500)
    made = [sdk.v1.refunds.create({"payment_intent": intent.id, "amount": 100}).id for _ in range(3)]
    assert [r.id for r in sdk.v1.refunds.list({"payment_intent": intent.id}).data] == made[::-1]
    assert [r.id for r in sdk.v1.charges.retrieve(intent.latest_charge).refunds.data] == made[::-1]


def test_held_events_are_released_reversed_and_twice_each_signed_when_sent(receiver: Receiver) -> None:
    sdk = client()
    _control("POST", "/_config/webhooks/hold")
    intent = _paid(1500)
    sdk.v1.refunds.create({"payment_intent": intent.id, "amount": 200})
    sdk.v1.refunds.create({"payment_intent": intent.id, "amount": 300})
    queued = _control("GET", "/_config/webhooks/queue")
    assert [e["type"] for e in queued] == ["payment_intent.succeeded", "charge.refunded", "charge.refunded"]
    created = {e["id"]: e["created"] for e in queued}

    # Release in a later second than the events were made, so a signature made with their `created`
    # (localstripe's) would show. A wait on the clock, not on the receiver.
    time.sleep(max(0.0, max(created.values()) + 1 - time.time()))
    released_at = int(time.time())
    assert released_at > max(created.values())
    answer = _control("POST", "/_config/webhooks/release", {"order": "reversed", "twice": True})

    order = [e["id"] for e in queued][::-1]
    assert [e["id"] for e in answer] == order + order  # reversed, then each again (a retry): same ids
    got = receiver.wait(lambda ds: len([d for d in ds if d.event["id"] in created]) == 6, "the 6 deliveries")
    arrived = [d for d in got if d.event["id"] in created]
    assert [d.event["id"] for d in arrived] == order + order
    assert arrived[0].payload == arrived[3].payload  # the same event, byte for byte
    for delivery in arrived:
        stamp = int(dict(part.split("=", 1) for part in delivery.signature.split(","))["t"])
        assert stamp >= released_at  # signed when sent, not when the event was made
        event = stripe.Webhook.construct_event(delivery.payload, delivery.signature, SECRET)
        assert event["created"] == created[event["id"]] < stamp  # `created` as it was
    assert _control("GET", "/_config/webhooks/queue") == []

    intent = _paid(700)  # not holding any more: sent on its own, about a second later
    receiver.wait(lambda ds: any(d.event["data"]["object"]["id"] == intent.id for d in ds), "the next event")
    assert receiver.about(intent.id) == ["payment_intent.succeeded"]


def test_a_shuffle_is_repeatable_with_its_seed(receiver: Receiver) -> None:
    orders = []
    for _ in range(2):
        _control("POST", "/_config/webhooks/hold")
        for _ in range(5):
            _paid(100)
        queued = [e["id"] for e in _control("GET", "/_config/webhooks/queue")]
        released = _control("POST", "/_config/webhooks/release", {"order": "shuffled", "seed": 7})
        assert sorted(e["id"] for e in released) == sorted(queued)
        orders.append([queued.index(e["id"]) for e in released])
    assert orders[0] == orders[1]
