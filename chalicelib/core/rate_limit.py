"""Per-caller rate limits of the costly routes: fixed windows counted in the table.

A route opts in with `RouteDoc(rate_limit="booking")`; `ApiBlueprint` checks the limit before the
view runs, for the signed-in user (by user id) or, without a token, for the caller's IP. A caller
over the limit gets a 429 problem with Retry-After and the view never runs. The check is one
conditional UpdateItem (ADD, refused at the limit) on an item that expires with its window.

The limits themselves are settings (`rate_limits`), listed with every other bound in docs/LIMITS.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from chalice.app import Request
from pynamodb.attributes import NumberAttribute

from chalicelib.core import clock, conditional
from chalicelib.core.exceptions import RateLimited
from chalicelib.core.settings import get_settings
from chalicelib.core.table import BaseItem
from chalicelib.core.windows import fixed_window


@dataclass(frozen=True)
class Limit:
    requests: int
    per_seconds: int


class RateCounterItem(BaseItem, discriminator="rate_counter"):
    """PK=RATE#<limit>#<caller> SK=<window start, epoch seconds>; expires after its window."""

    hits = NumberAttribute(default=0)


def limit_for(name: str) -> Limit:
    requests, per_seconds = get_settings().rate_limits[name]
    return Limit(int(requests), int(per_seconds))


def client_ip(request: Request) -> str:
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


def hit(name: str, caller: str) -> None:
    """Count one request of `caller` against limit `name`; RateLimited (429) when over it."""
    limit = limit_for(name)
    now = clock.now()
    start, retry_after = fixed_window(now.timestamp(), limit.per_seconds)
    counter = RateCounterItem(f"RATE#{name}#{caller}", str(start))
    counted = conditional.write(
        lambda: counter.update(
            actions=[
                RateCounterItem.hits.add(1),
                RateCounterItem.expires_at.set(now + timedelta(seconds=limit.per_seconds + 60)),
                RateCounterItem.kind.set(RateCounterItem.kind | RateCounterItem),
            ],
            condition=RateCounterItem.hits.does_not_exist() | (RateCounterItem.hits < limit.requests),
        )
    )
    if not counted:
        raise RateLimited(
            f"Too many requests: at most {limit.requests} per {limit.per_seconds} seconds. "
            f"Try again in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


def check(name: str, request: Request) -> None:
    """The route-level check: by user id when the request carries a valid token, else by IP."""
    from chalicelib.core import auth

    principal = auth.optional_principal(request)
    hit(name, f"usr:{principal.user_id}" if principal else f"ip:{client_ip(request)}")
