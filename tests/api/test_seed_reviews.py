"""The local stack's demo reviews and history: made through the services, visible in the API, and
idempotent (a restart changes nothing)."""

from __future__ import annotations

from typing import Any

from chalicelib.accounts import service as accounts
from chalicelib.core import clock
from chalicelib.core.auth import Claims
from devstack import seed
from devstack.seed_reviews import seed_reviews_and_history
from tests.api.catalog_helpers import NOW
from tests.conftest import TEST_ISSUER


def test_seed_makes_reviews_and_a_month_of_history_once(api: Any) -> None:
    clock.freeze(NOW)
    ctx = seed.SeedContext(TEST_ISSUER)
    for step in (seed._users, seed._host_profiles):
        step(ctx)
    people = [
        ctx.principals[seed.PLAYER.key],
        accounts.principal_for(Claims(TEST_ISSUER.issuer, "wren", "wren@sesh.example", "Wren", frozenset({"player"}))),
    ]
    mira_p, studio = ctx.principals[seed.GAME_MASTER.key], ctx.principals[seed.STUDIO.key]
    # A day of history rather than thirty: moto copies the table for each transaction.
    seed_reviews_and_history(mira_p, studio, people, history_days=1)
    mira = seed.GAME_MASTER.user_id
    reputation = api.get(f"/v1/users/{mira}/reputation").json
    assert reputation["rating"] == {**reputation["rating"], "average": 4.5, "count": 2}
    reviews = api.get(f"/v1/users/{mira}/reviews").json["items"]
    assert len(reviews) == 2 and any(r["reply"] for r in reviews)
    figures = api.get("/v1/me/host/analytics?granularity=week", token=ctx.tokens[seed.GAME_MASTER.key]).json
    assert figures["totals"]["bookings"] >= 1 and figures["totals"]["revenue"][0]["amount"] > 0
    board = api.get("/v1/me/host/dashboard", token=ctx.tokens[seed.STUDIO.key]).json
    assert board["last_30_days"]["bookings"] > 0
    seed_reviews_and_history(mira_p, studio, people, history_days=1)  # a restart
    assert api.get(f"/v1/users/{mira}/reputation").json["rating"]["count"] == 2
    again = api.get("/v1/me/host/analytics?granularity=week", token=ctx.tokens[seed.GAME_MASTER.key]).json
    assert again["totals"] == figures["totals"]
    assert seed._reviews in seed.STEPS
