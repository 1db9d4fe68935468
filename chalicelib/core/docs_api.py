"""Routes serving the API's own description: the OpenAPI document and a page for humans.

The generator (core.openapi, pydantic-heavy) is imported only when the document is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Response

from chalicelib.core.lazy import lazy_import
from chalicelib.core.openapi_docs import RouteDoc
from chalicelib.core.routing import ApiBlueprint

if TYPE_CHECKING:
    from chalicelib.core import openapi
else:
    openapi = lazy_import("chalicelib.core.openapi")

bp = ApiBlueprint(__name__)

# Redoc from a CDN, pinned and integrity-checked; the spec URL is relative so it also works under
# an API Gateway stage prefix (/api/v1/docs → /api/v1/openapi.json).
_REDOC = "https://cdn.jsdelivr.net/npm/redoc@2.5.4/bundles/redoc.standalone.js"
_REDOC_SRI = "sha384-w447zOpYfw/1Tv/5AK9NfHTlQIqE3RVR6KY62jCyy9zNDgO64cMwGGP1Fj0zJVf5"
DOCS_HTML = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sesh API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><redoc spec-url="openapi.json"></redoc>
<script src="{_REDOC}" integrity="{_REDOC_SRI}" crossorigin="anonymous"></script></body></html>
"""

_META = ("meta",)


def _public(content_type: str) -> dict[str, str | list[str]]:
    # Both bodies are the same for everyone until the next deploy: let browsers and proxies keep them a while.
    return {"Content-Type": content_type, "Cache-Control": "public, max-age=300"}


@bp.route("/v1/openapi.json", methods=["GET"], doc=RouteDoc("This OpenAPI 3.1 document", auth="none", tags=_META))
def openapi_document() -> Response:
    return Response(body=openapi.document_json(bp.current_app), status_code=200, headers=_public("application/json"))


@bp.route(
    "/v1/docs",
    methods=["GET"],
    doc=RouteDoc("The API reference for humans (Redoc)", auth="none", tags=_META, response_media_type="text/html"),
)
def api_docs() -> Response:
    return Response(body=DOCS_HTML, status_code=200, headers=_public("text/html; charset=utf-8"))
