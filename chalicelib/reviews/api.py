"""Routes of reviews: write, edit, read, lists, reply, report, moderation, reputation, session feedback."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Response

from chalicelib.core.auth import authenticate, optional_principal
from chalicelib.core.lazy import lazy_import
from chalicelib.core.openapi_docs import RouteDoc
from chalicelib.core.routing import ApiBlueprint

if TYPE_CHECKING:
    from chalicelib.core import http, idempotency, pagination
    from chalicelib.reviews import feedback, schemas, service
else:  # loaded by the first request that needs them (cold start)
    feedback = lazy_import("chalicelib.reviews.feedback")
    schemas = lazy_import("chalicelib.reviews.schemas")
    service = lazy_import("chalicelib.reviews.service")
    http = lazy_import("chalicelib.core.http")
    idempotency = lazy_import("chalicelib.core.idempotency")
    pagination = lazy_import("chalicelib.core.pagination")

bp = ApiBlueprint(__name__)
TAGS = ("reviews",)
S = "chalicelib.reviews.schemas:"


@bp.route(
    "/v1/bookings/{booking_id}/review",
    methods=["POST"],
    doc=RouteDoc(
        "Review a completed booking from your side (its player: the session and host; its host: the player). "
        "Double-blind: published when both sides wrote or when the window (14 days after the session) closes",
        request=S + "ReviewIn",
        response=S + "ReviewOut",
        status=201,
        errors=(400, 404, 409, 415, 422),
        idempotent=True,
        tags=TAGS,
    ),
)
def submit_review(booking_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.ReviewIn)
    outcome = idempotency.run_once(
        scope=f"{principal.user_id}:review:{booking_id}",
        key=idempotency.key_from(request),
        payload=body.model_dump(mode="json"),
        action=lambda: {"status": 201, "body": service.submit(principal, booking_id, body).model_dump(mode="json")},
    )
    return http.json_response(outcome["body"], status=int(outcome["status"]))


@bp.route(
    "/v1/reviews/{review_id}",
    methods=["GET"],
    doc=RouteDoc(
        "A review: published ones to anyone who may see them (reviews of players: hosts), your own always",
        auth="optional",
        response=S + "ReviewOut",
        errors=(404,),
        tags=TAGS,
    ),
)
def get_review(review_id: str) -> Response:
    return http.json_response(service.get(optional_principal(bp.current_request), review_id))


@bp.route(
    "/v1/reviews/{review_id}",
    methods=["PATCH"],
    doc=RouteDoc(
        "Edit your review within 48 hours of writing it (a published rating's sums follow)",
        request=S + "ReviewEdit",
        response=S + "ReviewOut",
        errors=(400, 403, 404, 409, 415, 422),
        tags=TAGS,
    ),
)
def edit_review(review_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.ReviewEdit)
    return http.json_response(service.edit(principal, review_id, body))


@bp.route(
    "/v1/reviews/{review_id}/reply",
    methods=["POST"],
    doc=RouteDoc(
        "The reviewed host answers a published review, once, publicly",
        request=S + "ReplyIn",
        response=S + "ReviewOut",
        errors=(400, 403, 404, 409, 415, 422),
        tags=TAGS,
    ),
)
def reply_review(review_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.ReplyIn)
    return http.json_response(service.reply(principal, review_id, body))


@bp.route(
    "/v1/reviews/{review_id}/report",
    methods=["POST"],
    doc=RouteDoc(
        "Report a review for moderation (once per person)",
        request=S + "ReportIn",
        response=S + "ReportOut",
        status=202,
        errors=(400, 404, 409, 415, 422),
        tags=TAGS,
    ),
)
def report_review(review_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.ReportIn)
    return http.json_response(service.report(principal, review_id, body), status=202)


@bp.route(
    "/v1/admin/reviews/{review_id}/hide",
    methods=["POST"],
    doc=RouteDoc(
        "Hide a review (admins): out of lists and ratings, kept for audit",
        request=S + "HideIn",
        response=S + "ReviewOut",
        errors=(400, 403, 404, 415, 422),
        tags=("admin", *TAGS),
    ),
)
def hide_review(review_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.HideIn)
    return http.json_response(service.hide(principal, review_id, body))


@bp.route(
    "/v1/listings/{listing_id}/reviews",
    methods=["GET"],
    doc=RouteDoc(
        "A listing's published reviews, newest first, with its rating",
        auth="optional",
        query="chalicelib.core.pagination:PageQuery",
        response=S + "ListingReviewList",
        errors=(400, 404, 422),
        tags=TAGS,
    ),
)
def listing_reviews(listing_id: str) -> Response:
    request = bp.current_request
    optional_principal(request)
    page = http.parse_query(request, pagination.PageQuery)
    found = service.listing_reviews(listing_id, page.limit, page.cursor)
    return http.json_response(
        schemas.ListingReviewList(
            items=found.items, next_cursor=found.next_cursor, rating=service.rating_of(listing_id)
        )
    )


@bp.route(
    "/v1/users/{user_id}/reviews",
    methods=["GET"],
    doc=RouteDoc(
        "Published reviews about a user: as a host (anyone), or as a player (`about=player`: hosts only)",
        auth="optional",
        query=S + "UserReviewsQuery",
        response=S + "ReviewList",
        errors=(400, 403, 404, 422),
        tags=TAGS,
    ),
)
def user_reviews(user_id: str) -> Response:
    request = bp.current_request
    principal = optional_principal(request)
    query = http.parse_query(request, schemas.UserReviewsQuery)
    found = service.user_reviews(principal, user_id, query)
    return http.json_response(schemas.ReviewList(items=found.items, next_cursor=found.next_cursor))


@bp.route(
    "/v1/users/{user_id}/reputation",
    methods=["GET"],
    doc=RouteDoc(
        "A host's rating (average, count, sub-ratings) and the badges their record earns",
        auth="optional",
        response=S + "ReputationOut",
        errors=(404,),
        tags=TAGS,
    ),
)
def user_reputation(user_id: str) -> Response:
    optional_principal(bp.current_request)
    return http.json_response(service.reputation(user_id))


@bp.route(
    "/v1/sessions/{session_id}/feedback",
    methods=["PUT"],
    doc=RouteDoc(
        "Your private notes on a session you host: what went well, what to improve (only you see them)",
        request=S + "FeedbackIn",
        response=S + "FeedbackOut",
        errors=(400, 404, 415, 422),
        tags=TAGS,
    ),
)
def put_feedback(session_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.FeedbackIn)
    return http.json_response(feedback.save(principal, session_id, body))


@bp.route(
    "/v1/sessions/{session_id}/feedback",
    methods=["GET"],
    doc=RouteDoc("Your private notes on a session you host", response=S + "FeedbackOut", errors=(404,), tags=TAGS),
)
def get_feedback(session_id: str) -> Response:
    return http.json_response(feedback.get(authenticate(bp.current_request), session_id))
