"""The HTTP middleware: one boundary around every request.

It sets the log context (request id, then user id once known), refuses oversized bodies, turns every
error — ours and Chalice's own — into problem+json, adds CORS and security headers, and flushes
metrics. Routes never format errors themselves.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalice import Chalice, Response
from chalice.app import Request

from chalicelib.core import auth, cors
from chalicelib.core.exceptions import InternalError, PayloadTooLarge, ProblemError
from chalicelib.core.lazy import lazy_import
from chalicelib.core.observability import logger, metrics, traced
from chalicelib.core.problems import PROBLEM_CONTENT_TYPE, code_for_status, problem_body

if TYPE_CHECKING:
    from chalicelib.core import settings
else:
    settings = lazy_import("chalicelib.core.settings")


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Cache-Control": "no-store",
}


def _correlation_id(request: Request) -> str:
    context = request.context or {}
    return str(context.get("requestId") or uuid.uuid4())


def _check_body_size(request: Request) -> None:
    limit = settings.get_settings().max_body_bytes
    size = len(request.raw_body or b"")
    if size > limit:
        raise PayloadTooLarge(f"The body is {size} bytes; the limit is {limit} bytes.")


def _as_problem(response: Response, correlation_id: str) -> Response:
    """Rewrite Chalice's own error bodies ({"Code", "Message"}) as problem+json."""
    headers = {k.lower(): v for k, v in response.headers.items()}
    if response.status_code < 400 or headers.get("content-type") == PROBLEM_CONTENT_TYPE:
        return response
    status = response.status_code
    detail = "Something went wrong on our side."
    if status < 500 and isinstance(response.body, dict):
        detail = str(response.body.get("Message") or detail)
    extra = {"correlation_id": correlation_id} if status >= 500 else {}
    body = problem_body(status, code_for_status(status), detail, detail, None, **extra)
    kept = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
    return Response(body=json.dumps(body), status_code=status, headers={**kept, "Content-Type": PROBLEM_CONTENT_TYPE})


def http_boundary(request: Request, get_response: Callable[[Request], Response]) -> Response:
    auth.reset_request_state()
    correlation_id = _correlation_id(request)
    logger.remove_keys(["user_id"])
    logger.append_keys(request_id=correlation_id, method=request.method, path=request.path)
    try:
        _check_body_size(request)
        route = (request.context or {}).get("resourcePath", request.path)
        with traced(f"## {request.method} {route}", request_id=correlation_id):
            response = get_response(request)
    except ProblemError as error:
        response = error.to_response(correlation_id)
    except Exception:  # raised outside a view (routing, middleware); never leak internals
        logger.exception("unhandled error outside a view")
        response = InternalError("Something went wrong on our side.").to_response(correlation_id)
    response = _as_problem(response, correlation_id)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.update(cors.response_headers(request.headers.get("origin")))
    response.headers["X-Request-Id"] = correlation_id
    log = logger.warning if response.status_code >= 500 else logger.info
    log("request done", extra={"status": response.status_code, "user_id": auth.current_user_id()})
    if metrics.metric_set:
        metrics.flush_metrics()
    return response


def install(app: Chalice) -> None:
    app.register_middleware(http_boundary, "http")
