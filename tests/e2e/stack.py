"""Running the local stack as a subprocess for the e2e tests: start on free ports, wait until ready,
stop with a signal. Nothing here reaches into the stack's process: tests talk to it over HTTP and
websockets only."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests

ROOT = Path(__file__).resolve().parents[2]
# Only what a shell would pass on: the stack sets the app's own environment itself, and must not
# inherit the variables the other test tiers set for their in-process app.
_PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "JAVA_HOME", "JAVA_TOOL_OPTIONS", "TERM")
T = TypeVar("T")


def free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def wait_for(condition: Callable[[], T | None], timeout: float, what: str, interval: float = 0.05) -> T:
    """Poll `condition` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@dataclass
class Stack:
    data_dir: Path
    extra_args: list[str] = field(default_factory=list)
    ports: list[int] = field(default_factory=lambda: free_ports(4))
    process: subprocess.Popen[bytes] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return self.ports[0]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "stack.log"

    def args(self) -> list[str]:
        api, dynamodb, aws, stripe = self.ports
        return [
            sys.executable, "-m", "devstack",
            "--port", str(api), "--dynamodb-port", str(dynamodb), "--aws-port", str(aws),
            "--stripe-port", str(stripe), "--data-dir", str(self.data_dir), *self.extra_args,
        ]  # fmt: skip

    def start(self, timeout: float = 180.0) -> Stack:  # the first run installs DynamoDB Local
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {name: os.environ[name] for name in _PASSED_ENV if name in os.environ}
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(self.args(), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            self.info = wait_for(self._ready, timeout, f"the stack to answer on {self.url}/dev", interval=0.2)
        except AssertionError as exc:
            self.stop()
            raise AssertionError(f"{exc}\n--- stack log ---\n{self.log_tail()}") from None
        return self

    def _ready(self) -> dict[str, Any] | None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the stack exited with {self.process.returncode}:\n{self.log_tail()}")
        try:
            response = requests.get(f"{self.url}/dev", timeout=2)
        except requests.RequestException:
            return None
        info: dict[str, Any] = response.json()
        return info if response.ok else None

    def log(self) -> str:
        """The whole log of this stack (failure messages show its tail)."""
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def log_tail(self, chars: int = 6000) -> str:
        return self.log()[-chars:]

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, as Ctrl-C or a process manager would; the exit code, or None if never started."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"the stack did not stop within {timeout}s:\n{self.log_tail()}") from None
        return self.process.returncode

    # -- HTTP helpers ------------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return requests.request(method, self.url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def token(self, **claims: Any) -> tuple[str, str]:
        """A dev token for a new (or the given) user: (token, user_id)."""
        response = self.post("/dev/token", json=claims)
        assert response.status_code == 201, response.text
        body = response.json()
        return body["token"], body["user_id"]


class Person:
    """A user of the running stack whose token is minted again for each call (tests move the clock
    by days, past any token's lifetime)."""

    LIFETIME = 30 * 24 * 3600

    def __init__(self, stack: Stack, roles: tuple[str, ...] = ("player",)) -> None:
        self.stack, self.roles = stack, list(roles)
        _, self.user_id = stack.token(roles=self.roles, ttl_seconds=self.LIFETIME)

    def headers(self) -> dict[str, str]:
        token, _ = self.stack.token(user_id=self.user_id, roles=self.roles, ttl_seconds=self.LIFETIME)
        return {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.stack.request(method, path, headers={**self.headers(), **(headers or {})}, **kwargs)

    def booking(self, booking_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.call("GET", f"/v1/bookings/{booking_id}").json()
        return found
