"""The served OpenAPI document (/v1/openapi.json) and the docs page (/v1/docs), through Chalice's test client.

Neither route touches DynamoDB or needs a token, so these tests need no backend fixture.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import pytest
from chalice.test import Client
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

import app
from chalicelib.core.openapi_docs import ROUTE_DOCS, RouteDoc

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
EXPECTED_SECURITY = {
    "required": [{"bearerAuth": []}],
    "optional": [{}, {"bearerAuth": []}],
    "none": [],
    "signature": [],
}


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with Client(app.app, stage_name="test") as test_client:
        yield test_client


@pytest.fixture(scope="module")
def document(client: Client) -> dict[str, Any]:
    response = client.http.get("/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(response.body)


def _routes() -> list[tuple[str, str, RouteDoc | None]]:
    return [
        (path, method, ROUTE_DOCS.get(entry.view_function))
        for path, methods in app.app.routes.items()
        for method, entry in methods.items()
    ]


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    validate(document, cls=OpenAPIV31SpecValidator)
    assert document["info"]["title"] and document["info"]["version"]
    assert document["servers"] == [{"url": "/"}]
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }


def test_every_registered_route_is_documented(document: dict[str, Any]) -> None:
    routes = _routes()
    # The only undocumented routes are the CORS preflights that core.cors adds for every path.
    preflights = {(path, method) for path, method, doc in routes if doc is None}
    assert all(method == "OPTIONS" for _, method in preflights)
    assert {path for path, _ in preflights} == set(app.app.routes)

    expected = {(path, method.lower()) for path, method, doc in routes if doc is not None}
    documented = {(path, method) for path, method, _ in _operations(document)}
    assert documented == expected
    assert ("/v1/me", "patch") in documented and ("/v1/users/{user_id}", "get") in documented


def test_operations_match_their_route_docs(document: dict[str, Any]) -> None:
    operation_ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(operation_ids) == len(set(operation_ids))
    for path, method, doc in _routes():
        if doc is None:
            continue
        operation = document["paths"][path][method.lower()]
        assert operation["operationId"] == app.app.routes[path][method].view_name
        assert operation["summary"] == doc.summary
        assert operation["tags"] == list(doc.tags)
        assert operation["security"] == EXPECTED_SECURITY[doc.auth], (path, method)

        responses = operation["responses"]
        assert str(doc.status) in responses
        wanted_errors = {500, *doc.errors} | ({401} if doc.auth in ("required", "optional") else set())
        for status in wanted_errors:
            problem = responses[str(status)]["content"]["application/problem+json"]["schema"]
            assert problem == {"$ref": "#/components/schemas/Problem"}, (path, method, status)
        if doc.auth == "none":
            assert "401" not in responses, (path, method)

        path_params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert path_params == set(re.findall(r"{(\w+)}", path))
        assert ("requestBody" in operation) == (doc.request is not None)
        if doc.request is not None:
            assert operation["requestBody"]["required"] is True


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_ref_resolves_inside_the_document(document: dict[str, Any]) -> None:
    refs = set(_refs(document))
    assert "#/components/schemas/Me" in refs and "#/components/schemas/UpdateMe" in refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert isinstance(_resolve(document, ref), dict), ref
    assert "$defs" not in json.dumps(document)  # pydantic's $defs are all hoisted into components


def test_schemas_come_from_the_pydantic_models(document: dict[str, Any]) -> None:
    from chalicelib.accounts import schemas

    components = document["components"]["schemas"]
    assert set(components["UpdateMe"]["properties"]) == set(schemas.UpdateMe.model_fields)
    assert components["UpdateMe"]["additionalProperties"] is False
    assert "email" in components["Me"]["properties"]
    assert "email" not in components["PublicProfile"]["properties"]
    problem = components["Problem"]
    assert {"type", "title", "status", "detail", "code", "errors"} <= set(problem["required"])
    assert "correlation_id" in problem["properties"] and "correlation_id" not in problem["required"]


def test_the_document_is_built_once_per_process(client: Client) -> None:
    from chalicelib.core import openapi

    first = client.http.get("/v1/openapi.json").body
    before = openapi.document_json.cache_info()
    second = client.http.get("/v1/openapi.json").body
    after = openapi.document_json.cache_info()
    assert first == second
    assert (after.misses, after.hits) == (before.misses, before.hits + 1)


def test_docs_page_is_html_pointing_at_the_document(client: Client) -> None:
    response = client.http.get("/v1/docs")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    html = response.body.decode()
    assert html.lstrip().lower().startswith("<!doctype html>")
    spec_url = re.search(r'spec-url="([^"]+)"', html)
    assert spec_url is not None
    # Relative, so it also resolves under an API Gateway stage prefix.
    assert urljoin("https://api.sesh.test/v1/docs", spec_url.group(1)) == "https://api.sesh.test/v1/openapi.json"
    assert urljoin("https://x.test/api/v1/docs", spec_url.group(1)) == "https://x.test/api/v1/openapi.json"
    script = re.search(r'<script src="(https://[^"]+redoc[^"]+)" integrity="sha384-[^"]+"', html)
    assert script is not None


def _unbounded(schema: dict[str, Any], components: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    """Paths of strings without maxLength/enum/format/pattern and arrays without maxItems in `schema`."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return _unbounded(components[name], components, where, seen | {name})
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            found += _unbounded(option, components, where, seen)
    kind = schema.get("type")
    if kind == "string" and not {"maxLength", "enum", "const", "format", "pattern"} & schema.keys():
        found.append(where)
    if kind == "array":
        if "maxItems" not in schema:
            found.append(where)
        found += _unbounded(schema.get("items", {}), components, where + "[]", seen)
    for name, prop in schema.get("properties", {}).items():
        found += _unbounded(prop, components, f"{where}.{name}", seen)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        if "maxProperties" not in schema:
            found.append(where + "{}")
        found += _unbounded(extra, components, where + "{}", seen)
    return found


def test_every_request_string_and_list_is_bounded(document: dict[str, Any]) -> None:
    """What a client sends is bounded field by field (docs/LIMITS.md), not only by the body size."""
    components = document["components"]["schemas"]
    unbounded = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            where = f"{method.upper()} {path}"
            for param in operation.get("parameters", []):
                if param["in"] == "query":
                    unbounded += _unbounded(param["schema"], components, f"{where} ?{param['name']}", set())
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                unbounded += _unbounded(body["schema"], components, f"{where} body", set())
    assert unbounded == []
