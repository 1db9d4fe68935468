"""Routes of catalog sessions: create (one-off or recurring), read, edit, cancel, calendar feed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Response

from chalicelib.catalog.api import created
from chalicelib.core.auth import authenticate, optional_principal
from chalicelib.core.lazy import lazy_import
from chalicelib.core.openapi_docs import RouteDoc
from chalicelib.core.routing import ApiBlueprint

if TYPE_CHECKING:
    from chalicelib.catalog import calendar, schemas, sessions_service
    from chalicelib.catalog import session_schemas as ss
    from chalicelib.core import http
else:  # loaded by the first request that needs them (cold start)
    calendar = lazy_import("chalicelib.catalog.calendar")
    schemas = lazy_import("chalicelib.catalog.schemas")
    sessions_service = lazy_import("chalicelib.catalog.sessions_service")
    ss = lazy_import("chalicelib.catalog.session_schemas")
    http = lazy_import("chalicelib.core.http")

bp = ApiBlueprint(__name__)
TAGS = ("sessions",)
S = "chalicelib.catalog.session_schemas:"
VIEWER = "chalicelib.catalog.schemas:ViewerQuery"


@bp.route(
    "/v1/listings/{listing_id}/sessions",
    methods=["POST"],
    doc=RouteDoc(
        "Schedule a session, or a recurring series (weekly, every two weeks, monthly; at most 200) in local time",
        request=S + "SessionsIn",
        response=S + "SessionsCreated",
        status=201,
        errors=(403, 404, 409),
        idempotent=True,
        tags=TAGS,
    ),
)
def create_sessions(listing_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, ss.SessionsIn)
    return created(
        request,
        principal,
        f"create_sessions:{listing_id}",
        request.json_body,
        lambda: sessions_service.create_sessions(principal, listing_id, body),
    )


@bp.route(
    "/v1/listings/{listing_id}/sessions",
    methods=["GET"],
    doc=RouteDoc(
        "A listing's sessions that have not started, by start (its host also sees cancelled ones)",
        auth="optional",
        query="chalicelib.catalog.schemas:ViewerPageQuery",
        response=S + "SessionList",
        errors=(400, 404),
        tags=TAGS,
    ),
)
def list_listing_sessions(listing_id: str) -> Response:
    request = bp.current_request
    principal = optional_principal(request)
    query = http.parse_query(request, schemas.ViewerPageQuery)
    page = sessions_service.list_for_listing(principal, listing_id, query.limit, query.cursor, query.tz)
    return http.json_response(ss.SessionList(items=page.items, next_cursor=page.next_cursor))


@bp.route(
    "/v1/sessions/{session_id}",
    methods=["GET"],
    doc=RouteDoc(
        "A session with its listing, host, seats left and price",
        auth="optional",
        query=VIEWER,
        response=S + "SessionDetail",
        errors=(404,),
        tags=TAGS,
    ),
)
def get_session(session_id: str) -> Response:
    request = bp.current_request
    principal = optional_principal(request)
    query = http.parse_query(request, schemas.ViewerQuery)
    return http.json_response(sessions_service.get_session(principal, session_id, query.tz))


@bp.route(
    "/v1/sessions/{session_id}",
    methods=["PATCH"],
    doc=RouteDoc(
        "Move or resize a session, or it and the following ones of its series (?apply_to=following)",
        request=S + "SessionPatch",
        query=S + "EditQuery",
        response=S + "SessionsChanged",
        if_match=True,
        errors=(403, 404, 409),
        tags=TAGS,
    ),
)
def update_session(session_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    query = http.parse_query(request, ss.EditQuery)
    patch = http.parse_body(request, ss.SessionPatch)
    changed = sessions_service.update_session(
        principal, session_id, patch, query.apply_to, http.if_match_version(request)
    )
    return http.json_response(changed)


@bp.route(
    "/v1/sessions/{session_id}/cancel",
    methods=["POST"],
    doc=RouteDoc("Cancel one session", response=S + "SessionOut", if_match=True, errors=(403, 404, 409), tags=TAGS),
)
def cancel_session(session_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    return http.json_response(sessions_service.cancel_session(principal, session_id, http.if_match_version(request)))


@bp.route(
    "/v1/listings/{listing_id}/calendar.ics",
    methods=["GET"],
    doc=RouteDoc(
        "The listing's upcoming sessions as an iCalendar feed (with VTIMEZONEs)",
        auth="optional",
        response_media_type="text/calendar",
        errors=(404,),
        tags=TAGS,
    ),
)
def listing_calendar(listing_id: str) -> Response:
    principal = optional_principal(bp.current_request)
    body = calendar.listing_calendar(principal, listing_id)
    return Response(body=body.decode(), status_code=200, headers={"Content-Type": "text/calendar; charset=utf-8"})
