"""Demo catalog for the local stack: listings of both verticals, published, with upcoming sessions.

    from devstack.seed_catalog import seed_catalog
    seed_catalog(game_master_id=GAME_MASTER.user_id, studio_id=STUDIO.user_id)

Goes through the catalog's own services (so the search index is written as in production) and is
idempotent: a host's listing whose title is already there is left alone, so a restart finds the same
catalog. The hosts must exist (their user records); they act here with the host role.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

GAME_MASTER_LISTINGS: list[dict[str, Any]] = [
    {
        "listing": {
            "title": "The Haunting of Blackwood Manor: a Call of Cthulhu one-shot",
            "description": "A stormy night, a locked library, and a family that does not age. **Beginners welcome.**",
            "category": "one_shot",
            "tags": ["horror", "investigation", "1920s"],
            "game_system": "call_of_cthulhu",
            "tool": "foundry_vtt",
            "languages": ["en", "de"],
            "experience_level": "beginner",
            "age_rating": "16+",
            "content_warnings": ["body horror", "madness"],
            "safety_tools": ["x_card", "lines_and_veils"],
            "max_seats": 5,
            "min_players": 3,
            "price": {"amount": 1500, "currency": "usd"},
            "regional_prices": [{"amount": 1400, "currency": "eur"}],
            "cancellation_policy": {"preset": "moderate"},
            "timezone": "Europe/Berlin",
            "duration_minutes": 240,
        },
        "sessions": [{"days": 3, "time": "19:00"}, {"days": 10, "time": "19:00"}],
    },
    {
        "listing": {
            "title": "Blades in the Dark: Doskvol heists campaign",
            "description": "A weekly campaign of scoundrels, scores and consequences. Session zero first.",
            "category": "campaign",
            "tags": ["heist", "dark fantasy"],
            "game_system": "blades_in_the_dark",
            "tool": "roll20",
            "languages": ["en"],
            "experience_level": "intermediate",
            "age_rating": "16+",
            "safety_tools": ["session_zero", "lines_and_veils"],
            "max_seats": 4,
            "min_players": 3,
            "price": {"amount": 1200, "currency": "usd"},
            "cancellation_policy": {"preset": "flexible"},
            "booking_mode": "approval",
            "timezone": "Europe/Berlin",
            "duration_minutes": 180,
        },
        "sessions": [{"days": 5, "time": "20:00", "recurrence": {"frequency": "weekly", "count": 4}}],
    },
    {
        "listing": {
            "title": "Learn to play D&D 5e: free intro table",
            "description": "Never rolled a d20? Pre-made characters, rules as we go, no preparation needed.",
            "category": "learn_to_play",
            "tags": ["new players", "fantasy"],
            "game_system": "dnd_5e",
            "tool": "discord",
            "languages": ["en"],
            "experience_level": "beginner",
            "age_rating": "all_ages",
            "safety_tools": ["x_card"],
            "max_seats": 6,
            "price": {"amount": 0, "currency": "usd"},
            "timezone": "Europe/Berlin",
            "duration_minutes": 120,
        },
        "sessions": [{"days": 2, "time": "17:00", "recurrence": {"frequency": "biweekly", "count": 3}}],
    },
]

STUDIO_LISTINGS: list[dict[str, Any]] = [
    {
        "listing": {
            "title": "Live room tracking with engineer",
            "description": "A warm live room, Neve preamps, a C7 grand and a tracking engineer. 3 hour blocks.",
            "category": "studio_time",
            "tags": ["tracking", "live room"],
            "tool": "in_person",
            "languages": ["en"],
            "experience_level": "any",
            "format": "private",
            "max_seats": 6,
            "location": {"mode": "in_person", "city": "Berlin", "country": "DE", "lat": 52.4987, "lon": 13.4186},
            "price": {"amount": 18000, "currency": "eur"},
            "regional_prices": [{"amount": 19500, "currency": "usd"}],
            "cancellation_policy": {"preset": "strict"},
            "booking_mode": "approval",
            "timezone": "Europe/Berlin",
            "duration_minutes": 180,
        },
        "sessions": [{"days": 4, "time": "10:00"}, {"days": 4, "time": "14:00"}, {"days": 6, "time": "10:00"}],
    },
    {
        "listing": {
            "title": "Remote mixing review session",
            "description": "Bring your stems; we mix together over Audiomovers and you leave with a plan.",
            "category": "mixing",
            "tags": ["mixing", "feedback"],
            "tool": "audiomovers",
            "languages": ["en"],
            "experience_level": "any",
            "format": "private",
            "max_seats": 1,
            "price": {"amount": 6000, "currency": "usd"},
            "cancellation_policy": {"preset": "flexible"},
            "timezone": "Europe/Berlin",
            "duration_minutes": 90,
        },
        "sessions": [{"days": 2, "time": "11:00", "recurrence": {"frequency": "weekly", "count": 4}}],
    },
]


def _host(user_id: str) -> Any:
    from chalicelib.core.auth import Principal

    return Principal(user_id=user_id, roles=frozenset({"player", "host"}))


def _existing_titles(user_id: str) -> set[str]:
    from chalicelib.catalog.models import ListingItem, host_listings_pk

    return {i.title for i in ListingItem.gsi1.query(host_listings_pk(user_id)) if isinstance(i, ListingItem)}


def _start(now: datetime, days: int, time: str, timezone: str) -> str:
    from chalicelib.catalog import recurrence

    local = recurrence.to_local(now, timezone) + timedelta(days=days)
    hour, minute = (int(x) for x in time.split(":"))
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0).isoformat()


def _seed_host(user_id: str, specs: list[dict[str, Any]], now: datetime) -> list[str]:
    from chalicelib.catalog import schemas, service, sessions_service
    from chalicelib.catalog.session_schemas import SessionsIn

    principal = _host(user_id)
    from devstack.seed_payouts import enable_payouts

    enable_payouts(principal)  # paid listings need the host's payouts
    existing = _existing_titles(user_id)
    created = []
    for spec in specs:
        body = spec["listing"]
        if body["title"] in existing:
            continue
        listing = service.create_listing(principal, schemas.ListingIn.model_validate(body))
        service.change_status(principal, listing.id, "publish", None)
        for session in spec["sessions"]:
            request = {"start": _start(now, session["days"], session["time"], body["timezone"])}
            if "recurrence" in session:
                request["recurrence"] = session["recurrence"]
            sessions_service.create_sessions(principal, listing.id, SessionsIn.model_validate(request))
        created.append(listing.id)
    return created


def seed_catalog(game_master_id: str, studio_id: str, *, now: datetime | None = None) -> list[str]:
    """Create the demo listings that are missing (published, with sessions from `now` on, default:
    the movable clock's now); returns the ids of the listings it created (none on a second run)."""
    from chalicelib.core import clock

    moment = now or clock.now()
    return _seed_host(game_master_id, GAME_MASTER_LISTINGS, moment) + _seed_host(studio_id, STUDIO_LISTINGS, moment)
