"""The local stack's demo catalog (devstack.seed_catalog) on DynamoDB Local: both verticals,
browsable through search, and idempotent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devstack.seed_catalog import GAME_MASTER_LISTINGS, seed_catalog

pytestmark = pytest.mark.usefixtures("stripe_emulator")  # the seed onboards its hosts for payouts


def _host(name: str, kind: str) -> str:
    from chalicelib.accounts import schemas, service
    from chalicelib.core.auth import Claims
    from chalicelib.core.ids import new_id

    principal = service.principal_for(Claims("https://issuer.test", new_id("usr"), None, name, frozenset()))
    service.become_host(principal, schemas.HostProfileIn(kinds=[schemas.HostKind(kind)], headline=name), None)
    return principal.user_id


def test_seed_catalog_is_browsable_and_idempotent():
    from chalicelib.catalog import discovery
    from chalicelib.catalog.search_schemas import SearchQuery
    from chalicelib.core import clock

    clock.freeze(datetime(2026, 1, 10, 12, 0, tzinfo=UTC))
    game_master, studio = _host("Mira", "game_master"), _host("Basement Tapes", "studio")
    assert len(seed_catalog(game_master, studio)) == 5
    assert seed_catalog(game_master, studio) == []
    listings = discovery.search_listings(SearchQuery(limit=50)).items
    assert len(listings) == 5 and {r.listing.vertical for r in listings} == {"rpg", "music"}
    weekly = discovery.search_sessions(SearchQuery(q="blades", limit=100)).items
    # The weekly series, every occurrence at 20:00 local (the seed declares how many it wants).
    declared = next(x for x in GAME_MASTER_LISTINGS if "Blades" in x["listing"]["title"])["sessions"][0]["recurrence"]
    assert len(weekly) == declared["count"] and {s.local_start[11:16] for s in weekly} == {"20:00"}
    assert discovery.search_sessions(SearchQuery(near="52.52,13.40", radius_km=10)).items
