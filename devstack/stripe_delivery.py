"""Webhook delivery for the Stripe emulator: signed when sent, and held, reordered or doubled on demand,
so late, duplicate and out-of-order events can be exercised on the local stack and in tests. Dev tooling only.

Installed by `devstack.stripe_emulator` in place of localstripe's sender (`install()`, before any event)
and its routes (`add_routes()`, once localstripe's app exists):

- each delivery is signed (`Stripe-Signature: t=<now>,v1=...`) with the time it is sent, as Stripe signs;
  localstripe signed with the event's `created`, so an event sent more than 5 minutes after it happened
  failed a 5-minute signature tolerance;
- not holding, events go out as localstripe sends them: each on its own, about a second after it happened
  (two events close together may arrive in either order);
- dev controls, no key needed (under localstripe's unauthenticated `/_config/`):
  - `POST /_config/webhooks/hold`: from now on, events are queued instead of sent;
  - `GET /_config/webhooks/queue`: the queued events, `[{"id", "type", "created"}]`, oldest first;
  - `POST /_config/webhooks/release`, JSON `{"order": "sent" | "reversed" | "shuffled", "twice": false,
    "seed": null}` (all optional): stops holding, then sends every queued event in that order, one at a
    time, each delivery awaited before the next; `twice`: then every one again, same id, same order (as
    Stripe's retries, which come later; shuffled: both copies shuffled together); `seed` repeats a
    shuffle. Answers `[{"id", "type"}]` in delivery order. Events made while a release runs (by the
    webhook handlers' own calls) are sent as usual, not queued. The queue is not kept across restarts;
  - `DELETE /_config/webhooks/{id}`: forget an endpoint registered with localstripe's
    `POST /_config/webhooks/{id}` (`url`, `secret`, optional `events`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from localstripe import resources, webhooks
from localstripe.errors import UserError

ORDERS = ("sent", "reversed", "shuffled")
_HOLDING = [False]
_QUEUE: list[Any] = []
_SENDING: set[asyncio.Future[None]] = set()
log = logging.getLogger("stripe-emulator.webhooks")


def install() -> None:
    """Every event localstripe or our extensions make goes through `schedule` (resources.py imported
    localstripe's sender by name, so both names are replaced)."""
    webhooks.schedule_webhook = schedule
    resources.schedule_webhook = schedule


def schedule(event: Any) -> None:
    if _HOLDING[0]:
        _QUEUE.append(event)
        return
    task = asyncio.ensure_future(_send_soon(event))
    _SENDING.add(task)  # the loop keeps only weak references to tasks
    task.add_done_callback(_SENDING.discard)


async def _send_soon(event: Any) -> None:
    await asyncio.sleep(1)  # as localstripe: the API call that made the event answers first
    await deliver(event)


async def deliver(event: Any) -> None:
    """Send `event` to every endpoint that takes its type, one after the other, each signed as it is sent."""
    payload = json.dumps(event._export(), indent=2, sort_keys=True).encode()
    endpoints = [e for e in webhooks._webhooks.values() if e.events is None or event.type in e.events]
    if not endpoints:
        return
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        for endpoint in endpoints:
            stamp = int(time.time())
            signed = hmac.new(endpoint.secret.encode(), b"%d.%s" % (stamp, payload), hashlib.sha256).hexdigest()
            headers = {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": f"t={stamp},v1={signed}"}
            try:
                async with session.post(endpoint.url, data=payload, headers=headers) as response:
                    log.info("%s %s to %s: HTTP %d", event.type, event.id, endpoint.url, response.status)
            except (TimeoutError, aiohttp.ClientError) as exc:
                log.info("%s %s to %s failed: %s", event.type, event.id, endpoint.url, exc)


def arrange(events: list[Any], order: str, twice: bool, seed: Any) -> list[Any]:
    if order == "shuffled":
        sequence = events * 2 if twice else list(events)
        random.Random(seed).shuffle(sequence)
        return sequence
    sequence = events[::-1] if order == "reversed" else list(events)
    return sequence * 2 if twice else sequence


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_routes(app: web.Application) -> None:
    from localstripe.server import get_post_data, json_response

    async def hold(request: web.Request) -> web.StreamResponse:
        _HOLDING[0] = True
        return json_response({"holding": True, "queued": len(_QUEUE)})

    async def queue(request: web.Request) -> web.StreamResponse:
        return json_response([{"id": e.id, "type": e.type, "created": e.created} for e in _QUEUE])

    async def release(request: web.Request) -> web.StreamResponse:
        data = await get_post_data(request) or {}
        order = data.get("order") or "sent"
        if order not in ORDERS:
            raise UserError(400, f"order is one of {', '.join(ORDERS)}")
        twice = str(data.get("twice")).lower() in ("true", "1")
        events = list(_QUEUE)
        _QUEUE.clear()
        _HOLDING[0] = False
        sequence = arrange(events, order, twice, data.get("seed"))
        for event in sequence:
            await deliver(event)
        return json_response([{"id": e.id, "type": e.type} for e in sequence])

    async def forget(request: web.Request) -> web.StreamResponse:
        webhooks._webhooks.pop(request.match_info["id"], None)
        return web.Response()

    controls: dict[tuple[str, str], Handler] = {
        ("POST", "/_config/webhooks/hold"): hold,
        ("GET", "/_config/webhooks/queue"): queue,
        ("POST", "/_config/webhooks/release"): release,
    }

    @web.middleware
    async def delivery_controls(request: web.Request, handler: Handler) -> web.StreamResponse:
        """These paths also match localstripe's `POST /_config/webhooks/{id}` (registered first), so they are
        answered here, before routing's choice counts (whichever aiohttp version ranks the routes)."""
        control = controls.get((request.method, request.path))
        return await (control or handler)(request)

    app.middlewares.append(delivery_controls)
    app.router.add_delete("/_config/webhooks/{id}", forget)
