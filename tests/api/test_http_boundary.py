"""The middleware every route shares: errors as problems, CORS, security headers."""

from __future__ import annotations

import boto3

from tests.api.helpers import assert_problem

ORIGIN = "https://app.sesh.test"


def test_preflight_from_an_allowed_origin(api):
    response = api.request("OPTIONS", "/v1/me", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PATCH"})
    assert response.status == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "PATCH" in response.headers["access-control-allow-methods"]
    assert "Idempotency-Key" in response.headers["access-control-allow-headers"]


def test_preflight_from_another_origin_gets_no_cors_grant(api):
    response = api.request("OPTIONS", "/v1/me", headers={"Origin": "https://evil.test"})
    assert "access-control-allow-origin" not in response.headers


def test_allowed_origin_is_echoed_on_responses_even_errors(api):
    response = api.get("/v1/me", headers={"Origin": ORIGIN})
    assert response.status == 401
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["vary"] == "Origin"


def test_security_headers_and_request_id(api, token_for):
    response = api.get("/v1/me", token=token_for())
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-request-id"]


def test_method_not_allowed_is_a_problem(api):
    assert_problem(api.delete("/v1/users/usr_01ARZ3NDEKTSV4RRFFQ69G5FAV"), 405)


def test_a_failing_dependency_gives_500_with_only_a_correlation_id(api, token_for):
    from chalicelib.core.settings import get_settings

    token = token_for()
    assert api.get("/v1/me", token=token).status == 200
    boto3.client("dynamodb").delete_table(TableName=get_settings().table_name)
    try:
        response = api.get("/v1/me", token=token)
        problem = assert_problem(response, 500, "internal_error")
        assert problem["correlation_id"] == response.headers["x-request-id"]
        assert "Table" not in response.body.decode() and "Traceback" not in response.body.decode()
    finally:
        from devstack.table import create_table

        create_table(boto3.client("dynamodb"), get_settings().table_name)
