"""Search cost against table size, on DynamoDB Local: the same searches with 1,000 and with 50,000
sessions in the table. Prints, per search, the median time of a page at each size, their ratio
(target <= 1.5) and the DynamoDB calls the page made.

The first 1,000 sessions (tabletop listings in Berlin and Hamburg) are the same at both sizes; the
other 49,000 (music listings elsewhere, some of them in English) share the time range, the `all`
partitions and the `lang:en` ones, but not the facets the searches name. So each search has the same
results at both sizes (except the unfiltered browse) and its cost must not follow the table.

Items are written as the app writes them (search_index builds the entries) with BatchWriteItem from
a thread pool; bucket counts are written once, summed in memory.

    .venv/bin/python bench/search_scaling.py [--small 1000] [--large 50000] [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devstack.dynamodb_local import DynamoDBLocal  # noqa: E402
from devstack.table import create_table  # noqa: E402

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
DAYS = 120
SESSIONS_PER_LISTING = 10
TABLE = "sesh-bench"

SEARCHES = [
    ("sessions: tags=horror", "/sessions", {"tags": "horror"}),
    ("sessions: category=one_shot&language=de", "/sessions", {"category": "one_shot", "language": "de"}),
    ("sessions: q=manor", "/sessions", {"q": "manor"}),
    ("sessions: near Berlin, 15 km", "/sessions", {"near": "52.52,13.40", "radius_km": 15}),
    (
        "sessions: game_system, free seats, window",
        "/sessions",
        {
            "game_system": "call_of_cthulhu",
            "has_free_seats": True,
            "starts_after": "2026-02-01T00:00:00Z",
            "starts_before": "2026-03-01T00:00:00Z",
        },
    ),
    (
        "sessions: sort=price (usd), category=campaign",
        "/sessions",
        {"sort": "price", "currency": "usd", "category": "campaign"},
    ),
    ("listings: tags=heist", "/listings", {"tags": "heist"}),
    ("listings: sort=price (usd), tags=fantasy", "/listings", {"sort": "price", "currency": "usd", "tags": "fantasy"}),
    ("sessions: everything upcoming (results differ)", "/sessions", {}),
]

RPG = {
    "categories": ["one_shot", "campaign"],
    "tags": ["horror", "heist", "fantasy"],
    "languages": ["en", "de"],
    "systems": ["call_of_cthulhu", "dnd_5e", "blades_in_the_dark"],
    "tools": ["roll20", "foundry_vtt"],
    "places": [("Berlin", 52.52, 13.405), ("Hamburg", 53.55, 9.99)],
    "words": ["manor", "dragon", "heist", "crypt", "night", "tavern"],
}
MUSIC = {
    "categories": ["studio_time", "mixing", "lessons", "production"],
    "tags": ["jazz", "drums", "vocals", "synth", "tracking", "mastering"],
    "languages": ["en", "fr", "es"],
    "places": [("Paris", 48.86, 2.35), ("Madrid", 40.42, -3.70), ("London", 51.51, -0.13)],
    "words": [f"track{i}" for i in range(40)],
}


def environment(endpoint: str) -> None:
    os.environ.update(
        {
            "STAGE": "bench",
            "TABLE_NAME": TABLE,
            "DYNAMODB_ENDPOINT_URL": endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "CURSOR_SECRET": "bench",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": "Sesh/bench",
            "LOG_LEVEL": "WARNING",
        }
    )


class Loader:
    """Builds listings, sessions and their index items with the app's own code, and writes them."""

    def __init__(self, client: Any, hosts: list[str]) -> None:
        self.client, self.hosts = client, hosts
        self.buckets: Counter[tuple[str, str]] = Counter()

    def listing(self, rng: random.Random, vertical: dict[str, Any]) -> tuple[Any, list[Any]]:
        from chalicelib.catalog import views
        from chalicelib.catalog.models import LISTING_SK, ListingItem, host_listings_pk, listing_pk
        from chalicelib.core import ids

        rpg = vertical is RPG
        listing_id = ids.new_id("lst")
        place = rng.choice(vertical["places"]) if rng.random() < 0.3 else None
        location: dict[str, Any] = {"mode": "online"}
        if place:
            location = {
                "mode": "in_person",
                "city": place[0],
                "lat": place[1] + rng.uniform(-0.05, 0.05),
                "lon": place[2] + rng.uniform(-0.05, 0.05),
            }
        words = rng.sample(vertical["words"], 2 if rpg else 1)
        host = rng.choice(self.hosts[:5] if rpg else self.hosts[5:])
        listing = ListingItem(
            listing_pk(listing_id),
            LISTING_SK,
            listing_id=listing_id,
            host_id=host,
            status="published",
            title=" ".join(w.title() for w in words),
            category=rng.choice(vertical["categories"]),
            tags=rng.sample(vertical["tags"], 1 if not rpg else rng.randint(1, 2)),
            game_system=rng.choice(vertical["systems"]) if rpg else None,
            tool=rng.choice(vertical["tools"]) if rpg else None,
            languages=[rng.choice(vertical["languages"])],
            experience_level="any",
            age_rating="all_ages",
            format="group",
            location=location,
            min_players=1,
            max_seats=5,
            price_amount=rng.choice([0, 500, 1500, 2500, 6000]),
            price_currency="usd",
            regional_prices={},
            cancellation_policy={"preset": "flexible"},
            booking_mode="instant",
            timezone="Europe/Berlin",
            duration_minutes=60,
            created_at=NOW,
            updated_at=NOW,
            version=2,
        )
        listing.GSI1PK, listing.GSI1SK = host_listings_pk(host), listing_id
        return listing, [listing, *self._listing_entries(views.facets_of(listing))]

    def _listing_entries(self, facets: Any) -> list[Any]:
        from chalicelib.catalog import search_index

        return list(search_index.listing_entries(facets).values())

    def sessions(self, rng: random.Random, listing: Any) -> list[Any]:
        from chalicelib.catalog import search_index, views
        from chalicelib.catalog import search_plan as plan
        from chalicelib.catalog.models import SESSION_SK, SessionItem, listing_sessions_pk, session_pk
        from chalicelib.core import ids

        items: list[Any] = []
        facets = views.facets_of(listing)
        placed = []
        for _ in range(SESSIONS_PER_LISTING):
            session_id = ids.new_id("ses")
            start = NOW + timedelta(days=rng.uniform(0.5, DAYS))
            start = start.replace(minute=0, second=0, microsecond=0)
            session = SessionItem(
                session_pk(session_id),
                SESSION_SK,
                session_id=session_id,
                listing_id=listing.listing_id,
                host_id=listing.host_id,
                state="scheduled",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                timezone="Europe/Berlin",
                capacity=5,
                seats_booked=rng.choice([0, 0, 0, 5]),
                seats_held=0,
                created_at=NOW,
                updated_at=NOW,
                version=1,
            )
            session.GSI1PK = listing_sessions_pk(listing.listing_id)
            session.GSI1SK = plan.position(start, session_id)
            items.append(session)
            placed.append(search_index.Placed(session_id, start))
        entries = search_index.session_entries(facets, placed)
        for pk, _ in entries:
            _, facet, bucket = pk.split("#", 2)
            self.buckets[(facet, bucket)] += 1
        return items + list(entries.values())

    def write(self, items: list[Any]) -> None:
        requests = [{"PutRequest": {"Item": _low_level(item)}} for item in items]
        chunks = [requests[i : i + 25] for i in range(0, len(requests), 25)]

        def send(chunk: list[dict[str, Any]]) -> None:
            response = self.client.batch_write_item(RequestItems={TABLE: chunk})
            while response.get("UnprocessedItems"):
                response = self.client.batch_write_item(RequestItems=response["UnprocessedItems"])

        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(send, chunks))

    def write_buckets(self) -> None:
        from chalicelib.catalog import search_plan as plan
        from chalicelib.catalog.index_models import SearchBucketItem

        self.write(
            [
                SearchBucketItem(plan.directory_pk(f), b, n=n, created_at=NOW, updated_at=NOW)
                for (f, b), n in self.buckets.items()
            ]
        )

    def add(self, seed: int, sessions: int, vertical: dict[str, Any]) -> None:
        rng = random.Random(seed)
        items: list[Any] = []
        for _ in range(sessions // SESSIONS_PER_LISTING):
            listing, listing_items = self.listing(rng, vertical)
            items += listing_items + self.sessions(rng, listing)
            if len(items) > 20_000:
                self.write(items)
                items = []
        self.write(items)
        self.write_buckets()


def _low_level(item: Any) -> dict[str, Any]:
    return dict(item.serialize())


class CallCounter:
    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, **kwargs: Any) -> None:
        with self._lock:
            self.calls += 1

    def attach(self) -> None:
        from chalicelib.catalog import search
        from chalicelib.core.table import BaseItem

        search._client().meta.events.register("before-call.dynamodb", self)
        BaseItem._get_connection().connection.client.meta.events.register("before-call.dynamodb", self)


def measure(counter: CallCounter, runs: int) -> dict[str, tuple[float, int, int, float, int]]:
    """Per search: (median ms of page 1, its calls, its results, median ms of page 2, its calls)."""
    from chalicelib.catalog import discovery
    from chalicelib.catalog.search_schemas import SearchQuery

    out = {}
    for _ in range(3):  # warm DynamoDB Local's JVM and our caches before timing anything
        for _, route, params in SEARCHES:
            (discovery.search_sessions if route == "/sessions" else discovery.search_listings)(
                SearchQuery.model_validate({**params, "limit": 20})
            )
    for name, route, params in SEARCHES:
        run = discovery.search_sessions if route == "/sessions" else discovery.search_listings
        query = SearchQuery.model_validate({**params, "limit": 20})
        first = run(query)
        run(query)  # warm
        times, calls = [], 0
        for _ in range(runs):
            before = counter.calls
            started = time.perf_counter()
            run(query)
            times.append(time.perf_counter() - started)
            calls = counter.calls - before
        second_times, second_calls = [], 0
        if first.next_cursor:
            second = SearchQuery.model_validate({**params, "limit": 20, "cursor": first.next_cursor})
            for _ in range(runs):
                before = counter.calls
                started = time.perf_counter()
                run(second)
                second_times.append(time.perf_counter() - started)
                second_calls = counter.calls - before
        out[name] = (
            statistics.median(times) * 1000,
            calls,
            len(first.items),
            statistics.median(second_times) * 1000 if second_times else 0.0,
            second_calls,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with DynamoDBLocal() as server:
        environment(server.endpoint_url)
        import boto3
        from botocore.config import Config

        from chalicelib.accounts import service as accounts
        from chalicelib.core import clock
        from chalicelib.core.auth import Claims

        client = boto3.client(
            "dynamodb",
            endpoint_url=server.endpoint_url,
            region_name="us-east-1",
            config=Config(max_pool_connections=32),
        )
        create_table(client, TABLE)
        clock.freeze(NOW)
        hosts = [
            accounts.principal_for(Claims("https://bench", f"host{i}", None, f"Host {i}", frozenset())).user_id
            for i in range(20)
        ]
        loader = Loader(client, hosts)
        started = time.perf_counter()
        loader.add(seed=1, sessions=args.small, vertical=RPG)
        print(f"loaded {args.small:,} sessions in {time.perf_counter() - started:.1f} s")
        counter = CallCounter()
        counter.attach()
        small = measure(counter, args.runs)
        started = time.perf_counter()
        loader.add(seed=2, sessions=args.large - args.small, vertical=MUSIC)
        print(f"loaded {args.large - args.small:,} more sessions in {time.perf_counter() - started:.1f} s")
        large = measure(counter, args.runs)

    print(f"\nmedian of {args.runs} runs per page, limit 20; calls = DynamoDB calls made by that page")
    header = f"{'search':48} {'results':>7} {'1k ms':>7} {'50k ms':>7} {'ratio':>6} {'calls':>9}  page 2: ratio, calls"
    print(header)
    worst = 0.0
    for name, *_ in SEARCHES:
        s, b = small[name], large[name]
        ratio = b[0] / s[0]
        second = f"{b[3] / s[3]:5.2f}, {s[4]}/{b[4]}" if s[3] and b[3] else "-"
        if "differ" not in name:
            worst = max(worst, ratio)
        print(f"{name:48} {s[2]:>3}/{b[2]:<3} {s[0]:7.1f} {b[0]:7.1f} {ratio:6.2f} {s[1]:>4}/{b[1]:<4}  {second}")
    print(f"\nworst ratio (same results): {worst:.2f}  (target <= 1.5)")


if __name__ == "__main__":
    main()
