"""Invoking the Chalice app the way Lambda does: one event, one context object, one result.

Chalice keeps `app.current_request` on the app object, as a Lambda container handles one request at
a time. The runner serves many clients at once, so HTTP invocations take turns on one lock, exactly
as requests queue for a single warm container. Websocket invocations (in the Lambda worker process,
see lambda_worker) and the sweep do not touch `current_request` and run alongside.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FUNCTION_NAME = "sesh-local"
TIMEOUT_MS = 30_000


@dataclass
class LambdaContext:
    """The attributes and method of the context object Lambda passes to a handler."""

    function_name: str = FUNCTION_NAME
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = f"/aws/lambda/{FUNCTION_NAME}"
    log_stream_name: str = "local"
    invoked_function_arn: str = f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION_NAME}"
    _deadline: float = field(default_factory=lambda: time.monotonic() + TIMEOUT_MS / 1000)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class Invoker:
    def __init__(self, app_module: Any) -> None:
        self.module = app_module
        self.app = app_module.app
        self._http_lock = threading.Lock()

    def http(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._http_lock:
            result: dict[str, Any] = self.app(event, LambdaContext())
            return result

    def websocket_handler(self, route_key: str) -> Callable[[dict[str, Any], Any], dict[str, Any]] | None:
        """The Lambda entry point for a websocket route, found as Lambda finds it: by handler string."""
        config = self.app.websocket_handlers.get(route_key)
        if config is None:
            return None
        attribute = config.handler_string.rsplit(".", 1)[-1]
        handler: Callable[[dict[str, Any], Any], dict[str, Any]] = getattr(self.module, attribute)
        return handler

    def websocket(self, route_key: str, event: dict[str, Any]) -> dict[str, Any] | None:
        """The handler's result, or None when the app has no handler for this route."""
        handler = self.websocket_handler(route_key)
        if handler is None:
            return None
        return handler(event, LambdaContext())
