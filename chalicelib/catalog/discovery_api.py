"""Routes of discovery: public search of sessions and listings, favorites, saved searches."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Response

from chalicelib.catalog.api import created
from chalicelib.core.auth import authenticate, optional_principal
from chalicelib.core.lazy import lazy_import
from chalicelib.core.openapi_docs import RouteDoc
from chalicelib.core.routing import ApiBlueprint

if TYPE_CHECKING:
    from chalicelib.catalog import discovery, me_service
    from chalicelib.catalog import search_schemas as sch
    from chalicelib.core import http, pagination
else:  # loaded by the first request that needs them (cold start)
    discovery = lazy_import("chalicelib.catalog.discovery")
    me_service = lazy_import("chalicelib.catalog.me_service")
    sch = lazy_import("chalicelib.catalog.search_schemas")
    http = lazy_import("chalicelib.core.http")
    pagination = lazy_import("chalicelib.core.pagination")

bp = ApiBlueprint(__name__)
TAGS = ("discovery",)
S = "chalicelib.catalog.search_schemas:"
PAGE = "chalicelib.core.pagination:PageQuery"


@bp.route(
    "/v1/sessions",
    methods=["GET"],
    doc=RouteDoc(
        "Find upcoming sessions: filters combine; sorted by start (default) or price",
        auth="optional",
        query=S + "SearchQuery",
        response=S + "SessionPage",
        errors=(400,),
        rate_limit="search",
        tags=TAGS,
    ),
)
def search_sessions() -> Response:
    request = bp.current_request
    optional_principal(request)
    return http.json_response(discovery.search_sessions(http.parse_query(request, sch.SearchQuery)))


@bp.route(
    "/v1/listings",
    methods=["GET"],
    doc=RouteDoc(
        "Find listings with a matching upcoming session, each at its first one; by start (default) or price",
        auth="optional",
        query=S + "SearchQuery",
        response=S + "ListingPage",
        errors=(400,),
        rate_limit="search",
        tags=TAGS,
    ),
)
def search_listings() -> Response:
    request = bp.current_request
    optional_principal(request)
    return http.json_response(discovery.search_listings(http.parse_query(request, sch.SearchQuery)))


@bp.route(
    "/v1/me/favorites/{listing_id}",
    methods=["PUT"],
    doc=RouteDoc("Favorite a listing (idempotent)", status=204, errors=(404,), tags=TAGS),
)
def add_favorite(listing_id: str) -> Response:
    me_service.add_favorite(authenticate(bp.current_request), listing_id)
    return Response(body="", status_code=204)


@bp.route(
    "/v1/me/favorites/{listing_id}",
    methods=["DELETE"],
    doc=RouteDoc("Unfavorite a listing (idempotent)", status=204, errors=(404,), tags=TAGS),
)
def remove_favorite(listing_id: str) -> Response:
    me_service.remove_favorite(authenticate(bp.current_request), listing_id)
    return Response(body="", status_code=204)


@bp.route(
    "/v1/me/favorites",
    methods=["GET"],
    doc=RouteDoc("Your favorite listings", query=PAGE, response=S + "FavoritePage", errors=(400,), tags=TAGS),
)
def list_favorites() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    page = http.parse_query(request, pagination.PageQuery)
    result = me_service.favorites(principal, page.limit, page.cursor)
    return http.json_response(sch.FavoritePage(items=result.items, next_cursor=result.next_cursor))


@bp.route(
    "/v1/me/saved-searches",
    methods=["POST"],
    doc=RouteDoc(
        "Save a search: a name and its filters (at most 50)",
        request=S + "SavedSearchIn",
        response=S + "SavedSearch",
        status=201,
        errors=(409,),
        idempotent=True,
        tags=TAGS,
    ),
)
def save_search() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, sch.SavedSearchIn)
    return created(
        request, principal, "save_search", request.json_body, lambda: me_service.save_search(principal, body)
    )


@bp.route(
    "/v1/me/saved-searches",
    methods=["GET"],
    doc=RouteDoc("Your saved searches", query=PAGE, response=S + "SavedSearchList", errors=(400,), tags=TAGS),
)
def list_saved_searches() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    page = http.parse_query(request, pagination.PageQuery)
    result = me_service.saved_searches(principal, page.limit, page.cursor)
    return http.json_response(sch.SavedSearchList(items=result.items, next_cursor=result.next_cursor))


@bp.route(
    "/v1/me/saved-searches/{search_id}",
    methods=["DELETE"],
    doc=RouteDoc("Delete a saved search", status=204, errors=(404,), tags=TAGS),
)
def delete_saved_search(search_id: str) -> Response:
    me_service.delete_search(authenticate(bp.current_request), search_id)
    return Response(body="", status_code=204)
