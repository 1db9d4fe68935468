"""Builders shared by the catalog API tests: hosts, listings, sessions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)  # a Saturday in winter (CET = UTC+1 in Berlin)

HOST_PROFILE = {"kinds": ["game_master"], "headline": "Cosy horror one-shots"}

LISTING: dict[str, Any] = {
    "title": "The Haunting of Hill House: a Call of Cthulhu one-shot",
    "description": "A **spooky** evening.",
    "category": "one_shot",
    "tags": ["Horror", "investigation"],
    "game_system": "call_of_cthulhu",
    "tool": "foundry_vtt",
    "languages": ["en", "de"],
    "experience_level": "beginner",
    "age_rating": "16+",
    "content_warnings": ["body horror"],
    "safety_tools": ["x_card", "lines_and_veils"],
    "max_seats": 5,
    "min_players": 3,
    "price": {"amount": 1500, "currency": "usd"},
    "regional_prices": [{"amount": 1400, "currency": "eur"}],
    "cancellation_policy": {"preset": "moderate"},
    "timezone": "Europe/Berlin",
    "duration_minutes": 180,
}


def make_host(
    api: Any, token_for: Any, profile: dict[str, Any] | None = None, *, payouts: bool = True
) -> tuple[str, str]:
    """A new user who is a host: (token, user id); with `payouts`, onboarded to receive payouts (paid
    listings are published only then)."""
    token = token_for()
    me = api.put("/v1/me/host", token=token, json_body=profile or HOST_PROFILE)
    assert me.status == 200, me.body
    if payouts:
        from tests.api.payments_helpers import onboard

        onboard(api, token)
    return token, me.json["id"]


def create_listing(api: Any, token: str, **overrides: Any) -> dict[str, Any]:
    response = api.post("/v1/listings", token=token, json_body={**LISTING, **overrides})
    assert response.status == 201, response.body
    return dict(response.json)


def publish(api: Any, token: str, listing_id: str) -> dict[str, Any]:
    response = api.post(f"/v1/listings/{listing_id}/publish", token=token)
    assert response.status == 200, response.body
    return dict(response.json)


def add_sessions(api: Any, token: str, listing_id: str, **body: Any) -> dict[str, Any]:
    body.setdefault("start", "2026-02-01T19:00:00")
    response = api.post(f"/v1/listings/{listing_id}/sessions", token=token, json_body=body)
    assert response.status == 201, response.body
    return dict(response.json)


def published_listing(api: Any, token_for: Any, **overrides: Any) -> tuple[str, str, dict[str, Any]]:
    token, user_id = make_host(api, token_for)
    listing = create_listing(api, token, **overrides)
    publish(api, token, listing["id"])
    return token, user_id, listing
