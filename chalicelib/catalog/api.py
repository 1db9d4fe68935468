"""Routes of the catalog: taxonomy, listings (host-only writes), listing images, host pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice import Response
from chalice.app import Request

from chalicelib.core.auth import Principal, authenticate, optional_principal
from chalicelib.core.lazy import lazy_import
from chalicelib.core.openapi_docs import RouteDoc
from chalicelib.core.routing import ApiBlueprint

if TYPE_CHECKING:
    from pydantic import BaseModel

    from chalicelib.catalog import schemas, service
    from chalicelib.core import http, idempotency, pagination
else:  # loaded by the first request that needs them (cold start)
    schemas = lazy_import("chalicelib.catalog.schemas")
    service = lazy_import("chalicelib.catalog.service")
    http = lazy_import("chalicelib.core.http")
    idempotency = lazy_import("chalicelib.core.idempotency")
    pagination = lazy_import("chalicelib.core.pagination")

bp = ApiBlueprint(__name__)
TAGS = ("catalog",)
S = "chalicelib.catalog.schemas:"
PAGE = "chalicelib.core.pagination:PageQuery"


def created(
    request: Request, principal: Principal, operation: str, payload: Any, action: Callable[[], BaseModel]
) -> Response:
    """201 with the created resource; an Idempotency-Key replays the first response."""
    outcome = idempotency.run_once(
        scope=f"{principal.user_id}:{operation}",
        key=idempotency.key_from(request),
        payload=payload,
        action=lambda: {"status": 201, "body": action().model_dump(mode="json")},
    )
    return http.json_response(outcome["body"], status=int(outcome["status"]))


@bp.route(
    "/v1/categories",
    methods=["GET"],
    doc=RouteDoc(
        "Categories of both verticals, game systems, tools, safety tools, levels and age ratings",
        auth="none",
        response=S + "Taxonomy",
        tags=TAGS,
    ),
)
def get_taxonomy() -> Response:
    return http.json_response(service.taxonomy())


@bp.route(
    "/v1/listings",
    methods=["POST"],
    doc=RouteDoc(
        "Create a listing (hosts only); it starts as a draft",
        request=S + "ListingIn",
        response=S + "ListingOut",
        status=201,
        errors=(403,),
        idempotent=True,
        tags=TAGS,
    ),
)
def create_listing() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.ListingIn)
    return created(
        request, principal, "create_listing", request.json_body, lambda: service.create_listing(principal, body)
    )


@bp.route(
    "/v1/listings/{listing_id}",
    methods=["GET"],
    doc=RouteDoc(
        "A listing with its host and next sessions (drafts only to their host)",
        auth="optional",
        query=S + "ViewerQuery",
        response=S + "ListingDetail",
        errors=(404,),
        tags=TAGS,
    ),
)
def get_listing(listing_id: str) -> Response:
    request = bp.current_request
    principal = optional_principal(request)
    query = http.parse_query(request, schemas.ViewerQuery)
    return http.json_response(service.get_listing(principal, listing_id, query.tz))


@bp.route(
    "/v1/listings/{listing_id}",
    methods=["PATCH"],
    doc=RouteDoc(
        "Change a listing (If-Match with the version you read)",
        request=S + "ListingPatch",
        response=S + "ListingOut",
        if_match=True,
        errors=(403, 404, 409),
        tags=TAGS,
    ),
)
def update_listing(listing_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    patch = http.parse_body(request, schemas.ListingPatch)
    return http.json_response(service.update_listing(principal, listing_id, patch, http.if_match_version(request)))


def _change_status(listing_id: str, action: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    return http.json_response(service.change_status(principal, listing_id, action, http.if_match_version(request)))


def _status_doc(summary: str) -> RouteDoc:
    return RouteDoc(summary, response=S + "ListingOut", if_match=True, errors=(403, 404, 409), tags=TAGS)


@bp.route(
    "/v1/listings/{listing_id}/publish",
    methods=["POST"],
    doc=_status_doc("Publish a draft or unpublished listing: it becomes searchable"),
)
def publish_listing(listing_id: str) -> Response:
    return _change_status(listing_id, "publish")


@bp.route(
    "/v1/listings/{listing_id}/unpublish",
    methods=["POST"],
    doc=_status_doc("Take a listing out of search (its sessions stay)"),
)
def unpublish_listing(listing_id: str) -> Response:
    return _change_status(listing_id, "unpublish")


@bp.route(
    "/v1/listings/{listing_id}/archive",
    methods=["POST"],
    doc=_status_doc("Archive a listing for good; cancels its upcoming sessions (none may have bookings)"),
)
def archive_listing(listing_id: str) -> Response:
    return _change_status(listing_id, "archive")


@bp.route(
    "/v1/listings/{listing_id}/images",
    methods=["POST"],
    doc=RouteDoc(
        "A presigned S3 POST for a listing image (max 5 MB); then PATCH the listing's images with its key",
        request=S + "ImageUploadIn",
        response=S + "ImageUploadOut",
        status=201,
        errors=(403, 404),
        rate_limit="upload",
        tags=TAGS,
    ),
)
def create_image_upload(listing_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.ImageUploadIn)
    return http.json_response(service.image_upload(principal, listing_id, body), status=201)


@bp.route(
    "/v1/me/listings",
    methods=["GET"],
    doc=RouteDoc(
        "Your listings in every state, newest first (hosts)",
        query=PAGE,
        response=S + "ListingList",
        errors=(400, 403),
        tags=TAGS,
    ),
)
def my_listings() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    page = http.parse_query(request, pagination.PageQuery)
    result = service.my_listings(principal, page.limit, page.cursor)
    return http.json_response(schemas.ListingList(items=result.items, next_cursor=result.next_cursor))


@bp.route(
    "/v1/users/{user_id}/listings",
    methods=["GET"],
    doc=RouteDoc(
        "A host's published listings, newest first (their public page; upcoming sessions: GET /v1/sessions?host=)",
        auth="optional",
        query=PAGE,
        response=S + "ListingCardList",
        errors=(400, 404),
        tags=TAGS,
    ),
)
def host_listings(user_id: str) -> Response:
    request = bp.current_request
    optional_principal(request)
    page = http.parse_query(request, pagination.PageQuery)
    result = service.host_listings(user_id, page.limit, page.cursor)
    return http.json_response(schemas.ListingCardList(items=result.items, next_cursor=result.next_cursor))
