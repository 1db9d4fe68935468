"""Reading the search index: one-call Query pages, bucket directories, entry streams in start order,
the planner's choice by counts, and the batch check of hits against the items they point at.
The searches themselves (orders, cursors, listings) are in discovery.py; the plan in search_plan.py.

Every page spends at most MAX_CALLS DynamoDB calls (`Budget`); when they run out the search returns
what it found and a cursor at the last entry it examined, so a page may be short but nothing is
lost or repeated. Reads use the low-level client: one call per page, counted, and raw items that the
in-memory filters read without building models.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import boto3

from chalicelib.catalog import domain, views
from chalicelib.catalog import search_plan as plan
from chalicelib.catalog.models import LISTING_SK, SESSION_SK, ListingItem, SessionItem, listing_pk, session_pk
from chalicelib.core.settings import get_settings
from chalicelib.core.table import BaseItem

MAX_CALLS = 40
CALLS_PER_LISTING = 2  # listing searches and price order read each listing's sessions: their budget grows
WORKERS = 8
BATCH_GET = 100
MAX_COUNTED_CELLS = 9  # a radius candidate with more cells is not worth counting


class Spent(Exception):
    """The page's DynamoDB budget is used up."""


@dataclass
class Budget:
    limit: int = MAX_CALLS

    @classmethod
    def per_listing(cls, page_limit: int) -> Budget:
        return cls(MAX_CALLS + CALLS_PER_LISTING * page_limit)

    calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def spend(self, n: int = 1) -> None:
        with self._lock:
            if self.calls + n > self.limit:
                raise Spent()
            self.calls += n


@lru_cache(maxsize=1)
def _client() -> Any:
    settings = get_settings()
    return boto3.client("dynamodb", region_name=settings.aws_region, endpoint_url=settings.dynamodb_endpoint_url)


def query_page(
    budget: Budget,
    pk: str,
    low: str,
    high: str,
    *,
    after: dict[str, Any] | None = None,
    limit: int = 100,
    index: str | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One Query call: raw items with low <= sort key <= high, from `after` (a LastEvaluatedKey)."""
    budget.spend()
    pk_name, sk_name = ("GSI1PK", "GSI1SK") if index == "GSI1" else ("PK", "SK")
    request: dict[str, Any] = {
        "TableName": get_settings().table_name,
        "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :lo AND :hi",
        "ExpressionAttributeNames": {"#pk": pk_name, "#sk": sk_name},
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":lo": {"S": low}, ":hi": {"S": high}},
        "Limit": limit,
    }
    if index:
        request["IndexName"] = index
    if after is not None:
        request["ExclusiveStartKey"] = after
    response = _client().query(**request)
    return list(response.get("Items", [])), response.get("LastEvaluatedKey")


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def text(item: dict[str, Any], name: str) -> str:
    """A string attribute of a raw (low-level) item."""
    return str(item[name]["S"])


def _parse_time(key: str) -> datetime:
    return datetime.strptime(key[:20], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


# Reading the index


def buckets(budget: Budget, facet: str, low: datetime, high: datetime | None) -> list[tuple[str, int]]:
    """The facet's non-empty buckets between two times, with their entry counts (bucket directory)."""
    top = plan.bucket(facet, high) if high else plan.END
    out: list[tuple[str, int]] = []
    after: dict[str, Any] | None = None
    while True:
        pk, first = plan.directory_pk(facet), plan.bucket(facet, low)
        items, after = query_page(budget, pk, first, top, after=after, limit=1000)
        out += [(text(i, "SK"), int(i["n"]["N"]) if "n" in i else 0) for i in items]
        if after is None:
            return out


def entries(
    budget: Budget, facet: str, bucket_ids: list[str], low: str, high: str, after: str | None, page: int
) -> Iterator[dict[str, Any]]:
    """Entries of one facet with low <= SK < high, after `after`, in start order, fetched lazily."""
    start_bucket = plan.bucket(facet, _parse_time(after)) if after else ""
    for bucket_id in bucket_ids:
        if bucket_id < start_bucket:
            continue
        pk = plan.entry_pk(facet, bucket_id)
        resume = _key(pk, after) if bucket_id == start_bucket and after and after >= low else None
        while True:
            items, resume = query_page(budget, pk, low, high, after=resume, limit=page)
            yield from (i for i in items if text(i, "SK") < high)
            if resume is None:
                break


def _merged(streams: list[Iterator[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    return streams[0] if len(streams) == 1 else heapq.merge(*streams, key=lambda e: text(e, "SK"))


def choose_facet(budget: Budget, filters: plan.Filters) -> tuple[plan.Candidate, dict[str, list[str]]]:
    """The candidate with the fewest entries in the window, and its buckets per key."""
    options = plan.candidates(filters)
    specific = [c for c in options if c.kind != plan.ALL and len(c.keys) <= MAX_COUNTED_CELLS]
    counted = specific[: plan.COUNTED_CANDIDATES] or [c for c in options if c.kind != plan.ALL][:1]
    if not counted:
        counted = [plan.Candidate(plan.ALL, (plan.ALL,))]
    keys = list(dict.fromkeys(k for c in counted for k in c.keys))
    found = parallel(lambda k: buckets(budget, k, filters.starts_after, filters.starts_before), keys)
    directory = dict(zip(keys, found, strict=True))
    counts = {k: sum(n for _, n in directory[k]) for k in keys}
    chosen = plan.choose(counted, counts)
    return chosen, {k: [b for b, _ in directory[k]] for k in chosen.keys}


def parallel(fn: Callable[[Any], Any], values: list[Any]) -> list[Any]:
    if len(values) <= 1:
        return [fn(v) for v in values]
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(values))) as pool:
        return list(pool.map(fn, values))


# Loading and checking what the index points at


@dataclass
class Loaded:
    sessions: dict[str, SessionItem] = field(default_factory=dict)
    listings: dict[str, ListingItem] = field(default_factory=dict)
    facets: dict[str, plan.Facets] = field(default_factory=dict)
    ratings: dict[str, float | None] | None = None  # listing → average rating; read only when a search needs them

    def fetch(self, budget: Budget, session_ids: Iterable[str], listing_ids: Iterable[str]) -> None:
        keys = [(session_pk(s), SESSION_SK) for s in dict.fromkeys(session_ids) if s not in self.sessions]
        keys += [(listing_pk(lid), LISTING_SK) for lid in dict.fromkeys(listing_ids) if lid not in self.listings]
        for i in range(0, len(keys), BATCH_GET):
            budget.spend()
            for item in BaseItem.batch_get(keys[i : i + BATCH_GET]):
                if isinstance(item, SessionItem):
                    self.sessions[item.session_id] = item
                elif isinstance(item, ListingItem):
                    self.listings[item.listing_id] = item
                    self.facets[item.listing_id] = views.facets_of(item)
        self._fetch_ratings(budget)

    def _fetch_ratings(self, budget: Budget) -> None:
        if self.ratings is None:
            return
        from chalicelib.reviews import service as reviews

        missing = [lid for lid in self.listings if lid not in self.ratings]
        for i in range(0, len(missing), BATCH_GET):
            budget.spend()
            found = reviews.ratings_of(missing[i : i + BATCH_GET])
            self.ratings.update({lid: r.average for lid, r in found.items()})

    def listing_ok(self, filters: plan.Filters, listing_id: str) -> bool:
        listing = self.listings.get(listing_id)
        return (
            listing is not None
            and listing.status == domain.PUBLISHED
            and plan.facets_match(filters, self.facets[listing_id])
            and (filters.min_rating is None or ((self.ratings or {}).get(listing_id) or 0.0) >= filters.min_rating)
        )


def session_ok(filters: plan.Filters, session: SessionItem | None) -> bool:
    """Session-level filters, on the session as stored now."""
    return (
        session is not None
        and session.state == domain.SCHEDULED
        and plan.in_window(filters, session.starts_at)
        and (not filters.has_free_seats or views.seats_left(session) > 0)
    )


def session_from(raw: dict[str, Any]) -> SessionItem:
    """A session item from a raw GSI1 Query item (the index projects every attribute)."""
    return SessionItem.from_raw_data(raw)
