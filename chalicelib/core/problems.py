"""Rendering problem+json responses (RFC 9457)."""

from __future__ import annotations

import json
from typing import Any

from chalice import Response

from chalicelib.core.exceptions import ProblemError

PROBLEM_CONTENT_TYPE = "application/problem+json"
_TYPE_BASE = "https://sesh.example/problems/"

# Chalice's own error codes (routing, content negotiation) mapped onto ours.
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "dependency_unavailable",
    504: "gateway_timeout",
}


def problem_body(
    status: int, code: str, title: str, detail: str, errors: list[dict[str, str]] | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": _TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors or [],
    }
    body.update(extra)
    return body


def problem_response(error: ProblemError, correlation_id: str | None = None) -> Response:
    extra = dict(error.extra)
    if correlation_id and error.status >= 500:
        extra["correlation_id"] = correlation_id
    body = problem_body(
        error.status,
        error.code,
        error.title,
        error.detail,
        [{"field": e.field, "message": e.message} for e in error.errors],
        **extra,
    )
    headers: dict[str, str | list[str]] = {"Content-Type": PROBLEM_CONTENT_TYPE, **error.headers}
    return Response(body=json.dumps(body), status_code=error.status, headers=headers)


def code_for_status(status: int) -> str:
    return _STATUS_CODES.get(status, "error")
