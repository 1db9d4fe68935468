"""Writing the search index: session entries, bucket counts and listing (price) entries.

Callers keep the index a superset of the truth (see index_models): `add_*` before the change
commits, `prune_*` after it. Writes are BatchWriteItem (25 items a call) run a few at a time in
parallel; bucket counts are one UpdateItem (ADD) per facet and bucket touched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.catalog import search_plan as plan
from chalicelib.catalog.index_models import ListingEntryItem, SearchBucketItem, SearchEntryItem
from chalicelib.core import clock
from chalicelib.core.table import BaseItem

BATCH = 25
WORKERS = 8


@dataclass(frozen=True)
class Placed:
    """A session as the index knows it: where it sits in start order."""

    session_id: str
    starts_at: datetime


def session_entries(facets: plan.Facets | None, sessions: Iterable[Placed]) -> dict[tuple[str, str], BaseItem]:
    """Every entry these sessions have under `facets` (none for None: an unlisted listing)."""
    if facets is None:
        return {}
    data = facets.to_json()
    out: dict[tuple[str, str], BaseItem] = {}
    now = clock.now()
    for s in sessions:
        sk = plan.position(s.starts_at, s.session_id)
        for facet in plan.facet_keys(facets):
            pk = plan.entry_pk(facet, plan.bucket(facet, s.starts_at))
            out[(pk, sk)] = SearchEntryItem(
                pk,
                sk,
                session_id=s.session_id,
                listing_id=facets.listing_id,
                starts_at=s.starts_at,
                facets=data,
                created_at=now,
                updated_at=now,
            )
    return out


def listing_entries(facets: plan.Facets | None) -> dict[tuple[str, str], BaseItem]:
    if facets is None:
        return {}
    data = facets.to_json()
    out: dict[tuple[str, str], BaseItem] = {}
    for facet in plan.facet_keys(facets):
        for currency, amount in facets.prices.items():
            pk, sk = plan.listing_index_pk(facet, currency), plan.price_key(amount, facets.listing_id)
            out[(pk, sk)] = ListingEntryItem(pk, sk, listing_id=facets.listing_id, amount=amount, facets=data)
    return out


def _bucket_of(pk: str) -> tuple[str, str]:
    _, facet, bucket = pk.split("#", 2)
    return facet, bucket


def _run_batches(puts: Sequence[BaseItem], deletes: Sequence[tuple[str, str]]) -> None:
    work: list[tuple[str, Any]] = [("put", item) for item in puts] + [("delete", key) for key in deletes]
    chunks = [work[i : i + BATCH] for i in range(0, len(work), BATCH)]

    def write(chunk: list[tuple[str, Any]]) -> None:
        with BaseItem.batch_write() as batch:
            for op, value in chunk:
                if op == "put":
                    batch.save(value)
                else:
                    batch.delete(BaseItem(*value))

    if len(chunks) <= 1:
        for chunk in chunks:
            write(chunk)
        return
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(chunks))) as pool:
        list(pool.map(write, chunks))


def _count(deltas: Counter[tuple[str, str]]) -> None:
    def bump(item: tuple[tuple[str, str], int]) -> None:
        (facet, bucket), delta = item
        SearchBucketItem(plan.directory_pk(facet), bucket).update(
            actions=[SearchBucketItem.n.add(delta), SearchBucketItem.kind.set(SearchBucketItem)]
        )

    changes = [(key, d) for key, d in deltas.items() if d]
    if len(changes) <= 1:
        for change in changes:
            bump(change)
        return
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(changes))) as pool:
        list(pool.map(bump, changes))


def add_sessions(
    facets: plan.Facets | None,
    sessions: Sequence[Placed],
    before: tuple[plan.Facets | None, Sequence[Placed]] | None = None,
) -> None:
    """Write the entries of `sessions` under `facets`; count those not already there `before`."""
    new = session_entries(facets, sessions)
    old = session_entries(*before) if before else {}
    _run_batches(list(new.values()), [])
    _count(Counter(_bucket_of(pk) for pk, _ in new.keys() - old.keys()))


def prune_sessions(
    before: tuple[plan.Facets | None, Sequence[Placed]], after: tuple[plan.Facets | None, Sequence[Placed]]
) -> None:
    """Delete the entries `before` had that `after` has not."""
    stale = session_entries(*before).keys() - session_entries(*after).keys()
    _run_batches([], sorted(stale))
    deltas: Counter[tuple[str, str]] = Counter()
    for pk, _ in stale:
        deltas[_bucket_of(pk)] -= 1
    _count(deltas)


def add_listing(facets: plan.Facets | None) -> None:
    _run_batches(list(listing_entries(facets).values()), [])


def prune_listing(before: plan.Facets | None, after: plan.Facets | None) -> None:
    _run_batches([], sorted(listing_entries(before).keys() - listing_entries(after).keys()))
