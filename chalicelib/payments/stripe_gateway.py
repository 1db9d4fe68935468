"""The Stripe adapter: the only module that imports `stripe` (inside its functions, never at import).

Official SDK; `api_base` from settings (the Stripe emulator locally), the secret key from
`core.secrets`. Every call that creates or moves money carries a Stripe idempotency key derived from
our ids, so a retried request never charges or refunds twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from chalicelib.core.exceptions import DependencyUnavailable
from chalicelib.core.observability import logger
from chalicelib.core.secrets import get_secret
from chalicelib.core.settings import get_settings
from chalicelib.payments import facts as facts_
from chalicelib.payments.exceptions import StripeObjectMissing, StripeRefused


@dataclass(frozen=True)
class Intent:
    id: str
    client_secret: str
    status: str
    amount: int
    currency: str
    amount_received: int
    metadata: dict[str, str]


@lru_cache(maxsize=1)
def _client() -> Any:
    import stripe

    settings = get_settings()
    base = settings.stripe_api_base
    kwargs: dict[str, Any] = {
        "max_network_retries": 2,
        "http_client": stripe.RequestsClient(timeout=settings.stripe_timeout_seconds),
    }
    if base:
        kwargs["base_addresses"] = {"api": base}
    return stripe.StripeClient(get_secret("stripe_secret_key"), **kwargs)


def _call(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call the SDK; Stripe's errors become ours by kind (payments/exceptions.py)."""
    import stripe

    try:
        return fn(*args, **kwargs)
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404 or exc.code == "resource_missing":
            logger.info("stripe object missing", extra={"call": what, "stripe_code": exc.code})
            raise StripeObjectMissing("The payment provider has no such object.") from exc
        if exc.http_status == 400 and not isinstance(exc, stripe.IdempotencyError):
            logger.warning("stripe refused", extra={"call": what, "stripe_code": exc.code, "error": str(exc)})
            raise StripeRefused("The payment provider refused the request.", stripe_code=exc.code) from exc
        logger.warning("stripe call failed", extra={"call": what, "error": str(exc)})
        raise DependencyUnavailable("The payment provider did not answer as expected; try again.") from exc
    except stripe.PermissionError as exc:
        logger.info("stripe object not ours", extra={"call": what, "error": str(exc)})
        raise StripeObjectMissing("The payment provider has no such object for our account.") from exc
    except stripe.StripeError as exc:
        logger.warning("stripe call failed", extra={"call": what, "error": str(exc)})
        raise DependencyUnavailable("The payment provider did not answer as expected; try again.") from exc


def plain(obj: Any) -> dict[str, Any]:
    """A Stripe object (or a dict) as a plain dict."""
    data: dict[str, Any] = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
    return data


def _intent(raw: Any) -> Intent:
    obj = plain(raw)
    return Intent(
        id=obj["id"],
        client_secret=obj.get("client_secret") or "",
        status=obj["status"],
        amount=int(obj["amount"]),
        currency=str(obj["currency"]),
        amount_received=int(obj.get("amount_received") or 0),
        metadata=dict(obj.get("metadata") or {}),
    )


def create_customer(user_id: str, email: str | None) -> str:
    params: dict[str, Any] = {"metadata": {"user_id": user_id}}
    if email:
        params["email"] = email
    customer = _call(
        "customers.create", _client().v1.customers.create, params, options={"idempotency_key": f"customer-{user_id}"}
    )
    return str(customer["id"])


def create_payment_intent(
    *, booking_id: str, session_id: str, customer_id: str, amount: int, currency: str, manual_capture: bool
) -> Intent:
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency,
        "customer": customer_id,
        "payment_method_types": ["card"],
        "metadata": {"booking_id": booking_id, "session_id": session_id},
        "transfer_group": booking_id,
    }
    if manual_capture:
        params["capture_method"] = "manual"
    created = _call(
        "payment_intents.create",
        _client().v1.payment_intents.create,
        params,
        options={"idempotency_key": f"pi-{booking_id}"},
    )
    return _intent(created)


def capture(intent_id: str, key: str) -> Intent:
    return _intent(
        _call(
            "payment_intents.capture", _client().v1.payment_intents.capture, intent_id, options={"idempotency_key": key}
        )
    )


def cancel(intent_id: str, key: str) -> Intent:
    return _intent(
        _call(
            "payment_intents.cancel", _client().v1.payment_intents.cancel, intent_id, options={"idempotency_key": key}
        )
    )


def refund(intent_id: str, amount: int, *, reason: str, key: str) -> str:
    """Refund `amount` of the intent's charge. `key` is Stripe's idempotency key and is also kept in
    the refund's metadata (`sesh_key`), so a later attempt can see that this refund was made."""
    created = _call(
        "refunds.create",
        _client().v1.refunds.create,
        {"payment_intent": intent_id, "amount": amount, "metadata": {"reason": reason, "sesh_key": key}},
        options={"idempotency_key": key},
    )
    return str(created["id"])


# Connect: hosts' Express accounts, transfers to them, reversals; disputes; lists for reconciliation.


def create_account(user_id: str, email: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "type": "express",
        "metadata": {"user_id": user_id},
        "capabilities": {"transfers": {"requested": True}},
    }
    if email:
        params["email"] = email
    return plain(
        _call(
            "accounts.create", _client().v1.accounts.create, params, options={"idempotency_key": f"account-{user_id}"}
        )
    )


def retrieve_account(account_id: str) -> dict[str, Any]:
    return plain(_call("accounts.retrieve", _client().v1.accounts.retrieve, account_id))


def create_account_link(account_id: str, return_url: str, refresh_url: str) -> str:
    link = _call(
        "account_links.create",
        _client().v1.account_links.create,
        {"account": account_id, "type": "account_onboarding", "return_url": return_url, "refresh_url": refresh_url},
    )
    return str(link["url"])


def create_transfer(
    *,
    amount: int,
    currency: str,
    destination: str,
    source_transaction: str | None,
    transfer_group: str,
    booking_id: str,
    key: str,
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency,
        "destination": destination,
        "transfer_group": transfer_group,
        "metadata": {"booking_id": booking_id},
    }
    if source_transaction:
        params["source_transaction"] = source_transaction
    return plain(_call("transfers.create", _client().v1.transfers.create, params, options={"idempotency_key": key}))


def list_transfers(transfer_group: str) -> list[dict[str, Any]]:
    found = _call("transfers.list", _client().v1.transfers.list, {"transfer_group": transfer_group, "limit": 100})
    return [plain(t) for t in found.data]


def create_reversal(transfer_id: str, amount: int, key: str) -> dict[str, Any]:
    return plain(
        _call(
            "transfers.reversals.create",
            _client().v1.transfers.reversals.create,
            transfer_id,
            {"amount": amount},
            options={"idempotency_key": key},
        )
    )


def list_refunds(intent_id: str) -> list[dict[str, Any]]:
    found = _call("refunds.list", _client().v1.refunds.list, {"payment_intent": intent_id, "limit": 100})
    return [plain(r) for r in found.data]


def retrieve_dispute(dispute_id: str) -> dict[str, Any]:
    return plain(_call("disputes.retrieve", _client().v1.disputes.retrieve, dispute_id))


def retrieve_charge(charge_id: str) -> dict[str, Any]:
    return plain(_call("charges.retrieve", _client().v1.charges.retrieve, charge_id))


def latest_charge_id(intent_id: str) -> str | None:
    raw = plain(_call("payment_intents.retrieve", _client().v1.payment_intents.retrieve, intent_id))
    charge = raw.get("latest_charge")
    if isinstance(charge, dict):
        return str(charge["id"])
    return str(charge) if charge else None


def list_created_between(kind: str, start: int, end: int) -> list[dict[str, Any]]:
    """Charges, refunds, transfers or disputes created in [start, end) (epoch seconds), every page."""
    service = {
        "charges": _client().v1.charges,
        "refunds": _client().v1.refunds,
        "transfers": _client().v1.transfers,
        "disputes": _client().v1.disputes,
    }[kind]
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"created": {"gte": start, "lt": end}, "limit": 100}
    while True:
        page = _call(f"{kind}.list", service.list, params)
        out += [plain(o) for o in page.data]
        if not page.has_more or not page.data:
            return out
        params["starting_after"] = page.data[-1]["id"]


def retrieve_refund(refund_id: str) -> dict[str, Any]:
    return plain(_call("refunds.retrieve", _client().v1.refunds.retrieve, refund_id))


def retrieve_transfer(transfer_id: str) -> dict[str, Any]:
    return plain(_call("transfers.retrieve", _client().v1.transfers.retrieve, transfer_id))


def list_disputes(intent_id: str) -> list[dict[str, Any]]:
    found = _call("disputes.list", _client().v1.disputes.list, {"payment_intent": intent_id, "limit": 100})
    return [plain(d) for d in found.data]


def retrieve_intent(intent_id: str) -> dict[str, Any]:
    """The PaymentIntent as Stripe's API shapes it (its latest charge expanded)."""
    return plain(
        _call(
            "payment_intents.retrieve", _client().v1.payment_intents.retrieve, intent_id, {"expand": ["latest_charge"]}
        )
    )


def facts_of(intent: dict[str, Any], *, transfers: bool) -> facts_.PaymentFacts:
    """Everything Stripe knows of the payment of `intent` (as `retrieve_intent` returned it): the
    charge's refunds if it says any were made, its disputes if it says it was disputed, and, with
    `transfers`, the transfers of the payment's group. 0 to 3 more calls."""
    charge = intent.get("latest_charge")
    if charge is not None and not isinstance(charge, dict):
        charge = retrieve_charge(str(charge))
    intent_id = str(intent["id"])
    # Fields Stripe always sends; were one absent, ask rather than assume.
    refunds = list_refunds(intent_id) if charge and charge.get("amount_refunded", 1) else []
    disputes = list_disputes(intent_id) if charge and charge.get("disputed", True) else []
    listed: list[dict[str, Any]] | None = None
    if transfers:
        group = intent.get("transfer_group") or (intent.get("metadata") or {}).get("booking_id")
        listed = list_transfers(str(group)) if group else []
    return facts_.payment_facts(intent, charge, refunds, disputes, listed)
