"""A fake of API Gateway's @connections API behind the realtime sender's `Poster` interface, for
tiers without a local gateway: it keeps every frame posted to each connection and answers 410 Gone
for the connections a test closed."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from chalicelib.core.management_api import DELIVERED, GONE


class FakeGateway:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frames: dict[str, list[bytes]] = defaultdict(list)
        self._closed: set[str] = set()

    def post_batches(self, batches: Iterable[Sequence[str]], data: bytes) -> list[tuple[str, tuple[str, str]]]:
        return [(connection_id, self._post(connection_id, data)) for batch in batches for connection_id in batch]

    def _post(self, connection_id: str, data: bytes) -> tuple[str, str]:
        with self._lock:
            if connection_id in self._closed:
                return GONE, "GoneException"
            self._frames[connection_id].append(data)
        return DELIVERED, ""

    def close(self, connection_id: str) -> None:
        """From now on, posts to this connection answer 410 Gone."""
        with self._lock:
            self._closed.add(connection_id)

    def frames(self, connection_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(data) for data in self._frames.get(connection_id, [])]


_installed: FakeGateway | None = None


def install() -> FakeGateway:
    """A fresh fake, set as the realtime sender's gateway (until `uninstall`)."""
    from chalicelib.core import realtime

    global _installed
    _installed = FakeGateway()
    realtime.use_poster(_installed)
    return _installed


def uninstall() -> None:
    from chalicelib.core import realtime

    global _installed
    _installed = None
    realtime.use_poster(None)


def installed() -> FakeGateway:
    assert _installed is not None, "no fake gateway is installed"
    return _installed
