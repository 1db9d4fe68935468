"""A fault-injecting HTTP proxy for the fault tests: it sits in front of a real upstream (moto
server, the Stripe emulator, a websocket gateway) and, when told, answers in its place the way a
failing service does.

    proxy = FaultProxy("127.0.0.1", upstream_port).start()    # settings point the app at proxy.url
    with proxy.failing(Fault.reply(THROTTLED_DYNAMODB), when=target("TransactWriteItems")):
        ...                                                    # matching requests are throttled
    proxy.seen(faulted=True)                                   # what it did, for assertions

Modes: pass through; answer a canned reply (5xx, or throttling in the service's own wire format);
reset the connection (RST) once the request is read; hang, holding the request until the client
gives up or the fault is lifted; refuse connections (the listener is closed until the fault ends).
`times=n` faults only the first n matching requests ("failing for a while"), then passes again.
No sleeps: a hanging request waits on an Event that `heal()` sets.
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"}
HANG_LIMIT_SECONDS = 120.0  # a hung request is released after this, whatever the client does


@dataclass(frozen=True)
class Seen:
    """One request the proxy received."""

    method: str
    path: str
    headers: dict[str, str]
    faulted: bool


Match = Callable[[Seen], bool]


class Mode(Enum):
    PASS = "pass"
    REPLY = "reply"
    RESET = "reset"
    HANG = "hang"
    REFUSE = "refuse"


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Fault:
    mode: Mode
    reply: Reply | None = None

    @staticmethod
    def answer(reply: Reply) -> Fault:
        return Fault(Mode.REPLY, reply)


RESET = Fault(Mode.RESET)
HANG = Fault(Mode.HANG)
REFUSE = Fault(Mode.REFUSE)

# What each service answers when it throttles or fails, in its own wire format.
DYNAMODB_THROTTLED = Reply(
    400,
    b'{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",'
    b'"message":"The level of configured provisioned throughput for the table was exceeded."}',
    {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": "ProvisionedThroughputExceededException"},
)
DYNAMODB_INTERNAL = Reply(
    500,
    b'{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}',
    {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": "InternalServerError"},
)
S3_SLOW_DOWN = Reply(
    503,
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>",
    {"Content-Type": "application/xml"},
)
SES_THROTTLED = Reply(
    429,
    b'{"message":"Maximum sending rate exceeded."}',
    {"Content-Type": "application/json", "x-amzn-ErrorType": "TooManyRequestsException"},
)
SES_UNAVAILABLE = Reply(
    503,
    b'{"message":"Service unavailable"}',
    {"Content-Type": "application/json", "x-amzn-ErrorType": "ServiceUnavailable"},
)
STRIPE_UNAVAILABLE = Reply(
    503,
    b'{"error":{"type":"api_error","message":"Stripe is temporarily unavailable."}}',
    {"Content-Type": "application/json"},
)
STRIPE_RATE_LIMITED = Reply(
    429,
    b'{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests."}}',
    {"Content-Type": "application/json"},
)
GATEWAY_INTERNAL = Reply(
    500,
    b'{"message":"Internal server error"}',
    {"Content-Type": "application/json", "x-amzn-ErrorType": "InternalServerErrorException"},
)


def target(*operations: str) -> Match:
    """Requests of these AWS JSON-protocol operations (X-Amz-Target `Service.Operation`)."""
    wanted = set(operations)
    return lambda seen: seen.headers.get("x-amz-target", "").rsplit(".", 1)[-1] in wanted


def path_contains(fragment: str, *, method: str | None = None) -> Match:
    """Requests whose path holds `fragment` (and of `method`, when given: a list is a GET, a create a POST)."""
    return lambda seen: fragment in seen.path and (method is None or seen.method == method)


@dataclass
class _Active:
    fault: Fault
    when: Match | None
    times: int | None
    used: int = 0


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int, *, port: int = 0) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._lock = threading.Lock()
        self._active: _Active | None = None
        self._healed = threading.Event()
        self._healed.set()
        self._seen: list[Seen] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name=f"fault-proxy-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._healed.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- faults ----------------------------------------------------------------------------------

    def fail(self, fault: Fault, *, when: Match | None = None, times: int | None = None) -> None:
        """From now on, matching requests (all when `when` is None) get `fault` (the first `times`)."""
        with self._lock:
            self._active = _Active(fault, when, times)
            if fault.mode is Mode.HANG:
                self._healed.clear()
        if fault.mode is Mode.REFUSE:
            self.stop()  # nobody listens: the client's connect is refused

    def heal(self) -> None:
        with self._lock:
            refused = self._active is not None and self._active.fault.mode is Mode.REFUSE
            self._active = None
        self._healed.set()
        if refused:
            self.start()  # the same port again (ThreadingHTTPServer reuses the address)

    @contextmanager
    def failing(self, fault: Fault, *, when: Match | None = None, times: int | None = None) -> Iterator[FaultProxy]:
        self.fail(fault, when=when, times=times)
        try:
            yield self
        finally:
            self.heal()

    def seen(self, *, faulted: bool | None = None, when: Match | None = None) -> list[Seen]:
        with self._lock:
            found = list(self._seen)
        return [s for s in found if (faulted is None or s.faulted is faulted) and (when is None or when(s))]

    def forget(self) -> None:
        with self._lock:
            self._seen.clear()

    def _decide(self, method: str, path: str, headers: dict[str, str]) -> tuple[Fault | None, Seen]:
        probe = Seen(method, path, headers, False)
        with self._lock:
            active = self._active
            hit = (
                active is not None
                and (active.when is None or active.when(probe))
                and (active.times is None or active.used < active.times)
            )
            if hit and active is not None:
                active.used += 1
            seen = Seen(method, path, headers, bool(hit))
            self._seen.append(seen)
        return (active.fault if hit and active is not None else None), seen

    def _wait_healed(self) -> None:
        self._healed.wait(HANG_LIMIT_SECONDS)

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            sent = {k: v for k, v in headers.items() if k not in _HOP_BY_HOP}
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
            # A HEAD answer keeps the upstream's Content-Length: it describes the object (S3 HeadObject).
            dropped = _HOP_BY_HOP if method == "HEAD" else _HOP_BY_HOP | {"content-length"}
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in dropped]
            return response.status, kept, data
        finally:
            connection.close()


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _handle(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            length = int(headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            fault, _ = proxy._decide(self.command, self.path, headers)
            if fault is None:
                self._send(*proxy._forward(self.command, self.path, headers, body))
            elif fault.mode is Mode.REPLY and fault.reply is not None:
                self._send(fault.reply.status, list(fault.reply.headers.items()), fault.reply.body)
            elif fault.mode is Mode.HANG:
                proxy._wait_healed()
                self.close_connection = True  # the client gave up long ago: answer nothing
            else:  # RESET (and a REFUSE that raced with the listener closing)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True

        def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            if self.command != "HEAD" or not any(name.lower() == "content-length" for name, _ in headers):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

    return Handler
