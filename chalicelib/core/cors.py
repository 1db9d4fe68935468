"""CORS for the stage's allowed origins (settings), including answers to preflight requests.

API Gateway only answers a preflight for a path that has an OPTIONS method, so every path gets one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Chalice, Response

from chalicelib.core.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.core import settings
else:
    settings = lazy_import("chalicelib.core.settings")


ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key, If-Match"
EXPOSED_HEADERS = "X-Request-Id, ETag, Retry-After, Location"
MAX_AGE_SECONDS = "600"


def _allowed(origin: str | None) -> bool:
    return bool(origin) and origin in settings.get_settings().cors_allowed_origins


def response_headers(origin: str | None) -> dict[str, str]:
    if not _allowed(origin):
        return {}
    assert origin is not None
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": EXPOSED_HEADERS, "Vary": "Origin"}


def register_preflight_routes(app: Chalice) -> None:
    """Give every registered path an OPTIONS route that answers the browser's preflight."""
    for path, methods in list(app.routes.items()):
        if "OPTIONS" in methods:
            continue
        allow = ", ".join(sorted(set(methods) | {"OPTIONS"}))

        def preflight(allow: str = allow, **_path_params: Any) -> Response:
            request = app.current_request
            origin = request.headers.get("origin") if request else None
            headers: dict[str, str | list[str]] = {"Allow": allow}
            if _allowed(origin):
                headers.update(
                    {
                        "Access-Control-Allow-Methods": allow,
                        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                        "Access-Control-Max-Age": MAX_AGE_SECONDS,
                    }
                )
            return Response(body="", status_code=204, headers=headers)

        app.route(path, methods=["OPTIONS"], content_types=["*/*"], name=f"preflight{path}")(preflight)
