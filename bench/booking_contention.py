"""Booking under contention on DynamoDB Local: N concurrent clients booking one session, then the
same clients spread over many sessions. Prints bookings/s, p50/p99 latency of one booking attempt
(booked or refused) and DynamoDB calls per successful booking, for both, and their ratio.

    .venv/bin/python bench/booking_contention.py [--clients 32] [--attempts 400] [--sessions 20]

Free instant bookings (no Stripe): what is measured is the seat transaction and its retries.
A benchmark, not a test: numbers depend on the machine; compare the two rows of one run.
"""

from __future__ import annotations

import argparse
import os
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

from devstack.dynamodb_local import DynamoDBLocal, free_port  # noqa: E402

_calls: Counter[str] = Counter()
_lock = threading.Lock()


def _count_dynamodb_calls() -> None:
    """Count every DynamoDB API call the process makes (botocore's one entry point)."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def counting(self: Any, operation_name: str, api_params: Any) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            with _lock:
                _calls[operation_name] += 1
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = counting  # type: ignore[method-assign]


def _make_session(capacity: int) -> str:
    from chalicelib.catalog.models import LISTING_SK, SESSION_SK, ListingItem, SessionItem, listing_pk, session_pk
    from chalicelib.core import ids

    listing_id, session_id, host_id = ids.new_id("lst"), ids.new_id("ses"), ids.new_id("usr")
    ListingItem(
        listing_pk(listing_id),
        LISTING_SK,
        listing_id=listing_id,
        host_id=host_id,
        status="published",
        title="Bench",
        category="one_shot",
        experience_level="any",
        age_rating="all_ages",
        format="group",
        location={"mode": "online"},
        min_players=1,
        max_seats=5,
        price_amount=0,
        price_currency="usd",
        cancellation_policy={"preset": "flexible"},
        booking_mode="instant",
        timezone="UTC",
        duration_minutes=180,
    ).save()
    start = datetime.now(UTC) + timedelta(days=10)
    SessionItem(
        session_pk(session_id),
        SESSION_SK,
        session_id=session_id,
        listing_id=listing_id,
        host_id=host_id,
        state="scheduled",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        timezone="UTC",
        capacity=capacity,
        seats_booked=0,
        seats_held=0,
    ).save()
    return session_id


def _run(label: str, session_ids: list[str], clients: int, attempts: int) -> dict[str, float]:
    from chalicelib.booking import create, schemas
    from chalicelib.core import ids
    from chalicelib.core.auth import Principal
    from chalicelib.core.exceptions import Conflict

    latencies: list[float] = []
    outcomes: Counter[str] = Counter()

    def attempt(i: int) -> None:
        me = Principal(user_id=ids.new_id("usr"), roles=frozenset({"player"}))
        started = time.perf_counter()
        try:
            create.book(me, session_ids[i % len(session_ids)], schemas.BookingIn(seats=1))
            outcome = "booked"
        except Conflict as exc:
            outcome = exc.code
        elapsed = time.perf_counter() - started
        with _lock:
            latencies.append(elapsed)
            outcomes[outcome] += 1

    with _lock:
        _calls.clear()
    wall = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(attempt, range(attempts)))
    wall = time.perf_counter() - wall
    booked = outcomes["booked"]
    calls = sum(_calls.values())
    ordered = sorted(latencies)
    row = {
        "bookings_per_s": booked / wall,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "calls_per_booking": calls / booked if booked else float("nan"),
    }
    print(f"{label:<22} clients={clients:<3} attempts={attempts:<4} outcomes={dict(outcomes)}")
    print(
        f"{'':<22} bookings/s={row['bookings_per_s']:7.1f}  p50={row['p50_ms']:6.1f} ms  "
        f"p99={row['p99_ms']:6.1f} ms  DynamoDB calls/booking={row['calls_per_booking']:.1f}  "
        f"({', '.join(f'{k} {v}' for k, v in sorted(_calls.items()))})"
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--attempts", type=int, default=400)
    parser.add_argument("--sessions", type=int, default=20)
    args = parser.parse_args()

    port = free_port()
    os.environ.update(
        {
            "DYNAMODB_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "TABLE_NAME": "sesh-bench",
            "STAGE": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "CURSOR_SECRET": "bench",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    with DynamoDBLocal(port=port) as ddb:
        import boto3

        from devstack.table import create_table

        create_table(boto3.client("dynamodb", region_name="us-east-1", endpoint_url=ddb.endpoint_url), "sesh-bench")
        _count_dynamodb_calls()
        one = [_make_session(capacity=args.attempts)]
        many = [_make_session(capacity=args.attempts) for _ in range(args.sessions)]
        from chalicelib.core.table import BaseItem

        list(BaseItem.query("WARM", limit=1))  # open the connection before the threads start
        hot = _run("one session", one, args.clients, args.attempts)
        spread = _run(f"{args.sessions} sessions", many, args.clients, args.attempts)
        print(f"ratio bookings/s one session / many sessions: {hot['bookings_per_s'] / spread['bookings_per_s']:.2f}")
        print(f"ratio p99 one session / many sessions:        {hot['p99_ms'] / spread['p99_ms']:.2f}")


if __name__ == "__main__":
    main()
