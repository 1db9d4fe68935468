"""The Lambda side of the websocket routes: a process of its own, apart from the local gateway.

In AWS, API Gateway and Lambda never share a CPU. Here they did: a fan-out to 500 connections is 500
signed HTTP POSTs written by the handler's management API client and 500 POSTs answered (and 500
frames written) by the gateway, and in one process they took turns on one GIL. So the runner (the
gateway, the HTTP routes, /dev, the sweep) hands every $connect, $disconnect and message event to
this worker, which imports the app once and runs the handlers; their posts still reach the gateway
over HTTP, through the app's own @connections client, as in AWS.

The runner and the worker talk over a socket pair, one pickled tuple per message:
  runner -> worker  (request_id, INVOKE, (route_key, event, clock_offset_seconds))
                    (request_id, STATS | RESET_STATS, None)
  worker -> runner  (request_id, OK | ERROR, result or error text); request_id 0 says "ready" once.
Each event carries the runner's clock offset (the clock /dev/clock moves), so handlers see the same
"now" as the HTTP routes and the sweep. The worker exits when the runner closes its end, or dies.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from multiprocessing.connection import Connection
from typing import Any

from devstack.config import ROOT

log = logging.getLogger("devstack.lambda")

INVOKE, STATS, RESET_STATS = "invoke", "stats", "reset_stats"
OK, ERROR = "ok", "error"
READY_ID = 0
CONCURRENCY = 40  # handler invocations at once, as anyio's default thread limit allowed in the runner


class InvokeError(RuntimeError):
    """The worker could not run the handler (it raised, or the worker is gone)."""


# -- the runner's side ------------------------------------------------------------------------------


class LambdaWorker:
    """The runner's handle on the worker process: start, invoke, DynamoDB call counts, stop."""

    def __init__(self, process: subprocess.Popen[bytes], connection: Connection) -> None:
        self.process = process
        self._connection = connection
        self._send_lock = threading.Lock()
        self._ready: Future[Any] = Future()
        self._pending: dict[int, Future[Any]] = {READY_ID: self._ready}
        self._ids = itertools.count(READY_ID + 1)
        threading.Thread(target=self._read, name="lambda-worker-replies", daemon=True).start()

    @classmethod
    def start(cls) -> LambdaWorker:
        """Start the worker with the runner's environment (set it first: the app reads it once)."""
        ours, theirs = socket.socketpair()
        args = [sys.executable, "-m", "devstack.lambda_worker", str(theirs.fileno())]
        # A session of its own: Ctrl-C reaches only the runner, which stops it.
        process = subprocess.Popen(args, cwd=ROOT, pass_fds=[theirs.fileno()], start_new_session=True)
        theirs.close()
        return cls(process, Connection(ours.detach()))

    def wait_ready(self, timeout: float) -> None:
        """Block until the worker has imported the app; raises InvokeError if it could not."""
        self._ready.result(timeout)

    def _read(self) -> None:
        while True:
            try:
                request_id, status, result = self._connection.recv()
            except (EOFError, OSError):
                break
            future = self._pending.pop(request_id, None)
            if future is None:
                continue
            if status == OK:
                future.set_result(result)
            else:
                future.set_exception(InvokeError(result))
        for future in list(self._pending.values()):  # the worker is gone: nobody will answer these
            if not future.done():
                future.set_exception(InvokeError(f"the Lambda worker exited ({self.process.poll()})"))
        self._pending.clear()

    def _request(self, kind: str, payload: Any) -> Future[Any]:
        future: Future[Any] = Future()
        request_id = next(self._ids)
        self._pending[request_id] = future
        try:
            with self._send_lock:
                self._connection.send((request_id, kind, payload))
        except OSError as exc:
            self._pending.pop(request_id, None)
            future.set_exception(InvokeError(f"the Lambda worker is gone: {exc}"))
        return future

    async def websocket(self, route_key: str, event: dict[str, Any]) -> dict[str, Any] | None:
        """The handler's result, or None when the app has no handler for this route."""
        from chalicelib.core import clock

        payload = (route_key, event, clock.offset().total_seconds())
        result: dict[str, Any] | None = await asyncio.wrap_future(self._request(INVOKE, payload))
        return result

    async def dynamodb_calls(self) -> dict[str, int]:
        """The worker's DynamoDB calls by operation, since the last reset."""
        counts: dict[str, int] = await asyncio.wrap_future(self._request(STATS, None))
        return counts

    async def reset_dynamodb_calls(self) -> None:
        await asyncio.wrap_future(self._request(RESET_STATS, None))

    def stop(self, timeout: float = 10) -> None:
        self._connection.close()  # the worker's next read ends: it exits
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- the worker's side ------------------------------------------------------------------------------


class _Replies:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._lock = threading.Lock()

    def send(self, request_id: int, status: str, result: Any) -> None:
        with self._lock:
            self._connection.send((request_id, status, result))


def _invoke(invoker: Any, replies: _Replies, request_id: int, payload: tuple[str, dict[str, Any], float]) -> None:
    from chalicelib.core import clock

    route_key, event, offset_seconds = payload
    clock.set_offset(timedelta(seconds=offset_seconds))
    try:
        result = invoker.websocket(route_key, event)
    except Exception as exc:  # Lambda logs it; the gateway hears of a failed invocation
        log.exception("websocket handler %s failed", route_key)
        replies.send(request_id, ERROR, f"{type(exc).__name__}: {exc}")
        return
    replies.send(request_id, OK, result)


def serve(connection: Connection) -> None:
    import importlib

    from devstack.dev_routes import DynamoCalls
    from devstack.lambda_runtime import Invoker

    replies = _Replies(connection)
    try:
        invoker = Invoker(importlib.import_module("app"))
    except Exception as exc:
        replies.send(READY_ID, ERROR, f"the app did not import: {type(exc).__name__}: {exc}")
        raise
    calls = DynamoCalls()
    calls.install()
    replies.send(READY_ID, OK, os.getpid())
    with ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="lambda") as pool:
        while True:
            try:
                request_id, kind, payload = connection.recv()
            except (EOFError, OSError):
                return  # the runner stopped (or died)
            if kind == INVOKE:
                pool.submit(_invoke, invoker, replies, request_id, payload)
            elif kind == STATS:
                replies.send(request_id, OK, calls.snapshot()["by_operation"])
            elif kind == RESET_STATS:
                calls.reset()
                replies.send(request_id, OK, None)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s", stream=sys.stderr)
    serve(Connection(int(sys.argv[1])))
