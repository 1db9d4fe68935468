"""A throttled or unreachable dependency is a 503 the client may retry; our own bugs stay 500s."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from pynamodb.exceptions import GetError, TransactWriteError

from chalicelib.core.dependency_errors import as_unavailable


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "GetItem")


def _wrapped(cause: Exception, wrapper: type[Exception] = GetError) -> Exception:
    try:
        raise wrapper("Failed to get item", cause=cause)  # type: ignore[call-arg]
    except Exception as error:
        return error


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(_client_error("ProvisionedThroughputExceededException")),
        _wrapped(_client_error("ThrottlingException"), TransactWriteError),
        _wrapped(_client_error("InternalServerError")),
        _client_error("SlowDown"),
        # S3 HeadObject throttled: a HEAD answer has no body, so the code is the bare status
        ClientError(
            {"Error": {"Code": "503", "Message": "Service Unavailable"}, "ResponseMetadata": {"HTTPStatusCode": 503}},
            "HeadObject",
        ),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
    ],
)
def test_dependency_failures_become_503_with_retry_after(error: Exception) -> None:
    problem = as_unavailable(error)
    assert problem is not None
    assert problem.status == 503 and problem.headers["Retry-After"] == "1"


@pytest.mark.parametrize(
    "error",
    [
        KeyError("x"),
        ValueError("bad"),
        _wrapped(_client_error("ValidationException")),  # our request was wrong: a bug, not an outage
        _wrapped(_client_error("ConditionalCheckFailedException")),
        ClientError(
            {"Error": {"Code": "403", "Message": "Forbidden"}, "ResponseMetadata": {"HTTPStatusCode": 403}},
            "HeadObject",
        ),
    ],
)
def test_our_own_errors_are_not_blamed_on_dependencies(error: Exception) -> None:
    assert as_unavailable(error) is None
