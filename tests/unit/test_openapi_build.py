"""`build_document` on a small app of its own: each RouteDoc feature lands in the document, which stays valid."""

from __future__ import annotations

from typing import Any

import pytest
from chalice import Chalice, Response
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from pydantic import BaseModel, Field, create_model

from chalicelib.core.openapi import build_document
from chalicelib.core.openapi_docs import RouteDoc
from chalicelib.core.routing import ApiBlueprint

PROBLEM = {"$ref": "#/components/schemas/Problem"}


class Seat(BaseModel):
    row: int


class Booking(BaseModel):
    id: str
    seats: list[Seat]


class NewBooking(BaseModel):
    seats: int = Field(ge=1, le=8)


class ListQuery(BaseModel):
    limit: int = Field(20, ge=1, le=100, description="Page size")
    cursor: str | None = None
    kind: str


# Same class name as `Booking`, another module: must not overwrite it in components.
OtherBooking = create_model("Booking", __module__="tests.unit.other", total=(int, ...))


def _ok() -> Response:
    return Response(body="", status_code=204)


def _app(*routes: tuple[str, str, RouteDoc, str]) -> Chalice:
    app = Chalice(app_name="openapi-test")
    bp = ApiBlueprint(__name__)
    for path, method, doc, name in routes:

        def view(**_: Any) -> Response:
            return _ok()

        view.__name__ = name
        bp.route(path, methods=[method], doc=doc)(view)
    app.register_blueprint(bp)
    return app


def _document(*routes: tuple[str, str, RouteDoc, str]) -> dict[str, Any]:
    document = build_document(_app(*routes))
    validate(document, cls=OpenAPIV31SpecValidator)
    return document


def test_request_response_path_and_query_are_documented() -> None:
    doc = RouteDoc("Book seats", request=NewBooking, response=Booking, status=201, errors=(404, 409), tags=("b",))
    listing = RouteDoc("List bookings", response=Booking, query=ListQuery, auth="optional")
    document = _document(
        ("/v1/sessions/{session_id}/bookings", "POST", doc, "create_booking"),
        ("/v1/bookings", "GET", listing, "list_bookings"),
    )
    create = document["paths"]["/v1/sessions/{session_id}/bookings"]["post"]
    assert create["operationId"] == "create_booking"
    assert create["parameters"] == [
        {"name": "session_id", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/NewBooking"}
    assert create["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Booking"
    }
    # listed errors, body errors, 401 for a token, and 500 always
    assert set(create["responses"]) == {"201", "400", "401", "404", "409", "413", "415", "422", "500", "503"}
    assert all(
        create["responses"][s]["content"]["application/problem+json"]["schema"] == PROBLEM for s in ("404", "500")
    )

    schemas = document["components"]["schemas"]
    assert schemas["Booking"]["properties"]["seats"]["items"] == {"$ref": "#/components/schemas/Seat"}
    assert schemas["Seat"]["properties"] == {"row": {"title": "Row", "type": "integer"}}
    assert schemas["NewBooking"]["properties"]["seats"]["maximum"] == 8

    listed = document["paths"]["/v1/bookings"]["get"]
    query = {p["name"]: p for p in listed["parameters"] if p["in"] == "query"}
    assert set(query) == {"limit", "cursor", "kind"}
    assert query["kind"]["required"] is True and query["limit"]["required"] is False
    assert query["limit"]["schema"]["maximum"] == 100 and query["limit"]["description"] == "Page size"
    assert listed["security"] == [{}, {"bearerAuth": []}]
    assert "token" in listed["responses"]["401"]["description"]


def test_security_and_headers_follow_the_route_doc() -> None:
    document = _document(
        ("/v1/a", "POST", RouteDoc("a", request=NewBooking, idempotent=True), "a"),
        ("/v1/b", "PATCH", RouteDoc("b", request=NewBooking, if_match=True), "b"),
        ("/v1/c", "GET", RouteDoc("c", auth="none"), "c"),
        ("/v1/hooks", "POST", RouteDoc("d", auth="signature", status=204, errors=(400,)), "d"),
    )
    paths = document["paths"]
    headers = {
        key: [p["name"] for p in paths[path][method].get("parameters", []) if p["in"] == "header"]
        for key, path, method in (("a", "/v1/a", "post"), ("b", "/v1/b", "patch"), ("c", "/v1/c", "get"))
    }
    assert headers == {"a": ["Idempotency-Key"], "b": ["If-Match"], "c": []}
    assert {"409", "422"} <= set(paths["/v1/a"]["post"]["responses"])
    assert "412" in paths["/v1/b"]["patch"]["responses"]
    assert paths["/v1/a"]["post"]["security"] == [{"bearerAuth": []}]
    assert paths["/v1/c"]["get"]["security"] == []
    assert set(paths["/v1/c"]["get"]["responses"]) == {"200", "500", "503"}

    hook = paths["/v1/hooks"]["post"]
    assert hook["security"] == []
    assert hook["parameters"][0]["name"] == "Stripe-Signature" and hook["parameters"][0]["required"] is True
    assert hook["responses"]["204"] == {"description": "No Content"}
    assert set(hook["responses"]) == {"204", "400", "500", "503"}


def test_models_with_the_same_name_get_distinct_components() -> None:
    document = _document(
        ("/v1/x", "GET", RouteDoc("x", response=Booking), "x"),
        ("/v1/y", "GET", RouteDoc("y", response=OtherBooking), "y"),
    )
    refs = {
        document["paths"][p]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        for p in ("/v1/x", "/v1/y")
    }
    assert len(refs) == 2
    props = [document["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"] for ref in refs]
    assert sorted(sorted(p) for p in props) == [["id", "seats"], ["total"]]


def test_an_undocumented_route_is_refused() -> None:
    app = _app(("/v1/a", "GET", RouteDoc("a"), "a"))

    @app.route("/v1/plain")
    def plain() -> dict[str, str]:
        return {}

    with pytest.raises(ValueError, match="GET /v1/plain has no RouteDoc"):
        build_document(app)


def test_duplicate_operation_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="operationIds must be unique"):
        build_document(_app(("/v1/a", "GET", RouteDoc("a"), "same"), ("/v1/b", "GET", RouteDoc("b"), "same")))
