"""Demo data for the local stack, created at start (unless --no-seed) through the app's own services.

Idempotent: fixed ids, and each step checks before it writes, so a restart finds the same data.
Later capabilities add their demo data as one more function in `STEPS` (listings and sessions from
catalog, then bookings, conversations...), using the users in `SeedContext`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from devstack.issuer import Issuer

if TYPE_CHECKING:  # the app's modules are imported only once its environment is set
    from chalicelib.core.auth import Principal

TOKEN_TTL = timedelta(days=30)


@dataclass(frozen=True)
class DemoUser:
    key: str  # how other seed steps refer to them
    user_id: str
    email: str
    name: str
    roles: tuple[str, ...]


GAME_MASTER = DemoUser(
    "game_master", "usr_01HSESH0DEM0GAMEMASTER0001", "mira@sesh.example", "Mira Quill", ("player", "host")
)
STUDIO = DemoUser(
    "studio",
    "usr_01HSESH0DEM0STVD0000000001",
    "booking@basement-tapes.example",
    "Basement Tapes Studio",
    ("player", "host"),
)
PLAYER = DemoUser("player", "usr_01HSESH0DEM0PAYER000000001", "pat@sesh.example", "Pat Player", ("player",))
USERS = (GAME_MASTER, STUDIO, PLAYER)


@dataclass
class SeedContext:
    issuer: Issuer
    principals: dict[str, Principal] = field(default_factory=dict)  # by DemoUser.key
    tokens: dict[str, str] = field(default_factory=dict)  # bearer tokens, by DemoUser.key


def token_for(issuer: Issuer, user: DemoUser) -> str:
    from chalicelib.core import clock

    return issuer.mint(
        user.user_id,
        now=clock.now(),
        email=user.email,
        name=user.name,
        roles=user.roles,
        ttl_seconds=int(TOKEN_TTL.total_seconds()),
    )


def _users(ctx: SeedContext) -> None:
    """The three demo users: created on first sight of their token, as any user is."""
    from chalicelib.accounts import service as accounts
    from chalicelib.core.auth import Claims

    for user in USERS:
        claims = Claims(ctx.issuer.issuer, user.user_id, user.email, user.name, frozenset(user.roles))
        ctx.principals[user.key] = accounts.principal_for(claims)
        ctx.tokens[user.key] = token_for(ctx.issuer, user)


def _host_profiles(ctx: SeedContext) -> None:
    from pydantic import HttpUrl

    from chalicelib.accounts import schemas
    from chalicelib.accounts import service as accounts

    profiles = {
        GAME_MASTER.key: schemas.HostProfileIn(
            kinds=[schemas.HostKind.game_master],
            headline="Cosy horror one-shots and a long-running Blades in the Dark campaign",
            game_systems=["Call of Cthulhu", "Blades in the Dark", "Mothership"],
            genres=["horror", "heist"],
            languages=["en", "de"],
            safety_tools=[schemas.SafetyTool.lines_and_veils, schemas.SafetyTool.x_card],
            rates_text="Free intro sessions; campaigns from $15 per seat.",
        ),
        STUDIO.key: schemas.HostProfileIn(
            kinds=[schemas.HostKind.studio, schemas.HostKind.engineer],
            headline="A warm live room with a tracking engineer, by the hour",
            skills=["tracking", "mixing"],
            gear=["Neve 1073 preamps", "Yamaha C7 grand piano", "Ludwig drum kit"],
            genres=["indie", "jazz"],
            languages=["en"],
            portfolio_links=[HttpUrl("https://basement-tapes.example/credits")],
            rates_text="$60/hour with engineer, 3 hour minimum.",
        ),
    }
    for key, profile in profiles.items():
        principal = ctx.principals[key]
        if accounts.get_me(principal).host_profile is None:
            accounts.become_host(principal, profile, None)


WAITLISTERS = tuple(
    DemoUser(
        f"waitlister_{n}", f"usr_01HSESH0DEM0WA1TER00000{n:03d}", f"wait{n}@sesh.example", f"Wren {n}", ("player",)
    )
    for n in (1, 2, 3)
)


def _catalog(ctx: SeedContext) -> None:
    """A browsable catalog of both verticals (devstack/seed_catalog.py); idempotent by title."""
    from devstack.seed_catalog import seed_catalog

    seed_catalog(GAME_MASTER.user_id, STUDIO.user_id)


def _bookings(ctx: SeedContext) -> None:
    """A free one-shot with two bookings (one by Pat), and a full paid session (two seats) with a
    waitlist of two. Skipped when Pat already has a booking (a restart)."""
    from chalicelib.accounts import service as accounts
    from chalicelib.booking import create, queries, waitlist
    from chalicelib.booking import schemas as booking_schemas
    from chalicelib.catalog import schemas as catalog_schemas
    from chalicelib.catalog import service as catalog
    from chalicelib.catalog import session_schemas, sessions_service
    from chalicelib.core import clock
    from chalicelib.core.auth import Claims

    pat = ctx.principals[PLAYER.key]
    if queries.my_bookings(pat, booking_schemas.MyBookingsQuery()).items:
        return
    for user in WAITLISTERS:
        claims = Claims(ctx.issuer.issuer, user.user_id, user.email, user.name, frozenset(user.roles))
        ctx.principals[user.key] = accounts.principal_for(claims)
        ctx.tokens[user.key] = token_for(ctx.issuer, user)
    mira = ctx.principals[GAME_MASTER.key]
    from devstack.seed_payouts import enable_payouts

    enable_payouts(mira)  # paid listings need the host's payouts
    start = (clock.now() + timedelta(days=10)).replace(hour=11, minute=0, second=0, microsecond=0, tzinfo=None)

    def session_of(title: str, amount: int, capacity: int, day: int) -> str:
        listing = catalog.create_listing(
            mira,
            catalog_schemas.ListingIn.model_validate(
                {
                    "title": title,
                    "category": "one_shot",
                    "max_seats": 5,
                    "min_players": 1,
                    "price": {"amount": amount, "currency": "usd"},
                    "timezone": "Europe/Berlin",
                }
            ),
        )
        catalog.change_status(mira, listing.id, "publish", None)
        body = session_schemas.SessionsIn(start=start + timedelta(days=day), capacity=capacity)
        return sessions_service.create_sessions(mira, listing.id, body).items[0].id

    free = session_of("Mothership: a free intro one-shot", 0, 5, 0)
    create.book(pat, free, booking_schemas.BookingIn(seats=1, note="First time playing!"))
    create.book(ctx.principals["waitlister_3"], free, booking_schemas.BookingIn(seats=1))
    full = session_of("Call of Cthulhu: The Haunting (sold out)", 1500, 2, 1)
    create.book(ctx.principals["waitlister_3"], full, booking_schemas.BookingIn(seats=2))  # held, pending payment
    for key in ("waitlister_1", "waitlister_2"):
        waitlist.join(ctx.principals[key], full, booking_schemas.WaitlistIn(seats=1))


def _chats(ctx: SeedContext) -> None:
    """A direct chat (Mira and Pat) and a session chat, with a few messages (devstack/seed_chat.py)."""
    from devstack.seed_chat import seed_chats

    seed_chats(ctx.principals)


def _notifications(ctx: SeedContext) -> None:
    """Pat's feed holds the notices of the bookings above (booking confirmed, and Mira's new booking),
    sent by their events; here Pat and Mira get their private calendar feeds, and Pat's feed one
    unread reminder of the free one-shot, as the 24h reminder timer will send. Idempotent."""
    from chalicelib.booking import queries
    from chalicelib.booking import schemas as booking_schemas
    from chalicelib.catalog import seats
    from chalicelib.notifications import calendar_feed, domain, service

    pat = ctx.principals[PLAYER.key]
    for key in (PLAYER.key, GAME_MASTER.key):
        calendar_feed.my_feed(ctx.principals[key])
    for booking in queries.my_bookings(pat, booking_schemas.MyBookingsQuery()).items[:1]:
        facts = {
            "booking_id": booking.id,
            "session_id": booking.session_id,
            "starts_at": booking.starts_at,
            "ends_at": booking.ends_at,
            "title": seats.session_for_booking(booking.session_id).listing_title,
        }
        service.notify(
            domain.Notice(pat.user_id, "reminder_24h", domain.REMINDERS),
            facts,
            dedupe=f"seed#{booking.id}",
            occurred_at=booking_created(booking.created_at),
        )


def booking_created(wire: str) -> datetime:
    return datetime.fromisoformat(wire.replace("Z", "+00:00"))


def _reviews(ctx: SeedContext) -> None:
    """Reviews of a past session of Mira's and a month of analytics history (devstack/seed_reviews.py)."""
    from chalicelib.accounts import service as accounts
    from chalicelib.core.auth import Claims
    from devstack.seed_reviews import seed_reviews_and_history

    players = [ctx.principals[PLAYER.key]]
    wren = WAITLISTERS[0]
    players.append(
        ctx.principals.get(wren.key)
        or accounts.principal_for(Claims(ctx.issuer.issuer, wren.user_id, wren.email, wren.name, frozenset(wren.roles)))
    )
    seed_reviews_and_history(ctx.principals[GAME_MASTER.key], ctx.principals[STUDIO.key], players)


# The order matters: each step may use what earlier ones made. Add later capabilities' data here.
STEPS: list[Callable[[SeedContext], None]] = [
    _users,
    _host_profiles,
    _catalog,
    _bookings,
    _chats,
    _notifications,
    _reviews,
]


def seed(issuer: Issuer) -> SeedContext:
    ctx = SeedContext(issuer)
    for step in STEPS:
        step(ctx)
    return ctx
