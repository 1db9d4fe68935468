"""Routes of notifications: the in-app feed and read marks, preferences, one-click unsubscribe,
push devices, and the private calendar feed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Response

from chalicelib.core.auth import authenticate
from chalicelib.core.lazy import lazy_import
from chalicelib.core.openapi_docs import RouteDoc
from chalicelib.core.routing import ApiBlueprint

if TYPE_CHECKING:
    from chalicelib.core import http
    from chalicelib.notifications import calendar_feed, schemas, service
else:  # loaded by the first request that needs them (cold start: no jinja2, babel, icalendar, pydantic)
    http = lazy_import("chalicelib.core.http")
    schemas = lazy_import("chalicelib.notifications.schemas")
    service = lazy_import("chalicelib.notifications.service")
    calendar_feed = lazy_import("chalicelib.notifications.calendar_feed")

bp = ApiBlueprint(__name__)
TAGS = ("notifications",)
S = "chalicelib.notifications.schemas:"


@bp.route(
    "/v1/me/notifications",
    methods=["GET"],
    doc=RouteDoc(
        "Your notifications, newest first (?unread=true for the unread ones), with the unread count",
        query=S + "FeedQuery",
        response=S + "FeedPage",
        errors=(400, 422),
        tags=TAGS,
    ),
)
def my_notifications() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    return http.json_response(service.feed(principal, http.parse_query(request, schemas.FeedQuery)))


@bp.route(
    "/v1/me/notifications/read",
    methods=["POST"],
    doc=RouteDoc(
        "Mark notifications read: some ids, or all",
        request=S + "MarkRead",
        response=S + "ReadResult",
        errors=(400, 413, 415, 422),
        tags=TAGS,
    ),
)
def mark_read() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    return http.json_response(service.mark_read(principal, http.parse_body(request, schemas.MarkRead)))


@bp.route(
    "/v1/me/notification-preferences",
    methods=["GET"],
    doc=RouteDoc(
        "Which categories reach you on which channel (in-app, email, push)", response=S + "PreferencesOut", tags=TAGS
    ),
)
def get_preferences() -> Response:
    return http.json_response(service.get_preferences(authenticate(bp.current_request)))


@bp.route(
    "/v1/me/notification-preferences",
    methods=["PUT"],
    doc=RouteDoc(
        "Change some categories' channels (receipts and security always go out)",
        request=S + "PreferencesIn",
        response=S + "PreferencesOut",
        if_match=True,
        errors=(400, 412, 413, 415, 422),
        tags=TAGS,
    ),
)
def put_preferences() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.PreferencesIn)
    return http.json_response(service.put_preferences(principal, body, http.if_match_version(request)))


def _unsubscribed() -> Response:
    query = http.parse_query(bp.current_request, schemas.UnsubscribeQuery)
    category = service.unsubscribe(query.user, query.category, query.sig)
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Unsubscribed</title></head><body>"
        f"<p>You will no longer get {category} emails from Sesh. You can turn them back on in your "
        "notification settings.</p></body></html>"
    )
    return Response(body=page, status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})


@bp.route(
    "/v1/notifications/unsubscribe",
    methods=["GET"],
    doc=RouteDoc(
        "Unsubscribe from a category's emails (the signed link in the email's footer)",
        auth="signature",
        query=S + "UnsubscribeQuery",
        response_media_type="text/html",
        errors=(404, 409, 422),
        tags=TAGS,
    ),
)
def unsubscribe_link() -> Response:
    return _unsubscribed()


@bp.route(
    "/v1/notifications/unsubscribe",
    methods=["POST"],
    doc=RouteDoc(
        "One-click unsubscribe (RFC 8058: the mail client POSTs to the List-Unsubscribe URL)",
        auth="signature",
        query=S + "UnsubscribeQuery",
        response_media_type="text/html",
        errors=(404, 409, 422),
        tags=TAGS,
    ),
)
def unsubscribe_one_click() -> Response:
    return _unsubscribed()


@bp.route(
    "/v1/me/devices",
    methods=["POST"],
    doc=RouteDoc(
        "Register this device for push notifications (platform and token)",
        request=S + "DeviceIn",
        response=S + "DeviceOut",
        status=201,
        errors=(400, 413, 415, 422),
        tags=TAGS,
    ),
)
def add_device() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    return http.json_response(service.add_device(principal, http.parse_body(request, schemas.DeviceIn)), 201)


@bp.route(
    "/v1/me/devices",
    methods=["DELETE"],
    doc=RouteDoc(
        "Stop push notifications to this device (platform and token)",
        request=S + "DeviceIn",
        status=204,
        errors=(400, 404, 413, 415, 422),
        tags=TAGS,
    ),
)
def remove_device() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    service.remove_device(principal, http.parse_body(request, schemas.DeviceIn))
    return Response(body="", status_code=204)


@bp.route(
    "/v1/me/calendar",
    methods=["GET"],
    doc=RouteDoc(
        "Your private calendar feed's URL (bookings and hosted sessions); keep it secret",
        response=S + "CalendarFeedOut",
        tags=TAGS,
    ),
)
def my_calendar() -> Response:
    return http.json_response(calendar_feed.my_feed(authenticate(bp.current_request)))


@bp.route(
    "/v1/me/calendar/rotate",
    methods=["POST"],
    doc=RouteDoc(
        "A new secret URL for your calendar feed; the old one stops working", response=S + "CalendarFeedOut", tags=TAGS
    ),
)
def rotate_calendar() -> Response:
    return http.json_response(calendar_feed.rotate(authenticate(bp.current_request)))


@bp.route(
    "/v1/calendar-feeds/{token}/sesh.ics",
    methods=["GET"],
    doc=RouteDoc(
        "A user's calendar feed, by its secret token (what calendar apps subscribe to)",
        auth="signature",
        response_media_type="text/calendar",
        errors=(404,),
        tags=TAGS,
    ),
)
def calendar_feed_ics(token: str) -> Response:
    body = calendar_feed.feed(token)
    return Response(body=body.decode(), status_code=200, headers={"Content-Type": "text/calendar; charset=utf-8"})
