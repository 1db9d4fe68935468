"""Every error becomes an RFC 9457 problem; internals never leak."""

from __future__ import annotations

import json

from chalicelib.core.exceptions import FieldError, InternalError, NotFound, ValidationFailed


def test_problem_shape_and_media_type():
    response = ValidationFailed("Bad seats.", errors=[FieldError("seats", "must be at least 1")]).to_response("req-1")
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    body = json.loads(response.body)
    assert body["status"] == 422 and body["code"] == "validation_failed"
    assert body["errors"] == [{"field": "seats", "message": "must be at least 1"}]
    assert body["type"].endswith("/validation_failed")
    assert "correlation_id" not in body


def test_server_errors_carry_only_a_correlation_id():
    body = json.loads(InternalError("Something went wrong on our side.").to_response("req-42").body)
    assert body["correlation_id"] == "req-42"
    assert body["status"] == 500 and body["detail"] == "Something went wrong on our side."


def test_custom_codes():
    assert (
        json.loads(NotFound("No such booking.", code="booking_not_found").to_response().body)["code"]
        == "booking_not_found"
    )
