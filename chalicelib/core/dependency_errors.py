"""Failures of the services we call (DynamoDB, S3, SES, the gateway), told apart from our own bugs.

A request that fails because DynamoDB throttled it or a service timed out is not a 500: the client
did nothing wrong and may retry, so it gets a 503 problem with Retry-After. Our bugs stay 500s.
Exceptions are recognised by their AWS error code or by botocore's network error classes, found
anywhere in the exception's chain (PynamoDB wraps botocore's errors), without importing botocore.
"""

from __future__ import annotations

from chalicelib.core.exceptions import DependencyUnavailable

# AWS error codes that mean "not now": throttling, or the service failing on its side.
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
        "LimitExceededException",
        "TransactionInProgressException",
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)
# botocore's exceptions for a service that could not be reached or did not answer in time.
NETWORK_ERRORS = frozenset(
    {
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ConnectionClosedError",
        "ConnectionError",
        "HTTPClientError",
        "ProxyConnectionError",
    }
)
# A HEAD request's error has no body, so its code is only the HTTP status (S3 HeadObject: "503").
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_SECONDS = 1


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _aws_code(error: BaseException) -> str | None:
    code = getattr(error, "cause_response_code", None)  # PynamoDB's wrapper of a botocore error
    if code:
        return str(code)
    response = getattr(error, "response", None)  # botocore's ClientError
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def _http_status(error: BaseException) -> int | None:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status else None


def as_unavailable(error: BaseException) -> DependencyUnavailable | None:
    """A 503 problem if `error` is a dependency's failure; None if it is ours."""
    for link in _chain(error):
        module = type(link).__module__
        if not module.startswith(("botocore", "pynamodb", "urllib3")):
            continue
        if (
            _aws_code(link) in RETRYABLE_CODES
            or _http_status(link) in RETRYABLE_STATUSES
            or any(cls.__name__ in NETWORK_ERRORS for cls in type(link).__mro__)
        ):
            return DependencyUnavailable(
                "A service we depend on is busy or unreachable; nothing was changed, try again shortly.",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
    return None
