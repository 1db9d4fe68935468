"""The API Gateway management API (@connections), posting frames to websocket connections.

A fan-out to a 500-member group is 500 POSTs, so each must cost little CPU. boto3's generic client
spends about 2 ms of CPU per call (validation, events, retries, signing, urllib3) and threads add
GIL hand-offs; here the posts of one fan-out are SigV4-signed HTTP/1.1 POSTs written by asyncio on
kept-alive connections (a bounded number at a time), about 0.15 ms of CPU each. The event loop runs
in one daemon thread per container, so connections survive between invocations and any caller
(a route, a websocket handler, a schedule) can post. The signature is AWS Signature Version 4,
computed as botocore does (a unit test checks it against botocore's signer); credentials come from
boto3's chain, so Lambda's role and its session token are used as usual.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ssl
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, urlsplit

SERVICE = "execute-api"
MAX_PARALLEL = 16  # posts in flight per fan-out (and kept-alive connections per endpoint)
DELIVERED, GONE, FAILED = "delivered", "gone", "failed"


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    token: str | None = None


Outcome = tuple[str, str]  # (DELIVERED | GONE | FAILED, detail)
T = TypeVar("T")
RETRYABLE_STATUSES = (429, 500, 502, 503, 504)


class Poster(Protocol):
    """What the realtime sender posts through: the gateway, or a fake of it in tests."""

    def post_many(self, connection_ids: Sequence[str], data: bytes) -> list[Outcome]:
        """One outcome per connection, in order; never raises."""


@lru_cache(maxsize=8192)
def _quote(value: str, safe: str) -> str:
    """urllib's quote, remembered: a group's connections get post after post, and quoting is a
    character-by-character Python loop (a fifth of a post's CPU)."""
    return quote(value, safe=safe)


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
        [method, _quote(path, "/~"), "", canonical_headers, names, hashlib.sha256(body).hexdigest()]
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


class _LoopThread:
    """One event loop per process, in a daemon thread, for every endpoint's posts."""

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def run(cls, coroutine: Coroutine[Any, Any, T]) -> T:
        with cls._lock:
            if cls._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="management-api", daemon=True).start()
                cls._loop = loop
        return asyncio.run_coroutine_threadsafe(coroutine, cls._loop).result()


@dataclass
class _Response:
    status: int
    error_type: str
    keep_alive: bool


class ConnectionsEndpoint:
    """Signed POSTs to `https://<domain>/<stage>/@connections/<id>` on kept-alive connections."""

    def __init__(self, endpoint: str, region: str, *, connect_timeout: float = 2.0, read_timeout: float = 5.0,
                 parallel: int = MAX_PARALLEL) -> None:
        parts = urlsplit(endpoint)
        self.https = parts.scheme == "https"
        self.host = parts.netloc
        self.hostname = parts.hostname or ""
        self.port = parts.port or (443 if self.https else 80)
        self.base_path = parts.path.rstrip("/")
        self.region = region
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.parallel = parallel
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []  # touched by the loop only
        self._keys: dict[tuple[str, str], bytes] = {}
        self._source: Any = None
        self._ssl = ssl.create_default_context() if self.https else None

    def _headers(self, path: str, data: bytes) -> dict[str, str]:
        if self._source is None:
            self._source = _credential_source()
        frozen = self._source.get_frozen_credentials()  # per post: a refreshed role session is picked up
        credentials = Credentials(frozen.access_key, frozen.secret_key, frozen.token)
        now = datetime.now(UTC)  # wall time, not core.clock: AWS rejects signatures off real time
        cache_key = (credentials.secret_key, now.strftime("%Y%m%d"))
        key = self._keys.get(cache_key)
        if key is None:
            key = self._keys[cache_key] = signing_key(credentials.secret_key, cache_key[1], self.region)
        headers = signed_headers("POST", self.host, path, data, credentials, self.region, now, key)
        headers["content-type"] = "application/json"
        headers["content-length"] = str(len(data))
        return headers

    def post_many(self, connection_ids: Sequence[str], data: bytes) -> list[Outcome]:
        return _LoopThread.run(self._post_all(list(connection_ids), data))

    def post(self, connection_id: str, data: bytes) -> Outcome:
        return self.post_many([connection_id], data)[0]

    async def _post_all(self, connection_ids: list[str], data: bytes) -> list[Outcome]:
        # `parallel` posters taking the next connection in turn: a task per poster, not per post.
        outcomes: list[Outcome] = [(FAILED, "not posted")] * len(connection_ids)
        queue = iter(enumerate(connection_ids))

        async def poster() -> None:
            for index, connection_id in queue:
                outcomes[index] = await self._post(connection_id, data)

        await asyncio.gather(*(poster() for _ in range(min(self.parallel, len(connection_ids)))))
        return outcomes

    async def _post(self, connection_id: str, data: bytes) -> Outcome:
        path = f"{self.base_path}/@connections/{_quote(connection_id, '')}"
        for attempt in range(2):  # a kept-alive connection the server closed meanwhile: once more, fresh
            try:
                response = await self._exchange(path, data, fresh=attempt > 0)
            except TimeoutError:
                # Not a stale kept-alive connection: the gateway did not answer in time. Trying again
                # would hold the sender (a fan-out waits for its slowest post) another read_timeout.
                return FAILED, "timeout"
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                if attempt == 0:
                    continue
                return FAILED, type(exc).__name__
            if response.status < 300:
                return DELIVERED, ""
            error = response.error_type or str(response.status)
            if response.status == 410:
                return GONE, error
            if response.status in RETRYABLE_STATUSES and attempt == 0:
                continue
            return FAILED, error
        return FAILED, "retries exhausted"

    async def _exchange(self, path: str, data: bytes, *, fresh: bool) -> _Response:
        if self._idle and not fresh:
            reader, writer = self._idle.pop()
        else:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.hostname, self.port, ssl=self._ssl), self.connect_timeout
            )
        try:
            head = "".join(f"{name}: {value}\r\n" for name, value in self._headers(path, data).items())
            writer.write(f"POST {path} HTTP/1.1\r\n{head}\r\n".encode() + data)
            async with asyncio.timeout(self.read_timeout):  # unlike wait_for, no task per post
                response = await _read_response(reader)
        except BaseException:
            writer.close()
            raise
        if response.keep_alive:
            self._idle.append((reader, writer))
        else:
            writer.close()
        return response


async def _read_response(reader: asyncio.StreamReader) -> _Response:
    """Status and the headers we need; the body (the gateway's short JSON) is read and dropped."""
    lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ", 2)[:2]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    elif length := int(headers.get("content-length", "0")):
        await reader.readexactly(length)
    keep_alive = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
    return _Response(int(status), headers.get("x-amzn-errortype", ""), keep_alive)
