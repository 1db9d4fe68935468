"""The catalog's data layer on DynamoDB Local: the host-schedule guard under concurrency, chained
chunks of a long series, and paged search with real key conditions and start keys."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from chalicelib.core import clock
from chalicelib.core.exceptions import Conflict

pytestmark = pytest.mark.usefixtures("stripe_emulator")  # hosts onboard for payouts before publishing

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    clock.freeze(NOW)


def _host(name: str):
    from chalicelib.accounts import schemas as account_schemas
    from chalicelib.accounts import service as accounts
    from chalicelib.core.auth import Claims, Principal
    from chalicelib.core.ids import new_id

    user_id = new_id("usr")
    principal = accounts.principal_for(Claims("https://issuer.test", user_id, None, name, frozenset({"player"})))
    profile = account_schemas.HostProfileIn(kinds=[account_schemas.HostKind.game_master], headline=name)
    accounts.become_host(principal, profile, None)
    host = Principal(user_id=principal.user_id, roles=frozenset({"player", "host"}))
    from devstack.seed_payouts import enable_payouts

    enable_payouts(host)  # paid listings are published for hosts who can be paid
    return host


def _listing(principal, **changes):
    from chalicelib.catalog import schemas, service

    body = {
        "title": "Night at the manor",
        "category": "one_shot",
        "tags": ["horror"],
        "max_seats": 4,
        "price": {"amount": 1000, "currency": "usd"},
        "timezone": "Europe/Berlin",
        "duration_minutes": 120,
        **changes,
    }
    listing = service.create_listing(principal, schemas.ListingIn.model_validate(body))
    service.change_status(principal, listing.id, "publish", None)
    return listing


def _create(principal, listing_id, start, **rule):
    from chalicelib.catalog import sessions_service
    from chalicelib.catalog.session_schemas import SessionsIn

    body = {"start": start, **({"recurrence": rule} if rule else {})}
    return sessions_service.create_sessions(principal, listing_id, SessionsIn.model_validate(body))


def test_concurrent_overlapping_sessions_one_wins():
    host = _host("Mira")
    listings = [_listing(host, title=f"Game {i}") for i in range(6)]

    def attempt(listing):
        try:
            return _create(host, listing.id, "2026-02-01T19:00:00")
        except Conflict as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(attempt, listings))
    created = [o for o in outcomes if not isinstance(o, str)]
    assert len(created) == 1, outcomes
    assert {o for o in outcomes if isinstance(o, str)} <= {"session_overlap", "schedule_busy"}
    assert "session_overlap" in outcomes


def test_concurrent_disjoint_sessions_all_commit():
    host = _host("Sam")
    listings = [_listing(host, title=f"Game {i}") for i in range(5)]
    starts = [f"2026-02-0{i + 1}T19:00:00" for i in range(5)]
    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(lambda pair: _create(host, pair[0].id, pair[1]), zip(listings, starts, strict=True)))
    assert len({r.items[0].id for r in results}) == 5


def test_a_long_series_commits_in_chained_chunks():
    from chalicelib.catalog.models import GUARD_SK, ScheduleGuardItem, schedule_pk
    from chalicelib.catalog.schedule import CHUNK

    host = _host("Kim")
    listing = _listing(host)
    created = _create(host, listing.id, "2026-02-02T19:00:00", frequency="weekly", count=75)
    assert len(created.items) == 75
    guard = ScheduleGuardItem.get(schedule_pk(host.user_id), GUARD_SK, consistent_read=True)
    assert guard.rev == -(-75 // CHUNK)  # one bump per transaction
    with pytest.raises(Conflict):
        _create(host, listing.id, "2026-08-03T20:00:00")  # the 27th week


def test_paged_search_on_dynamodb_local():
    from chalicelib.catalog import discovery
    from chalicelib.catalog.search_schemas import SearchQuery

    host = _host("Lee")
    horror = _listing(host, title="Horror night")
    heist = _listing(host, title="Heist night", tags=["heist"], price={"amount": 500, "currency": "usd"})
    _create(host, horror.id, "2026-02-02T19:00:00", frequency="weekly", count=6)
    _create(host, heist.id, "2026-02-03T19:00:00", frequency="weekly", count=6)

    def pages(search, **params):
        got, cursor = [], None
        while True:
            page = search(SearchQuery.model_validate({**params, "limit": 2, **({"cursor": cursor} if cursor else {})}))
            got += page.items
            cursor = page.next_cursor
            if cursor is None:
                return got

    everything = pages(discovery.search_sessions)
    assert len(everything) == 12 and everything == sorted(everything, key=lambda s: (s.starts_at, s.id))
    assert [s.listing.id for s in pages(discovery.search_sessions, tags="heist")] == [heist.id] * 6
    by_price = pages(discovery.search_sessions, sort="price", currency="usd")
    assert [s.listing.id for s in by_price] == [heist.id] * 6 + [horror.id] * 6
    assert [r.listing.id for r in pages(discovery.search_listings, q="night")] == [horror.id, heist.id]
    cheapest_first = pages(discovery.search_listings, sort="price", currency="usd")
    assert [r.listing.id for r in cheapest_first] == [heist.id, horror.id]
