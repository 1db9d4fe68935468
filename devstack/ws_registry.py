"""The open websockets of the local gateway, by connection id: what @connections reads and writes.

A connection leaves the registry the moment it starts closing (client close, idle timeout, delete),
so from then on a post answers 410 Gone, as API Gateway does.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime

from starlette.websockets import WebSocket

MAX_MESSAGE_BYTES = 128 * 1024  # API Gateway's websocket message limit, both directions
_ID_ALPHABET = string.ascii_letters + string.digits


def new_connection_id() -> str:
    """Shaped like API Gateway's (e.g. 'd8QcKcAhIAMCKvw='): ids must be URL-encoded in @connections."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(15)) + "="


class Gone(Exception):
    pass


class TooLarge(Exception):
    pass


@dataclass
class LiveConnection:
    connection_id: str
    websocket: WebSocket
    source_ip: str
    user_agent: str | None
    connected_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_active_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    close_code: int | None = None  # set when the server closes it
    close_reason: str = ""
    _send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def touch(self) -> None:
        self.last_active_at = datetime.now(UTC)

    async def send(self, data: bytes) -> None:
        """One frame: text when the bytes are UTF-8 (as API Gateway sends JSON), else binary."""
        async with self._send_lock:
            try:
                await self.websocket.send_text(data.decode("utf-8"))
            except UnicodeDecodeError:
                await self.websocket.send_bytes(data)
        self.touch()

    async def close(self, code: int, reason: str) -> None:
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
        async with self._send_lock:
            with contextlib.suppress(RuntimeError, OSError):  # already closed by the client
                await self.websocket.close(code=code, reason=reason)


class Registry:
    def __init__(self) -> None:
        self._live: dict[str, LiveConnection] = {}

    def add(self, connection: LiveConnection) -> None:
        self._live[connection.connection_id] = connection

    def remove(self, connection_id: str) -> LiveConnection | None:
        return self._live.pop(connection_id, None)

    def get(self, connection_id: str) -> LiveConnection:
        connection = self._live.get(connection_id)
        if connection is None:
            raise Gone(connection_id)
        return connection

    def all(self) -> list[LiveConnection]:
        return list(self._live.values())

    async def post(self, connection_id: str, data: bytes) -> None:
        if len(data) > MAX_MESSAGE_BYTES:
            raise TooLarge(f"{len(data)} bytes; the limit is {MAX_MESSAGE_BYTES}")
        connection = self.get(connection_id)
        try:
            await connection.send(data)
        except Exception as exc:  # the socket broke under us: gone, as far as a sender can tell
            self.remove(connection_id)
            raise Gone(connection_id) from exc

    async def delete(self, connection_id: str) -> None:
        connection = self.get(connection_id)
        self.remove(connection_id)
        await connection.close(1000, "Connection deleted")

    async def close_all(self, code: int = 1001, reason: str = "Going away") -> None:
        for connection in self.all():
            self.remove(connection.connection_id)
            await connection.close(code, reason)
