"""Routes of the payments capability: the Stripe webhook, payout onboarding, transactions, earnings
and admin refunds (a booking's receipt is a booking route)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Response

from chalicelib.core.auth import authenticate
from chalicelib.core.lazy import lazy_import
from chalicelib.core.openapi_docs import RouteDoc
from chalicelib.core.routing import ApiBlueprint

if TYPE_CHECKING:
    from chalicelib.core import http
    from chalicelib.payments import queries, schemas, service, webhooks
else:  # loaded by the first request that needs them (cold start)
    http = lazy_import("chalicelib.core.http")
    queries = lazy_import("chalicelib.payments.queries")
    service = lazy_import("chalicelib.payments.service")
    schemas = lazy_import("chalicelib.payments.schemas")
    webhooks = lazy_import("chalicelib.payments.webhooks")

bp = ApiBlueprint(__name__)
TAGS = ("payments",)
S = "chalicelib.payments.schemas:"


@bp.route(
    "/v1/webhooks/stripe",
    methods=["POST"],
    doc=RouteDoc(
        "Stripe's webhook deliveries (Stripe-Signature checked on the raw body)",
        auth="signature",
        response="chalicelib.payments.schemas:WebhookAck",
        errors=(400, 413),
        tags=TAGS,
    ),
)
def stripe_webhook() -> Response:
    request = bp.current_request
    raw = request.raw_body or b""
    payload = raw.encode() if isinstance(raw, str) else raw
    received = webhooks.receive(payload, request.headers.get("stripe-signature"))
    ack = schemas.WebhookAck(received=True, id=received.event_id, duplicate=received.duplicate)
    return http.json_response(ack)


# Marketplace payments


@bp.route(
    "/v1/me/payouts/onboarding",
    methods=["POST"],
    doc=RouteDoc(
        "Start (or resume) payout onboarding: your Stripe Express account, created once, and a link to its "
        "onboarding page (hosts)",
        response=S + "OnboardingOut",
        errors=(401, 403, 503),
        tags=TAGS,
    ),
)
def payouts_onboarding() -> Response:
    return http.json_response(service.start_onboarding(authenticate(bp.current_request)))


@bp.route(
    "/v1/me/payouts",
    methods=["GET"],
    doc=RouteDoc(
        "Your payout account: details submitted, payouts enabled, requirements due",
        response=S + "PayoutStatusOut",
        errors=(401,),
        tags=TAGS,
    ),
)
def payouts_status() -> Response:
    return http.json_response(queries.payout_status(authenticate(bp.current_request)))


@bp.route(
    "/v1/me/transactions",
    methods=["GET"],
    doc=RouteDoc(
        "Your money movements, newest first: as a player (charges, refunds) or as a host (earnings, fees, "
        "transfers, reversals, disputes)",
        query=S + "TransactionsQuery",
        response=S + "TransactionList",
        errors=(400, 401, 422),
        tags=TAGS,
    ),
)
def my_transactions() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    page = queries.transactions(principal, http.parse_query(request, schemas.TransactionsQuery))
    return http.json_response(schemas.TransactionList(items=page.items, next_cursor=page.next_cursor))


@bp.route(
    "/v1/me/earnings",
    methods=["GET"],
    doc=RouteDoc(
        "Your earnings as a host, per currency: pending, available, paid out",
        response=S + "EarningsList",
        errors=(401,),
        tags=TAGS,
    ),
)
def my_earnings() -> Response:
    return http.json_response(queries.earnings(authenticate(bp.current_request)))


@bp.route(
    "/v1/admin/bookings/{booking_id}/refund",
    methods=["POST"],
    doc=RouteDoc(
        "Refund any amount up to what remains of a booking's charge, with a reason (admins); in the ledger",
        request=S + "AdminRefundIn",
        response=S + "AdminRefundOut",
        errors=(400, 401, 403, 404, 409, 415, 422, 503),
        tags=TAGS,
    ),
)
def admin_refund(booking_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.AdminRefundIn)
    return http.json_response(service.admin_refund(principal, booking_id, body))
