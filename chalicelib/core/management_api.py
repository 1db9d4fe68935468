"""The API Gateway management API (@connections), posting frames to websocket connections.

A fan-out to a 500-member group is 500 POSTs, so each must cost little CPU. boto3's generic client
spends about 2 ms of CPU per call (validation, events, retries, signing, urllib3) and threads add
GIL hand-offs; here the posts of one fan-out are SigV4-signed HTTP/1.1 POSTs written by asyncio
on kept-alive connections, a bounded number at a time, about 0.1 ms of CPU each: a
fan-out's posts differ only in their path, so everything else of the request and its signature is
worked out once per fan-out. The event loop runs in one daemon thread per container, so connections
survive between invocations and any caller (a route, a websocket handler, a schedule) can post. The
signature is AWS Signature Version 4, computed as botocore does (a unit test checks it against
botocore's signer); credentials come from boto3's chain, so Lambda's role and its session token are
used as usual.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ssl
import threading
from collections.abc import Callable, Coroutine, Iterable, Sequence
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

    def post_batches(self, batches: Iterable[Sequence[str]], data: bytes) -> list[tuple[str, Outcome]]:
        """Post `data` to every connection of every batch: (connection_id, outcome) pairs, in no
        set order. Posting may start while later batches are still being read. Raises only what
        iterating `batches` raised, once the posts of the batches before have finished."""


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


class Signing:
    """SigV4 for many requests that differ only in their path: one fan-out's POSTs share the
    credentials, the time, the body and so every header but `authorization`, all worked out once."""

    def __init__(
        self, host: str, body: bytes, credentials: Credentials, region: str, now: datetime, key: bytes | None = None
    ) -> None:
        self.amz_date = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        date = self.amz_date[:8]
        self.headers = {"host": host, "x-amz-date": self.amz_date}
        if credentials.token:
            self.headers["x-amz-security-token"] = credentials.token
        self.names = ";".join(sorted(self.headers))
        canonical_headers = "".join(f"{name}:{self.headers[name]}\n" for name in sorted(self.headers))
        self._canonical_tail = f"\n\n{canonical_headers}\n{self.names}\n{hashlib.sha256(body).hexdigest()}"
        self.scope = f"{date}/{region}/{SERVICE}/aws4_request"
        self._to_sign_head = f"AWS4-HMAC-SHA256\n{self.amz_date}\n{self.scope}\n"
        self._key = key or signing_key(credentials.secret_key, date, region)
        self._credential = f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{self.scope}, SignedHeaders="

    def authorization(self, method: str, path: str) -> str:
        """The `authorization` header of one request (`path` as sent, already percent-encoded)."""
        # SigV4 for services other than S3 encodes the path once more (so %3D is signed as %253D).
        canonical = f"{method}\n{_quote(path, '/~')}{self._canonical_tail}"
        to_sign = self._to_sign_head + hashlib.sha256(canonical.encode()).hexdigest()
        signature = hmac.new(self._key, to_sign.encode(), hashlib.sha256).hexdigest()
        return f"{self._credential}{self.names}, Signature={signature}"


def signed_headers(
    method: str,
    host: str,
    path: str,
    body: bytes,
    credentials: Credentials,
    region: str,
    now: datetime,
    key: bytes | None = None,
) -> dict[str, str]:
    """The headers that authenticate one request (`path` as sent, already percent-encoded)."""
    signing = Signing(host, body, credentials, region, now, key)
    return {**signing.headers, "authorization": signing.authorization(method, path)}


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
    def _started(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="management-api", daemon=True).start()
                cls._loop = loop
            return cls._loop

    @classmethod
    def run(cls, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, cls._started()).result()

    @classmethod
    def call(cls, callback: Callable[..., object], *args: Any) -> None:
        """`callback(*args)` on the loop, after the callbacks and coroutines handed over before it."""
        cls._started().call_soon_threadsafe(callback, *args)


@dataclass(frozen=True)
class _Prepared:
    """One fan-out's request, but for its path: signing and the headers that do not change."""

    signing: Signing
    fixed_headers: str  # "name: value\r\n" lines
    data: bytes

    def request(self, path: str) -> bytes:
        authorization = self.signing.authorization("POST", path)
        head = f"POST {path} HTTP/1.1\r\n{self.fixed_headers}authorization: {authorization}\r\n\r\n"
        return head.encode() + self.data


@dataclass
class _Response:
    status: int
    error_type: str
    keep_alive: bool


class ConnectionsEndpoint:
    """Signed POSTs to `https://<domain>/<stage>/@connections/<id>` on kept-alive connections."""

    def __init__(
        self,
        endpoint: str,
        region: str,
        *,
        connect_timeout: float = 2.0,
        read_timeout: float = 5.0,
        parallel: int = MAX_PARALLEL,
    ) -> None:
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
        self._source: Any = None
        self._ssl = ssl.create_default_context() if self.https else None

    def _prepare(self, data: bytes) -> _Prepared:
        """What all posts of one fan-out share. Credentials and time are read once per fan-out (a
        refreshed role session is picked up by the next); a fan-out lasts seconds, well inside the
        five minutes AWS accepts a signature's time."""
        if self._source is None:
            self._source = _credential_source()
        frozen = self._source.get_frozen_credentials()
        credentials = Credentials(frozen.access_key, frozen.secret_key, frozen.token)
        now = datetime.now(UTC)  # wall time, not core.clock: AWS rejects signatures off real time
        signing = Signing(self.host, data, credentials, self.region, now)
        fixed = {**signing.headers, "content-type": "application/json", "content-length": str(len(data))}
        return _Prepared(signing, "".join(f"{name}: {value}\r\n" for name, value in fixed.items()), data)

    def post_batches(self, batches: Iterable[Sequence[str]], data: bytes) -> list[tuple[str, Outcome]]:
        # Each batch is handed to the loop as soon as it is read (a fan-out reads its connections
        # 100 users per call, in parallel): the first posts overlap the reads still running.
        fan_out = _FanOut(self, self._prepare(data))
        try:
            for batch in batches:
                if batch:
                    _LoopThread.call(fan_out.extend, list(batch))
        finally:
            outcomes = _LoopThread.run(fan_out.finish())
        return outcomes

    async def _post(self, connection_id: str, prepared: _Prepared) -> Outcome:
        path = f"{self.base_path}/@connections/{_quote(connection_id, '')}"
        for attempt in range(2):  # a kept-alive connection the server closed meanwhile: once more, fresh
            try:
                response = await self._exchange(prepared.request(path), fresh=attempt > 0)
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

    async def _exchange(self, request: bytes, *, fresh: bool) -> _Response:
        if self._idle and not fresh:
            reader, writer = self._idle.pop()
        else:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.hostname, self.port, ssl=self._ssl), self.connect_timeout
            )
        try:
            writer.write(request)
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


class _FanOut:
    """The posts of one fan-out, on the loop: up to `parallel` posters take the next connection in
    turn from a queue that batches keep filling (a task per poster, not per post)."""

    def __init__(self, endpoint: ConnectionsEndpoint, prepared: _Prepared) -> None:
        self.endpoint = endpoint
        self.prepared = prepared
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.posters: list[asyncio.Task[None]] = []
        self.outcomes: list[tuple[str, Outcome]] = []

    def extend(self, connection_ids: list[str]) -> None:
        for connection_id in connection_ids:
            self.queue.put_nowait(connection_id)
        wanted = min(self.endpoint.parallel, len(self.posters) + self.queue.qsize())
        while len(self.posters) < wanted:
            self.posters.append(asyncio.get_running_loop().create_task(self._poster()))

    async def _poster(self) -> None:
        while (connection_id := await self.queue.get()) is not None:
            self.outcomes.append((connection_id, await self.endpoint._post(connection_id, self.prepared)))

    async def finish(self) -> list[tuple[str, Outcome]]:
        for _ in self.posters:
            self.queue.put_nowait(None)
        await asyncio.gather(*self.posters)
        return self.outcomes


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
