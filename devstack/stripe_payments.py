"""PaymentIntents, charges and refunds for the Stripe emulator, as Stripe's API has them, dev tooling only.

Installed by `devstack.stripe_emulator.extend()` before localstripe's server registers its routes:

- PaymentIntents carry `amount_received` (captured, once succeeded), `amount_capturable` (while
  `requires_capture`), `canceled_at`, `cancellation_reason`, `capture_method` as sent, `transfer_group`;
  `latest_charge` is the charge's id unless `expand[]=latest_charge` (localstripe always embedded it);
- confirm takes a `payment_method` (localstripe answers 500); a `capture_method=manual` intent then stays
  `requires_capture` and sends `payment_intent.amount_capturable_updated`; `POST .../capture` makes it
  `succeeded` (`payment_intent.succeeded`); `POST .../cancel` (`cancellation_reason`) sends
  `payment_intent.canceled`, and gives an authorized charge back (refunded in full, `charge.refunded`);
  confirm, capture or cancel in another status: 400 `payment_intent_unexpected_state`;
- charges carry `amount_captured`, `amount_refunded`, `refunded`, `captured`, `disputed`, `payment_intent`,
  `status`, `refunds` (a list object), `balance_transaction`; `GET /v1/charges` filters by `payment_intent`,
  `customer`, a `created` range;
- `POST /v1/refunds` (`payment_intent` or `charge`, `amount`, `reason`, `metadata`) sends `charge.refunded`
  with the charge as it is after the refund; refused (400) beyond the unrefunded amount (`amount_too_large`;
  no amount: all that is left), for a charged-back charge (`charge_disputed`: devstack/stripe_disputes.py),
  for an uncaptured intent's charge (cancel the intent instead); refunds carry `payment_intent` and `reason`;
  `GET /v1/refunds` filters by `payment_intent`, `charge`, a `created` range, newest first (created in the
  same second: the later one first);
- every list (charges, refunds, events; transfers and disputes in their modules) is newest first, as Stripe's.

Helpers the other extensions share (events, amounts, lists) live here too.
"""

from __future__ import annotations

import time
from typing import Any

from localstripe import resources, webhooks
from localstripe.errors import UserError

StripeObject, Event, List = resources.StripeObject, resources.Event, resources.List
_INSTALLED = [False]


def emit(event_type: str, obj: Any) -> None:
    webhooks.schedule_webhook(Event(event_type, obj))


def positive_int(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise UserError(400, f"Invalid {name}") from None
    if number <= 0:
        raise UserError(400, f"Invalid {name}")
    return number


def now() -> int:
    return int(time.time())


def filter_created(items: list[Any], created: Any) -> list[Any]:
    """Stripe's `created[gt|gte|lt|lte]` list filter."""
    if not isinstance(created, dict):
        return items
    ops = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    for op, value in created.items():
        if op not in ops:
            raise UserError(400, f"Unexpected created[{op}]")
        items = [i for i in items if ops[op](i.created, int(value))]
    return items


def listing(url: str, items: list[Any], limit: Any, starting_after: Any) -> Any:
    """A list object of `items` (in the order they were created) as Stripe lists: newest first."""
    li = List(url, limit=limit, starting_after=starting_after)
    li._list = newest_first(items)
    return li


def newest_first(items: list[Any]) -> list[Any]:
    """Stripe's list order: newest first; of objects created in the same second, the later one first.
    `items` are in the order they were created (as `stored` gives them)."""
    ranked = sorted(enumerate(items), key=lambda pair: (pair[1].created, pair[0]), reverse=True)
    return [item for _, item in ranked]


def stored(kind: str) -> list[Any]:
    """Every stored object of one kind (`charge`, `refund`, ...), in the order they were created."""
    prefix = kind + ":"
    return [v for k, v in resources.store.items() if k.startswith(prefix)]


def install() -> None:
    if _INSTALLED[0]:
        return
    _INSTALLED[0] = True
    _install_intents()
    _install_charges_and_refunds()
    _list_events_newest_first()

    def create_refund(**data: Any) -> Any:
        refund = resources.Refund._api_create(**data)
        emit("charge.refunded", resources.Charge._api_retrieve(refund.charge))
        return refund

    def list_refunds(
        created: Any = None,
        charge: Any = None,
        payment_intent: Any = None,
        limit: Any = None,
        starting_after: Any = None,
        **data: Any,
    ) -> Any:
        li = resources.Refund._api_list_all(
            "/v1/refunds", charge=charge, payment_intent=payment_intent, limit=limit, starting_after=starting_after
        )
        li._list = filter_created(li._list, created)
        return li

    def list_charges(
        created: Any = None,
        customer: Any = None,
        payment_intent: Any = None,
        limit: Any = None,
        starting_after: Any = None,
        **data: Any,
    ) -> Any:
        items = stored("charge")
        if customer:
            items = [c for c in items if c.customer == customer]
        if payment_intent:
            items = [c for c in items if c.payment_intent == payment_intent]
        return listing("/v1/charges", filter_created(items, created), limit, starting_after)

    resources.extra_apis[:0] = [
        ("POST", "/v1/refunds", create_refund),
        ("GET", "/v1/refunds", list_refunds),
        ("GET", "/v1/charges", list_charges),
    ]


def _list_events_newest_first() -> None:
    """`GET /v1/events` as Stripe lists them: newest first (localstripe: oldest first)."""
    original = resources.Event._api_list_all

    def list_events(cls: Any, url: str, **kwargs: Any) -> Any:
        li = original(url, **kwargs)
        li._list = newest_first(li._list)
        return li

    resources.Event._api_list_all = classmethod(list_events)


def _replace_route(method: str, path: str, func: Any) -> None:
    """Answer `method path` with `func` instead of localstripe's handler (the first registered wins)."""
    resources.extra_apis[:] = [api for api in resources.extra_apis if (api[0], api[1]) != (method, path)]
    resources.extra_apis.insert(0, (method, path, func))


# PaymentIntents

CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action")
CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")


def _install_intents() -> None:
    intent = resources.PaymentIntent
    _replace_route("POST", "/v1/payment_intents/{id}/confirm", _confirm_payment_intent)
    _replace_route("POST", "/v1/payment_intents/{id}/capture", _capture_payment_intent)
    _replace_route("POST", "/v1/payment_intents/{id}/cancel", _cancel_payment_intent)
    _accept_transfer_group()
    # Class defaults are exported like attributes, and objects stored before these existed get them.
    intent.transfer_group = None
    intent.canceled_at = None
    intent.cancellation_reason = None
    intent.amount_received = property(_amount_received)
    intent.amount_capturable = property(lambda self: self.amount if self.status == "requires_capture" else 0)
    intent._export = _latest_charge_as_id(intent._export)
    intent._create_charge = _announce_authorization(intent._create_charge)
    resources.Charge._capture = _remember_captured_amount(resources.Charge._capture)


def captured_amount(charge: Any) -> int:
    """Stripe's `amount_captured`: what a succeeded, captured charge took (less, after a partial capture)."""
    if charge.status != "succeeded" or not charge.captured:
        return 0
    return int(getattr(charge, "_amount_captured", charge.amount))


def _amount_received(self: Any) -> int:
    charge = self.latest_charge
    return captured_amount(charge) if self.status == "succeeded" and charge is not None else 0


def _latest_charge_as_id(original: Any) -> Any:
    """`latest_charge` is the charge's id unless `expand[]=latest_charge` (localstripe always embeds it)."""

    def export(self: Any, expand: Any = None) -> Any:
        obj = original(self, expand=expand)
        expanded = any(str(path).split(".")[0] == "latest_charge" for path in expand or [])
        if isinstance(obj.get("latest_charge"), dict) and not expanded:
            obj["latest_charge"] = obj["latest_charge"]["id"]
        return obj

    return export


def _announce_authorization(original: Any) -> Any:
    """A manual-capture intent whose charge is authorized sends `payment_intent.amount_capturable_updated`
    (Stripe sends `payment_intent.succeeded` only once it is captured)."""

    def create_charge(self: Any, on_failure_now: Any) -> None:
        original(self, on_failure_now)
        if self.status == "requires_capture":
            emit("payment_intent.amount_capturable_updated", self)

    return create_charge


def _remember_captured_amount(original: Any) -> Any:
    def capture(self: Any, amount: Any, on_success: Any = None) -> None:
        self._amount_captured = resources.try_convert_to_int(amount) if amount is not None else self.amount
        original(self, amount, on_success)

    return capture


def _unexpected_state(intent: Any, done: str, allowed: tuple[str, ...]) -> UserError:
    return UserError(
        400,
        f"This PaymentIntent could not be {done} because it has a status of {intent.status}. "
        f"Only a PaymentIntent with one of the following statuses may be {done}: {', '.join(allowed)}.",
        {"code": "payment_intent_unexpected_state"},
    )


def _accept_transfer_group() -> None:
    """PaymentIntents carry `transfer_group` (one per booking, for Connect transfers later);
    localstripe refuses unknown parameters, so keep it on the object instead."""
    original = resources.PaymentIntent.__init__

    def init(self: Any, *args: Any, transfer_group: str | None = None, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.transfer_group = transfer_group

    resources.PaymentIntent.__init__ = init


def _confirm_payment_intent(id: str, payment_method: str | None = None, **kwargs: Any) -> Any:
    """POST /v1/payment_intents/{id}/confirm with `payment_method`, as Stripe allows (localstripe
    answers 500 "Not implemented"): attach the method, then confirm as localstripe does."""
    intent = resources.PaymentIntent._api_retrieve(id)
    if payment_method is not None:
        resources.PaymentMethod._api_retrieve(payment_method)  # 404 for an unknown method
        if intent.status not in ("requires_payment_method", "requires_confirmation"):
            raise _unexpected_state(intent, "confirmed", ("requires_payment_method", "requires_confirmation"))
        intent.payment_method = payment_method
        intent.latest_charge = None  # a failed earlier attempt; the new method gets a new charge
    return resources.PaymentIntent._api_confirm(id, **kwargs)


def _capture_payment_intent(id: str, amount_to_capture: Any = None, **kwargs: Any) -> Any:
    """Capture an authorized intent: `succeeded` and `payment_intent.succeeded` (localstripe's capture)."""
    intent = resources.PaymentIntent._api_retrieve(id)
    if intent.status != "requires_capture":
        raise _unexpected_state(intent, "captured", ("requires_capture",))
    if amount_to_capture is not None and positive_int(amount_to_capture, "amount_to_capture") > intent.amount:
        raise UserError(
            400,
            "The amount to capture must be less than or equal to the amount capturable",
            {"code": "amount_too_large", "param": "amount_to_capture"},
        )
    return resources.PaymentIntent._api_capture(id, amount_to_capture=amount_to_capture, **kwargs)


def _cancel_payment_intent(id: str, cancellation_reason: str | None = None, **kwargs: Any) -> Any:
    """Cancel as Stripe does: `canceled_at`, `cancellation_reason` (null unless given), an authorized
    charge released (its amount refunded, `charge.refunded`), then `payment_intent.canceled`."""
    intent = resources.PaymentIntent._api_retrieve(id)
    if cancellation_reason is not None and cancellation_reason not in CANCELLATION_REASONS:
        raise UserError(
            400,
            f"Invalid cancellation_reason: must be one of {', '.join(CANCELLATION_REASONS)}",
            {"param": "cancellation_reason"},
        )
    if intent.status not in CANCELABLE:
        raise _unexpected_state(intent, "canceled", CANCELABLE)
    authorized = intent.latest_charge if intent.status == "requires_capture" else None
    resources.PaymentIntent._api_cancel(id, **kwargs)
    intent.canceled_at = now()
    intent.cancellation_reason = cancellation_reason
    if authorized is not None:
        _release(authorized)
        emit("charge.refunded", authorized)
    emit("payment_intent.canceled", intent)
    return intent


# Charges and refunds

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
_ORIGINAL: dict[str, Any] = {}


def _install_charges_and_refunds() -> None:
    charge, refund = resources.Charge, resources.Refund
    charge.amount_captured = property(captured_amount)
    charge.disputed = False  # set when a dispute opens on the charge
    refund.reason = None
    _ORIGINAL["refund_init"] = refund.__init__
    refund.__init__ = _checked_refund
    refund._api_list_all = classmethod(_list_refunds)


def _checked_refund(
    self: Any,
    charge: Any = None,
    payment_intent: Any = None,
    amount: Any = None,
    metadata: Any = None,
    reason: Any = None,
    **kwargs: Any,
) -> None:
    """A refund as Stripe allows it: not more than the charge's unrefunded amount (all of it by
    default), not while the charge is disputed, not of an uncaptured charge; with `reason`, and
    `payment_intent` filled from the charge."""
    if reason is not None and reason not in REFUND_REASONS:
        raise UserError(400, f"Invalid reason: must be one of {', '.join(REFUND_REASONS)}", {"param": "reason"})
    target = _charge_to_refund(charge, payment_intent)
    if target is not None and not kwargs:
        amount = _refundable(target, amount)
    _ORIGINAL["refund_init"](
        self, charge=charge, payment_intent=payment_intent, amount=amount, metadata=metadata, **kwargs
    )
    self.reason = reason
    if self.payment_intent is None:
        self.payment_intent = resources.Charge._api_retrieve(self.charge).payment_intent


def _charge_to_refund(charge: Any, payment_intent: Any) -> Any:
    """The charge a refund is for, or None where localstripe's own checks answer (unknown ids...)."""
    if isinstance(charge, str):
        return resources.store.get("charge:" + charge)
    if isinstance(payment_intent, str):
        intent = resources.store.get("payment_intent:" + payment_intent)
        if intent is not None and intent.latest_charge is None and intent.status != "requires_payment_method":
            raise UserError(400, f"PaymentIntent {intent.id} has no charge to refund.", {"param": "payment_intent"})
        return intent.latest_charge if intent is not None else None
    return None


def _refundable(charge: Any, amount: Any) -> Any:
    """`amount` checked against what is left to refund on `charge`; None: all that is left."""
    if charge.status == "failed":
        return amount  # localstripe refuses: "Cannot refund a failed payment."
    if _charged_back(charge):
        raise UserError(
            400,
            f"Charge {charge.id} has been charged back; cannot issue a refund.",
            {"code": "charge_disputed", "charge": charge.id},
        )
    if not charge.captured and charge.payment_intent:
        raise UserError(
            400,
            f"This uncaptured Charge was created by a PaymentIntent ({charge.payment_intent}). You must cancel "
            "the PaymentIntent to reverse the authorization instead of refunding the Charge directly.",
            {"charge": charge.id},
        )
    left = charge.amount - charge.amount_refunded
    if amount is None:
        if left <= 0:
            raise UserError(
                400,
                f"Charge {charge.id} has already been refunded.",
                {"code": "charge_already_refunded", "charge": charge.id},
            )
        return left
    number = resources.try_convert_to_int(amount)
    if isinstance(number, int) and number > left:
        raise UserError(
            400,
            f"Refund amount ({_money(number, charge.currency)}) is greater than unrefunded amount on charge "
            f"({_money(left, charge.currency)})",
            {"code": "amount_too_large", "param": "amount"},
        )
    return amount


def _charged_back(charge: Any) -> bool:
    """An open dispute (or a lost one) took the charge's money back: no refund can be made."""
    return any(
        d.charge == charge.id and d.status in ("needs_response", "under_review", "lost") for d in stored("dispute")
    )


def _money(amount: int, currency: str) -> str:
    value = f"{amount / 100:.2f}"
    return f"${value}" if currency.lower() == "usd" else f"{value} {currency.upper()}"


def _release(charge: Any) -> None:
    """The authorization of an uncaptured charge given back: Stripe shows it as a refund of the charge."""
    refund = resources.Refund.__new__(resources.Refund)
    _ORIGINAL["refund_init"](refund, charge=charge.id, amount=charge.amount - charge.amount_refunded)
    refund.payment_intent = charge.payment_intent


def _list_refunds(
    cls: Any, url: str, charge: Any = None, payment_intent: Any = None, limit: Any = None, starting_after: Any = None
) -> Any:
    """Refunds newest first (localstripe's order is undefined within a second), by charge and/or
    PaymentIntent (every refund of the intent's charges; localstripe answers 500 for an intent without one)."""
    items = stored("refund")
    if charge is not None:
        resources.Charge._api_retrieve(charge)  # 404 for an unknown charge
        items = [r for r in items if r.charge == charge]
    if payment_intent is not None:
        resources.PaymentIntent._api_retrieve(payment_intent)
        charges = {c.id for c in stored("charge") if c.payment_intent == payment_intent}
        items = [r for r in items if r.payment_intent == payment_intent or r.charge in charges]
    li = List(url, limit=limit, starting_after=starting_after)
    li._list = newest_first(items)
    return li
