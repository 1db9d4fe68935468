"""Routes of the payments capability: the Stripe webhook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Response

from chalicelib.core.lazy import lazy_import
from chalicelib.core.openapi_docs import RouteDoc
from chalicelib.core.routing import ApiBlueprint

if TYPE_CHECKING:
    from chalicelib.core import http
    from chalicelib.payments import schemas, webhooks
else:  # loaded by the first request that needs them (cold start)
    http = lazy_import("chalicelib.core.http")
    schemas = lazy_import("chalicelib.payments.schemas")
    webhooks = lazy_import("chalicelib.payments.webhooks")

bp = ApiBlueprint(__name__)
TAGS = ("payments",)


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
