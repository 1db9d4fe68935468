"""OpenAPI 3.1 document generated from the registered routes and their pydantic schemas."""

from __future__ import annotations

from typing import Any

from chalice import Chalice, Response

from chalicelib.core.http import json_response
from chalicelib.core.openapi_docs import ROUTE_DOCS, RouteDoc
from chalicelib.core.routing import ApiBlueprint

bp = ApiBlueprint(__name__)


def build_document(app: Chalice) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            doc = ROUTE_DOCS.get(entry.view_function)
            if doc is None:
                continue
            paths.setdefault(path, {})[method.lower()] = {"summary": doc.summary}
    return {"openapi": "3.1.0", "info": {"title": "Sesh API", "version": "1"}, "paths": paths}


@bp.route("/v1/openapi.json", methods=["GET"], doc=RouteDoc("This document", auth="none", tags=("meta",)))
def openapi_document() -> Response:
    return json_response(build_document(bp.current_app))
