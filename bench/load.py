"""Load on the local stack with locust: users browsing, booking (free and paid, paying on the Stripe
emulator) and chatting for a bounded time; then the seat invariant is checked on every session and
the ledger on every paid booking.

Starts the local stack (`python -m devstack --fresh --no-seed`, on free ports) as a subprocess, as
the e2e tests do, or drives one already running (`--url`). Creates its own catalog first: hosts
with a free and a paid listing each, several small sessions per listing, so that sessions fill up
and bookings contend for the last seats. Each simulated user is a player with their own token.

Reports requests/s, p50/p95/p99 per route and the error rate. A 409 for a full session or a second
booking, and a 429, are answers a client is told to expect, counted apart from errors. Exits 1 when
any response was a 5xx, any request failed otherwise, or an invariant does not hold:
seats_booked + seats_held <= capacity for every session, each equal to the seats of its
confirmed / held bookings; and for every paid booking, its receipt (read from the ledger) has
paid = charged - refunded = host share + platform fee, the charge being the booking's price.

    .venv/bin/python bench/load.py [--users 50] [--duration 60] [--spawn-rate 10] [--json out.json]
"""

from __future__ import annotations

# isort: off
import locust  # noqa: F401  (first: it monkey-patches the standard library for gevent)

# isort: on
import argparse
import itertools
import json
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import gevent
import requests
import stripe
from locust import HttpUser, between, task
from locust.env import Environment

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.stack import Stack  # noqa: E402  (after the path is set)

STRIPE_SECRET_KEY = "sk_test_sesh_local"  # the local stack's emulator key (devstack/environment.py)
DAY = 24 * 3600
EXPECTED_CONFLICTS = {"session_full", "already_booked", "busy", "invalid_state"}
HELD_STATES = {"pending_payment", "requested"}
BOOKED_STATES = {"confirmed", "completed", "no_show"}


@dataclass
class Catalog:
    """What the users work on; filled before the run."""

    base: str
    stripe_base: str
    hosts: list[str] = field(default_factory=list)  # user ids
    host_tokens: dict[str, str] = field(default_factory=dict)
    listings: list[str] = field(default_factory=list)
    free_sessions: list[str] = field(default_factory=list)
    paid_sessions: list[str] = field(default_factory=list)
    session_host: dict[str, str] = field(default_factory=dict)


@dataclass
class Tally:
    """Outcomes locust's stats do not keep apart: expected conflicts, 5xx, bookings made."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    conflicts: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    booked: Counter[str] = field(default_factory=Counter)  # free / paid
    paid: int = 0
    messages: int = 0

    def add(self, counter: str, key: str = "") -> None:
        with self.lock:
            target = getattr(self, counter)
            if isinstance(target, Counter):
                target[key] += 1
            else:
                setattr(self, counter, target + 1)


CATALOG: Catalog | None = None
TALLY = Tally()


def _token(base: str, **claims: Any) -> tuple[str, str]:
    response = requests.post(f"{base}/dev/token", json={"ttl_seconds": 30 * DAY, **claims}, timeout=30)
    response.raise_for_status()
    body = response.json()
    return str(body["token"]), str(body["user_id"])


def _now(base: str) -> datetime:
    return datetime.fromisoformat(requests.get(f"{base}/dev/clock", timeout=10).json()["now"].replace("Z", "+00:00"))


def _onboard_payouts(base: str, headers: dict[str, str], timeout: float = 30.0) -> None:
    """Paid listings are published only once the host can be paid: onboard with Stripe Connect on the
    emulator (opening the account link completes it; its account.updated webhook tells the stack)."""
    started = requests.post(f"{base}/v1/me/payouts/onboarding", headers=headers, timeout=30)
    started.raise_for_status()
    requests.get(started.json()["url"], timeout=30).raise_for_status()
    deadline = time.monotonic() + timeout
    while not requests.get(f"{base}/v1/me/payouts", headers=headers, timeout=30).json()["payouts_enabled"]:
        if time.monotonic() > deadline:
            raise RuntimeError("the host's payouts were not enabled (no account.updated webhook?)")
        time.sleep(0.1)  # polling the stack for the webhook's effect, with a deadline


def build_catalog(base: str, stripe_base: str, hosts: int, sessions_per_listing: int, capacity: int) -> Catalog:
    catalog = Catalog(base, stripe_base)
    start = (_now(base) + timedelta(days=3)).replace(microsecond=0, tzinfo=None)
    for number in range(hosts):
        token, host_id = _token(base, roles=["player", "host"], name=f"Load host {number}")
        headers = {"Authorization": f"Bearer {token}"}
        made = requests.put(
            f"{base}/v1/me/host",
            headers=headers,
            timeout=30,
            json={"kinds": ["game_master"], "headline": f"Load host {number}"},
        )
        made.raise_for_status()
        _onboard_payouts(base, headers)
        catalog.hosts.append(host_id)
        catalog.host_tokens[host_id] = token
        for paid in (False, True):
            body = {
                "title": f"Load test {'paid' if paid else 'free'} one-shot {number}",
                "category": "one_shot",
                "description": "A session made by the load script.",
                "tags": ["horror", "load"],
                "max_seats": 3,
                "min_players": 1,
                "price": {"amount": 1500 if paid else 0, "currency": "usd"},
                "cancellation_policy": {"preset": "flexible"},
                "timezone": "Europe/Berlin",
                "duration_minutes": 120,
            }
            listing = requests.post(f"{base}/v1/listings", headers=headers, json=body, timeout=30)
            listing.raise_for_status()
            listing_id = listing.json()["id"]
            requests.post(f"{base}/v1/listings/{listing_id}/publish", headers=headers, timeout=30).raise_for_status()
            created = requests.post(
                f"{base}/v1/listings/{listing_id}/sessions",
                headers=headers,
                timeout=30,
                json={
                    "start": (start + timedelta(hours=3 * paid)).isoformat(),
                    "capacity": capacity,
                    "recurrence": {"frequency": "weekly", "count": sessions_per_listing},
                },
            )
            created.raise_for_status()
            catalog.listings.append(listing_id)
            for item in created.json()["items"]:
                (catalog.paid_sessions if paid else catalog.free_sessions).append(item["id"])
                catalog.session_host[item["id"]] = host_id
    return catalog


def _checked(response: Any, expected: tuple[int, ...]) -> bool:
    """Mark a response (locust's catch_response) as success or failure; True when it was a success."""
    status = response.status_code
    if status >= 500:
        TALLY.server_errors.append(f"{response.request.method} {response.request.path_url} -> {status}")
        response.failure(f"{status}")
        return False
    if status == 429:
        TALLY.add("conflicts", "rate_limited")
        response.success()
        return False
    if status == 409:
        code = (response.json() or {}).get("code", "")
        if code in EXPECTED_CONFLICTS:
            TALLY.add("conflicts", code)
            response.success()
            return False
    if status not in expected:
        response.failure(f"unexpected {status}: {response.text[:200]}")
        return False
    response.success()
    return True


class Player(HttpUser):
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        assert CATALOG is not None
        self.catalog = CATALOG
        token, self.user_id = _token(self.catalog.base, roles=["player"])
        self.client.headers["Authorization"] = f"Bearer {token}"
        self.conversation: str | None = None
        self.sent = itertools.count(1)
        self.stripe = stripe.StripeClient(STRIPE_SECRET_KEY, base_addresses={"api": self.catalog.stripe_base})

    # -- browsing ------------------------------------------------------------------------------

    @task(4)
    def search(self) -> None:
        query = random.choice(["", "?q=horror", "?has_free_seats=true", "?sort=price&currency=usd", "?tags=load"])
        with self.client.get(f"/v1/sessions{query}", name="/v1/sessions?search", catch_response=True) as r:
            _checked(r, (200,))
        with self.client.get("/v1/listings?q=one-shot", name="/v1/listings?search", catch_response=True) as r:
            _checked(r, (200,))

    @task(4)
    def listing_pages(self) -> None:
        listing_id = random.choice(self.catalog.listings)
        with self.client.get(f"/v1/listings/{listing_id}", name="/v1/listings/{id}", catch_response=True) as r:
            _checked(r, (200,))
        with self.client.get(
            f"/v1/listings/{listing_id}/sessions", name="/v1/listings/{id}/sessions", catch_response=True
        ) as r:
            _checked(r, (200,))
        session_id = random.choice(self.catalog.free_sessions + self.catalog.paid_sessions)
        with self.client.get(f"/v1/sessions/{session_id}", name="/v1/sessions/{id}", catch_response=True) as r:
            _checked(r, (200,))

    # -- booking -------------------------------------------------------------------------------

    def _book(self, session_id: str, seats: int) -> dict[str, Any] | None:
        with self.client.post(
            f"/v1/sessions/{session_id}/bookings",
            json={"seats": seats},
            name="/v1/sessions/{id}/bookings",
            catch_response=True,
        ) as r:
            return dict(r.json()) if _checked(r, (201,)) else None

    @task(2)
    def book_free(self) -> None:
        if self._book(random.choice(self.catalog.free_sessions), random.choice([1, 1, 2])) is not None:
            TALLY.add("booked", "free")

    @task(1)
    def book_paid(self) -> None:
        booking = self._book(random.choice(self.catalog.paid_sessions), 1)
        if booking is None:
            return
        TALLY.add("booked", "paid")
        started = time.perf_counter()
        error: Exception | None = None
        try:  # the card payment, as a client does it: on Stripe (the emulator), not through our API
            method = self.stripe.v1.payment_methods.create(
                {
                    "type": "card",
                    "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
                }
            )
            self.stripe.v1.payment_intents.confirm(
                booking["payment"]["payment_intent_id"], {"payment_method": method.id}
            )
            TALLY.add("paid")
        except Exception as exc:  # reported as a failed request of the "stripe" group
            error = exc
        self.environment.events.request.fire(
            request_type="STRIPE",
            name="confirm PaymentIntent (emulator)",
            exception=error,
            context={},
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
        )

    @task(1)
    def my_bookings(self) -> None:
        with self.client.get("/v1/me/bookings", name="/v1/me/bookings", catch_response=True) as r:
            _checked(r, (200,))

    # -- chatting ------------------------------------------------------------------------------

    @task(3)
    def chat(self) -> None:
        if self.conversation is None:
            host = random.choice(self.catalog.hosts)
            with self.client.post(
                "/v1/conversations",
                json={"type": "direct", "user_id": host},
                name="/v1/conversations",
                catch_response=True,
            ) as r:
                if not _checked(r, (200, 201)):
                    return
                self.conversation = str(r.json()["id"])
        path = f"/v1/conversations/{self.conversation}/messages"
        body = {"client_msg_id": f"load-{self.user_id}-{next(self.sent)}", "body": "Is there room for a bard?"}
        with self.client.post(path, json=body, name="/v1/conversations/{id}/messages [send]", catch_response=True) as r:
            if _checked(r, (201,)):
                TALLY.add("messages")
        with self.client.get(path, name="/v1/conversations/{id}/messages [history]", catch_response=True) as r:
            _checked(r, (200,))


# -- after the run ----------------------------------------------------------------------------


def _snapshot(catalog: Catalog) -> dict[str, dict[str, Any]]:
    state: dict[str, dict[str, Any]] = {}
    for session_id in catalog.free_sessions + catalog.paid_sessions:
        host_token = catalog.host_tokens[catalog.session_host[session_id]]
        roster = requests.get(
            f"{catalog.base}/v1/sessions/{session_id}/roster",
            timeout=30,
            headers={"Authorization": f"Bearer {host_token}"},
        )
        roster.raise_for_status()
        state[session_id] = roster.json()
    return state


def settled_snapshot(catalog: Catalog, timeout: float = 60.0) -> dict[str, dict[str, Any]]:
    """The rosters once two reads in a row agree: late webhooks and the sweep have had their say."""
    deadline = time.monotonic() + timeout
    previous = _snapshot(catalog)
    while True:
        current = _snapshot(catalog)
        if current == previous or time.monotonic() > deadline:
            return current
        previous = current


def invariant_violations(state: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    for session_id, roster in state.items():
        booked, held, capacity = int(roster["seats_booked"]), int(roster["seats_held"]), int(roster["capacity"])
        items = roster["items"]
        booked_seats = sum(int(b["seats"]) for b in items if b["state"] in BOOKED_STATES)
        held_seats = sum(int(b["seats"]) for b in items if b["state"] in HELD_STATES)
        if booked + held > capacity:
            problems.append(f"{session_id}: {booked} booked + {held} held > capacity {capacity}")
        if (booked, held) != (booked_seats, held_seats):
            problems.append(f"{session_id}: counters {booked}/{held} but bookings {booked_seats}/{held_seats}")
    return problems


def ledger_violations(catalog: Catalog, state: dict[str, dict[str, Any]]) -> list[str]:
    """Every paid booking's receipt (read from the ledger) adds up: what the player paid is the
    charge less refunds, and splits into the host's share and the platform's fee to the minor unit;
    a confirmed, paid booking was charged its price."""
    problems = []
    for session_id in catalog.paid_sessions:
        host_token = catalog.host_tokens[catalog.session_host[session_id]]
        for booking in state[session_id]["items"]:
            if booking.get("payment_status") not in ("paid", "refunded"):
                continue
            r = requests.get(
                f"{catalog.base}/v1/bookings/{booking['id']}/receipt",
                timeout=30,
                headers={"Authorization": f"Bearer {host_token}"},
            )
            if r.status_code != 200:
                problems.append(f"{booking['id']}: receipt answered {r.status_code}")
                continue
            receipt = r.json()
            charged, refunded, paid = (receipt[k]["amount"] for k in ("charged", "refunded", "paid"))
            share, fee = receipt["host_share"]["amount"], receipt["platform_fee"]["amount"]
            if paid != charged - refunded or share + fee != paid:
                problems.append(
                    f"{booking['id']}: charged {charged} refunded {refunded} paid {paid} = share {share} + fee {fee}?"
                )
            if (
                booking["state"] == "confirmed"
                and booking["payment_status"] == "paid"
                and charged != booking["price"]["amount"]
            ):
                problems.append(f"{booking['id']}: charged {charged}, priced {booking['price']['amount']}")
    return problems


def report(
    env: Environment,
    users: int,
    duration: float,
    state: dict[str, dict[str, Any]],
    problems: list[str],
    ledger_problems: list[str],
) -> dict[str, Any]:
    routes = []
    for entry in sorted(env.stats.entries.values(), key=lambda e: (e.method or "", e.name)):
        routes.append(
            {
                "route": f"{entry.method} {entry.name}",
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "rps": round(entry.num_requests / duration, 2),
                "p50_ms": entry.get_response_time_percentile(0.5),
                "p95_ms": entry.get_response_time_percentile(0.95),
                "p99_ms": entry.get_response_time_percentile(0.99),
            }
        )
    total = env.stats.total
    sessions = len(state)
    full = sum(1 for r in state.values() if int(r["seats_booked"]) + int(r["seats_held"]) == int(r["capacity"]))
    return {
        "duration_s": round(duration, 1),
        "users": users,
        "requests": total.num_requests,
        "rps": round(total.num_requests / duration, 2),
        "p50_ms": total.get_response_time_percentile(0.5),
        "p95_ms": total.get_response_time_percentile(0.95),
        "p99_ms": total.get_response_time_percentile(0.99),
        "failures": total.num_failures,
        "error_rate": round(total.num_failures / total.num_requests, 5) if total.num_requests else 0.0,
        "server_errors": len(TALLY.server_errors),
        "server_error_samples": TALLY.server_errors[:10],
        "expected_conflicts": dict(TALLY.conflicts),
        "bookings": dict(TALLY.booked),
        "payments_confirmed": TALLY.paid,
        "messages_sent": TALLY.messages,
        "sessions": sessions,
        "sessions_full": full,
        "invariant_violations": problems,
        "ledger_violations": ledger_problems,
        "routes": routes,
    }


def print_report(figures: dict[str, Any]) -> None:
    print(
        f"\n{figures['users']} users for {figures['duration_s']} s: {figures['requests']} requests, "
        f"{figures['rps']} req/s, p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms"
    )
    print(f"{'route':<56}{'reqs':>7}{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>7}{'fail':>6}")
    for r in figures["routes"]:
        print(
            f"{r['route'][:55]:<56}{r['requests']:>7}{r['rps']:>8}{r['p50_ms']:>7}{r['p95_ms']:>7}"
            f"{r['p99_ms']:>7}{r['failures']:>6}"
        )
    print(f"error rate {figures['error_rate']:.3%} ({figures['failures']} failed), 5xx: {figures['server_errors']}")
    print(f"expected conflicts (409/429): {figures['expected_conflicts']}")
    print(
        f"bookings {figures['bookings']}, payments confirmed {figures['payments_confirmed']}, "
        f"messages {figures['messages_sent']}; {figures['sessions_full']} of {figures['sessions']} sessions full"
    )
    violations = figures["invariant_violations"]
    print("seat invariant: " + ("holds on every session" if not violations else f"VIOLATED: {violations}"))
    ledger = figures["ledger_violations"]
    print("ledger: " + ("every paid booking's receipt adds up" if not ledger else f"VIOLATED: {ledger}"))


def run(base: str, stripe_base: str, args: argparse.Namespace) -> dict[str, Any]:
    global CATALOG
    CATALOG = build_catalog(base, stripe_base, args.hosts, args.sessions, args.capacity)
    env = Environment(user_classes=[Player], host=base)
    runner = env.create_local_runner()
    started = time.monotonic()
    runner.start(args.users, spawn_rate=args.spawn_rate)
    gevent.spawn_later(args.duration, runner.quit)
    runner.greenlet.join()
    duration = time.monotonic() - started
    state = settled_snapshot(CATALOG)
    return report(env, args.users, duration, state, invariant_violations(state), ledger_violations(CATALOG, state))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--spawn-rate", type=float, default=10.0, help="users started per second")
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--sessions", type=int, default=3, help="sessions per listing")
    parser.add_argument("--capacity", type=int, default=4, help="seats per session (few: they fill up)")
    parser.add_argument("--url", help="a running local stack (default: start one)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    stack: Stack | None = None
    if args.url:
        base = args.url.rstrip("/")
    else:
        stack = Stack(Path(tempfile.mkdtemp(prefix="sesh-load-")), ["--fresh", "--no-seed"]).start()
        base = stack.url
    try:
        stripe_base = str(requests.get(f"{base}/dev", timeout=10).json()["stripe"]).split()[0]
        figures = run(base, stripe_base, args)
    finally:
        if stack is not None:
            stack.stop()
    print_report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    ok = not (
        figures["server_errors"]
        or figures["failures"]
        or figures["invariant_violations"]
        or figures["ledger_violations"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
