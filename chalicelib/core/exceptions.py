"""Errors every route may raise; each becomes an RFC 9457 problem+json response.

They subclass `ChaliceUnhandledError` so that Chalice lets them reach our middleware instead of
turning them into its own error bodies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalice import ChaliceUnhandledError

if TYPE_CHECKING:
    from chalice import Response


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class ProblemError(ChaliceUnhandledError):
    status: int = 500
    code: str = "internal_error"
    title: str = "Internal server error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code:
            self.code = code
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra or {}

    def to_response(self, correlation_id: str | None = None) -> Response:
        from chalicelib.core.problems import problem_response

        return problem_response(self, correlation_id)


class BadRequest(ProblemError):
    status, code, title = 400, "bad_request", "Malformed request"


class Unauthorized(ProblemError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(ProblemError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(ProblemError):
    status, code, title = 404, "not_found", "Not found"


class MethodNotAllowed(ProblemError):
    status, code, title = 405, "method_not_allowed", "Method not allowed"


class Conflict(ProblemError):
    status, code, title = 409, "conflict", "Conflict with the current state"


class PreconditionFailed(ProblemError):
    status, code, title = 412, "version_mismatch", "The resource has changed"


class PayloadTooLarge(ProblemError):
    status, code, title = 413, "payload_too_large", "Request body too large"


class UnsupportedMediaType(ProblemError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class ValidationFailed(ProblemError):
    status, code, title = 422, "validation_failed", "The request is not valid"


class RateLimited(ProblemError):
    status, code, title = 429, "rate_limited", "Too many requests"


class InternalError(ProblemError):
    status, code, title = 500, "internal_error", "Internal server error"


class DependencyUnavailable(ProblemError):
    status, code, title = 503, "dependency_unavailable", "A service we depend on is unavailable"
