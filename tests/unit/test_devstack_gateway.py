"""The local API Gateway's pure parts: matching resource templates and building proxy events."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from starlette.requests import Request

from devstack.gateway_http import Match, RouteTable, build_event, is_binary

TEMPLATES = ["/v1/me", "/v1/me/avatar", "/v1/users/{user_id}", "/v1/users/{user_id}/reviews", "/files/{path+}", "/"]


@pytest.mark.parametrize(
    ("path", "resource", "params"),
    [
        ("/v1/me", "/v1/me", {}),
        ("/v1/me/", "/v1/me", {}),
        ("/v1/me/avatar", "/v1/me/avatar", {}),
        ("/v1/users/usr_1", "/v1/users/{user_id}", {"user_id": "usr_1"}),
        ("/v1/users/usr_1/reviews", "/v1/users/{user_id}/reviews", {"user_id": "usr_1"}),
        ("/v1/users/a%20b", "/v1/users/{user_id}", {"user_id": "a%20b"}),  # REST APIs pass it encoded
        ("/files/a/b/c.txt", "/files/{path+}", {"path": "a/b/c.txt"}),
        ("/", "/", {}),
    ],
)
def test_paths_match_their_resource(path: str, resource: str, params: dict[str, str]) -> None:
    assert RouteTable(TEMPLATES).match(path) == Match(resource, params)


@pytest.mark.parametrize("path", ["/v1", "/v1/users", "/v1/users//reviews", "/v2/me", "/files"])
def test_unknown_paths_match_nothing(path: str) -> None:
    assert RouteTable(TEMPLATES).match(path) is None


def test_literal_segments_beat_parameters() -> None:
    table = RouteTable(["/v1/users/{user_id}", "/v1/users/me", "/v1/{anything}/me"])
    assert table.match("/v1/users/me") == Match("/v1/users/me", {})
    assert table.match("/v1/users/usr_1") == Match("/v1/users/{user_id}", {"user_id": "usr_1"})


@pytest.mark.parametrize(
    ("content_type", "binary"),
    [
        ("image/png", True),
        ("multipart/form-data; boundary=x", True),
        ("application/json", False),
        ("application/json; charset=utf-8", False),
        (None, False),
    ],
)
def test_binary_media_types(content_type: str | None, binary: bool) -> None:
    assert is_binary(content_type, ["image/*", "multipart/form-data", "application/octet-stream"]) is binary


def _request(method: str, path: str, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None) -> Request:
    scope: dict[str, Any] = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1:8000"), *(headers or [])],
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "http_version": "1.1",
    }
    return Request(scope)


def test_event_has_what_api_gateway_sends() -> None:
    request = _request(
        "POST",
        "/v1/users/usr_1",
        query=b"a=1&a=2&b=x%20y&empty=",
        headers=[(b"content-type", b"application/json"), (b"x-multi", b"one"), (b"x-multi", b"two")],
    )
    body = b'{"emoji": "\xf0\x9f\x8e\xb2",  "spaced" :1}'
    event = build_event(request, Match("/v1/users/{user_id}", {"user_id": "usr_1"}), body, ["image/png"])
    assert event["resource"] == "/v1/users/{user_id}"
    assert event["path"] == "/v1/users/usr_1"
    assert event["httpMethod"] == "POST"
    assert event["pathParameters"] == {"user_id": "usr_1"}
    assert event["queryStringParameters"] == {"a": "2", "b": "x y", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"], "empty": [""]}
    assert event["headers"]["x-multi"] == "two"
    assert event["multiValueHeaders"]["x-multi"] == ["one", "two"]
    assert event["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert event["body"].encode() == body  # byte for byte, spacing included
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["resourcePath"] == "/v1/users/{user_id}"
    assert context["httpMethod"] == "POST"
    assert context["stage"] == "local"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["requestId"]


def test_binary_and_undecodable_bodies_are_base64() -> None:
    png = b"\x89PNG\r\n\x1a\n\xff\xfe"
    for content_type in (b"image/png", b"application/json"):
        request = _request("POST", "/x", headers=[(b"content-type", content_type)])
        event = build_event(request, Match("/x", {}), png, ["image/png"])
        assert event["isBase64Encoded"] is True
        assert base64.b64decode(event["body"]) == png


def test_no_query_and_no_body_are_null() -> None:
    event = build_event(_request("GET", "/v1/me"), Match("/v1/me", {}), b"", [])
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["body"] is None
