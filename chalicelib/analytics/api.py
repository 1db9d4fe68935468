"""Routes of analytics: the host's figures (JSON and CSV). The admin overview is a dashboard's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Response

from chalicelib.core.auth import authenticate
from chalicelib.core.lazy import lazy_import
from chalicelib.core.openapi_docs import RouteDoc
from chalicelib.core.routing import ApiBlueprint

if TYPE_CHECKING:
    from chalicelib.analytics import schemas, service
    from chalicelib.core import http
else:  # loaded by the first request that needs them (cold start)
    schemas = lazy_import("chalicelib.analytics.schemas")
    service = lazy_import("chalicelib.analytics.service")
    http = lazy_import("chalicelib.core.http")

bp = ApiBlueprint(__name__)
TAGS = ("analytics",)
S = "chalicelib.analytics.schemas:"


@bp.route(
    "/v1/me/host/analytics",
    methods=["GET"],
    doc=RouteDoc(
        "Your figures as a host by day, week or month in your timezone: bookings, seats, fill rate, revenue and "
        "refunds per currency, cancellations by who, no-shows, repeat players, waitlist conversions, top listings",
        query=S + "AnalyticsQuery",
        response=S + "AnalyticsOut",
        errors=(400, 403, 422),
        tags=TAGS,
    ),
)
def host_analytics() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    query = http.parse_query(request, schemas.AnalyticsQuery)
    return http.json_response(service.host_analytics(principal, query))


@bp.route(
    "/v1/me/host/analytics.csv",
    methods=["GET"],
    doc=RouteDoc(
        "The same figures as CSV, one row per period",
        query=S + "AnalyticsQuery",
        response_media_type="text/csv",
        errors=(400, 403, 422),
        tags=TAGS,
    ),
)
def host_analytics_csv() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    query = http.parse_query(request, schemas.AnalyticsQuery)
    return Response(
        body=service.host_analytics_csv(principal, query),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="analytics.csv"',
        },
    )
