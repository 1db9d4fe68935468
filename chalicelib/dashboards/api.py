"""Routes of the dashboards: the player's, the host's and the admins' platform overview."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Response

from chalicelib.core.auth import authenticate
from chalicelib.core.lazy import lazy_import
from chalicelib.core.openapi_docs import RouteDoc
from chalicelib.core.routing import ApiBlueprint

if TYPE_CHECKING:
    from chalicelib.analytics import service as analytics
    from chalicelib.core import http
    from chalicelib.dashboards import service
else:  # loaded by the first request that needs them (cold start)
    analytics = lazy_import("chalicelib.analytics.service")
    http = lazy_import("chalicelib.core.http")
    service = lazy_import("chalicelib.dashboards.service")

bp = ApiBlueprint(__name__)
TAGS = ("dashboards",)
S = "chalicelib.dashboards.schemas:"
ADMIN = "chalicelib.analytics.service:"  # the overview's contract is analytics'


@bp.route(
    "/v1/me/dashboard",
    methods=["GET"],
    doc=RouteDoc(
        "Your player dashboard: upcoming bookings with chat links, pending payments, waitlist positions and offers, "
        "favorites with their next sessions, unread notifications, past sessions awaiting your review",
        response=S + "PlayerDashboard",
        tags=TAGS,
    ),
)
def player_dashboard() -> Response:
    return http.json_response(service.player(authenticate(bp.current_request)))


@bp.route(
    "/v1/me/host/dashboard",
    methods=["GET"],
    doc=RouteDoc(
        "Your host dashboard: today's and upcoming sessions with rosters and fill rate, requests awaiting a "
        "decision (with their expiry), recent reviews, rating and badges, payout status, the last 30 days",
        response=S + "HostDashboard",
        errors=(403,),
        tags=TAGS,
    ),
)
def host_dashboard() -> Response:
    return http.json_response(service.host(authenticate(bp.current_request)))


@bp.route(
    "/v1/admin/metrics",
    methods=["GET"],
    doc=RouteDoc(
        "Platform overview (admins): bookings, revenue, refunds, cancellations, disputes, active hosts, reviews "
        "and reported content",
        query=ADMIN + "AdminMetricsQuery",
        response=ADMIN + "AdminMetrics",
        errors=(400, 403, 422),
        tags=("admin",),
    ),
)
def admin_metrics() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    query = http.parse_query(request, analytics.AdminMetricsQuery)
    return http.json_response(service.admin(principal, query.days))
