"""The @connections poster signs its requests itself (for speed); AWS accepts only a signature equal
to the one botocore's SigV4 signer computes for the same request, so that is what is checked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from chalicelib.core.management_api import SERVICE, Credentials, signed_headers

NOW = datetime(2026, 11, 23, 5, 7, 9, tzinfo=UTC)
HOST = "abc123.execute-api.eu-west-1.amazonaws.com"


def _botocore_authorization(path: str, body: bytes, credentials: Credentials, headers: dict[str, str]) -> str:
    request = AWSRequest(method="POST", url=f"https://{HOST}{path}", data=body)
    for name in ("host", "x-amz-date", "x-amz-security-token"):
        if name in headers:
            request.headers[name] = headers[name]
    request.context["timestamp"] = headers["x-amz-date"]
    signer = SigV4Auth(
        BotoCredentials(credentials.access_key, credentials.secret_key, credentials.token), SERVICE, "eu-west-1"
    )
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    return signature


@pytest.mark.parametrize("token", [None, "IQoJb3JpZ2luX2VjE//session+token=="])
@pytest.mark.parametrize("connection_id", ["d8QcKcAhIAMCKvw%3D", "a%2Bb%2Fc%3D"])
def test_the_signature_is_the_one_botocore_computes(token: str | None, connection_id: str) -> None:
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    path = f"/prod/@connections/{connection_id}"
    body = b'{"type":"message.created","data":{"body":"h\xc3\xa9"}}'
    headers = signed_headers("POST", HOST, path, body, credentials, "eu-west-1", NOW)

    expected = _botocore_authorization(path, body, credentials, headers)
    assert headers["authorization"].endswith(f"Signature={expected}")
    assert headers["x-amz-date"] == "20261123T050709Z"
    assert ("x-amz-security-token" in headers) is (token is not None)
    assert "Credential=AKIDEXAMPLE/20261123/eu-west-1/execute-api/aws4_request" in headers["authorization"]


def test_a_different_body_gives_a_different_signature() -> None:
    credentials = Credentials("AKIDEXAMPLE", "secret")
    one = signed_headers("POST", HOST, "/p/@connections/x", b"a", credentials, "eu-west-1", NOW)
    two = signed_headers("POST", HOST, "/p/@connections/x", b"b", credentials, "eu-west-1", NOW)
    assert one["authorization"] != two["authorization"]
