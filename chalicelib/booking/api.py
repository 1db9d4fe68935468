"""Routes of the booking capability: bookings, cancellation, the host's answers, roster, waitlist."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.core.auth import authenticate
from chalicelib.core.lazy import lazy_import
from chalicelib.core.openapi_docs import RouteDoc
from chalicelib.core.routing import ApiBlueprint

if TYPE_CHECKING:
    from pydantic import BaseModel

    from chalicelib.booking import create, lifecycle, move, queries, schemas, waitlist
    from chalicelib.core import http, idempotency
else:  # loaded by the first request that needs them (cold start)
    create = lazy_import("chalicelib.booking.create")
    lifecycle = lazy_import("chalicelib.booking.lifecycle")
    move = lazy_import("chalicelib.booking.move")
    queries = lazy_import("chalicelib.booking.queries")
    schemas = lazy_import("chalicelib.booking.schemas")
    waitlist = lazy_import("chalicelib.booking.waitlist")
    http = lazy_import("chalicelib.core.http")
    idempotency = lazy_import("chalicelib.core.idempotency")

bp = ApiBlueprint(__name__)
TAGS = ("bookings",)
WL_TAGS = ("waitlist",)
S = "chalicelib.booking.schemas:"


def _once(operation: str, status: int, payload: Any, action: Callable[[], BaseModel]) -> Response:
    """Run once per Idempotency-Key (same key and body: the first response again)."""
    request = bp.current_request
    principal = authenticate(request)
    outcome = idempotency.run_once(
        scope=f"{principal.user_id}:{operation}",
        key=idempotency.key_from(request),
        payload=payload,
        action=lambda: {"status": status, "body": action().model_dump(mode="json")},
    )
    return http.json_response(outcome["body"], status=int(outcome["status"]))


@bp.route(
    "/v1/sessions/{session_id}/bookings",
    methods=["POST"],
    doc=RouteDoc(
        "Book seats: confirmed at once (free), pending payment (paid: pay with `payment.client_secret` within "
        "15 minutes) or requested (the host approves); 409 session_full says whether the waitlist is open",
        request=S + "BookingIn",
        response=S + "BookingCreated",
        status=201,
        errors=(400, 404, 409, 415, 422, 503),
        idempotent=True,
        rate_limit="booking",
        tags=TAGS,
    ),
)
def create_booking(session_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.BookingIn)
    return _once(
        f"create_booking:{session_id}",
        201,
        body.model_dump(mode="json"),
        lambda: create.book(principal, session_id, body),
    )


@bp.route(
    "/v1/bookings/{booking_id}",
    methods=["GET"],
    doc=RouteDoc("A booking (its player, its host, admins)", response=S + "BookingOut", errors=(404,), tags=TAGS),
)
def get_booking(booking_id: str) -> Response:
    return http.json_response(queries.get_booking(authenticate(bp.current_request), booking_id))


@bp.route(
    "/v1/me/bookings",
    methods=["GET"],
    doc=RouteDoc(
        "Your bookings: upcoming (soonest first) or past (latest first), optionally by status",
        query=S + "MyBookingsQuery",
        response=S + "BookingList",
        errors=(400, 422),
        tags=TAGS,
    ),
)
def my_bookings() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    query = http.parse_query(request, schemas.MyBookingsQuery)
    page = queries.my_bookings(principal, query)
    return http.json_response(schemas.BookingList(items=page.items, next_cursor=page.next_cursor))


@bp.route(
    "/v1/bookings/{booking_id}/cancellation-quote",
    methods=["GET"],
    doc=RouteDoc(
        "What cancelling now would refund, and the policy tier that applies",
        response=S + "QuoteOut",
        errors=(404, 409),
        tags=TAGS,
    ),
)
def cancellation_quote(booking_id: str) -> Response:
    return http.json_response(lifecycle.cancellation_quote(authenticate(bp.current_request), booking_id))


@bp.route(
    "/v1/bookings/{booking_id}/cancel",
    methods=["POST"],
    doc=RouteDoc(
        "Cancel your booking; the refund follows the quote",
        response=S + "CancelOut",
        errors=(404, 409),
        idempotent=True,
        tags=TAGS,
    ),
)
def cancel_booking(booking_id: str) -> Response:
    principal = authenticate(bp.current_request)
    return _once(f"cancel_booking:{booking_id}", 200, {}, lambda: lifecycle.cancel(principal, booking_id))


@bp.route(
    "/v1/bookings/{booking_id}/accept",
    methods=["POST"],
    doc=RouteDoc(
        "Accept a booking request (its host); a paid request's authorization is captured",
        response=S + "BookingOut",
        errors=(404, 409, 503),
        tags=TAGS,
    ),
)
def accept_booking(booking_id: str) -> Response:
    return http.json_response(lifecycle.accept(authenticate(bp.current_request), booking_id))


@bp.route(
    "/v1/bookings/{booking_id}/receipt",
    methods=["GET"],
    doc=RouteDoc(
        "A booking's receipt: charge, platform fee, refunds, disputes, payout (its player, its host, admins)",
        response="chalicelib.payments.service:ReceiptOut",
        errors=(401, 404),
        tags=("payments",),
    ),
)
def booking_receipt(booking_id: str) -> Response:
    return http.json_response(queries.receipt(authenticate(bp.current_request), booking_id))


@bp.route(
    "/v1/bookings/{booking_id}/decline",
    methods=["POST"],
    doc=RouteDoc(
        "Decline a booking request (its host); the seats and the card's authorization are released",
        response=S + "BookingOut",
        errors=(404, 409),
        tags=TAGS,
    ),
)
def decline_booking(booking_id: str) -> Response:
    return http.json_response(lifecycle.decline(authenticate(bp.current_request), booking_id))


@bp.route(
    "/v1/bookings/{booking_id}/no-show",
    methods=["POST"],
    doc=RouteDoc(
        "Mark the player as not having come (its host, once the session started)",
        response=S + "BookingOut",
        errors=(404, 409),
        tags=TAGS,
    ),
)
def mark_no_show(booking_id: str) -> Response:
    return http.json_response(lifecycle.no_show(authenticate(bp.current_request), booking_id))


@bp.route(
    "/v1/bookings/{booking_id}/reschedule",
    methods=["POST"],
    doc=RouteDoc(
        "Move your confirmed booking to another session of the same listing (one transaction)",
        request=S + "RescheduleIn",
        response=S + "BookingOut",
        errors=(400, 404, 409, 415, 422),
        tags=TAGS,
    ),
)
def reschedule_booking(booking_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.RescheduleIn)
    return http.json_response(move.reschedule(principal, booking_id, body))


@bp.route(
    "/v1/sessions/{session_id}/roster",
    methods=["GET"],
    doc=RouteDoc(
        "The session's bookings and waitlist (its host, admins)", response=S + "RosterOut", errors=(404,), tags=TAGS
    ),
)
def session_roster(session_id: str) -> Response:
    return http.json_response(queries.roster(authenticate(bp.current_request), session_id))


@bp.route(
    "/v1/sessions/{session_id}/waitlist",
    methods=["POST"],
    doc=RouteDoc(
        "Join a full session's waitlist; a freed seat is offered to the head of the queue",
        request=S + "WaitlistIn",
        response=S + "WaitlistEntryOut",
        status=201,
        errors=(400, 404, 409, 415, 422),
        rate_limit="booking",
        tags=WL_TAGS,
    ),
)
def join_waitlist(session_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.WaitlistIn)
    return http.json_response(waitlist.join(principal, session_id, body), status=201)


@bp.route(
    "/v1/sessions/{session_id}/waitlist",
    methods=["DELETE"],
    doc=RouteDoc(
        "Leave the session's waitlist (an open offer is passed on)", status=204, errors=(404, 409), tags=WL_TAGS
    ),
)
def leave_waitlist(session_id: str) -> Response:
    waitlist.leave(authenticate(bp.current_request), session_id)
    return Response(body="", status_code=204)


@bp.route(
    "/v1/me/waitlist",
    methods=["GET"],
    doc=RouteDoc(
        "Your waitlist entries, newest first, with your position in each queue",
        query="chalicelib.core.pagination:PageQuery",
        response=S + "WaitlistList",
        errors=(400, 422),
        tags=WL_TAGS,
    ),
)
def my_waitlist() -> Response:
    from chalicelib.core.pagination import PageQuery

    request = bp.current_request
    principal = authenticate(request)
    query = http.parse_query(request, PageQuery)
    page = waitlist.mine(principal, query.limit, query.cursor)
    return http.json_response(schemas.WaitlistList(items=page.items, next_cursor=page.next_cursor))


@bp.route(
    "/v1/waitlist/{entry_id}/claim",
    methods=["POST"],
    doc=RouteDoc(
        "Claim the seat a waitlist offer holds for you: it becomes your booking (paid: pay as for a booking)",
        response=S + "BookingCreated",
        status=201,
        errors=(404, 409, 503),
        idempotent=True,
        rate_limit="booking",
        tags=WL_TAGS,
    ),
)
def claim_offer(entry_id: str) -> Response:
    principal = authenticate(bp.current_request)
    return _once(f"claim:{entry_id}", 201, {}, lambda: waitlist.claim(principal, entry_id))
