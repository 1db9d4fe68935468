"""Reading requests and writing JSON responses: the parse → validate → serialize edges of a route."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from chalice import Response
from chalice.app import Request
from pydantic import BaseModel, ValidationError

from chalicelib.core.exceptions import (
    BadRequest,
    FieldError,
    PreconditionFailed,
    UnsupportedMediaType,
    ValidationFailed,
)

M = TypeVar("M", bound=BaseModel)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def field_errors(error: ValidationError) -> list[FieldError]:
    out = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"]) or "body"
        message = "unknown field" if item["type"] == "extra_forbidden" else item["msg"]
        out.append(FieldError(field=field, message=message))
    return out


def validate(model: type[M], data: Any) -> M:
    """Validate plain data against a schema; failures become a 422 naming each field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed("Some fields are not valid.", errors=field_errors(exc)) from None


def json_body(request: Request) -> Any:
    """The request's JSON document: 415 for another media type, 400 when it does not parse."""
    raw = request.raw_body or b""
    if not raw.strip():
        raise BadRequest("A JSON request body is required.", code="body_required")
    content_type = request.headers.get("content-type", "application/json")
    if not _is_json(content_type):
        raise UnsupportedMediaType(f"Send application/json, not {content_type!r}.")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}.", code="malformed_json") from None


def parse_body(request: Request, model: type[M]) -> M:
    return validate(model, json_body(request))


def parse_query(request: Request, model: type[M]) -> M:
    return validate(model, dict(request.query_params or {}))


def if_match_version(request: Request) -> int | None:
    """The version a client says it edits (`If-Match: "3"` or `If-Match: 3`), if any."""
    raw = request.headers.get("if-match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise PreconditionFailed("If-Match must carry the resource's version number.", code="bad_if_match")
    return int(value)


def check_version(expected: int | None, actual: int) -> None:
    if expected is not None and expected != actual:
        raise PreconditionFailed(f"You edited version {expected}; the current version is {actual}.")


def json_response(
    payload: BaseModel | dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = payload.model_dump_json() if isinstance(payload, BaseModel) else json.dumps(payload)
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json", **(headers or {})})
