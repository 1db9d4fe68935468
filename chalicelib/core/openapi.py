"""OpenAPI 3.1 document generated from the registered routes, their `RouteDoc`s and pydantic schemas.

OpenAPI 3.1 schemas are JSON Schema 2020-12, which is what pydantic emits, so models go in as they
are; only their `$defs` are hoisted into `components.schemas`. The document is served at
`/v1/openapi.json` and rendered for humans by Redoc at `/v1/docs`.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from chalice import Chalice
from chalice.app import RouteEntry
from pydantic import BaseModel, Field
from pydantic.json_schema import JsonSchemaMode, SkipJsonSchema, models_json_schema

from chalicelib.core.openapi_docs import ROUTE_DOCS, RouteDoc
from chalicelib.core.problems import PROBLEM_CONTENT_TYPE

TITLE = "Sesh API"
VERSION = "1"
_REF_TEMPLATE = "#/components/schemas/{model}"
Names = dict[tuple[type[Any], str], str]  # (model, "validation" | "serialization") → component name
_PATH_PARAM = re.compile(r"{(\w+)}")
# What reading any JSON body may answer (core.http.json_body, the middleware's size check).
_BODY_ERRORS = (400, 413, 415, 422)
_SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "required": [{"bearerAuth": []}],
    "optional": [{}, {"bearerAuth": []}],  # anonymous, or with a token (then it must be valid)
    "none": [],
    "signature": [],  # authenticated by a signature header instead (Stripe webhooks)
}
_WHY = {
    400: "The request is malformed: no body, or a body that is not valid JSON.",
    403: "You are not allowed to do this.",
    404: "Not found, or not visible to you.",
    409: "The request conflicts with the resource's current state.",
    412: "If-Match names a version that is no longer current: read the resource again.",
    413: "The body is larger than the documented limit.",
    415: "The body is not application/json.",
    422: "Some input is not valid; `errors` names each field.",
    429: "Too many requests; wait `Retry-After` seconds.",
    500: "Something failed on our side; quote `correlation_id` when reporting it.",
    503: "A service we depend on is busy or unreachable; nothing was changed. Retry after `Retry-After` seconds.",
}


def _header(name: str, description: str, required: bool = False, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": {"type": "string", **schema},
    }


_HEADERS = {
    "Idempotency-Key": _header(
        "Idempotency-Key",
        "Retry safely: the same key and body replay the first response; another body is a 422.",
        minLength=1,
        maxLength=255,
        pattern="^[\\x21-\\x7e]+$",
    ),
    "If-Match": _header("If-Match", 'The `version` you read (e.g. `"3"`); a stale version is refused with 412.'),
    "Stripe-Signature": _header("Stripe-Signature", "Stripe's signature of the raw body.", required=True),
}


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class ProblemFieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending input, e.g. `host_profile.kinds.0`.")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details: the body of every error response (`application/problem+json`)."""

    type: str = Field(json_schema_extra={"format": "uri"})
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable machine-readable error code, e.g. `validation_failed`.")
    errors: list[ProblemFieldError] = Field(description="One entry per invalid field (422); otherwise empty.")
    # Absent rather than null on the wire: keep None out of the schema and drop the default.
    correlation_id: str | SkipJsonSchema[None] = Field(None, description="Only on 5xx.", json_schema_extra=_no_default)


def _documented_routes(app: Chalice) -> list[tuple[str, str, RouteEntry, RouteDoc]]:
    routes = []
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            doc = ROUTE_DOCS.get(entry.view_function)
            if doc is None:
                if method == "OPTIONS":
                    continue  # CORS preflights (core.cors): answered for every path, not API operations
                raise ValueError(f"{method} {path} has no RouteDoc: declare it with ApiBlueprint.route")
            routes.append((path, method, entry, doc))
    return routes


def _generate_schemas(docs: list[RouteDoc]) -> tuple[Names, dict[str, Any]]:
    """Every model's component name, and the components themselves.

    One `models_json_schema` call names all models together, so two models with the same class name
    get distinct names, and a model whose input and output shapes differ gets `-Input`/`-Output`.
    """
    wanted: set[tuple[type[BaseModel], JsonSchemaMode]] = {(Problem, "serialization")}
    for doc in docs:
        wanted |= {(m, "validation") for m in (doc.request_model, doc.query_model) if m is not None}
        if doc.response_model is not None:
            wanted.add((doc.response_model, "serialization"))
    ordered = sorted(wanted, key=lambda item: (item[0].__module__, item[0].__qualname__, item[1]))
    refs, top = models_json_schema(ordered, ref_template=_REF_TEMPLATE)
    names: Names = {key: ref["$ref"].rsplit("/", 1)[1] for key, ref in refs.items()}
    return names, dict(sorted(top.get("$defs", {}).items()))


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF_TEMPLATE.format(model=name)}


def _problem_response(status: int, doc: RouteDoc, problem: str) -> dict[str, Any]:
    if status == 401:
        why = "A bearer token was sent and is not valid." if doc.auth == "optional" else "No valid bearer token."
    else:
        why = _WHY.get(status, HTTPStatus(status).phrase)
    response: dict[str, Any] = {"description": why, "content": {PROBLEM_CONTENT_TYPE: {"schema": _ref(problem)}}}
    if status in (429, 503):
        response["headers"] = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
    return response


def _error_statuses(doc: RouteDoc) -> set[int]:
    statuses = set(doc.errors) | {500, 503}
    if doc.rate_limit:
        statuses.add(429)
    if doc.auth in ("required", "optional"):
        statuses.add(401)
    if doc.request is not None:
        statuses.update(_BODY_ERRORS)
    if doc.query is not None:
        statuses.add(422)
    if doc.if_match:
        statuses.add(412)  # also for an If-Match that is not a version number
    if doc.idempotent:
        statuses.update((409, 422))  # key still in progress; key reused with another body
    return statuses


def _parameters(path: str, doc: RouteDoc, names: Names, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAM.findall(path)
    ]
    if doc.query_model is not None:
        query = schemas[names[(doc.query_model, "validation")]]
        required = set(query.get("required", ()))
        for name, schema in query.get("properties", {}).items():
            param = {"name": name, "in": "query", "required": name in required, "schema": schema}
            if "description" in schema:
                param["description"] = schema["description"]
            params.append(param)
    for header, wanted in (("Idempotency-Key", doc.idempotent), ("If-Match", doc.if_match)):
        if wanted:
            params.append(_HEADERS[header])
    if doc.auth == "signature":
        params.append(_HEADERS["Stripe-Signature"])
    return params


def _operation(path: str, entry: RouteEntry, doc: RouteDoc, names: Names, schemas: dict[str, Any]) -> dict[str, Any]:
    success: dict[str, Any] = {"description": HTTPStatus(doc.status).phrase}
    if doc.response_model is not None:
        success["content"] = {doc.response_media_type: {"schema": _ref(names[(doc.response_model, "serialization")])}}
    elif doc.status != 204:
        text = doc.response_media_type.startswith("text/")
        success["content"] = {doc.response_media_type: {"schema": {"type": "string"}} if text else {}}
    responses: dict[str, Any] = {str(doc.status): success}
    responses.update({str(status): {"description": text} for status, text in doc.extra_responses.items()})
    problem = names[(Problem, "serialization")]
    for status in sorted(_error_statuses(doc)):
        responses[str(status)] = _problem_response(status, doc, problem)
    operation: dict[str, Any] = {"operationId": entry.view_name, "summary": doc.summary, "tags": list(doc.tags)}
    if params := _parameters(path, doc, names, schemas):
        operation["parameters"] = params
    if doc.request_model is not None:
        body_schema = _ref(names[(doc.request_model, "validation")])
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body_schema}}}
    operation["responses"] = dict(sorted(responses.items()))
    operation["security"] = _SECURITY[doc.auth]
    return operation


def build_document(app: Chalice) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route `app` serves (CORS preflights aside)."""
    routes = _documented_routes(app)
    names, schemas = _generate_schemas([doc for *_, doc in routes])
    paths: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    for path, method, entry, doc in routes:
        if entry.view_name in operation_ids:
            raise ValueError(f"two routes are named {entry.view_name!r}; operationIds must be unique")
        operation_ids.add(entry.view_name)
        paths.setdefault(path, {})[method.lower()] = _operation(path, entry, doc, names, schemas)
    tags = sorted({tag for *_, doc in routes for tag in doc.tags})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Errors are RFC 9457 problem details (`application/problem+json`). "
            "Authenticate with `Authorization: Bearer <JWT>`.",
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": tag} for tag in tags],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


@lru_cache(maxsize=2)
def document_json(app: Chalice) -> str:
    # Built once per process (per Lambda container), not on every request.
    return json.dumps(build_document(app), separators=(",", ":"))
