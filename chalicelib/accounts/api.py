"""Routes of the accounts capability: /v1/me, /v1/me/host, /v1/me/avatar, /v1/users/{user_id}."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Response

from chalicelib.core.auth import authenticate, optional_principal
from chalicelib.core.lazy import lazy_import
from chalicelib.core.openapi_docs import RouteDoc
from chalicelib.core.routing import ApiBlueprint

if TYPE_CHECKING:
    from chalicelib.accounts import schemas, service
    from chalicelib.core import http
else:  # loaded by the first request that needs them (cold start)
    schemas = lazy_import("chalicelib.accounts.schemas")
    service = lazy_import("chalicelib.accounts.service")
    http = lazy_import("chalicelib.core.http")

bp = ApiBlueprint(__name__)
TAGS = ("accounts",)
S = "chalicelib.accounts.schemas:"  # schema references, imported on first use


@bp.route("/v1/me", methods=["GET"], doc=RouteDoc("Your own profile", response=S + "Me", tags=TAGS))
def get_me() -> Response:
    return http.json_response(service.get_me(authenticate(bp.current_request)))


@bp.route(
    "/v1/me",
    methods=["PATCH"],
    doc=RouteDoc(
        "Change your profile (If-Match with the version you read)",
        request=S + "UpdateMe",
        response=S + "Me",
        if_match=True,
        errors=(400, 412, 413, 415, 422),
        tags=TAGS,
    ),
)
def update_me() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    change = http.parse_body(request, schemas.UpdateMe)
    return http.json_response(service.update_me(principal, change, http.if_match_version(request)))


@bp.route(
    "/v1/me/host",
    methods=["PUT"],
    doc=RouteDoc(
        "Become a host, or replace your host profile",
        request=S + "HostProfileIn",
        response=S + "Me",
        if_match=True,
        errors=(400, 412, 413, 415, 422),
        tags=TAGS,
    ),
)
def put_host_profile() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    profile = http.parse_body(request, schemas.HostProfileIn)
    return http.json_response(service.become_host(principal, profile, http.if_match_version(request)))


@bp.route(
    "/v1/me/avatar",
    methods=["POST"],
    doc=RouteDoc(
        "A presigned S3 POST for a new avatar image (max 5 MB); then PATCH /v1/me with its key",
        request=S + "AvatarUploadIn",
        response=S + "AvatarUploadOut",
        status=201,
        errors=(400, 415, 422),
        rate_limit="upload",
        tags=TAGS,
    ),
)
def create_avatar_upload() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    upload = service.avatar_upload(principal, http.parse_body(request, schemas.AvatarUploadIn))
    return http.json_response(upload, status=201)


@bp.route(
    "/v1/users/{user_id}",
    methods=["GET"],
    doc=RouteDoc("A user's public profile", auth="optional", response=S + "PublicProfile", errors=(404,), tags=TAGS),
)
def get_user(user_id: str) -> Response:
    optional_principal(bp.current_request)  # a bad token is still a 401, even on a public route
    return http.json_response(service.public_profile(user_id))
