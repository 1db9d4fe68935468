"""Host analytics against the host's volume, on DynamoDB Local: GET /v1/me/host/analytics's use case
for a host with 10,000 bookings and for one with 100, over the same 90 days. Prints the median time
of the call for each, their ratio (target <= 1.5) and the DynamoDB calls each made.

The counters are filled through the subscriber's own counting function (`analytics.service.record`),
one booking.confirmed event per booking and a payment.charged for every fourth, spread over 90 days, 6 listings and
a pool of players; not through 10,000 HTTP bookings. The call reads day items, whose number follows the
period and not the bookings, so its cost must not follow the host's volume.

    .venv/bin/python bench/analytics.py [--large 10000] [--small 100] [--runs 25]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devstack.dynamodb_local import DynamoDBLocal  # noqa: E402
from devstack.table import create_table  # noqa: E402

NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
DAYS = 90
TABLE = "sesh-bench"
_calls: Counter[str] = Counter()


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


def count_dynamodb_calls() -> None:
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def counting(self: Any, operation_name: str, api_params: Any) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            _calls[operation_name] += 1
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = counting  # type: ignore[method-assign]


def populate(host_id: str, bookings: int, tz: str, seed: int) -> float:
    from chalicelib.analytics import domain
    from chalicelib.analytics import service as analytics

    rng = random.Random(seed)
    listings = [f"lst_bench{seed}_{i}" for i in range(6)]
    started = time.perf_counter()
    for n in range(bookings):
        at = NOW - timedelta(days=DAYS) + timedelta(seconds=rng.randrange(DAYS * 86400))
        common = {"host_id": host_id, "at": at, "player_id": f"usr_p{rng.randrange(max(10, bookings // 4))}"}
        seats = rng.randint(1, 3)
        analytics.record(
            domain.Happening(
                event_id=f"obx_{seed}_{n}_c",
                kind="booking.confirmed",
                seats=seats,
                listing_id=rng.choice(listings),
                **common,
            ),
            tz,
        )
        if n % 4 == 0:  # the paid ones (the others are free sessions)
            analytics.record(
                domain.Happening(
                    event_id=f"obx_{seed}_{n}_p",
                    kind="payment.charged",
                    amount=1500 * seats,
                    currency=rng.choice(["usd", "eur"]),
                    **common,
                ),
                tz,
            )
    return time.perf_counter() - started


def measure(principals: list[Any], runs: int) -> list[tuple[float, int, int, float]]:
    """Per principal: median ms of the call, its DynamoDB calls, the bookings it reports, and the median
    ms of its one Query alone. The hosts take turns, run by run, so that load from elsewhere on the
    machine falls on both alike."""
    from chalicelib.analytics import schemas
    from chalicelib.analytics import service as analytics

    query = schemas.AnalyticsQuery.model_validate(
        {"from": (NOW.date() - timedelta(days=DAYS)).isoformat(), "to": NOW.date().isoformat(), "granularity": "day"}
    )
    times: list[list[float]] = [[] for _ in principals]
    reads: list[list[float]] = [[] for _ in principals]
    calls, bookings = [0] * len(principals), [0] * len(principals)
    for _ in range(runs):
        for i, principal in enumerate(principals):
            before = sum(_calls.values())
            started = time.perf_counter()
            out = analytics.host_analytics(principal, query)
            times[i].append(time.perf_counter() - started)
            calls[i], bookings[i] = sum(_calls.values()) - before, out.totals.bookings
            started = time.perf_counter()
            analytics.day_counters(principal.user_id, NOW.date() - timedelta(days=DAYS), NOW.date())
            reads[i].append(time.perf_counter() - started)
    return [
        (statistics.median(times[i]) * 1000, calls[i], bookings[i], statistics.median(reads[i]) * 1000)
        for i in range(len(principals))
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--runs", type=int, default=41)
    args = parser.parse_args()
    with DynamoDBLocal() as server:
        environment(server.endpoint_url)
        import boto3

        from chalicelib.accounts import service as accounts
        from chalicelib.core import clock
        from chalicelib.core.auth import Claims, Principal

        create_table(boto3.client("dynamodb", endpoint_url=server.endpoint_url, region_name="us-east-1"), TABLE)
        clock.freeze(NOW)
        hosts = [
            accounts.principal_for(Claims("https://bench", f"host{i}", None, f"Host {i}", frozenset())).user_id
            for i in range(2)
        ]
        count_dynamodb_calls()
        small_s = populate(hosts[0], args.small, "UTC", seed=1)
        large_s = populate(hosts[1], args.large, "UTC", seed=2)
        events = (args.small + args.large) * 5 // 4
        print(
            f"counted about {events:,} events in {small_s + large_s:.1f} s "
            f"({(small_s + large_s) * 1000 / events:.1f} ms per event)"
        )
        measure([Principal(h, frozenset({"player", "host"})) for h in hosts], 3)  # warm up
        small, large = measure([Principal(h, frozenset({"player", "host"})) for h in hosts], args.runs)

    print(f"\nGET /v1/me/host/analytics, {DAYS + 1} days by day; median of {args.runs} runs")
    print(f"{'host':24} {'bookings':>9} {'ms':>8} {'calls':>6} {'query ms':>9}")
    print(f"{'small':24} {small[2]:>9,} {small[0]:8.2f} {small[1]:>6} {small[3]:9.2f}")
    print(f"{'large':24} {large[2]:>9,} {large[0]:8.2f} {large[1]:>6} {large[3]:9.2f}")
    print(f"\nratio large/small: {large[0] / small[0]:.2f}  (target <= 1.5)")


if __name__ == "__main__":
    main()
