"""The one realtime sender: pushes server-to-client frames to websocket connections.

Every package uses it, from a websocket handler or from anywhere else (HTTP routes, timers, the
outbox), so it talks to the API Gateway management API (@connections) with its own client instead
of Chalice's `app.websocket_api`, which is only configured inside websocket handlers.

Fan-out posts in parallel, a bounded number at a time, with short timeouts, so one slow member
never holds up the others for long. Posts go through `management_api.ConnectionsEndpoint` (signed
POSTs written by asyncio on kept-alive connections, cheap per post); tests may put a fake gateway
behind the same `Poster` interface with `use_poster`. Whose connections to post to is read with
`connections.owners_in_batches`: one BatchGetItem per 100 users, not one Query per user, and the
posts to a batch's connections start as soon as it is read. A connection the gateway reports gone
(410) is forgotten, from its user's set too; no single dead or failing connection ever raises to
the caller, who gets a report instead.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from chalicelib.core import connections
from chalicelib.core.management_api import DELIVERED, GONE, ConnectionsEndpoint, Poster
from chalicelib.core.observability import logger, metrics
from chalicelib.core.settings import get_settings

MAX_FRAME_BYTES = 128 * 1024  # API Gateway's websocket message limit
Frame = dict[str, Any]  # {"type": "...", "data": {...}}

_endpoint_lock = threading.Lock()
_learned_endpoint: str | None = None
_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_poster_override: Poster | None = None


@dataclass
class SendReport:
    """What happened to each connection of one send."""

    delivered: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    reached: set[str] = field(default_factory=set)  # users with the frame on at least one device (if known)

    def as_dict(self) -> dict[str, list[str]]:
        return {"delivered": self.delivered, "gone": self.gone, "failed": self.failed}


class FrameTooLarge(ValueError):
    """The frame exceeds the gateway's 128 KB limit; split it or send a reference instead."""


def frame(type_: str, data: dict[str, Any]) -> Frame:
    return {"type": type_, "data": data}


def learn_endpoint(domain_name: str, stage: str) -> None:
    """Remember the management endpoint from a websocket event, for containers without the setting."""
    global _learned_endpoint
    with _endpoint_lock:
        if _learned_endpoint is None:
            _learned_endpoint = f"https://{domain_name}/{stage}"


def _endpoint() -> str:
    configured = get_settings().websocket_management_url
    if configured:
        return configured
    if _learned_endpoint is None:
        raise RuntimeError("set WEBSOCKET_MANAGEMENT_URL: no websocket event has told this container the endpoint")
    return _learned_endpoint


@lru_cache(maxsize=4)
def _endpoint_poster(endpoint: str) -> Poster:
    settings = get_settings()
    return ConnectionsEndpoint(endpoint, settings.aws_region, parallel=settings.realtime_max_workers)


def use_poster(poster: Poster | None) -> None:
    """Post through `poster` instead of the gateway (a fake gateway in tests); None: the gateway again."""
    global _poster_override
    _poster_override = poster


def _poster() -> Poster:
    return _poster_override or _endpoint_poster(_endpoint())


def _encode(payload: Frame) -> bytes:
    data = json.dumps(payload, separators=(",", ":"), default=str).encode()
    if len(data) > MAX_FRAME_BYTES:
        raise FrameTooLarge(f"frame of {len(data)} bytes exceeds {MAX_FRAME_BYTES}")
    return data


def _forget(connection_id: str, owner: str | None) -> None:
    try:
        connections.drop(connection_id, owner)
    except Exception:  # the TTL removes it later anyway
        logger.exception("could not drop gone connection %s", connection_id)


def _executor() -> ThreadPoolExecutor:
    """The container's fan-out pool: threads are started once, not per send."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=get_settings().realtime_max_workers, thread_name_prefix="realtime")
        return _pool


def send_to_connections(
    connection_ids: Iterable[str], payload: Frame, owners: Mapping[str, str] | None = None
) -> SendReport:
    """Post `payload` to each connection in parallel (bounded). Raises only FrameTooLarge.

    `owners` ({connection_id: user_id}) lets a gone connection be taken out of its user's set even
    when its own record has expired already.
    """
    return _send([list(dict.fromkeys(connection_ids))], _encode(payload), owners or {})


def send_to_user(user_id: str, payload: Frame) -> SendReport:
    """Post `payload` to every open connection of the user (none is fine: they are offline)."""
    return send_to_users([user_id], payload)


def send_to_users(user_ids: Iterable[str], payload: Frame, exclude: Iterable[str] = ()) -> SendReport:
    """One fan-out over all connections of several users (a conversation's members), but those in
    `exclude` (the connection a frame came from). Reads the users' connection sets in N/100 calls,
    posting to each batch's connections as soon as it is read. Raises only FrameTooLarge and what
    reading the connection sets raised (after posting to the batches read before)."""
    data = _encode(payload)
    owners: dict[str, str] = {}
    skipped = set(exclude)

    def batches() -> Iterator[list[str]]:
        for found in connections.owners_in_batches(user_ids):
            owners.update(found)
            yield [cid for cid in found if cid not in skipped]

    return _send(batches(), data, owners)


def _send(batches: Iterable[list[str]], data: bytes, owners: Mapping[str, str]) -> SendReport:
    report = SendReport()
    remaining = iter(batches)
    first = next((batch for batch in remaining if batch), None)
    if first is None:  # nobody to post to: no gateway needed (this container may not know it yet)
        return report
    for connection_id, (outcome, detail) in _poster().post_batches(itertools.chain([first], remaining), data):
        getattr(report, outcome).append(connection_id)
        if outcome not in (DELIVERED, GONE):
            logger.warning("realtime post failed", extra={"connection_id": connection_id, "error": detail})
    report.reached = {owners[cid] for cid in report.delivered if cid in owners}
    if len(report.gone) == 1:
        _forget(report.gone[0], owners.get(report.gone[0]))
    elif report.gone:  # each is two writes: in parallel
        list(_executor().map(lambda cid: _forget(cid, owners.get(cid)), report.gone))
    metrics.add_metric(name="RealtimeDelivered", unit="Count", value=len(report.delivered))
    if report.gone:
        metrics.add_metric(name="RealtimeGone", unit="Count", value=len(report.gone))
    return report
