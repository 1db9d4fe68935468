"""The API Gateway management API (@connections), posting frames to websocket connections.

A fan-out to a 500-member group is 500 POSTs, so each must cost little CPU. boto3's generic client
spends about 2 ms of CPU per call (validation, events, retries, signing, urllib3); here a post is a
SigV4-signed POST over a kept-alive connection per thread, about 0.4 ms (bench/chat_fanout.py shows
the whole fan-out). The signature is AWS Signature Version 4, computed as botocore does (a unit test
checks it against botocore's signer); credentials come from boto3's chain, so Lambda's role and its
session token are used as usual.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

SERVICE = "execute-api"
DELIVERED, GONE, FAILED = "delivered", "gone", "failed"


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    token: str | None = None


class Poster(Protocol):
    """What the realtime sender posts through: the gateway, or a fake of it in tests."""

    def post(self, connection_id: str, data: bytes) -> tuple[str, str]:
        """(outcome, detail): outcome is DELIVERED, GONE or FAILED; never raises."""


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, region: str) -> bytes:
    key = _hmac(f"AWS4{secret_key}".encode(), date)
    for part in (region, SERVICE, "aws4_request"):
        key = _hmac(key, part)
    return key


def signed_headers(
    method: str, host: str, path: str, body: bytes, credentials: Credentials, region: str, now: datetime,
    key: bytes | None = None,
) -> dict[str, str]:
    """The headers that authenticate one request (`path` as sent, already percent-encoded)."""
    amz_date = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    headers = {"host": host, "x-amz-date": amz_date}
    if credentials.token:
        headers["x-amz-security-token"] = credentials.token
    names = ";".join(sorted(headers))
    canonical_headers = "".join(f"{name}:{headers[name]}\n" for name in sorted(headers))
    # SigV4 for services other than S3 encodes the path once more (so %3D is signed as %253D).
    canonical = "\n".join(
        [method, quote(path, safe="/~"), "", canonical_headers, names, hashlib.sha256(body).hexdigest()]
    )
    scope = f"{date}/{region}/{SERVICE}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signature = hmac.new(
        key or signing_key(credentials.secret_key, date, region), to_sign.encode(), hashlib.sha256
    ).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, SignedHeaders={names}, Signature={signature}"
    )
    return headers


def _credential_source() -> Any:
    import boto3

    found = boto3.Session().get_credentials()
    if found is None:
        raise RuntimeError("no AWS credentials for the @connections API")
    return found


class ConnectionsEndpoint:
    """Signed POSTs to `https://<domain>/<stage>/@connections/<id>`; one kept-alive connection per thread."""

    def __init__(self, endpoint: str, region: str, *, connect_timeout: float = 2.0, read_timeout: float = 5.0) -> None:
        parts = urlsplit(endpoint)
        self.https = parts.scheme == "https"
        self.host = parts.netloc
        self.base_path = parts.path.rstrip("/")
        self.region = region
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._local = threading.local()
        self._keys: dict[tuple[str, str], bytes] = {}
        self._source: Any = None

    def _connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None or fresh:
            if connection is not None:
                connection.close()
            kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            connection = kind(self.host, timeout=self.connect_timeout)
            self._local.connection = connection
        return connection

    def _headers(self, path: str, data: bytes) -> dict[str, str]:
        if self._source is None:
            self._source = _credential_source()
        frozen = self._source.get_frozen_credentials()  # per post: a refreshed role session is picked up
        credentials = Credentials(frozen.access_key, frozen.secret_key, frozen.token)
        now = datetime.now(UTC)
        cache_key = (credentials.secret_key, now.strftime("%Y%m%d"))
        key = self._keys.get(cache_key)
        if key is None:
            key = self._keys[cache_key] = signing_key(credentials.secret_key, cache_key[1], self.region)
        headers = signed_headers("POST", self.host, path, data, credentials, self.region, now, key)
        headers["content-type"] = "application/json"
        return headers

    def post(self, connection_id: str, data: bytes) -> tuple[str, str]:
        path = f"{self.base_path}/@connections/{quote(connection_id, safe='')}"
        for attempt in range(2):  # a kept-alive connection the server closed meanwhile: once more, fresh
            try:
                connection = self._connection(fresh=attempt > 0)
                connection.request("POST", path, body=data, headers=self._headers(path, data))
                if connection.sock is not None:
                    connection.sock.settimeout(self.read_timeout)
                response = connection.getresponse()
                response.read()
            except TimeoutError:
                # Not a stale kept-alive connection: the gateway did not answer in time. Trying again
                # would hold the sender (a fan-out waits for its slowest post) another read_timeout.
                self._local.connection = None
                return FAILED, "timeout"
            except (OSError, http.client.HTTPException) as exc:
                if attempt == 0:
                    continue
                return FAILED, type(exc).__name__
            if response.status < 300:
                return DELIVERED, ""
            error = response.getheader("x-amzn-ErrorType", "") or str(response.status)
            if response.status == 410:
                return GONE, error
            if response.status in (429, 500, 502, 503, 504) and attempt == 0:
                continue
            return FAILED, error
        return FAILED, "retries exhausted"
