"""Routes of the accounts capability: /v1/me, /v1/me/host, /v1/me/avatar, /v1/users/{user_id}."""

from __future__ import annotations

from chalice import Response

from chalicelib.accounts import schemas, service
from chalicelib.core.auth import authenticate, optional_principal
from chalicelib.core.http import if_match_version, json_response, parse_body
from chalicelib.core.openapi_docs import RouteDoc
from chalicelib.core.routing import ApiBlueprint

bp = ApiBlueprint(__name__)
TAGS = ("accounts",)


@bp.route("/v1/me", methods=["GET"], doc=RouteDoc("Your own profile", response=schemas.Me, tags=TAGS))
def get_me() -> Response:
    return json_response(service.get_me(authenticate(bp.current_request)))


@bp.route(
    "/v1/me",
    methods=["PATCH"],
    doc=RouteDoc(
        "Change your profile (If-Match with the version you read)",
        request=schemas.UpdateMe,
        response=schemas.Me,
        errors=(400, 412, 413, 415, 422),
        tags=TAGS,
    ),
)
def update_me() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    change = parse_body(request, schemas.UpdateMe)
    return json_response(service.update_me(principal, change, if_match_version(request)))


@bp.route(
    "/v1/me/host",
    methods=["PUT"],
    doc=RouteDoc(
        "Become a host, or replace your host profile",
        request=schemas.HostProfileIn,
        response=schemas.Me,
        errors=(400, 412, 413, 415, 422),
        tags=TAGS,
    ),
)
def put_host_profile() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    profile = parse_body(request, schemas.HostProfileIn)
    return json_response(service.become_host(principal, profile, if_match_version(request)))


@bp.route(
    "/v1/me/avatar",
    methods=["POST"],
    doc=RouteDoc(
        "A presigned S3 POST for a new avatar image (max 5 MB); then PATCH /v1/me with its key",
        request=schemas.AvatarUploadIn,
        response=schemas.AvatarUploadOut,
        status=201,
        errors=(400, 415, 422),
        tags=TAGS,
    ),
)
def create_avatar_upload() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    upload = service.avatar_upload(principal, parse_body(request, schemas.AvatarUploadIn))
    return json_response(upload, status=201)


@bp.route(
    "/v1/users/{user_id}",
    methods=["GET"],
    doc=RouteDoc("A user's public profile", auth="optional", response=schemas.PublicProfile, errors=(404,), tags=TAGS),
)
def get_user(user_id: str) -> Response:
    optional_principal(bp.current_request)  # a bad token is still a 401, even on a public route
    return json_response(service.public_profile(user_id))
